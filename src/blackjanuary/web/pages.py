"""Blueprint ``pages``: the landing page, the list of things and the example questions.

Each page is HTML for browsers and RDF for everyone else (``Vary: Accept``), embeds its RDF as
JSON-LD and links its alternates. Everything shown comes from the store (and the build manifest).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, request, send_from_directory, url_for
from rdflib import Graph, URIRef
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.errors import ResourceNotFound
from blackjanuary.publish.manifest import DistFile, ManifestError, read_manifest
from blackjanuary.publish.stats import is_wikidata_link
from blackjanuary.query.describe import PREFIXES, count, iri_term, with_prefixes
from blackjanuary.query.guard import leading_keyword
from blackjanuary.rdf.formats import HTML, RDF_GRAPH_FORMATS
from blackjanuary.rdf.iris import document_path, source_path, sparql_link, with_query
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.cite import cite_links, dataset_title_and_issued
from blackjanuary.web.context import (
    cache,
    choose,
    html_response,
    iris,
    offset_param,
    page_context,
    settings,
    store,
    version,
)
from blackjanuary.web.downloads import catalog_jsonld
from blackjanuary.web.endpoint import examples as endpoint_examples
from blackjanuary.web.entity_view import Labeller, Value, safe_json, type_words
from blackjanuary.web.formatting import format_number
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import message
from blackjanuary.web.svg import TimelineEvent, timeline
from blackjanuary.web.version_cache import version_cache

log = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

ENTITY_PAGE = 200
LANDING_THINGS = 60
TIMELINE_LIMIT = 200


EXAMPLE_ROWS = 500


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    query: str

    @property
    def href(self) -> str:
        return f"/examples/{self.id}"

    @property
    def results_href(self) -> str:
        return sparql_link(self.query) + "&format=json"


def examples(lang: str = "en") -> list[Example]:
    """The example questions (``graph/queries/*.rq``) as the endpoint lists them, titled in ``lang``."""

    found = endpoint_examples(settings().graph_dir / "queries", Ours(settings().base_iri), lang)
    return [Example(e["id"], e["title"], e["query"]) for e in found]


# Landing page -----------------------------------------------------------------------------------
def statistics() -> list[tuple[str, str, int]]:
    """The landing page's counts, computed once per build version (they scan the whole store)."""
    cache = version_cache(current_app.extensions)
    return list(cache.get_or_compute(version(), "landing-statistics", compute_statistics))


def compute_statistics() -> list[tuple[str, str, int]]:
    """(message key, graph name or "", count) per row of the landing page's statistics."""
    space = iris().base + "id/"
    ours = Ours(settings().base_iri)
    bj = str(ours.BJ)
    matches = store().select(PREFIXES + "SELECT DISTINCT ?s ?o WHERE { ?s skos:exactMatch ?o }")
    stats = [
        (
            "stat_things",
            "",
            count(
                store(),
                f'SELECT DISTINCT ?s WHERE {{ ?s rdfs:label ?l FILTER(STRSTARTS(STR(?s), "{space}") && '
                f'!STRSTARTS(STR(?s), "{space}statement/")) }}',
            ),
        ),
        ("stat_statements", "", count(store(), f"?s a <{bj}Statement>")),
        ("stat_sentences", "", count(store(), f"?s a <{bj}Sentence>")),
        (
            "stat_wikidata",
            "",
            sum(1 for r in matches if is_wikidata_link(r.get("s"), r.get("o"), ours)),
        ),
    ]
    for graph, triples in sorted(store().info.graph_triples.items()):
        stats.append(("stat_graph", graph.rsplit("/", 1)[-1], triples))
    return stats


def things(lang: str, *, limit: int, offset: int = 0) -> tuple[list[tuple[Value, list[Value]]], bool]:
    """One page of our things (not statements) with their types, sorted by label; and whether more exist.

    Pages follow the store's index order (stable for a build): no ORDER BY over every label.
    """
    space = iris().base + "id/"
    rows = store().select(
        PREFIXES + f'SELECT DISTINCT ?s WHERE {{ ?s rdfs:label ?l FILTER(STRSTARTS(STR(?s), "{space}") && '
        f'!STRSTARTS(STR(?s), "{space}statement/")) }} LIMIT {limit + 1} OFFSET {offset}'
    )
    subjects = [str(r["s"]) for r in rows[:limit] if "s" in r]
    if not subjects:
        return [], False
    values = " ".join(iri_term(s) for s in subjects)
    graph = store().construct(
        PREFIXES
        + f"CONSTRUCT {{ ?s rdfs:label ?l ; a ?t . ?t rdfs:label ?tl }} WHERE {{ VALUES ?s {{ {values} }} "
        "{ ?s rdfs:label ?l } UNION { ?s a ?t OPTIONAL { ?t rdfs:label ?tl } } }"
    )
    graph = with_prefixes(graph, settings().base_iri)
    labeller = Labeller(graph, iris(), lang)
    listed = [(labeller.value(URIRef(s)), type_words(graph, URIRef(s), labeller)) for s in subjects]
    listed.sort(key=lambda item: (item[0].text.casefold(), item[0].iri or ""))
    return listed, len(rows) > limit


def timeline_events(lang: str) -> list[TimelineEvent]:
    # an event the text dates only by its latest possible beginning ("spätestens seit …") is placed
    # there and marked "≤" in its tooltip
    rows = store().select(
        PREFIXES + "SELECT ?e ?start ?by WHERE { { ?e schema:startDate ?start } UNION { "
        "?e <http://semanticweb.cs.vu.nl/2009/11/sem/hasLatestBeginTimeStamp> ?start BIND(true AS ?by) "
        "FILTER NOT EXISTS { ?e schema:startDate ?any } } } ORDER BY ?start LIMIT "
        f"{TIMELINE_LIMIT}"
    )
    subjects = sorted({str(r["e"]) for r in rows})
    if not subjects:
        return []
    values = " ".join(iri_term(s) for s in subjects)
    graph = store().construct(
        PREFIXES + f"CONSTRUCT {{ ?s rdfs:label ?l }} WHERE {{ VALUES ?s {{ {values} }} ?s rdfs:label ?l }}"
    )
    labeller = Labeller(graph, iris(), lang)
    events = []
    for row in rows:
        value = labeller.value(row["e"])
        if value.href:
            events.append(TimelineEvent(value.text, value.href, str(row["start"]), begun_by="by" in row))
    return events


def dataset_jsonld(title: str) -> dict[str, object]:
    """The landing page's schema.org Dataset: the downloads' catalogue plus what the page says."""
    base = settings().base_iri
    try:
        catalog = catalog_jsonld(read_manifest(settings().dist))
    except ManifestError:
        catalog = {"@context": "https://schema.org/", "@type": "Dataset", "@id": base + "dataset"}
    return {
        **catalog,
        "name": title,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "url": base,
        "inLanguage": ["de", "en", "az", "ru"],
        "isBasedOn": iris().source,
    }


def downloads_files() -> list[DistFile]:
    try:
        return list(read_manifest(settings().dist).files)
    except ManifestError:
        return []


@bp.get("/")
def landing() -> BaseResponse:
    fmt, _ = choose(None)
    if fmt is not HTML:  # the base IRI is the dataset's homepage: RDF clients get its VoID description
        response = redirect(document_path("void", fmt.extension), code=303)
        response.headers["Cache-Control"] = cache()
        return finish(response, vary=("Accept",))
    ctx = page_context(title="")
    lang = str(ctx["lang"])
    ctx["title"] = message("landing_title", lang)
    listed, more = things(lang, limit=LANDING_THINGS)
    dataset_title, _ = dataset_title_and_issued(lang)
    ctx.update(
        stats=[(message(key, lang, name=name), n) for key, name, n in statistics()],
        number=lambda n: format_number(n, lang),
        examples=examples(lang),
        things=listed,
        more_things=more,
        timeline=timeline(timeline_events(lang), title=message("timeline", lang), lang=lang),
        files=downloads_files(),
        version=version(),
        source_href=source_path(),
        jsonld=safe_json(dataset_jsonld(str(ctx["title"]))),
        dataset_title=dataset_title,
        permalink=iris().dataset,
        cite=cite_links(None),
    )
    links: list[tuple[str, str, str | None]] = [(document_path("void", "ttl"), "describedby", "text/turtle")]
    links += [(document_path("void", f.extension), "alternate", f.media_type) for f in RDF_GRAPH_FORMATS]
    return html_response("ld/landing.html", ctx, links=links)


@bp.get("/entities")
def entities() -> Response:
    offset = offset_param("offset")
    ctx = page_context(title="")
    ctx["title"] = message("entities", str(ctx["lang"]))
    listed, more = things(str(ctx["lang"]), limit=ENTITY_PAGE, offset=offset)

    def href(value: int) -> str:
        args = {k: v for k, v in request.args.items() if k != "offset"}
        if value:
            args["offset"] = str(value)
        return with_query(url_for("pages.entities"), args)

    ctx.update(
        things=listed,
        prev_href=href(max(0, offset - ENTITY_PAGE)) if offset else None,
        next_href=href(offset + ENTITY_PAGE) if more else None,
    )
    return html_response("ld/entities.html", ctx, links=[])


@bp.get("/examples/<name>")
def example(name: str) -> Response:
    """One example question run on the store, its rows as an HTML table (bounded)."""
    ctx = page_context(title="")
    found = next((e for e in examples(str(ctx["lang"])) if e.id == name), None)
    if found is None:
        raise ResourceNotFound(f"no example question {name!r}", hint="the list is on the landing page")
    ctx["title"] = found.title
    rows: list[list[Value]] = []
    columns: list[str] = []
    if leading_keyword(found.query) == "SELECT":
        result = store().select(found.query)
        columns = sorted({k for row in result for k in row}, key=lambda k: found.query.find("?" + k))
        labels = _labels_for([t for row in result[:EXAMPLE_ROWS] for t in row.values()])
        labeller = Labeller(labels, iris(), str(ctx["lang"]))
        rows = [
            [labeller.value(row[c]) if c in row else Value("") for c in columns]
            for row in result[:EXAMPLE_ROWS]
        ]
    ctx.update(example=found, columns=columns, rows=rows)
    return html_response("ld/example.html", ctx, links=[])


def _labels_for(terms: list[object]) -> Graph:
    iris_ = sorted({str(t) for t in terms if isinstance(t, URIRef)})[:2000]
    if not iris_:
        return Graph()
    values = " ".join(iri_term(i) for i in iris_)
    graph = store().construct(
        PREFIXES + f"CONSTRUCT {{ ?s rdfs:label ?l }} WHERE {{ VALUES ?s {{ {values} }} ?s rdfs:label ?l }}"
    )
    return with_prefixes(graph, settings().base_iri)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (the query UI): the site's SVG icon."""
    static = Path(current_app.static_folder or "") / "site"
    return send_from_directory(static, "favicon.svg", mimetype="image/svg+xml", max_age=86400)
