"""An entity's neighbourhood as a picture that reads left to right, without one label over another.

The entity is a box in the middle. What points to it (incoming links) stands in a column on the
left, what it points to (outgoing) in a column on the right, one neighbour per row. Every edge ends
in a straight stretch at its neighbour's row, and its label (the property's name in the page's
language) sits on that stretch, so labels are as far apart as the rows. Arrows show the direction:
``Black January —location→ Baku``. The picture is as wide and as tall as its content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from blackjanuary.web.layout import Box, text_width, truncate

ROW = 30
NODE_SIZE = 12
EDGE_SIZE = 11
CENTER_SIZE = 13
NODE_LIMIT = 34
EDGE_LIMIT = 34
GUTTER = 56
PAD = 8


@dataclass(frozen=True)
class Neighbour:
    label: str
    href: str | None
    predicate: str
    """The property's name in the reader's language (one per row; several are joined by commas)."""
    outgoing: bool
    predicate_iri: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    href: str | None
    predicates: tuple[str, ...]
    outgoing: bool

    @property
    def edge_text(self) -> str:
        return truncate(", ".join(self.predicates), EDGE_LIMIT)

    @property
    def node_text(self) -> str:
        return truncate(self.label, NODE_LIMIT)


@dataclass
class GraphLayout:
    width: float
    height: float
    center: Box
    rows: list[tuple[Row, float, float]]
    """Each row with its node's x and y."""
    label_boxes: list[Box]
    """Every text's box (centre, node and edge labels): none overlaps another, all inside the picture."""
    hidden: int


def rows_of(neighbours: list[Neighbour], limit: int) -> tuple[list[Row], int]:
    """One row per neighbour and direction, the properties joined; at most ``limit`` rows."""
    grouped: dict[tuple[str, str | None, bool], list[str]] = {}
    for n in neighbours:
        names = grouped.setdefault((n.label, n.href, n.outgoing), [])
        if n.predicate not in names:
            names.append(n.predicate)
    rows = [Row(label, href, tuple(names), out) for (label, href, out), names in grouped.items()]
    rows.sort(key=lambda r: (not r.outgoing, r.predicates, r.label.casefold()))
    return rows[:limit], max(0, len(rows) - limit)


def layout(center: str, neighbours: list[Neighbour], *, limit: int = 16) -> GraphLayout:
    rows, hidden = rows_of(neighbours, limit)
    left = [r for r in rows if not r.outgoing]
    right = [r for r in rows if r.outgoing]
    center_text = truncate(center, 40)
    center_w = text_width(center_text, CENTER_SIZE) + 2 * PAD
    node_w = {
        side: max([text_width(r.node_text, NODE_SIZE) for r in group], default=0.0)
        for side, group in (("l", left), ("r", right))
    }
    edge_w = {
        side: max([text_width(r.edge_text, EDGE_SIZE) for r in group], default=0.0)
        for side, group in (("l", left), ("r", right))
    }
    n = max(len(left), len(right), 1)
    height = max(n * ROW + 2 * PAD, 60)
    center_h = max(34.0, 5.0 * max(len(left), len(right)) + 14)
    # columns, left to right: node labels | node | edge labels | curves | centre
    # | curves | edge labels | node | node labels
    x = float(PAD)
    left_node_x = x + node_w["l"] + 10 if left else x
    left_straight_end = left_node_x + 14 + edge_w["l"] + 6 if left else x
    center_x = left_straight_end + (GUTTER if left else 0)
    right_straight_start = center_x + center_w + (GUTTER if right else 0)
    right_node_x = right_straight_start + edge_w["r"] + 20 if right else right_straight_start
    width = (right_node_x + 10 + node_w["r"] + PAD) if right else center_x + center_w + PAD
    center_box = Box(round(center_x, 1), round(height / 2 - center_h / 2, 1), round(center_w, 1), center_h)
    placed: list[tuple[Row, float, float]] = []
    boxes = [center_box]
    for group, node_x, outgoing in ((left, left_node_x, False), (right, right_node_x, True)):
        top = (height - len(group) * ROW) / 2
        for index, row in enumerate(group):
            y = round(top + index * ROW + ROW / 2 + 4, 1)
            placed.append((row, round(node_x, 1), y))
            node_tw, edge_tw = text_width(row.node_text, NODE_SIZE), text_width(row.edge_text, EDGE_SIZE)
            if outgoing:
                boxes.append(Box(node_x + 10, y - 6, node_tw, NODE_SIZE + 2))
                boxes.append(Box(node_x - 14 - edge_tw, y - 4 - EDGE_SIZE, edge_tw, EDGE_SIZE + 2))
            else:
                boxes.append(Box(node_x - 10 - node_tw, y - 6, node_tw, NODE_SIZE + 2))
                boxes.append(Box(node_x + 14, y - 4 - EDGE_SIZE, edge_tw, EDGE_SIZE + 2))
    return GraphLayout(round(width, 1), height, center_box, placed, boxes, hidden)


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "graph"


def neighbourhood(
    center: str,
    neighbours: list[Neighbour],
    *,
    limit: int = 16,
    more: str = "+ {n}",
    key: str = "graph",
    name: str = "{center}: {n}",
) -> Markup:
    """The SVG, then the same links as a list (the narrow-screen form).

    The SVG is a group named by ``name`` (``{center}``, ``{n}`` links shown); it holds links, so it
    is no ``role="img"``. Each link is named by its whole relation ("Black January — location →
    Baku"), as the list says it, so a keyboard or screen-reader user hears the fact, not a bare name.
    """
    plan = layout(center, neighbours, limit=limit)
    box = plan.center
    cy = box.y + box.height / 2
    marker = f"arrow-{_slug(key)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {plan.width} {plan.height}" '
        f'width="{plan.width}" height="{plan.height}" role="group" '
        f'aria-label="{escape(name.format(center=center, n=len(plan.rows)))}">',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs>',
    ]
    lefts = [p for p in plan.rows if not p[0].outgoing]
    rights = [p for p in plan.rows if p[0].outgoing]
    for group, outgoing in ((lefts, False), (rights, True)):
        for index, (row, nx, ny) in enumerate(group):
            spread = (index - (len(group) - 1) / 2) * min(5.0, (box.height - 10) / max(len(group), 1))
            by = round(cy + spread, 1)
            edge_tw = text_width(row.edge_text, EDGE_SIZE)
            if outgoing:
                start_x, straight = box.right, nx - 14 - edge_tw - 6
                mid = (start_x + straight) / 2
                path = (
                    f"M{start_x},{by} C{mid:.1f},{by} {mid:.1f},{ny} {straight:.1f},{ny} L{nx - 8:.1f},{ny}"
                )
                label_x, anchor = nx - 14, "end"
                node_label_x, node_anchor = nx + 10, "start"
            else:
                straight = nx + 14 + edge_tw + 6
                mid = (straight + box.x) / 2
                path = (
                    f"M{nx + 8:.1f},{ny} L{straight:.1f},{ny} "
                    f"C{mid:.1f},{ny} {mid:.1f},{by} {box.x - 1:.1f},{by}"
                )
                label_x, anchor = nx + 14, "start"
                node_label_x, node_anchor = nx - 10, "end"
            out.append(
                f'<path class="edge" d="{path}" marker-end="url(#{marker})"/>'
                f'<text class="edge-label" x="{label_x:.1f}" y="{ny - 4:.1f}" text-anchor="{anchor}">'
                f"<title>{escape(', '.join(row.predicates))}</title>{escape(row.edge_text)}</text>"
            )
            node = (
                f'<circle class="node" cx="{nx}" cy="{ny}" r="5"/>'
                f'<text class="node-label" x="{node_label_x:.1f}" y="{ny + 4:.1f}" '
                f'text-anchor="{node_anchor}">'
                f"{escape(row.node_text)}</text>"
            )
            if row.href:
                said = _relation(center, row)
                link = f'<a href="{escape(row.href)}" aria-label="{escape(said)}">'
                node = f"{link}<title>{escape(said)}</title>{node}</a>"
            out.append(node)
    out.append(
        f'<rect class="center" x="{box.x}" y="{box.y}" width="{box.width}" height="{box.height}" rx="6"/>'
        f'<text class="center-label" x="{box.x + box.width / 2:.1f}" y="{cy + 5:.1f}" text-anchor="middle">'
        f"{escape(truncate(center, 40))}</text></svg>"
    )
    items = "".join(
        f"<li>{_link(center, None)} — {escape(', '.join(r.predicates))} → {_link(r.label, r.href)}</li>"
        if r.outgoing
        else f"<li>{_link(r.label, r.href)} — {escape(', '.join(r.predicates))} → {_link(center, None)}</li>"
        for r, _, _ in plan.rows
    )
    extra = f'<p class="graph-more">{escape(more.format(n=plan.hidden))}</p>' if plan.hidden else ""
    return Markup("".join(out) + f'<ul class="graph-list">{items}</ul>' + extra)  # noqa: S704 - escaped


def _relation(center: str, row: Row) -> str:
    """The fact a link of the picture stands for, in the list's words; a label shortened in the
    picture leads (the name holds the visible words, WCAG 2.5.3 "label in name")."""
    predicates = ", ".join(row.predicates)
    if row.outgoing:
        said = f"{center} — {predicates} → {row.label}"
    else:
        said = f"{row.label} — {predicates} → {center}"
    return said if row.node_text == row.label else f"{row.node_text} ({said})"


def _link(label: str, href: str | None) -> str:
    return f'<a href="{escape(href)}">{escape(label)}</a>' if href else f"<strong>{escape(label)}</strong>"
