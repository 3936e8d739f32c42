"""The pictures of an entity page, with what they need from the store (cached per build version).

Property names come from the ontology's ``rdfs:label`` in the page's language (falling back to
English, German, any), else from the term's local name in words (``hasActor`` → "has actor").
Places are every resource with ``wgs84:lat``/``wgs84:long``.
"""

from __future__ import annotations

import re
import threading

from markupsafe import Markup
from rdflib import Literal

from blackjanuary.query.describe import PREFIXES
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.vocab import Ours
from blackjanuary.store import Store
from blackjanuary.web.entity_view import EntityView
from blackjanuary.web.i18n import message, pick_literal
from blackjanuary.web.svg import Neighbour, Place, neighbourhood, osm_link, place_map

SKIPPED = ("/geosparql#hasGeometry", "/geosparql#hasDefaultGeometry")
"""Links to a place's geometry node: its coordinates are on the map already."""

_lock = threading.Lock()
_cache: dict[tuple[str, str], object] = {}


def _per_version(store: Store, name: str, compute):  # type: ignore[no-untyped-def]
    key = (store.info.version, name)
    with _lock:
        if key in _cache:
            return _cache[key]
    value = compute()
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = value
    return value


def words(term: str) -> str:
    """A term's local name in words.

    >>> words("http://semanticweb.cs.vu.nl/2009/11/sem/hasActor"), words("http://schema.org/startDate")
    ('has actor', 'start date')
    """
    local = re.split(r"[/#:]", term.rstrip("/#"))[-1]
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").replace("-", " ")
    return spaced.lower()


def _all_labels(store: Store, ontology_graph: str) -> dict[str, list[Literal]]:
    """Every label the ontology graph gives (our terms and any external term it names), and the
    labels of every resource typed as a property anywhere."""
    rows = store.select(
        PREFIXES + "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?p ?l WHERE { "
        f"{{ GRAPH <{ontology_graph}> {{ ?p rdfs:label ?l }} }} UNION {{ "
        "VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty rdf:Property owl:AnnotationProperty } "
        "?p a ?kind ; rdfs:label ?l } }"
    )
    found: dict[str, list[Literal]] = {}
    for row in rows:
        label = row.get("l")
        if isinstance(label, Literal) and label not in found.get(str(row["p"]), []):
            found.setdefault(str(row["p"]), []).append(label)
    return found


def property_names(store: Store, lang: str, ontology_graph: str) -> dict[str, str]:
    """Every property's label in ``lang`` (with the fallbacks of :func:`pick_literal`)."""

    def compute() -> dict[str, str]:
        labels = _per_version(store, "property-labels", lambda: _all_labels(store, ontology_graph))
        return {iri: str(pick_literal(values, lang)) for iri, values in labels.items()}

    return _per_version(store, f"property-names-{lang}", compute)  # type: ignore[no-any-return]


def property_name(store: Store, iris: Iris, iri: str, lang: str) -> str:
    """The property's name in words: its label, else its local name spelt out."""
    return property_names(store, lang, str(Ours(iris.base).graph("ontology"))).get(iri) or words(iri)


def places(store: Store, iris: Iris, lang: str) -> list[Place]:
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
        for iri, lat, long, labels in _per_version(store, "places", compute)
    ]


def entity_pictures(
    store: Store, iris: Iris, view: EntityView, lang: str
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
        graph_svg = neighbourhood(view.label, named, more=message("picture_more_neighbours", lang))
    return map_svg, graph_svg
