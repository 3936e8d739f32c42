"""The one error handler: every :class:`PublisherError` (and any other failure) as JSON, text or HTML.

The client's ``Accept`` picks the rendering: a browser gets a page, everyone else the canonical JSON
shape ``{"ok": false, "error": …, "status": …}`` (plain text when only text is accepted). Unexpected
exceptions are logged with their traceback and answered 500 without internals.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from blackjanuary.errors import PublisherError
from blackjanuary.rdf.formats import HTML, JSON
from blackjanuary.rdf.negotiation import format_quality, prefers_html
from blackjanuary.web.error_pages import render_error_page

log = logging.getLogger(__name__)


def error_response(
    status: int, title: str, message: str, hint: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """Render an error in the representation the client prefers."""
    body: dict[str, object] = {"ok": False, "error": message, "status": status}
    if hint:
        body["hint"] = hint
    accept = request.headers.get("Accept")
    if prefers_html(accept, (JSON,)):
        html = render_error_page(status, message, hint)
        response = Response(html, status=status, content_type=HTML.content_type)
    elif accept and format_quality(accept, JSON) == 0 and "text/" in accept:
        text = f"{status} {title}: {message}" + (f"\nHint: {hint}" if hint else "") + "\n"
        response = Response(text, status=status, content_type="text/plain; charset=utf-8")
    else:
        from flask import json

        response = Response(json.dumps(body), status=status, content_type=JSON.content_type)
    response.vary.add("Accept")
    if response.mimetype == "text/html":
        from blackjanuary.web.context import language

        response.vary.add("Accept-Language")
        response.headers["Content-Language"] = language()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_publisher_error(exc: PublisherError) -> Response:
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if exc.status == 405:
        headers["Allow"] = "GET, HEAD, POST, OPTIONS"
    if exc.status >= 500:
        log.warning("%s %s → %d: %s", request.method, request.path, exc.status, exc)
    return error_response(exc.status, exc.title, exc.message, exc.hint, headers)


def handle_http_exception(exc: HTTPException) -> Response:
    headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "location", "retry-after")}
    status = exc.code or 500
    return error_response(status, exc.name, exc.description or exc.name, None, headers)


def handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(
        500,
        "Internal Server Error",
        "the server failed to answer this request.",
        "This is a bug in the publisher, not in your request; it has been logged.",
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(PublisherError, handle_publisher_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
