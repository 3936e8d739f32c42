"""The pictures of an entity page, with what they need from the store (kept per build version in
the application's :class:`~blackjanuary.web.version_cache.VersionCache`).

Edge labels are property names in the page's language (:mod:`blackjanuary.web.property_names`).
Places are every resource with ``wgs84:lat``/``wgs84:long``.
"""

from __future__ import annotations

from flask import current_app
from markupsafe import Markup
from rdflib import Literal

from blackjanuary.query.describe import PREFIXES
from blackjanuary.query.service import QueryService
from blackjanuary.rdf.iris import Iris
from blackjanuary.web.entity_view import EntityView
from blackjanuary.web.i18n import message, pick_literal
from blackjanuary.web.property_names import property_name
from blackjanuary.web.svg import Neighbour, Place, neighbourhood, osm_link, place_map
from blackjanuary.web.version_cache import version_cache

SKIPPED = ("/geosparql#hasGeometry", "/geosparql#hasDefaultGeometry")
"""Links to a place's geometry node: its coordinates are on the map already."""


def places(store: QueryService, iris: Iris, lang: str) -> list[Place]:
    """Every place with coordinates, labelled in ``lang``."""

    def compute() -> list[tuple[str, float, float, list[Literal]]]:
        rows = store.select(
            PREFIXES + "PREFIX wgs84: <http://www.w3.org/2003/01/geo/wgs84_pos#> "
            "SELECT ?s ?lat ?long ?l WHERE { ?s wgs84:lat ?lat ; wgs84:long ?long "
            "OPTIONAL { ?s rdfs:label ?l } } "
            "LIMIT 2000"
        )
        found: dict[str, tuple[str, float, float, list[Literal]]] = {}
        for row in rows:
            try:
                lat, long = float(row["lat"]), float(row["long"])  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError):
                continue
            entry = found.setdefault(str(row["s"]), (str(row["s"]), lat, long, []))
            label = row.get("l")
            if isinstance(label, Literal):
                entry[3].append(label)
        return list(found.values())

    return [
        Place(lat, long, str(pick_literal(labels, lang) or iris.local_name(iri) or iri), iris.link(iri))
        for iri, lat, long, labels in version_cache(current_app.extensions).get_or_compute(
            store.info.version, "places", compute
        )
    ]


def entity_pictures(
    store: QueryService, iris: Iris, view: EntityView, lang: str
) -> tuple[Markup | None, Markup | None]:
    """The map (when the entity has coordinates) and the neighbourhood graph (when it has neighbours)."""
    map_svg = graph_svg = None
    if view.point:
        lat, long = view.point
        here = Place(lat, long, view.label, None, here=True)
        others = [p for p in places(store, iris, lang) if (p.lat, p.long) != (lat, long)]
        map_svg = place_map(
            here,
            others,
            lang=lang,
            region_title=f"{message('picture_map_region', lang)}: {view.label}",
            close_title=f"{message('picture_map_close', lang)}: {view.label}",
        )
        map_svg += Markup(
            '<p class="map-links"><a class="external" rel="external" href="{}">{}</a></p>'
        ).format(osm_link(lat, long), message("picture_open_in_osm", lang))
    if view.neighbours:
        named = [
            Neighbour(
                n.label,
                n.href,
                property_name(store, iris, n.predicate_iri, lang) if n.predicate_iri else n.predicate,
                n.outgoing,
                n.predicate_iri,
            )
            for n in view.neighbours
            if not n.predicate_iri.endswith(SKIPPED)
        ]
        graph_svg = neighbourhood(
            view.label,
            named,
            more=message("picture_more_neighbours", lang),
            name=message("picture_graph_name", lang),
        )
    return map_svg, graph_svg
