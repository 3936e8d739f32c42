"""The landing page's timeline: a broken, two-scale axis and dated labels that never collide.

Most of the text's events fall in one month (January 1990) and the rest spread over 35 years, so a
linear axis piles them up. The axis is cut in three: the years before the busiest month, that month
day by day (most of the width), and the years after. Events on the same date share one marker and one
label box (the date, then each event). Boxes are placed greedily below the axis: the highest free
position where neither the box nor its leader line meets another box or leader, and every box
inside the picture. :func:`timeline` also returns the same events as an ordered list, which the style
sheet shows instead of the picture on narrow screens.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html import escape

from markupsafe import Markup

from blackjanuary.web.dates import as_date, human_date, latest_begin, month_year
from blackjanuary.web.layout import Box, text_width, truncate

WIDTH = 960
MARGIN = 18
BREAK = 20
"""Room for the break marks between two segments."""
AXIS_Y = 56
LABEL_SIZE = 13
LINE = 17
GAP = 6
LABEL_LIMIT = 120
WRAP = 36


@dataclass(frozen=True)
class TimelineEvent:
    label: str
    href: str
    when: str
    """The start date's lexical form."""
    begun_by: bool = False
    """``when`` is the latest possible beginning, not the start (written ``by 1989``)."""


@dataclass(frozen=True)
class Segment:
    start: date
    end: date
    x0: float
    x1: float
    detailed: bool
    """The busy month, drawn day by day."""

    def x(self, when: date) -> float:
        share = (when.toordinal() - self.start.toordinal()) / (self.end.toordinal() - self.start.toordinal())
        return round(self.x0 + share * (self.x1 - self.x0), 1)

    def holds(self, when: date) -> bool:
        return self.start <= when < self.end


@dataclass
class Cluster:
    """Events on one date: one marker, one box of lines (the date, then the events)."""

    when: date
    heading: str
    events: list[TimelineEvent]
    x: float = 0.0
    box: Box = field(default_factory=lambda: Box(0, 0, 0, 0))

    @property
    def wrapped(self) -> list[list[str]]:
        """Each event's label in lines of at most :data:`WRAP` characters."""
        return [textwrap.wrap(truncate(e.label, LABEL_LIMIT), WRAP) or [""] for e in self.events]

    @property
    def lines(self) -> list[str]:
        return [self.heading, *(line for lines in self.wrapped for line in lines)]


def busiest_month(days: list[date]) -> tuple[int, int] | None:
    """The month holding the most events, if it holds at least two (ties: the earliest).

    >>> busiest_month([date(1990, 1, 19), date(1990, 1, 20), date(2024, 1, 20)])
    (1990, 1)
    """
    counts = Counter((d.year, d.month) for d in days)
    if not counts:
        return None
    month, n = min(counts.items(), key=lambda item: (-item[1], item[0]))
    return month if n >= 2 else None


def segments(first: int, last: int, focus: tuple[int, int] | None) -> list[Segment]:
    """The axis from 1 January ``first`` to 31 December ``last``: three segments around ``focus``."""
    start, end = date(first, 1, 1), date(last + 1, 1, 1)
    left, right = MARGIN, WIDTH - MARGIN
    if focus is None or not (start <= date(*focus, 1) < end):
        return [Segment(start, end, left, right, False)]
    year, month = focus
    f0 = date(year, month, 1)
    f1 = date(year + (month == 12), month % 12 + 1, 1)
    parts = [(start, f0, 0.15), (f0, f1, 0.47), (f1, end, 0.38)]
    parts = [p for p in parts if p[1] > p[0]]
    usable = right - left - BREAK * (len(parts) - 1)
    share = sum(p[2] for p in parts)
    found, x = [], float(left)
    for a, b, weight in parts:
        width = usable * weight / share
        found.append(Segment(a, b, round(x, 1), round(x + width, 1), (a, b) == (f0, f1)))
        x += width + BREAK
    return found


def x_of(parts: list[Segment], when: date) -> float:
    for segment in parts:
        if segment.holds(when):
            return segment.x(when)
    return parts[-1].x1 if when >= parts[-1].end else parts[0].x0


def clusters(events: list[TimelineEvent], lang: str) -> list[Cluster]:
    by_day: dict[tuple[date, bool, str], list[TimelineEvent]] = {}
    for event in events:
        when = as_date(event.when)
        if when is not None:
            by_day.setdefault((when, event.begun_by, event.when), []).append(event)
    found = []
    for (when, begun_by, lexical), members in sorted(
        by_day.items(), key=lambda item: (item[0][0], item[0][1])
    ):
        heading = latest_begin(lexical, lang) if begun_by else human_date(lexical, lang)
        found.append(Cluster(when, heading, sorted(members, key=lambda e: (e.label.casefold(), e.href))))
    return found


def _leader(x: float, top: float) -> Box:
    return Box(x - 1.5, AXIS_Y + 6, 3, max(0.0, top - AXIS_Y - 6))


def _size(item: Cluster) -> tuple[float, float]:
    return max(text_width(line, LABEL_SIZE) for line in item.lines) + 4, LINE * len(item.lines) + 4


def _preferred_left(x: float, width: float) -> float:
    return min(max(x - 6, MARGIN), WIDTH - MARGIN - width)


def place(items: list[Cluster]) -> None:
    """Give every cluster a box: the highest position below the axis free of other boxes and leaders.

    A box whose width spans other markers must sit below their boxes (or its leader-free band would
    cut their leaders), so clusters are placed in the order of how many markers their box spans.
    """
    boxes: list[Box] = []
    leaders: list[Box] = []

    def spanned(item: Cluster) -> int:
        width, _ = _size(item)
        left = _preferred_left(item.x, width)
        return sum(1 for other in items if other is not item and left <= other.x <= left + width)

    unplaced = sorted(items, key=lambda c: (spanned(c), -c.x))
    while unplaced:
        item = unplaced.pop(0)
        width, height = _size(item)
        levels = sorted({AXIS_Y + 22, *(b.bottom + GAP for b in boxes)})
        chosen = None
        for strict in (True, False):
            for top in levels:
                for left in (item.x - 6, item.x - width + 6, item.x - width / 2):
                    left = min(max(left, MARGIN), WIDTH - MARGIN - width)
                    if not left <= item.x <= left + width:
                        continue
                    box, leader = Box(round(left, 1), top, width, height), _leader(item.x, top)
                    if any(box.overlaps(other, GAP) for other in boxes):
                        continue
                    if strict and (
                        any(box.x <= other.x <= box.right for other in unplaced)
                        or any(box.overlaps(other) for other in leaders)
                        or any(leader.overlaps(other) for other in boxes)
                    ):
                        continue
                    chosen = (box, leader)
                    break
                if chosen:
                    break
            if chosen:
                break
        assert chosen is not None  # noqa: S101 - below every box there is always room
        item.box = chosen[0]
        boxes.append(chosen[0])
        leaders.append(chosen[1])


def _axis(parts: list[Segment], lang: str) -> list[str]:
    out: list[str] = []
    for index, segment in enumerate(parts):
        out.append(f'<line class="axis" x1="{segment.x0}" y1="{AXIS_Y}" x2="{segment.x1}" y2="{AXIS_Y}"/>')
        if index:
            for dx in (-4, 4):  # the break: two slanted strokes in the gap
                x = (parts[index - 1].x1 + segment.x0) / 2 + dx
                out.append(
                    f'<line class="break" x1="{x - 3:.1f}" y1="{AXIS_Y + 7}" '
                    f'x2="{x + 3:.1f}" y2="{AXIS_Y - 7}"/>'
                )
        if segment.detailed:
            out.append(
                f'<rect class="focus" x="{segment.x0}" y="{AXIS_Y - 44}" '
                f'width="{segment.x1 - segment.x0:.1f}" '
                'height="50"/>'
                f'<text class="focus-label" x="{(segment.x0 + segment.x1) / 2:.1f}" y="{AXIS_Y - 30}">'
                f"{escape(month_year(segment.start.year, segment.start.month, lang))}</text>"
            )
            day = segment.start
            while day < segment.end:
                x = segment.x(day) + (segment.x(date.fromordinal(day.toordinal() + 1)) - segment.x(day)) / 2
                major = day.day in (1, 10, 20) or date.fromordinal(day.toordinal() + 1) == segment.end
                out.append(
                    f'<line class="tick" x1="{x:.1f}" y1="{AXIS_Y - (5 if major else 2)}" '
                    f'x2="{x:.1f}" y2="{AXIS_Y + (5 if major else 2)}"/>'
                )
                if major:
                    out.append(f'<text class="year" x="{x:.1f}" y="{AXIS_Y - 9}">{day.day}</text>')
                day = date.fromordinal(day.toordinal() + 1)
            continue
        last_label = -1e9
        for year in range(segment.start.year, segment.end.year + 1):
            when = date(year, 1, 1)
            if not segment.start <= when <= segment.end:
                continue
            x = segment.x(when)
            labelled = (
                year % 5 == 0 or when == segment.start or year == segment.end.year - 1
            ) and x - last_label > 34
            out.append(
                f'<line class="tick" x1="{x:.1f}" y1="{AXIS_Y - (5 if labelled else 2)}" '
                f'x2="{x:.1f}" y2="{AXIS_Y + (5 if labelled else 2)}"/>'
            )
            if labelled and when < segment.end:
                out.append(f'<text class="year" x="{x:.1f}" y="{AXIS_Y - 9}">{year}</text>')
                last_label = x
    return out


def timeline_picture(
    events: list[TimelineEvent],
    *,
    lang: str = "en",
    first: int | None = None,
    last: int | None = None,
    title: str = "Timeline",
) -> tuple[list[Cluster], float, Markup]:
    """The placed clusters, the picture's height, and the SVG (``first``/``last``: the axis' years)."""
    items = clusters(events, lang)
    years = [c.when.year for c in items] or [1990]
    first = min(years) if first is None else min(first, *years)
    last = max(years) if last is None else max(last, *years)
    parts = segments(first, last, busiest_month([c.when for c in items for _ in c.events]))
    for item in items:
        item.x = x_of(parts, item.when)
    place(items)
    height = max([AXIS_Y + 40, *(c.box.bottom + MARGIN for c in items)])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" role="group" aria-labelledby="timeline-title">'
        f'<title id="timeline-title">{escape(title)}</title>',
        *_axis(parts, lang),
    ]
    for item in items:
        box = item.box
        out.append(
            f'<line class="stem" x1="{item.x}" y1="{AXIS_Y}" x2="{item.x}" y2="{box.y}"/>'
            f'<circle class="event" cx="{item.x}" cy="{AXIS_Y}" r="5"/>'
            f'<g class="label" data-box="{box.x} {box.y} {box.width} {box.height}">'
            f'<text class="when" x="{box.x + 2}" y="{box.y + LINE - 2}">{escape(item.heading)}</text>'
        )
        row = 1
        for event, lines in zip(item.events, item.wrapped, strict=True):
            out.append(f'<a href="{escape(event.href)}">')
            for line in lines:
                row += 1
                out.append(
                    f'<text class="event-label" x="{box.x + 2}" y="{box.y + LINE * row - 2}">'
                    f"{escape(line)}</text>"
                )
            out.append("</a>")
        out.append("</g>")
    out.append("</svg>")
    return items, height, Markup("".join(out))  # noqa: S704 - every text above is escaped


def timeline_list(items: list[Cluster]) -> Markup:
    """The same events as an ordered list of dates (the narrow-screen form)."""
    out = ['<ol class="timeline-list">']
    for item in items:
        links = "; ".join(f'<a href="{escape(e.href)}">{escape(e.label)}</a>' for e in item.events)
        out.append(
            f'<li><time datetime="{escape(item.events[0].when)}">{escape(item.heading)}</time> — {links}</li>'
        )
    out.append("</ol>")
    return Markup("".join(out))  # noqa: S704 - every text above is escaped


def timeline(
    events: list[TimelineEvent],
    *,
    first: int | None = 1989,
    last: int | None = 2024,
    title: str = "Timeline",
    lang: str = "en",
) -> Markup:
    """The picture (with its title) followed by the list form; the style sheet shows one of them."""
    items, _, picture = timeline_picture(events, lang=lang, first=first, last=last, title=title)
    return picture + timeline_list(items)
