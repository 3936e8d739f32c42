"""Server-rendered SVG pictures: the timeline, the maps and an entity's neighbourhood.

Pure functions returning SVG markup with every text escaped. Colours and fonts come from classes
styled in ``static/site/pictures.css`` (no ``style`` attributes, so the CSP stays strict). Each
picture lives in its own module; this one gathers them.
"""

from __future__ import annotations

from markupsafe import Markup

from blackjanuary.web.dates import as_date
from blackjanuary.web.graph_picture import Neighbour, neighbourhood
from blackjanuary.web.map import Place, osm_link, place_map
from blackjanuary.web.timeline import TimelineEvent, timeline

__all__ = [
    "Neighbour",
    "Place",
    "TimelineEvent",
    "locator_map",
    "neighbourhood",
    "osm_link",
    "place_map",
    "timeline",
    "year_fraction",
]


def year_fraction(lexical: str) -> float | None:
    """A date-ish literal (xsd:date, gYearMonth, gYear, dateTime) as a fractional year.

    >>> year_fraction("1990-01-20")
    1990.05
    >>> year_fraction("1991") , year_fraction("no date")
    (1991.0, None)
    """
    when = as_date(lexical)
    if when is None:
        return None
    return round(when.year + (when.month - 1) / 12 + (when.day - 1) / 365, 2)


def locator_map(lat: float, long: float, label: str, *, lang: str = "en") -> Markup:
    """The maps for one point with nothing else around it."""
    return place_map(Place(lat, long, label, here=True), [], lang=lang, region_title=label, close_title=label)
