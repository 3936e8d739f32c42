"""Blueprint ``pages``: the landing page, the list of things, the source text, the ontology and the shapes.

Each page is HTML for browsers and RDF for everyone else (``Vary: Accept``), embeds its RDF as
JSON-LD and links its alternates. Everything shown comes from the store (and the build manifest).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, request, send_from_directory, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.errors import ResourceNotFound
from blackjanuary.publish.manifest import DistFile, ManifestError, read_manifest
from blackjanuary.publish.stats import is_wikidata_link
from blackjanuary.query.describe import PREFIXES, count, describe, iri_term, with_prefixes
from blackjanuary.query.guard import leading_keyword
from blackjanuary.rdf.formats import HTML, RDF_GRAPH_FORMATS
from blackjanuary.rdf.iris import SOURCE_NAME, document_path, source_path, sparql_link, with_query
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.cite import cite_links, dataset_title_and_issued
from blackjanuary.web.context import (
    alternates,
    cache,
    choose,
    html_response,
    iris,
    named_graph,
    offset_param,
    page_context,
    rdf_document,
    settings,
    store,
    version,
)
from blackjanuary.web.downloads import catalog_jsonld
from blackjanuary.web.endpoint import examples as endpoint_examples
from blackjanuary.web.entity_view import Labeller, Value, jsonld_island, safe_json, type_words
from blackjanuary.web.formatting import format_number
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import message
from blackjanuary.web.source_view import highlight_param, source_text, source_view
from blackjanuary.web.svg import TimelineEvent, timeline
from blackjanuary.web.version_cache import version_cache
from blackjanuary.web.vocabulary_view import described, term_views, usage_counts

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


# The source text --------------------------------------------------------------------------------
@bp.get(f"/source/{SOURCE_NAME}")
def source() -> Response:
    return source_document(None)


@bp.get(f"/source/{SOURCE_NAME}.<ext>")
def source_explicit(ext: str) -> Response:
    if ext == "txt":
        text = source_text(store(), iris().source)
        if text is None:
            raise ResourceNotFound(f"{iris().source} has no text in this dataset")
        response = Response(text, content_type="text/plain; charset=utf-8")
        response.headers["Cache-Control"] = cache()
        return finish(response, etag=f"{version()}-txt", vary=())
    return source_document(ext)


def source_document(ext: str | None) -> Response:
    fmt, negotiated = choose(ext)
    path = source_path()
    links = [*alternates(path), (f"{path}.txt", "alternate", "text/plain")]
    graph = describe(
        store(),
        iris().source,
        doc_iri=iris().document(path + (f".{fmt.extension}" if fmt is not HTML else "")),
        dataset_iri=iris().dataset,
        base=iris().base,
    )
    if len(graph) == 0:
        raise ResourceNotFound(f"{iris().source} is not in this dataset")
    if fmt is not HTML:
        return rdf_document(graph, fmt, links=links, negotiated=negotiated)
    ctx = page_context(title="")
    labeller = Labeller(graph, iris(), str(ctx["lang"]))
    ctx.update(
        title=labeller.label(URIRef(iris().source)),
        source_iri=iris().source,
        paragraphs=source_view(
            store(),
            iris(),
            str(ctx["lang"]),
            graph_dir=settings().graph_dir,
            highlight=highlight_param(request.args.get("highlight")),
        ),
        jsonld=jsonld_island(_without_text(graph), Ours(settings().base_iri).prefixes()),
    )
    return html_response("ld/source.html", ctx, links=links)


def _without_text(graph: Graph) -> Graph:
    slim = Graph()
    for triple in graph:
        if not (isinstance(triple[2], Literal) and len(triple[2]) > 500):
            slim.add(triple)
    return slim


# Ontology and shapes ----------------------------------------------------------------------------
def vocabulary_page(name: str, ext: str | None) -> Response:
    fmt, negotiated = choose(ext)
    graph = named_graph(name)
    links = alternates(f"/{name}")
    if fmt is not HTML:
        return rdf_document(graph, fmt, links=links, negotiated=negotiated)
    ours = Ours(settings().base_iri)
    namespace = str(ours.BJ) if name == "ontology" else str(ours.SHAPES)
    ctx = page_context(title="")
    ctx["title"] = message("ontology" if name == "ontology" else "shapes", str(ctx["lang"]))
    usage = None
    if name == "ontology":
        data = ours.graph("data")
        usage = {
            **usage_counts(store(), data, "class", namespace),
            **usage_counts(store(), data, "property", namespace),
        }
    terms = term_views(graph, namespace, iris(), str(ctx["lang"]), usage)
    header = URIRef(namespace.rstrip("#"))
    labeller = Labeller(graph, iris(), str(ctx["lang"]))
    about = described(graph, header, labeller)
    ctx.update(
        terms=terms, about=about, namespace=namespace, name=name, jsonld=jsonld_island(graph, ours.prefixes())
    )
    return html_response("ld/vocabulary.html", ctx, links=links)


@bp.get("/ontology")
def ontology() -> Response:
    return vocabulary_page("ontology", None)


@bp.get("/ontology.<ext>")
def ontology_explicit(ext: str) -> Response:
    return vocabulary_page("ontology", ext)


@bp.get("/shapes")
def shapes() -> Response:
    return vocabulary_page("shapes", None)


@bp.get("/shapes.<ext>")
def shapes_explicit(ext: str) -> Response:
    return vocabulary_page("shapes", ext)


@bp.get("/ontology/<version>")
def ontology_version(version: str) -> BaseResponse:
    """The ontology's ``owl:versionIRI``: 303 to the ontology document (this server holds one version)."""
    iri = f"{iris().ontology}/{version}"
    try:
        term = iri_term(iri)
    except ValueError:  # characters no IRI can hold: not a version of ours (404, not a parse error)
        term = None
    if term is None or not store().ask(f"ASK {{ {iri_term(iris().ontology)} <{OWL.versionIRI}> {term} }}"):
        raise ResourceNotFound(f"{iri} is not a version of the ontology served here", hint="see /ontology")
    fmt, _ = choose(None)
    response = redirect(document_path("ontology", None if fmt is HTML else fmt.extension), code=303)
    response.headers["Cache-Control"] = cache()
    return finish(response, vary=("Accept",))


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on pages that name no icon (the query UI): the site's SVG icon."""
    static = Path(current_app.static_folder or "") / "site"
    return send_from_directory(static, "favicon.svg", mimetype="image/svg+xml", max_age=86400)
