"""Blueprint "sparql": the SPARQL 1.1 Protocol query operation at /sparql, its service description,
and the query UI for browsers.

Route table: ``GET|HEAD|POST /sparql`` (query, or the service description / query UI without one),
``OPTIONS /sparql`` (CORS preflight: :mod:`blackjanuary.web.http` and the route map),
``GET /sparql/ui-config.json`` (the UI's endpoint, prefixes and example queries).
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from rdflib import Dataset

from blackjanuary.errors import NotAcceptable
from blackjanuary.query.protocol import FORM, parse_protocol
from blackjanuary.rdf.formats import (
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDF_FORMATS,
    RDFXML,
    RESULT_FORMATS,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    TRIG,
    TURTLE,
    Format,
    by_media_type,
)
from blackjanuary.rdf.negotiation import offered, prefers_html, rank
from blackjanuary.rdf.vocab import Ours, sparql_prefix_block
from blackjanuary.web import i18n
from blackjanuary.web.context import html_response, page_context
from blackjanuary.web.current import current_settings, current_store
from blackjanuary.web.formatting import format_number
from blackjanuary.web.http import etag_value, finish
from blackjanuary.web.public_url import absolute
from blackjanuary.web.result_cache import CACHE_KEY, CACHEABLE, CachedResult, ResultCache
from blackjanuary.web.service_description import service_description

log = logging.getLogger(__name__)
bp = Blueprint("sparql", __name__)

QUERY_OFFERS: tuple[Format, ...] = RESULT_FORMATS + RDF_FORMATS
"""Server preference within each kind: JSON, XML, CSV, TSV for results; Turtle first for graphs."""

BROWSER_RESULT_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"
"""What the query UI (YASGUI) asks for: a browser's query link is checked in these formats first."""

FORMAT_PARAM: dict[str, tuple[Format, ...]] = {
    "json": (SPARQL_JSON, JSONLD),
    "srj": (SPARQL_JSON,),
    "xml": (SPARQL_XML, RDFXML),
    "srx": (SPARQL_XML,),
    "csv": (SPARQL_CSV,),
    "tsv": (SPARQL_TSV,),
    "turtle": (TURTLE,),
    "ttl": (TURTLE,),
    "n3": (TURTLE,),
    "ntriples": (NTRIPLES,),
    "n-triples": (NTRIPLES,),
    "nt": (NTRIPLES,),
    "json-ld": (JSONLD,),
    "jsonld": (JSONLD,),
    "rdf": (RDFXML,),
    "rdfxml": (RDFXML,),
    "rdf+xml": (RDFXML,),
    "trig": (TRIG,),
    "nquads": (NQUADS,),
    "n-quads": (NQUADS,),
    "nq": (NQUADS,),
}


def _offered(formats: tuple[Format, ...]) -> str:
    return ", ".join(f.media_type for f in formats)


def _format_param(value: str, offers: tuple[Format, ...]) -> list[Format]:
    """The offers named by ``format=`` (short names or media types, comma-separated), in that order.

    Clients such as SPARQLWrapper send several (``format=json-ld&format=application/ld+json,…``);
    unknown names are skipped, and 406 only when none is offered.
    """
    wanted: list[Format] = []
    for piece in value.split(","):
        name = piece.strip().lower()
        found = list(FORMAT_PARAM.get(name, ()))
        by_type = by_media_type(name) if not found else None
        found += [by_type] if by_type is not None else []
        wanted += [f for f in found if f in offers and f not in wanted]
    if not wanted:
        names = ", ".join(sorted(FORMAT_PARAM))
        raise NotAcceptable(
            f"format={value!r} is not offered here; offered: {names} or a media type ({_offered(offers)})."
        )
    return wanted


def _cache() -> ResultCache:
    cache = current_app.extensions[CACHE_KEY]
    assert isinstance(cache, ResultCache)
    return cache


def _from_cache(item: CachedResult, version: str) -> Response:
    """A complete result, its headers written in one go (the hot path of repeated queries); compression,
    CORS and ``304`` are added by :mod:`blackjanuary.web.http`."""
    request.environ[CACHEABLE] = True  # the whole response may be replayed (ResponseCacheMiddleware)
    tag = etag_value(version, item.format_name)
    headers = [("Content-Type", item.content_type), ("Vary", "Accept"), ("ETag", f'"{tag}"')]
    return Response(item.body, headers=headers)


@lru_cache(maxsize=256)
def _ranked(accept: str | None) -> tuple[Format, ...]:
    return tuple(rank(accept, QUERY_OFFERS))


@bp.route("/sparql", methods=["GET", "HEAD", "POST"])
def sparql() -> Response:
    cache = _cache()
    settings = current_settings()
    media = (request.mimetype or "").lower()
    form = request.form.to_dict(flat=False) if request.method == "POST" and media == FORM else {}
    body = b"" if media == FORM or request.method != "POST" else _body(settings.max_request_bytes)
    proto = parse_protocol(
        request.method,
        request.content_type,
        request.args.to_dict(flat=False),
        form,
        body,
        content_length=request.content_length,
        max_bytes=settings.max_request_bytes,
    )
    accept = request.environ.get("HTTP_ACCEPT")
    if proto.query is None:
        if proto.format is None and prefers_html(accept, RDF_FORMATS):
            return query_ui()
        return _service_description(accept, proto.format)
    browser = (
        request.method == "GET"
        and proto.format is None
        and "text/html" in (accept or "")
        and prefers_html(accept, QUERY_OFFERS)
    )
    wanted = _format_param(proto.format, QUERY_OFFERS) if proto.format else list(_ranked(accept))
    if browser:  # a browser following /sparql?query=…: run it once (errors answer as pages), then the UI
        wanted = list(_ranked(BROWSER_RESULT_ACCEPT))
    if not wanted:
        raise NotAcceptable.for_resource(
            "/sparql",
            offered(QUERY_OFFERS),
            accept,
            hint="send Accept: application/sparql-results+json (SELECT/ASK) or text/turtle, or format=",
        )
    store = current_store()
    key = (proto.query, tuple(f.name for f in wanted), proto.default_graph_uris, proto.named_graph_uris)
    cached = cache.get(key)
    if cached is not None:
        return query_ui(initial_query=proto.query) if browser else _from_cache(cached, store.info.version)

    outcome = store.execute(
        proto.query,
        accept=wanted,
        default_graph_uris=proto.default_graph_uris,
        named_graph_uris=proto.named_graph_uris,
        timeout=settings.query_timeout,
        max_results=settings.max_results,
    )
    first = next(outcome.chunks, b"")
    second = next(outcome.chunks, None)
    fmt = outcome.format
    if browser:
        close = getattr(outcome.chunks, "close", None)
        if close is not None:
            close()
        if second is None:
            cache.put(key, CachedResult(first, fmt.content_type, fmt.name, outcome.query_type))
        return query_ui(initial_query=proto.query)
    if second is not None:  # a large result: stream it, uncompressed and uncached
        response = Response(
            chain((first, second), outcome.chunks), content_type=fmt.content_type, direct_passthrough=True
        )
        return finish(response, etag=None)
    item = CachedResult(first, fmt.content_type, fmt.name, outcome.query_type)
    cache.put(key, item)
    return _from_cache(item, store.info.version)


def _body(max_bytes: int) -> bytes:
    length = request.content_length
    if length is not None and length > max_bytes:
        return b""  # parse_protocol answers 413 from the declared length without reading the body
    data = request.get_data(cache=False)
    if length is None and len(data) >= max_bytes:  # chunked: werkzeug stops reading at the cap, silently
        return data + b" "  # one byte over: parse_protocol answers 413 instead of parsing a truncated query
    return data


def _service_description(accept: str | None, format_param: str | None) -> Response:
    if format_param:
        fmt = _format_param(format_param, RDF_FORMATS)[0]
    else:
        ranked = rank(accept, RDF_FORMATS)
        if not ranked:
            raise NotAcceptable.for_resource(
                "/sparql",
                offered(RDF_FORMATS),
                accept,
                hint="the service description is RDF (and an HTML query page for browsers); send one "
                "of these types in Accept, or format=",
            )
        fmt = ranked[0]
    store = current_store()
    settings = current_settings()
    graph = service_description(absolute("/sparql"), store.info, Ours(settings.base_iri))
    rdflib_name = fmt.rdflib_name or fmt.name
    if fmt.kind == "dataset":
        dataset = Dataset()
        for triple in graph:
            dataset.add(triple)
        for prefix, ns in graph.namespaces():
            dataset.bind(prefix, ns)
        data = dataset.serialize(format=rdflib_name, encoding="utf-8")
    else:
        data = graph.serialize(format=rdflib_name, encoding="utf-8")
    response = Response(data, content_type=fmt.content_type)
    return finish(response, etag=etag_value(store.info.version, "sd-" + fmt.name))


# The query UI ------------------------------------------------------------------------------------------


TITLE_LINE = re.compile(r"^#\s*@([a-z]{2,3}):\s*(.+?)\s*$")
"""A title in another language, on the lines after the English ``# title``: ``# @de: Wann …``."""


def example_titles(text: str, stem: str) -> tuple[dict[str, str], str]:
    r"""The titles of a ``.rq`` file by language (``en`` from its first line) and the query after them.

    >>> example_titles("# When?\n# @de: Wann?\nSELECT * {}", "x")
    ({'en': 'When?', 'de': 'Wann?'}, 'SELECT * {}')
    """
    lines = text.split("\n")
    titles: dict[str, str] = {}
    if lines and lines[0].startswith("#"):
        titles["en"] = lines.pop(0).lstrip("#").strip()
    while lines and (found := TITLE_LINE.match(lines[0])):
        titles[found.group(1)] = found.group(2)
        lines.pop(0)
    titles.setdefault("en", stem.replace("-", " "))
    return titles, "\n".join(lines)


def examples(queries_dir: Path, ours: Ours, lang: str = "en") -> list[dict[str, str]]:
    """The competency questions (``*.rq``: first line ``# title``, then ``# @de: Titel`` … in the other
    languages) with missing PREFIXes declared, titled in ``lang`` (English where there is none); the
    query opens with its title in that language."""
    found: list[dict[str, str]] = []
    prefixes = ours.prefixes()
    for path in sorted(queries_dir.glob("*.rq")):
        titles, body = example_titles(path.read_text(encoding="utf-8"), path.stem)
        title = titles.get(lang) or titles["en"]
        declared = {m.group(1) for m in re.finditer(r"(?im)^\s*PREFIX\s+([\w-]*):", body)}
        used = {m.group(1) for m in re.finditer(r"(?<![\w<?$])([A-Za-z][\w-]*):(?!//)", body)}
        missing = sorted((used - declared) & prefixes.keys())
        header = "".join(f"PREFIX {p}: <{prefixes[p]}>\n" for p in missing)
        found.append({"id": path.stem, "title": title, "query": f"# {title}\n{header}{body}"})
    return found


def default_query(ours: Ours) -> str:
    return (
        sparql_prefix_block(ours) + "\nSELECT ?thing ?label WHERE {\n  ?thing rdfs:label ?label .\n"
        '  FILTER(LANG(?label) = "en")\n}\nORDER BY ?label\nLIMIT 25\n'
    )


def query_ui(initial_query: str | None = None) -> Response:
    """The YASGUI page in the site frame; with ``initial_query`` (a browser following
    ``/sparql?query=…``) it runs that."""

    settings = current_settings()
    ours = Ours(settings.base_iri)
    ctx = page_context(title="SPARQL")
    lang = str(ctx["lang"])
    words: dict[str, Any] = {
        key: text for key, text in i18n.words("sparql_", lang).items() if not key.startswith("script_")
    }
    words["script"] = i18n.words("sparql_script_", lang)
    ctx.update(
        title=words["heading"],
        words=words,
        words_json=json.dumps(words["script"], ensure_ascii=False),
        examples=examples(settings.graph_dir / "queries", ours, lang),
        config_url=url_for("sparql.ui_config"),
        endpoint=url_for("sparql.sparql"),
        base_iri=settings.base_iri,
        info=current_store().info,
        initial_query=initial_query,
        number=lambda n: format_number(n, lang),
    )
    links: list[tuple[str, str, str | None]] = [
        (url_for("sparql.sparql") + "?format=ttl", "service-desc", "text/turtle")
    ]
    return html_response("sparql.html", ctx, links=links)


@bp.get("/sparql/ui-config.json")
def ui_config() -> Response:
    settings = current_settings()
    ours = Ours(settings.base_iri)
    response = jsonify(
        endpoint=absolute(url_for("sparql.sparql")),
        prefixes=ours.prefixes(),
        defaultQuery=default_query(ours),
        examples=examples(settings.graph_dir / "queries", ours),
    )
    return finish(response, etag=None, vary=())
