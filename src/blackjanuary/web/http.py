"""HTTP helpers every blueprint shares: CORS (with preflight), security headers, Vary, ETag/304, gzip.

``init_app(app)`` wires CORS, preflight and the security headers for the whole application; a view
calls :func:`finish` (or the smaller helpers) to add ``Vary``, a version ``ETag`` (answering 304 to a
matching ``If-None-Match``) and gzip for a large body.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from typing import TypeVar, cast

from flask import Flask, Request, Response, request
from werkzeug.wrappers import Response as BaseResponse

R = TypeVar("R", bound=BaseResponse)
"""A Flask response, or werkzeug's own (``redirect`` and ``send_file`` return those)."""

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Encoding, Content-Type, If-None-Match, Origin, Cache-Control"
EXPOSED_HEADERS = "ETag, Link, Location, Retry-After, Vary, Content-Type, Content-Length"
GZIP_MIN_BYTES = 1024
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
CORS_HEADERS: tuple[tuple[str, str], ...] = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
    ("X-Content-Type-Options", "nosniff"),
)
"""What :func:`init_app` adds to every response; a hot path may write them itself (then nothing is added)."""
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    """Answer CORS preflights and add CORS and security headers to every response of ``app``."""
    app.before_request(_preflight)
    app.after_request(_decorate)


def is_preflight(req: Request) -> bool:
    return req.method == "OPTIONS" and "Access-Control-Request-Method" in req.headers


def preflight_response() -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    requested = request.headers.get("Access-Control-Request-Headers")
    response.headers["Access-Control-Allow-Headers"] = requested or ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _preflight() -> Response | None:
    if request.environ.get("REQUEST_METHOD") != "OPTIONS":
        return None
    return preflight_response() if is_preflight(request) else None


def _decorate(response: Response) -> Response:
    headers = response.headers
    if "Access-Control-Allow-Origin" not in headers:
        for name, value in CORS_HEADERS:
            headers.setdefault(name, value)
    if (response.mimetype or "") in ("text/html", "application/xhtml+xml"):
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
    return response


def add_vary(response: R, *names: str) -> R:
    """Add header names to ``Vary`` without duplicates."""
    for name in names:
        response.vary.add(name)
    return response


def etag_value(version: str, variant: str | None = None) -> str:
    """The ETag of a representation: the build version, plus the format (and encoding) as a variant."""
    return f"{version}-{variant}" if variant else version


def not_modified(req: Request, etag: str) -> bool:
    """True when the client's ``If-None-Match`` lists ``etag`` (or ``*``)."""
    return req.method in ("GET", "HEAD") and etag in req.if_none_match


def accepts_gzip(req: Request) -> bool:
    return req.accept_encodings["gzip"] > 0


def compress(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=5, mtime=0)


def finish(
    response: R, *, etag: str | None = None, vary: Iterable[str] = ("Accept",), gzip_body: bool = True
) -> R:
    """The common tail of a GET view: Vary, ETag (→ 304 on a match) and gzip for a large, complete body.

    Streamed responses (``direct_passthrough``) are left uncompressed and unbuffered.
    """
    add_vary(response, *vary)
    gzipped = False
    if (
        gzip_body
        and not response.direct_passthrough
        and response.status_code == 200
        and "Content-Encoding" not in response.headers
        and accepts_gzip(request)
    ):
        body = response.get_data()
        if len(body) >= GZIP_MIN_BYTES:
            response.set_data(compress(body))
            response.headers["Content-Encoding"] = "gzip"
            gzipped = True
        add_vary(response, "Accept-Encoding")
    if etag is not None and response.status_code == 200:
        tag = etag + ("-gzip" if gzipped else "")
        response.set_etag(tag)
        if not_modified(request, tag):
            # a flask Response is every R the views pass (werkzeug's or flask's own)
            return cast(R, not_modified_response(response))
    return response


def not_modified_response(response: BaseResponse) -> Response:
    """A 304 that keeps the validators and Vary of ``response``, without its body."""
    result = Response(status=304)
    for name in ("ETag", "Vary", "Cache-Control", "Content-Location"):
        if name in response.headers:
            result.headers[name] = response.headers[name]
    return result
