"""Rendered pages, kept per build version: a byte-bounded LRU in front of the application.

The data is read-only between builds, so a page is the same bytes for the same request. A response
is kept when it is a complete ``200`` to a ``GET`` in HTML or an RDF format, outside the SPARQL
endpoint (which has its own cache) and the file downloads. The key is the build version, the path,
the query string and every header a page can depend on: ``Accept`` (HTML or which RDF format),
``Accept-Encoding`` (the copy kept is the one flask-compress made for it: brotli, gzip or none),
``Accept-Language`` and ``Cookie`` (the reader's language), the host and the scheme. A repeated
request is answered before Flask dispatches anything; an ``If-None-Match`` that names the kept ETag
gets its ``304`` from here too (werkzeug's ``is_resource_modified`` compares).

The cache (a :class:`~blackjanuary.web.result_cache.BoundedLRU`) holds at most
``BLACKJANUARY_PAGE_CACHE_BYTES`` bytes (bodies, header text and key;
default 16 MiB per worker process; ``0`` turns it off), and no single page larger than an eighth
of that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request
from werkzeug.http import is_resource_modified

from blackjanuary.rdf.formats import RDF_FORMATS
from blackjanuary.web.result_cache import BoundedLRU, Kept, ReplayMiddleware

KEEP = "blackjanuary.page_cacheable"
"""WSGI environ key: set by :func:`mark` when the response may be kept."""
EXCLUDED_PREFIXES = ("/sparql", "/downloads/", "/static/")
CACHED_TYPES = frozenset({"text/html", *(f.media_type for f in RDF_FORMATS)})
VARY_HEADERS = (
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_COOKIE",
    "HTTP_HOST",
    "wsgi.url_scheme",
)
"""What a page may depend on besides its path and query (the host and scheme, for absolute links)."""
PASS_304 = ("etag", "vary", "cache-control", "content-location")


class PageCache(BoundedLRU):
    """Rendered pages: the web layer's byte-bounded LRU, no single page larger than an eighth of it."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, max(max_bytes, 0) // 8)

    @property
    def bytes(self) -> int:
        return self.stored_bytes


def mark(environ: dict[str, Any], status: int, mimetype: str | None, direct_passthrough: bool) -> None:
    """Called for every response (an ``after_request`` hook): may this one be kept?"""
    path = str(environ.get("PATH_INFO", ""))
    if (
        status == 200
        and environ.get("REQUEST_METHOD") == "GET"
        and not direct_passthrough
        and (mimetype or "") in CACHED_TYPES
        and not path.startswith(EXCLUDED_PREFIXES)
    ):
        environ[KEEP] = True


class PageCacheMiddleware(ReplayMiddleware):
    """Answers repeated page requests from a :class:`PageCache` (see the module's description)."""

    def __init__(self, app: Any, cache: PageCache, version: Callable[[], str]) -> None:
        super().__init__(app, cache, KEEP)
        self.version = version

    def key(self, environ: dict[str, Any]) -> tuple[str, ...]:
        return (
            self.version(),
            str(environ.get("PATH_INFO", "")),
            str(environ.get("QUERY_STRING", "")),
            *(str(environ.get(name, "")) for name in VARY_HEADERS),
        )

    def replay(self, hit: Kept, environ: dict[str, Any], start_response: Any) -> list[bytes] | None:
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is None:
            start_response(hit.status, list(hit.headers))
            return [hit.body]
        if hit.etag is not None and not is_resource_modified(environ, hit.etag):
            start_response("304 NOT MODIFIED", [h for h in hit.headers if h[0].lower() in PASS_304])
            return []
        return None


CACHE_KEY = "blackjanuary.page_cache"
"""Where the application keeps its :class:`PageCache` (``app.extensions``)."""


def init_app(app: Any, version: Callable[[], str], max_bytes: int) -> PageCache:
    """Put a page cache in front of ``app`` (outermost) and mark its keepable responses."""

    cache = PageCache(max_bytes)
    app.extensions[CACHE_KEY] = cache

    def keep_if_page(response: Response) -> Response:
        mark(request.environ, response.status_code, response.mimetype, response.direct_passthrough)
        return response

    app.after_request(keep_if_page)
    app.wsgi_app = PageCacheMiddleware(app.wsgi_app, cache, version)
    return cache
