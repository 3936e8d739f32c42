"""Blueprint ``documents``: the source text, the ontology and the shapes, each a page and an RDF document.

Each is HTML for browsers and RDF for everyone else (``Vary: Accept``), embeds its RDF as JSON-LD and
links its alternates; the source text is also plain text (``.txt``).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.errors import ResourceNotFound
from blackjanuary.query.describe import describe, iri_term
from blackjanuary.rdf.formats import HTML
from blackjanuary.rdf.iris import SOURCE_NAME, document_path, source_path
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.context import (
    alternates,
    cache,
    choose,
    html_response,
    iris,
    named_graph,
    page_context,
    rdf_document,
    settings,
    store,
    version,
)
from blackjanuary.web.entity_view import Labeller, jsonld_island
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import message
from blackjanuary.web.source_view import highlight_param, source_text, source_view
from blackjanuary.web.vocabulary_view import described, term_views, usage_counts

bp = Blueprint("documents", __name__)


# The source text --------------------------------------------------------------------------------
@bp.get(f"/source/{SOURCE_NAME}", defaults={"ext": None})
@bp.get(f"/source/{SOURCE_NAME}.<ext>")
def source(ext: str | None) -> Response:
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


@bp.get("/ontology", defaults={"ext": None})
@bp.get("/ontology.<ext>")
def ontology(ext: str | None) -> Response:
    return vocabulary_page("ontology", ext)


@bp.get("/shapes", defaults={"ext": None})
@bp.get("/shapes.<ext>")
def shapes(ext: str | None) -> Response:
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
