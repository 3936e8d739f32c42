"""Flask glue both reconciliation blueprints share: the current index, JSON answers, parameters."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from blackjanuary.errors import PayloadTooLarge, UnsupportedMediaType
from blackjanuary.rdf.formats import HTML, JSON
from blackjanuary.rdf.iris import Ref, page_path
from blackjanuary.rdf.vocab import Ours
from blackjanuary.reconcile import jsonbody, service
from blackjanuary.reconcile.index import NameIndex
from blackjanuary.reconcile.limits import ReconcileLimits
from blackjanuary.web.current import current_settings, current_store
from blackjanuary.web.i18n import choose_language
from blackjanuary.web.public_url import absolute

PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"
"""The preview is meant to be framed by OpenRefine and other clients (this CSP overrides X-Frame-Options)."""


def current_index() -> NameIndex:
    store = current_store()
    return service.index_for(store, Ours(current_settings().base_iri), store.info.version)


def current_limits() -> ReconcileLimits:
    return ReconcileLimits.from_settings(current_settings())


def language(explicit: str | None = None) -> str:
    return choose_language(request.headers.get("Accept-Language"), explicit or request.args.get("lang"))


def json_response(payload: Any, lang: str | None = None, status: int = 200) -> Response:
    response = Response(
        json.dumps(payload, ensure_ascii=False, sort_keys=False),
        status=status,
        content_type=JSON.content_type,
    )
    if lang:
        response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    return response


def html_response(body: str, lang: str) -> Response:
    response = Response(body, content_type=HTML.content_type)
    response.headers["Content-Language"] = lang
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.vary.add("Accept-Language")
    return response


def parse_json(text: str, name: str) -> Any:
    """A client's JSON document, its nesting bounded before it is parsed (400 saying what and where)."""
    return jsonbody.loads(
        text,
        name,
        max_depth=current_limits().max_json_depth,
        hint='send e.g. {"q0": {"query": "Baku"}}' if name == "queries" else None,
    )


def param(name: str) -> str | None:
    """A parameter from the query string or a form body (0.2 clients use either)."""
    value = request.values.get(name)
    return value if value not in (None, "") else None


def json_body() -> Any:
    """The JSON body of a request; anything but JSON is a 415."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"expected a JSON body (Content-Type: application/json), got {request.mimetype or 'none'!r}."
        )
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    data = request.get_data(as_text=True)
    if limit and request.content_length is None and len(data.encode()) >= limit:  # chunked, cut at the cap
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes.", hint="send smaller batches")
    return parse_json(data, "body")


def page_url(key: str) -> str:
    return absolute(page_path(Ref(key)))


def prefix() -> str:
    """The ``prefix`` of a suggest request, within the query-text caps."""
    text = param("prefix") or ""
    current_limits().check_text(text, "the prefix")
    return text


def suggest(kind: str, window: Callable[[list[Any]], list[Any]]) -> Response:
    """A suggest answer for ``kind`` (entity, type or property); ``window`` is the API version's paging."""
    index, lang = current_index(), language()
    if kind == "entity":
        result = [service.suggest_item(index, e, lang) for e in window(index.suggest_entities(prefix()))]
    else:
        terms = index.types if kind == "type" else index.properties
        found = window(index.suggest_terms(prefix(), terms, lang, kind=kind))
        result = [{"id": t, "name": index.term_name(t, lang, kind=kind)} for t in found]
    return json_response({"result": result}, lang)


def preview() -> Response:
    index, lang = current_index(), language()
    entity = service.require_entity(index, param("id"))
    return html_response(service.preview_html(index, entity, lang, page_url(entity.key)), lang)


def propose_properties() -> Response:
    index, lang = current_index(), language()
    type_id = param("type")
    resolved = service.resolve_types(index, [type_id or ""], "the 'type' parameter")
    type_iri = resolved[0] if resolved else None  # a blank type (whitespace, control characters) is none
    limit = service.as_int(param("limit"), "limit", 0)
    body: dict[str, Any] = {
        "type": type_id or "",
        "properties": service.proposed_properties(index, type_iri, lang, limit),
    }
    if limit:
        body["limit"] = limit
    return json_response(body, lang)
