"""Request-scoped helpers shared by the linked-data blueprints (resources, pages, downloads).

Thin accessors over :func:`blackjanuary.web.current.current_settings` / :func:`current_store`, the reader's
language, the common template context, and the ``Link`` header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, render_template, request
from rdflib import BNode, Graph
from rdflib.term import Node

from blackjanuary.errors import NotAcceptable, ResourceNotFound
from blackjanuary.publish.dumps import jsonld, to_ox_term
from blackjanuary.query.describe import iri_term, with_prefixes
from blackjanuary.query.serialize import graph_result
from blackjanuary.rdf.formats import HTML, JSONLD, RDF_GRAPH_FORMATS, Format, by_extension
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.negotiation import negotiate, offered, page_by_default, prefers_html
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.current import current_settings, current_store
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import (
    COOKIE,
    LANGUAGE_NAMES,
    LANGUAGES,
    TRANSLATED_DESCRIPTIONS,
    choose_language,
    message,
)

CACHE_SECONDS = 300


settings, store = current_settings, current_store  # the short names the views use


def iris() -> Iris:
    return Iris(current_settings().base_iri)


def version() -> str:
    return current_store().info.version


def cache() -> str:
    """``Cache-Control`` for representations of the (read-only, versioned) build."""
    return f"public, max-age={CACHE_SECONDS}"


def language() -> str:
    """The reader's language: ``?lang=``, then the cookie an earlier choice left, then Accept-Language."""
    return choose_language(
        request.headers.get("Accept-Language"), request.args.get("lang"), request.cookies.get(COOKIE)
    )


def language_href(code: str) -> str:
    """This page in another language: the same path and parameters, ``lang`` replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", code)])


def remember_language(response: Response) -> Response:
    """On HTML answers: keep a ``?lang=`` choice in a cookie (a year, this site only) and say that the
    representation depends on it (``Vary: Cookie``)."""
    if (response.mimetype or "") != "text/html":
        return response
    response.vary.add("Cookie")
    chosen = (request.args.get("lang") or "").lower()
    if chosen in LANGUAGES and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def offset_param(name: str) -> int:
    """A paging offset from the query string: ASCII digits only ("²".isdigit() is true but int()
    refuses it), capped so the SPARQL ``OFFSET`` it becomes always parses; anything else is 0."""
    raw = request.args.get(name, "0")
    return min(int(raw), 10**9) if raw.isascii() and raw.isdigit() else 0


def page_context(*, title: str) -> dict[str, Any]:
    """What every ``ld/`` template needs: language, UI strings, title, no alternates by default."""
    lang = language()
    return {
        "lang": lang,
        "title": title,
        "languages": [(code, LANGUAGE_NAMES[code], language_href(code)) for code in LANGUAGES],
        "msg": lambda key, **values: message(key, lang, **values),
        "alternates": [],
        "jsonld": None,
        "query": "",
        "cite": None,
        "permalink": None,
        "translated_descriptions": TRANSLATED_DESCRIPTIONS,
    }


def alternates_header(links: list[tuple[str, str, str | None]]) -> str:
    """A ``Link`` header value: ``<href>; rel="…"; type="…"`` per link."""
    parts = []
    for href, rel, media_type in links:
        part = f'<{href}>; rel="{rel}"'
        if media_type:
            part += f'; type="{media_type}"'
        parts.append(part)
    return ", ".join(parts)


# Negotiated documents shared by the pages ---------------------------------------------------------
def serialize(graph: Graph, fmt: Format, prefixes: dict[str, str]) -> bytes:
    """An RDF graph in ``fmt`` with our prefixes, written by Oxigraph from the sorted triples (several
    times faster than rdflib's writers, and the same bytes whichever store the triples came from);
    JSON-LD compacted with the prefixes, as in the dumps."""
    triples = sorted((ox.Triple(_ox(s), _ox(p), _ox(o)) for s, p, o in graph), key=str)  # type: ignore[arg-type]
    if fmt is JSONLD:
        return jsonld(triples, prefixes)
    return graph_result(fmt, triples, prefixes)


def _ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, BNode):  # only from a remote store: ours are skolemized by the build
        # The remote's label may be no valid rdf:nodeID (an NCName: "0b" is not), so each label is
        # written as a stable one of ours (W3C Turtle suite, turtle-syntax-blank-label via RDF/XML).
        return ox.BlankNode("b" + hashlib.sha256(str(term).encode("utf-8")).hexdigest()[:32])
    return to_ox_term(term)


def choose(path_ext: str | None, doc_path: str | None = None) -> tuple[Format, bool]:
    """HTML or one RDF format: by extension (explicit) or by ``Accept`` (negotiated).

    ``doc_path``: where the document answers as ``{doc_path}.{ext}`` (listed by a 406), if it does.
    """
    if path_ext is not None:
        fmt = by_extension(path_ext)
        if fmt is None or fmt not in RDF_GRAPH_FORMATS:
            raise ResourceNotFound(
                f"no .{path_ext} representation of {request.path.rsplit('.', 1)[0]}",
                hint="use .ttl, .nt, .jsonld or .rdf",
            )
        return fmt, False
    page_first = page_by_default(request.headers.get("Accept"), RDF_GRAPH_FORMATS)  # curl's */* gets the page
    offers = (HTML, *RDF_GRAPH_FORMATS) if page_first else (*RDF_GRAPH_FORMATS, HTML)
    suffixed = {f: f"{doc_path}.{f.extension}" for f in RDF_GRAPH_FORMATS} if doc_path else {}
    return negotiated(offers, suffixed.get), True


def negotiated(offers: Sequence[Format], url: Callable[[Format], str | None] | None = None) -> Format:
    """The format ``Accept`` picks from ``offers`` (the server's order of preference), or a 406 that
    lists them, with the URL (``url``) where each answers without negotiation."""
    accept = request.headers.get("Accept")
    fmt = negotiate(accept, offers)
    if fmt is None:
        raise NotAcceptable.for_resource(request.path, offered(offers, url), accept)
    return fmt


def html_or(formats: Sequence[Format]) -> tuple[Format, ...]:
    """``formats`` and HTML: HTML first when the client asks for a page (:func:`prefers_html`), else last."""
    accept = request.headers.get("Accept")
    return (HTML, *formats) if prefers_html(accept, formats) else (*formats, HTML)


def format_label(media_type: str | None) -> str:
    """A format's display name for its media type (``Turtle``; ``text`` for text/plain)."""
    known = next((f.label for f in RDF_GRAPH_FORMATS if f.media_type == media_type), None)
    return known or ("text" if media_type == "text/plain" else str(media_type))


def alternates(path: str) -> list[tuple[str, str, str | None]]:
    return [(f"{path}.{f.extension}", "alternate", f.media_type) for f in RDF_GRAPH_FORMATS]


def html_response(
    template: str,
    ctx: dict[str, object],
    *,
    links: list[tuple[str, str, str | None]],
    vary: tuple[str, ...] = ("Accept", "Accept-Language"),
) -> Response:
    ctx["alternates"] = [
        {"href": h, "media_type": t, "label": format_label(t)}
        for h, rel, t in links
        if rel == "alternate" and t != HTML.media_type
    ]
    response = Response(render_template(template, **ctx), content_type=HTML.content_type)
    response.headers["Content-Language"] = str(ctx["lang"])
    if links:
        response.headers["Link"] = alternates_header(links)
    response.headers["Cache-Control"] = cache()
    return finish(
        response,
        etag=f"{version()}-html-{ctx['lang']}-{query_tag()}",
        vary=(*vary, "Cookie"),
    )


def query_tag() -> str:
    """The query string as a short ASCII token for an ETag (a header cannot carry the raw text)."""
    return hashlib.sha256(request.query_string).hexdigest()[:16]


def rdf_document(
    graph: Graph,
    fmt: Format,
    *,
    links: list[tuple[str, str, str | None]],
    negotiated: bool,
    content_location: str | None = None,
) -> Response:
    """An RDF document in ``fmt`` with our prefixes, its Link header, caching, ETag and (if Accept
    decided) ``Vary: Accept``; ``content_location`` names the format-specific URL of a negotiated one."""
    response = Response(
        serialize(graph, fmt, Ours(settings().base_iri).prefixes()), content_type=fmt.content_type
    )
    response.headers["Link"] = alternates_header(links)
    response.headers["Cache-Control"] = cache()
    if content_location:
        response.headers["Content-Location"] = content_location
    return finish(response, etag=f"{version()}-{fmt.extension}", vary=("Accept",) if negotiated else ())


def named_graph(name: str) -> Graph:
    """One named graph of the store as an rdflib Graph (the ontology and shapes: small)."""
    g = iri_term(Ours(settings().base_iri).graph(name))
    return with_prefixes(
        store().construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}"),
        settings().base_iri,
    )
