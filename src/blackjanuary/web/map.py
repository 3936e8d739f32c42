"""Maps on a vendored Natural Earth basemap (``mapdata/``), drawn on the server, working offline.

Two panels: the region (the South Caucasus and the Caspian Sea) with a frame around the close-up,
and the close-up around the place, with every place of the graph that has coordinates in view (Baku
and the Alley of Martyrs). Both carry a graticule with labelled degrees and a scale bar. The
projection is equirectangular at the panel's middle latitude (true to scale there; good enough over
a few degrees). Point labels take the first free position of four around their point.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from html import escape
from pathlib import Path

from markupsafe import Markup

from blackjanuary.web.i18n import message
from blackjanuary.web.layout import Box, text_width, truncate

BASEMAP = Path(__file__).resolve().parent / "mapdata" / "caucasus-caspian.json"
PANEL_WIDTH = 360
REGION = (39.5, 36.6, 54.5, 46.8)
"""west, south, east, north of the region panel."""
CLOSE_SPAN = (1.0, 0.7)
"""The close-up's minimum width and height in degrees."""
KM_PER_DEGREE = 111.32
LABEL_SIZE = 12

COUNTRY_LABELS = {
    # where each country's name (``country_{code}`` in ``data/messages.json``) is written
    "031": (47.6, 40.9),
    "051": (44.9, 40.35),
    "268": (43.6, 42.2),
    "364": (49.8, 37.0),
    "643": (45.6, 45.4),
    "792": (41.3, 39.2),
    "398": (53.0, 46.2),
    "795": (55.0, 39.5),
}
SEA_LABEL = (50.9, 42.3)
HOME = "031"


@dataclass(frozen=True)
class Place:
    lat: float
    long: float
    label: str
    href: str | None = None
    here: bool = False


@dataclass(frozen=True)
class Frame:
    west: float
    south: float
    east: float
    north: float
    width: float

    @cached_property
    def height(self) -> float:
        return round((self.north - self.south) * self.width / (self.east - self.west) / self.cos_mid(), 1)

    def cos_mid(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    def xy(self, long: float, lat: float) -> tuple[float, float]:
        x = (long - self.west) / (self.east - self.west) * self.width
        y = (self.north - lat) / (self.north - self.south) * self.height
        return round(x, 1), round(y, 1)


@lru_cache(maxsize=1)
def basemap() -> dict[str, object]:
    data: dict[str, object] = json.loads(BASEMAP.read_text(encoding="utf-8"))
    return data


def close_frame(places: list[Place], focus: Place) -> Frame:
    """The close-up: every place within half a degree of ``focus``, padded to :data:`CLOSE_SPAN`."""
    near = [p for p in places if abs(p.lat - focus.lat) <= 0.5 and abs(p.long - focus.long) <= 0.5] or [focus]
    lo_w, lo_e = min(p.long for p in near), max(p.long for p in near)
    la_s, la_n = min(p.lat for p in near), max(p.lat for p in near)
    cx, cy = (lo_w + lo_e) / 2, (la_s + la_n) / 2
    half_w = max(CLOSE_SPAN[0], lo_e - lo_w + 0.4) / 2
    half_h = max(CLOSE_SPAN[1], la_n - la_s + 0.3) / 2
    return Frame(cx - half_w, cy - half_h, cx + half_w, cy + half_h, PANEL_WIDTH)


@lru_cache(maxsize=64)
def _land(frame: Frame) -> tuple[str, ...]:
    """The countries in view as paths (the same for every page with this frame: computed once)."""
    out = []
    countries = basemap()["countries"]
    assert isinstance(countries, list)  # noqa: S101 - the vendored file's shape
    for country in countries:
        rings = []
        for ring in country["rings"]:
            longs = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            if (
                max(longs) < frame.west
                or min(longs) > frame.east
                or max(lats) < frame.south
                or min(lats) > frame.north
            ):
                continue
            points = [frame.xy(lo, la) for lo, la in ring]
            rings.append("M" + "L".join(f"{x},{y}" for x, y in points) + "Z")
        if rings:
            home = " home" if country.get("id") == HOME else ""
            out.append(
                f'<path class="land{home}" d="{"".join(rings)}">'
                f"<title>{escape(country['name'])}</title></path>"
            )
    return tuple(out)


def _degrees(value: float, positive: str, negative: str) -> str:
    """``49°45′ E`` (whole minutes).

    >>> _degrees(49.75, "E", "W"), _degrees(40.0, "N", "S")
    ('49°45′ E', '40° N')
    """
    total = round(abs(value) * 60)
    degrees, minutes = divmod(total, 60)
    hemisphere = positive if value >= 0 else negative
    return f"{degrees}°{minutes:02d}′ {hemisphere}" if minutes else f"{degrees}° {hemisphere}"


def _graticule(frame: Frame, step: float, taken: list[Box]) -> list[str]:
    out = []
    start = math.ceil(frame.west / step) * step
    value = start
    while value < frame.east:
        x, _ = frame.xy(value, frame.south)
        out.append(f'<line class="graticule" x1="{x}" y1="0" x2="{x}" y2="{frame.height}"/>')
        label = _degrees(value, "E", "W")
        box = Box(x + 2, frame.height - 14, text_width(label, 10), 12)
        if box.right < frame.width - 2 and not any(box.overlaps(b) for b in taken):
            out.append(f'<text class="coord" x="{x + 2}" y="{frame.height - 4}">{label}</text>')
            taken.append(box)
        value = round(value + step, 6)
    value = math.ceil(frame.south / step) * step
    while value < frame.north:
        _, y = frame.xy(frame.west, value)
        out.append(f'<line class="graticule" x1="0" y1="{y}" x2="{frame.width}" y2="{y}"/>')
        label = _degrees(value, "N", "S")
        box = Box(2, y - 13, text_width(label, 10), 12)
        if box.y > 0 and not any(box.overlaps(b) for b in taken):
            out.append(f'<text class="coord" x="2" y="{y - 3}">{label}</text>')
            taken.append(box)
        value = round(value + step, 6)
    return out


def _scale(frame: Frame, taken: list[Box]) -> list[str]:
    """A scale bar of a round length about a quarter of the panel, bottom right."""
    km_per_px = (frame.east - frame.west) * KM_PER_DEGREE * frame.cos_mid() / frame.width
    target = km_per_px * frame.width / 4
    length = next(n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if n >= target * 0.6)
    px = round(length / km_per_px, 1)
    x1, y = frame.width - 12, frame.height - 22
    x0 = round(x1 - px, 1)
    label = f"{length} km"
    taken.append(Box(x0, y - 14, px, 20))
    return [
        f'<line class="scale" x1="{x0}" y1="{y}" x2="{x1}" y2="{y}"/>'
        f'<line class="scale" x1="{x0}" y1="{y - 4}" x2="{x0}" y2="{y + 4}"/>'
        f'<line class="scale" x1="{x1}" y1="{y - 4}" x2="{x1}" y2="{y + 4}"/>'
        f'<text class="scale-label halo" x="{(x0 + x1) / 2:.1f}" y="{y - 5}" '
        f'text-anchor="middle">{label}</text>'
        f'<text class="scale-label" x="{(x0 + x1) / 2:.1f}" y="{y - 5}" text-anchor="middle">{label}</text>'
    ]


def _label_at(x: float, y: float, text: str, frame: Frame, taken: list[Box], size: float) -> Box | None:
    """The first of four positions around (x, y) where the label is inside the panel and free."""
    width, height = text_width(text, size), size + 2
    for bx, by in (
        (x + 9, y - height / 2),
        (x - 9 - width, y - height / 2),
        (x - width / 2, y - 9 - height),
        (x - width / 2, y + 9),
    ):
        box = Box(round(bx, 1), round(by, 1), width, height)
        if box.inside(frame.width, frame.height) and not any(box.overlaps(b, 2) for b in taken):
            return box
    return None


def _text(box: Box, text: str, cls: str) -> str:
    baseline = box.y + box.height - 3
    return (
        f'<text class="{cls} halo" x="{box.x}" y="{baseline:.1f}">{escape(text)}</text>'
        f'<text class="{cls}" x="{box.x}" y="{baseline:.1f}">{escape(text)}</text>'
    )


def panel(
    frame: Frame,
    places: list[Place],
    *,
    lang: str,
    title: str,
    step: float,
    extent: Frame | None,
    names: bool,
) -> tuple[Markup, list[Box]]:
    """One map panel and the boxes of its labels (tests check they neither overlap nor leave it)."""
    taken: list[Box] = []
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}" role="img" aria-label="{escape(title)}">',
        f'<rect class="sea" x="0" y="0" width="{frame.width}" height="{frame.height}"/>',
        *_land(frame),
    ]
    out += _scale(frame, taken)
    out += _graticule(frame, step, taken)
    markers = []
    for place in sorted(places, key=lambda p: not p.here):
        if not (frame.west <= place.long <= frame.east and frame.south <= place.lat <= frame.north):
            continue
        x, y = frame.xy(place.long, place.lat)
        taken.append(Box(x - 6, y - 6, 12, 12))
        markers.append((place, x, y))
    if extent is not None:
        x0, y0 = frame.xy(extent.west, extent.north)
        x1, y1 = frame.xy(extent.east, extent.south)
        out.append(
            f'<rect class="extent" x="{x0}" y="{y0}" width="{max(x1 - x0, 4):.1f}" '
            f'height="{max(y1 - y0, 4):.1f}"/>'
        )
    for place, x, y in markers:
        cls = "point here" if place.here else "point"
        out.append(f'<circle class="{cls}" cx="{x}" cy="{y}" r="{6 if place.here else 4.5}"/>')
    point_labels = []
    for place, x, y in markers:
        text = truncate(place.label, 34)
        box = _label_at(x, y, text, frame, taken, LABEL_SIZE)
        if box is None:
            continue
        taken.append(box)
        point_labels.append(_text(box, text, "point-label"))
        if extent is not None:
            break  # the region panel names the place itself only
    if names:
        for code, (lo, la) in COUNTRY_LABELS.items():
            name = message(f"country_{code}", lang)
            x, y = frame.xy(lo, la)
            box = Box(round(x - text_width(name, 11) / 2, 1), round(y - 12, 1), text_width(name, 11), 13)
            if box.inside(frame.width, frame.height) and not any(box.overlaps(b, 2) for b in taken):
                taken.append(box)
                out.append(_text(box, name, "area-label"))
    sea = message("caspian_sea", lang)
    x, y = frame.xy(*SEA_LABEL) if names else (frame.width - text_width(sea, 11) - 8, 16.0)
    box = Box(
        round(x - (text_width(sea, 11) / 2 if names else 0), 1), round(y - 12, 1), text_width(sea, 11), 13
    )
    if box.inside(frame.width, frame.height) and not any(box.overlaps(b, 2) for b in taken):
        taken.append(box)
        out.append(_text(box, sea, "sea-label"))
    out += point_labels
    out.append(
        f'<rect class="frame" x="0.5" y="0.5" width="{frame.width - 1}" height="{frame.height - 1}"/></svg>'
    )
    return Markup("".join(out)), taken  # noqa: S704 - every text above is escaped


def osm_link(lat: float, long: float, zoom: int = 14) -> str:
    """OpenStreetMap with a marker at the point.

    >>> osm_link(40.39528, 49.88222)
    'https://www.openstreetmap.org/?mlat=40.39528&mlon=49.88222#map=14/40.39528/49.88222'
    """
    return f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={long:.5f}#map={zoom}/{lat:.5f}/{long:.5f}"


def place_map(focus: Place, others: list[Place], *, lang: str, region_title: str, close_title: str) -> Markup:
    """The region panel and the close-up around ``focus`` (with every other place in view)."""
    places = [focus, *[p for p in others if (p.lat, p.long) != (focus.lat, focus.long)]]
    close = close_frame(places, focus)
    region = Frame(*REGION, PANEL_WIDTH)
    region_svg, _ = panel(region, [focus], lang=lang, title=region_title, step=5, extent=close, names=True)
    close_svg, _ = panel(close, places, lang=lang, title=close_title, step=0.25, extent=None, names=False)
    return Markup('<div class="maps">') + region_svg + close_svg + Markup("</div>")
