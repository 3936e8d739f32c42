"""Server-rendered SVG pictures: the timeline, a locator map and an entity's neighbourhood.

Pure functions returning SVG markup with every text escaped. Colours and fonts come from classes
styled in ``static/site/site.css`` (no ``style`` attributes, so the CSP stays strict).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

_DATE = re.compile(r"^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def year_fraction(lexical: str) -> float | None:
    """A date-ish literal (xsd:date, gYearMonth, gYear, dateTime) as a fractional year.

    >>> year_fraction("1990-01-20")
    1990.05
    >>> year_fraction("1991") , year_fraction("no date")
    (1991.0, None)
    """
    match = _DATE.match(lexical.strip())
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2) or 1)
    day = int(match.group(3) or 1)
    return round(year + (month - 1) / 12 + (day - 1) / 365, 2)


@dataclass(frozen=True)
class TimelineEvent:
    label: str
    href: str
    when: str
    """The start date's lexical form (shown in the tooltip)."""
    begun_by: bool = False
    """``when`` is the latest possible beginning, not the start (the tooltip says ``≤ when``)."""


def _text(value: str, limit: int = 40) -> str:
    value = value if len(value) <= limit else value[: limit - 1] + "…"
    return escape(value)


def timeline(
    events: list[TimelineEvent], *, first: int = 1989, last: int = 2024, title: str = "Timeline"
) -> Markup:
    """A horizontal axis from ``first`` to ``last`` with one linked marker per event."""
    width, left, right = 960, 30, 30
    placed = sorted(
        ((year_fraction(e.when), e) for e in events if year_fraction(e.when) is not None),
        key=lambda item: (item[0], item[1].label),
    )
    rows = max(1, min(len(placed), 8))
    height = 60 + rows * 22
    axis_y = 40
    span = (last + 1) - first

    def x_of(year: float) -> float:
        clamped = min(max(year, first), last + 1)
        return left + (clamped - first) / span * (width - left - right)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="timeline-title"><title id="timeline-title">{escape(title)}</title>',
        f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}"/>',
    ]
    for year in range(first, last + 2):
        x = x_of(year)
        major = (year - first) % 5 == 0 or year == last + 1
        parts.append(
            f'<line class="tick" x1="{x:.1f}" y1="{axis_y - (6 if major else 3)}" '
            f'x2="{x:.1f}" y2="{axis_y + (6 if major else 3)}"/>'
        )
        if major and year <= last:
            parts.append(f'<text class="year" x="{x:.1f}" y="{axis_y - 12}">{year}</text>')
    for index, (when, event) in enumerate(placed):
        assert when is not None  # noqa: S101 - filtered above
        x = x_of(when)
        row_y = axis_y + 24 + (index % rows) * 22
        anchor = "end" if x > width * 0.75 else "start"
        parts.append(
            f'<a href="{escape(event.href)}"><title>{escape(event.label)} '
            f"({'≤ ' if event.begun_by else ''}{escape(event.when)})</title>"
            f'<line class="stem" x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{row_y - 4}"/>'
            f'<circle class="event" cx="{x:.1f}" cy="{axis_y}" r="5"/>'
            f'<text class="event-label" x="{x + (-4 if anchor == "end" else 4):.1f}" y="{row_y + 4}" '
            f'text-anchor="{anchor}">{_text(event.label)}</text></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def locator_map(lat: float, long: float, label: str, *, span: float = 4.0) -> Markup:
    """A small lat/long frame (``span`` degrees wide) with a graticule, the point and its label."""
    size, pad = 240, 24
    west, east = long - span / 2, long + span / 2
    south, north = lat - span / 2, lat + span / 2

    def xy(la: float, lo: float) -> tuple[float, float]:
        return (
            pad + (lo - west) / (east - west) * (size - 2 * pad),
            pad + (north - la) / (north - south) * (size - 2 * pad),
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(label)}: {lat:.4f}, {long:.4f}">',
        f'<rect class="frame" x="{pad}" y="{pad}" width="{size - 2 * pad}" height="{size - 2 * pad}"/>',
    ]
    for degree in range(math.ceil(west), math.floor(east) + 1):
        x, _ = xy(lat, degree)
        parts.append(
            f'<line class="graticule" x1="{x:.1f}" y1="{pad}" x2="{x:.1f}" y2="{size - pad}"/>'
            f'<text class="coord" x="{x:.1f}" y="{size - 8}">{degree}°E</text>'
        )
    for degree in range(math.ceil(south), math.floor(north) + 1):
        _, y = xy(degree, long)
        parts.append(
            f'<line class="graticule" x1="{pad}" y1="{y:.1f}" x2="{size - pad}" y2="{y:.1f}"/>'
            f'<text class="coord" x="2" y="{y - 2:.1f}">{degree}°N</text>'
        )
    x, y = xy(lat, long)
    parts.append(
        f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="6"/>'
        f'<text class="point-label" x="{x + 9:.1f}" y="{y - 8:.1f}">{_text(label, 30)}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


@dataclass(frozen=True)
class Neighbour:
    label: str
    href: str | None
    predicate: str
    outgoing: bool


def neighbourhood(center: str, neighbours: list[Neighbour], *, limit: int = 12) -> Markup:
    """The resource in the middle, up to ``limit`` neighbours on a circle, labelled edges."""
    size, radius = 480, 170
    c = size / 2
    shown = neighbours[:limit]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(center)}: {len(shown)} neighbours">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/>'
        "</marker></defs>",
    ]
    for index, item in enumerate(shown):
        angle = 2 * math.pi * index / max(len(shown), 1) - math.pi / 2
        x, y = c + radius * math.cos(angle), c + radius * math.sin(angle)
        x1, y1, x2, y2 = (c, c, x, y) if item.outgoing else (x, y, c, c)
        parts.append(
            f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            'marker-end="url(#arrow)"/>'
        )
        mx, my = (c + x) / 2, (c + y) / 2
        parts.append(f'<text class="edge-label" x="{mx:.1f}" y="{my:.1f}">{_text(item.predicate, 22)}</text>')
        node = (
            f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="7"/>'
            f'<text class="node-label" x="{x:.1f}" y="{y + 20:.1f}">{_text(item.label, 24)}</text>'
        )
        if item.href:
            node = f'<a href="{escape(item.href)}"><title>{escape(item.label)}</title>{node}</a>'
        parts.append(node)
    parts.append(
        f'<circle class="center" cx="{c}" cy="{c}" r="11"/>'
        f'<text class="center-label" x="{c}" y="{c + 28}">{_text(center, 30)}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
