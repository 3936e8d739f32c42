"""Flask glue both reconciliation blueprints share: the current index, JSON answers, parameters."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from blackjanuary.errors import PayloadTooLarge, UnsupportedMediaType
from blackjanuary.rdf.formats import HTML, JSON
from blackjanuary.rdf.iris import Ref, page_path
from blackjanuary.rdf.vocab import Ours
from blackjanuary.reconcile import jsonbody
from blackjanuary.reconcile.index import NameIndex
from blackjanuary.reconcile.limits import ReconcileLimits
from blackjanuary.reconcile.service import index_for
from blackjanuary.web.current import current_settings, current_store
from blackjanuary.web.i18n import choose_language
from blackjanuary.web.public_url import absolute

PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"
"""The preview is meant to be framed by OpenRefine and other clients (this CSP overrides X-Frame-Options)."""


def current_index() -> NameIndex:
    store = current_store()
    return index_for(store, Ours(current_settings().base_iri), store.info.version)


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
