"""HTTP behaviour every response shares, carried by libraries (``docs/adr/0011-http-libraries.md``).

``init_app(app)`` wires, for the whole application:

- CORS through flask-cors: ``Access-Control-Allow-Origin: *`` and the exposed headers on every
  response, the preflight headers on ``OPTIONS`` (its status and ``Allow`` come from the route map,
  :meth:`blackjanuary.web.app.Publisher.make_default_options_response`); no credentials. With
  ``origins="*"`` and ``send_wildcard`` the answer to a request that is no preflight is always the same
  two headers, so they are written once (:data:`SIMPLE_CORS_HEADERS`) and flask-cors, which skips a
  response that already has them, works out only preflights (and the rare Private Network request);
- compression through flask-compress: brotli or gzip for a complete body of at least
  :data:`MIN_COMPRESS_BYTES` in a text or RDF type, ``Vary: Accept-Encoding``; streamed responses
  (large SPARQL results, downloads) and bodies that already have a ``Content-Encoding`` are left alone;
  a request without ``Accept-Encoding`` gets only the ``Vary`` (flask-compress would parse the missing
  header and look the response over to the same end);
- conditional requests through werkzeug's ``Response.make_conditional``: a ``200`` that carries an
  ``ETag`` answers ``304`` to a matching ``If-None-Match`` (weak comparison, ``*``), after compression
  so that the compared tag is the one the client was sent (``…:br``, ``W/…:gzip``);
- the security headers of an HTML page.

A view calls :func:`finish` to state its ``Vary`` and its version ``ETag``; the rest is done here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import Flask, Response, request
from flask_compress import Compress
from flask_cors import CORS
from werkzeug.wrappers import Response as BaseResponse

from blackjanuary.rdf.formats import ALL_FORMATS

R = TypeVar("R", bound=BaseResponse)
"""A Flask response, or werkzeug's own (``redirect`` and ``send_file`` return those)."""

CORS_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
"""Every method some route of ours answers; a route's own ``Allow`` says which of them it takes."""
EXPOSED_HEADERS = ("ETag", "Link", "Location", "Retry-After", "Vary", "Content-Type", "Content-Length")
PREFLIGHT_MAX_AGE = 86400
SIMPLE_CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", ", ".join(sorted(EXPOSED_HEADERS))),  # flask-cors sorts them
)
"""What flask-cors adds, with the options of :func:`init_app`, to every answer that is no preflight
(``tests/app/test_http.py`` compares the two)."""
PRIVATE_NETWORK = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"
"""A request header flask-cors answers on any method; such a request is left to it."""
MIN_COMPRESS_BYTES = 1024
"""Smaller bodies go out as they are: the framing would eat what compression saves."""
COMPRESSED_TYPES = frozenset(
    {
        "text/html",
        "text/plain",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/problem+json",
        "application/xml",
        "image/svg+xml",
        *(f.media_type for f in ALL_FORMATS),
    }
)
"""Media types worth compressing: text, JSON, XML and every RDF and result format we serve."""
COMPRESSION: dict[str, object] = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],  # a browser sends both: brotli is the smaller
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_LEVEL": 5,
    "COMPRESS_MIN_SIZE": MIN_COMPRESS_BYTES,
    "COMPRESS_MIMETYPES": sorted(COMPRESSED_TYPES),
    "COMPRESS_STREAMS": False,  # a streamed result stays a stream of the engine's bytes (ADR 0004)
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,  # _conditional does it, compressed or not
    "COMPRESS_REGISTER": False,  # its hook runs through _compression, only when a coding is accepted
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
"""Sent with every HTML page (and ``X-Content-Type-Options: nosniff`` with every response)."""


def init_app(app: Flask) -> None:
    """CORS, compression, conditional requests and security headers for every response of ``app``."""
    # after_request hooks run last-registered first: headers (CORS for an answer that is no preflight
    # among them), then flask-cors, compression, and the conditional check on the final ETag last.
    app.after_request(_conditional)
    app.config.update(COMPRESSION)
    app.after_request(_compression(Compress(app)))
    CORS(
        app,
        origins="*",
        send_wildcard=True,  # "*" whatever the Origin: the answer is the same for every site
        methods=list(CORS_METHODS),
        allow_headers="*",
        expose_headers=list(EXPOSED_HEADERS),
        max_age=PREFLIGHT_MAX_AGE,
        supports_credentials=False,
        intercept_exceptions=False,  # every error handler's response passes the after_request hooks
    )
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    """The security headers, and CORS's for an answer to a request that is no preflight."""
    headers = response.headers
    environ = request.environ
    if (
        environ.get("REQUEST_METHOD") != "OPTIONS"
        and PRIVATE_NETWORK not in environ
        and "Access-Control-Allow-Origin" not in headers
    ):
        headers.extend(SIMPLE_CORS_HEADERS)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if (response.mimetype or "") in ("text/html", "application/xhtml+xml"):
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
    return response


def _compression(compress: Compress) -> Callable[[Response], Response]:
    """flask-compress's hook, for a request that accepts some coding; else only its ``Vary``."""

    def compression(response: Response) -> Response:
        if "HTTP_ACCEPT_ENCODING" in request.environ:
            return compress.after_request(response)
        response.vary.add("Accept-Encoding")  # what flask-compress adds to every response
        return response

    return compression


CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE")


def _conditional(response: Response) -> Response:
    if response.status_code != 200 or "ETag" not in response.headers:
        return response
    if response.headers.get("Content-Encoding") == "gzip":
        tag, weak = response.get_etag()
        if tag and not weak:
            # gzip writes the time into its header: the same content is not the same bytes twice, so
            # the tag is weak (as nginx makes it); brotli's output is byte-stable and keeps a strong one.
            response.set_etag(tag, weak=True)
    environ = request.environ
    if any(name in environ for name in CONDITIONAL_HEADERS):  # the common request skips werkzeug's work
        response.make_conditional(request)
        # The WSGI server writes Date; gunicorn would send werkzeug's as a second one.
        response.headers.pop("Date", None)
    return response


def etag_value(version: str, variant: str | None = None) -> str:
    """The ETag of a representation: the build version, plus the format as a variant (compression
    appends its coding, ``…:gzip``)."""
    return f"{version}-{variant}" if variant else version


def finish(response: R, *, etag: str | None = None, vary: Iterable[str] = ("Accept",)) -> R:
    """The common tail of a GET view: the headers negotiation decided on (``Vary``) and its ``ETag``.

    A matching ``If-None-Match`` is answered ``304`` after compression, by :func:`init_app`'s hook.
    """
    response.vary.update(vary)
    if etag is not None and response.status_code == 200:
        response.set_etag(etag)
    return response
