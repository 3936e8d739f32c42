"""Blueprint ``resources``: dereferenceable IRIs (Cool URIs, 303 pattern) and the entity pages.

``/id/{key}`` answers 303 to ``/page/{key}`` (HTML) or ``/data/{key}.{ext}`` (RDF) by ``Accept``;
``/data/{key}`` negotiates, ``/data/{key}.ttl|.nt|.jsonld|.rdf`` is explicit; statements live under
``…/statement/{key}``. Skolem IRIs (``/.well-known/genid/…``), the Wikibase-shaped ``/prop/…`` and
``/reference/…``, ``/dataset…`` and ``/graph/…`` resolve too, so every IRI of ours in the dumps can be
followed.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request
from rdflib import Graph
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.errors import NotAcceptable, ResourceNotFound
from blackjanuary.query.describe import (
    INCOMING_LIMIT,
    describe,
    description,
    facts,
    mentioned,
    standing,
    standing_in,
)
from blackjanuary.rdf.formats import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDF_GRAPH_FORMATS,
    RDFXML,
    TURTLE,
    Format,
    by_extension,
)
from blackjanuary.rdf.iris import Ref, data_path, document_path, id_path, is_key, page_path, parse_data_name
from blackjanuary.rdf.negotiation import negotiate, offered, prefers_html
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.cite import cite_links
from blackjanuary.web.context import (
    alternates_header,
    cache,
    html_or,
    iris,
    language,
    negotiated,
    offset_param,
    page_context,
    rdf_document,
    settings,
    store,
    version,
)
from blackjanuary.web.entity_view import Labeller, entity_view, jsonld_island
from blackjanuary.web.error_pages import suggestions
from blackjanuary.web.formatting import language_name
from blackjanuary.web.http import finish
from blackjanuary.web.incoming import fold_incoming
from blackjanuary.web.pictures import entity_pictures

log = logging.getLogger(__name__)

bp = Blueprint("resources", __name__)

ID_OFFERS: tuple[Format, ...] = (TURTLE, HTML, JSONLD, RDFXML, NTRIPLES)
"""Server preference for ``/id/``: ``*/*`` (curl) gets Turtle, a browser's Accept gets HTML."""
SUGGESTIONS = 8


def _url_of(ref: Ref, fmt: Format) -> str:
    """Where ``ref`` answers in ``fmt`` without negotiation."""
    return page_path(ref) if fmt is HTML else data_path(ref, fmt.extension)


# Resolution --------------------------------------------------------------------------------------
def resolve(ref: Ref) -> str | BaseResponse:
    """The IRI of ``ref`` when the store knows it; a 301 for a retired key; else a helpful 404."""
    resolved = _resolve(ref, with_facts=False)
    return resolved if isinstance(resolved, BaseResponse) else resolved[0]


def resolve_with_facts(ref: Ref) -> tuple[str, Graph] | BaseResponse:
    """:func:`resolve` for a page or a data document, with the resource's :func:`facts`: they tell
    whether it exists or was retired too, so the document costs the store one query fewer."""
    resolved = _resolve(ref, with_facts=True)
    if isinstance(resolved, BaseResponse):
        return resolved
    iri, found = resolved
    assert found is not None
    return iri, found


def _resolve(ref: Ref, *, with_facts: bool) -> tuple[str, Graph | None] | BaseResponse:
    ours = iris()
    iri = ours.of(ref) if is_key(ref.key) else None
    if iri is not None:
        found = facts(store(), iri) if with_facts else None
        known = (standing_in(found, iri) if found is not None else None) or standing(store(), iri)
        new = known.successor
        if new is not None:
            target = ours.ref_of(new)
            location = id_path(target) if target is not None else new
            if request.path.startswith(("/page/", "/data/")) and target is not None:
                location = request.path.replace(ref.suffix, target.suffix, 1)
            response = redirect(location, code=301)
            response.headers["Cache-Control"] = cache()
            return response
        if known.found:
            return iri, found
    return not_found(ref)


def not_found(ref: Ref) -> BaseResponse:
    """404 with did-you-mean links (an HTML page in the reader's language for browsers, through the
    error handler; the suggested paths in the hint for everyone else)."""
    if not is_key(ref.key):
        message = (
            f"{ref.key!r} is not a key of this dataset: keys are lowercase words joined by hyphens "
            "(like black-january)."
        )
    else:
        message = f"No resource {iris().of(ref)} in this dataset."
    found = suggestions(ref.key, language())
    hint = "did you mean: " + ", ".join(path for _, path in found) if found else "see /entities for every key"
    raise ResourceNotFound(message, hint=hint)


def links_for(ref: Ref) -> list[tuple[str, str, str | None]]:
    links: list[tuple[str, str, str | None]] = [(page_path(ref), "alternate", HTML.media_type)]
    links += [(data_path(ref, f.extension), "alternate", f.media_type) for f in RDF_GRAPH_FORMATS]
    links.append((data_path(ref, TURTLE.extension), "describedby", TURTLE.media_type))
    return links


# /id/ --------------------------------------------------------------------------------------------
def see_other(ref: Ref) -> BaseResponse:
    resolved = resolve(ref)
    if isinstance(resolved, BaseResponse):
        return resolved
    fmt = negotiated(ID_OFFERS, lambda f: _url_of(ref, f))
    location = page_path(ref) if fmt is HTML else data_path(ref, fmt.extension)
    response = redirect(location, code=303)
    response.headers["Link"] = alternates_header(links_for(ref))
    response.headers["Cache-Control"] = cache()
    return finish(response, vary=("Accept",))


@bp.get("/id/<key>", defaults={"statement": False})
@bp.get("/id/statement/<key>", defaults={"statement": True})
def id_thing(key: str, statement: bool) -> BaseResponse:
    return see_other(Ref(key, statement=statement))


# /data/ ------------------------------------------------------------------------------------------
def data_document(ref: Ref, extension: str | None) -> BaseResponse:
    resolved = resolve_with_facts(ref)
    if isinstance(resolved, BaseResponse):
        return resolved
    iri, own = resolved
    if extension is None:
        fmt = negotiated(RDF_GRAPH_FORMATS, lambda f: _url_of(ref, f))
        by_accept = True
    else:
        found = by_extension(extension)
        if found is None or found not in RDF_GRAPH_FORMATS:
            raise ResourceNotFound(
                f"no .{extension} representation of {iris().of(ref)}", hint="use .ttl, .nt, .jsonld or .rdf"
            )
        fmt, by_accept = found, False
    doc_path = data_path(ref, fmt.extension)
    graph = describe(
        store(),
        iri,
        doc_iri=iris().document(doc_path),
        dataset_iri=iris().dataset,
        base=iris().base,
        found=own,
    )
    links = [link for link in links_for(ref) if link[0] != doc_path or link[1] != "alternate"]
    return rdf_document(
        graph, fmt, links=links, negotiated=by_accept, content_location=doc_path if by_accept else None
    )


@bp.get("/data/<name>", defaults={"statement": False})
@bp.get("/data/statement/<name>", defaults={"statement": True})
def data_thing(name: str, statement: bool) -> BaseResponse:
    key, extension = parse_data_name(name)
    return data_document(Ref(key, statement=statement), extension)


# /page/ ------------------------------------------------------------------------------------------
def _pager_href(offset: int) -> str:
    args = {k: v for k, v in request.args.items() if k != "in"}
    if offset:
        args["in"] = str(offset)
    return request.path + ("?" + urlencode(args) if args else "")


def render_resource(
    iri: str, *, doc_path: str, links: list[tuple[str, str, str | None]], found: Graph | None = None
) -> BaseResponse:
    """The HTML page of any resource of ours: facts (``found`` already, or asked for here), provenance,
    map, neighbourhood, incoming links."""
    ctx = page_context(title="")
    lang = ctx["lang"]
    offset = offset_param("in")
    described = description(
        store(),
        iri,
        doc_iri=iris().document(doc_path),
        dataset_iri=iris().dataset,
        base=iris().base,
        incoming_offset=offset,
        objects_too=True,
        found=found,
    )
    graph = described.graph
    labeller = Labeller(graph, iris(), lang)
    incoming = fold_incoming(store(), described.incoming, labeller)  # adds the linking terms' labels
    view = entity_view(graph, iri, iris(), lang)
    page_alternates = [
        {"href": href, "media_type": mt, "label": _label(mt)}
        for href, rel, mt in links
        if rel == "alternate" and mt != HTML.media_type
    ]
    ref = iris().ref_of(iri)
    map_svg, graph_svg = entity_pictures(store(), iris(), view, str(lang))
    ctx.update(
        title=view.label,
        view=view,
        incoming=incoming,
        prev_href=_pager_href(max(0, offset - INCOMING_LIMIT)) if offset else None,
        next_href=_pager_href(offset + INCOMING_LIMIT) if described.more else None,
        map_svg=map_svg,
        graph_svg=graph_svg,
        jsonld=jsonld_island(graph, Ours(settings().base_iri).prefixes()),
        alternates=page_alternates,
        description_language_name=language_name(view.description_lang or "", lang),
        cite=cite_links(ref) if ref is not None else None,
        permalink=iri,
    )
    response = Response(render_template("ld/entity.html", **ctx), content_type=HTML.content_type)
    response.headers["Content-Language"] = str(lang)
    response.headers["Link"] = alternates_header(links)
    response.headers["Cache-Control"] = cache()
    return finish(response, etag=f"{version()}-html-{lang}-{offset}", vary=("Accept-Language", "Cookie"))


def _label(media_type: str | None) -> str:
    return next((f.label for f in RDF_GRAPH_FORMATS if f.media_type == media_type), media_type or "")


def page(ref: Ref) -> BaseResponse:
    resolved = resolve_with_facts(ref)
    if isinstance(resolved, BaseResponse):
        return resolved
    iri, found = resolved
    links = [link for link in links_for(ref) if link[0] != page_path(ref)]
    return render_resource(iri, doc_path=page_path(ref), links=links, found=found)


@bp.get("/page/<key>", defaults={"statement": False})
@bp.get("/page/statement/<key>", defaults={"statement": True})
def page_thing(key: str, statement: bool) -> BaseResponse:
    return page(Ref(key, statement=statement))


# Skolem IRIs, the dataset and the named graphs ----------------------------------------------------
def in_place(path: str, what: str) -> BaseResponse:
    """A resource of ours outside ``/id/`` (skolem IRIs, Wikibase-shaped predicates and references),
    negotiated in place: HTML or RDF with ``Vary: Accept``."""
    iri = iris().document(path)
    try:
        found = mentioned(store(), iri)
    except ValueError:  # characters no IRI of ours can hold: a client's mistake, not a 500
        found = False
    if not found:
        raise ResourceNotFound(f"no resource {iri} in this dataset", hint=f"{what} come from the dumps")
    accept = request.headers.get("Accept")
    offers = (HTML, *RDF_GRAPH_FORMATS) if prefers_html(accept, RDF_GRAPH_FORMATS) else RDF_GRAPH_FORMATS
    fmt = negotiate(accept, offers)
    if fmt is None:
        raise NotAcceptable.for_resource(path, offered((HTML, *RDF_GRAPH_FORMATS)), accept)
    if fmt is HTML:
        return render_resource(iri, doc_path=path, links=[])
    graph = describe(
        store(), iri, doc_iri=iri, dataset_iri=iris().dataset, base=iris().base, objects_too=True
    )
    return rdf_document(graph, fmt, links=[], negotiated=True)


@bp.get("/.well-known/genid/<path:rest>")
def genid(rest: str) -> BaseResponse:
    """A skolemized blank node of the dumps (RDF 1.1 §3.5)."""
    return in_place("/.well-known/genid/" + rest, "skolem IRIs")


@bp.get("/prop/<path:rest>")
def wikibase_predicate(rest: str) -> BaseResponse:
    """A Wikibase-shaped predicate (``p:``, ``ps:``, ``pq:``, ``pr:``, ``wdt:`` under our base)."""
    return in_place("/prop/" + rest, "Wikibase-style predicates")


@bp.get("/reference/<name>")
def wikibase_reference(name: str) -> BaseResponse:
    """A Wikibase-shaped reference node (``wdref:`` under our base)."""
    return in_place("/reference/" + name, "Wikibase-style references")


def _describing_document(html_target: str) -> BaseResponse:
    def url(fmt: Format) -> str:
        return html_target if fmt is HTML else document_path("void", fmt.extension)

    location = url(negotiated(html_or(RDF_GRAPH_FORMATS), url))
    response = redirect(location, code=303)
    response.headers["Cache-Control"] = cache()
    return finish(response, vary=("Accept",))


@bp.get("/dataset")
def dataset() -> BaseResponse:
    """The dataset IRI: 303 to the landing page (HTML) or the VoID description (RDF)."""
    return _describing_document("/")


@bp.get("/dataset/<path:rest>")
def dataset_part(rest: str) -> BaseResponse:
    """Distributions, partitions and linksets of the VoID description: 303 like ``/dataset``."""
    target = "/downloads#" + rest.split("/", 1)[1] if rest.startswith("dist/") else "/#statistics"
    return _describing_document(target)


@bp.get("/graph/<name>")
def named_graph(name: str) -> BaseResponse:
    """A named graph IRI: 303 to its statistics (HTML) or the VoID description (RDF)."""
    return _describing_document("/#statistics")
