"""The one error handler: every failure becomes a :class:`PublisherError`, rendered as JSON, text or HTML.

werkzeug's own exceptions (routing's 404 and 405, ``MAX_CONTENT_LENGTH``'s 413, a malformed form's
400, a range's 416 …) are mapped into our hierarchy at the edge (:func:`from_werkzeug`), so one
renderer answers everything. The client's ``Accept`` picks the rendering: a browser gets a page in its
language, everyone else the canonical JSON shape ``{"ok": false, "error": …, "status": …}`` (plain
text when only text is accepted). A 405's ``Allow`` lists what the route map allows for the URL; a
406 lists what is offered. Unexpected exceptions are logged with their traceback and answered 500
without internals. A redirect werkzeug raises (``RequestRedirect``, a missing trailing slash) is
no error and goes out as werkzeug's own response.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import cast

from flask import Flask, Response, json, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.errors import NotAcceptable, PublisherError
from blackjanuary.rdf.formats import HTML, JSON
from blackjanuary.rdf.negotiation import format_quality, prefers_html
from blackjanuary.web.context import language
from blackjanuary.web.error_pages import render_error_page

log = logging.getLogger(__name__)


def _classes(base: type[PublisherError]) -> list[type[PublisherError]]:
    found = [base]
    for sub in base.__subclasses__():
        found += _classes(sub)
    return found


@cache
def error_class(status: int) -> type[PublisherError]:
    """Our class for ``status``: the most general one of :mod:`blackjanuary.errors` that has it, or,
    for a status we never raise ourselves (416, 408 …), a class made once for it."""
    for cls in _classes(PublisherError)[1:]:
        if cls.status == status:
            return cls
    title = HTTP_STATUS_CODES.get(status, "Error")
    made = type(f"HTTP{status}", (PublisherError,), {"status": status, "title": title})
    return cast(type[PublisherError], made)


def from_werkzeug(exc: HTTPException) -> PublisherError:
    """werkzeug's exception as ours: same status, its description as the message."""
    return error_class(exc.code or 500)(exc.description or exc.name)


def allowed_methods() -> list[str]:
    """The methods the route map allows for the requested URL (what werkzeug's 405 carries)."""
    adapter = request_ctx.url_adapter
    if adapter is None:
        return []
    exc = request.routing_exception
    if isinstance(exc, WerkzeugMethodNotAllowed) and exc.valid_methods:
        return sorted(exc.valid_methods)
    return sorted(adapter.allowed_methods())


def error_response(error: PublisherError) -> Response:
    """Render ``error`` in the representation the client prefers, with the headers its status needs."""
    status, title, message, hint = error.status, error.title, error.message, error.hint
    body: dict[str, object] = {"ok": False, "error": message, "status": status}
    if hint:
        body["hint"] = hint
    if isinstance(error, NotAcceptable) and error.offered:
        body["offered"] = [{"type": o.media_type, "url": o.url} for o in error.offered]
    accept = request.headers.get("Accept")
    if prefers_html(accept, (JSON,)):
        response = Response(
            render_error_page(status, message, hint), status=status, content_type=HTML.content_type
        )
        response.vary.add("Accept-Language")
        response.headers["Content-Language"] = language()
    elif accept and format_quality(accept, JSON) == 0 and "text/" in accept:
        text = f"{status} {title}: {message}" + (f"\nHint: {hint}" if hint else "") + "\n"
        response = Response(text, status=status, content_type="text/plain; charset=utf-8")
    else:
        response = Response(json.dumps(body), status=status, content_type=JSON.content_type)
    response.vary.add("Accept")
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    if status == 405:
        response.allow.update(allowed_methods())
    return response


def handle_publisher_error(exc: PublisherError) -> Response:
    if exc.status >= 500:
        log.warning("%s %s → %d: %s", request.method, request.path, exc.status, exc)
    return error_response(exc)


def handle_http_exception(exc: HTTPException) -> BaseResponse:
    if exc.code is not None and exc.code < 400:
        return exc.get_response()  # a redirect (a missing trailing slash …), not an error
    return handle_publisher_error(from_werkzeug(exc))


def handle_unexpected(exc: Exception) -> BaseResponse:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(
        PublisherError(
            "the server failed to answer this request.",
            hint="This is a bug in the publisher, not in your request; it has been logged.",
        )
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(PublisherError, handle_publisher_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
