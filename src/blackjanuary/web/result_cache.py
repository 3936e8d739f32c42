"""Bounded LRUs of complete, serialized query responses (the data is read-only between builds)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

MAX_ENTRY_BYTES = 1_000_000
CACHE_KEY = "blackjanuary.sparql_cache"
"""Where the application keeps its :class:`ResultCache` (``app.extensions``)."""


@dataclass(frozen=True)
class CachedResult:
    body: bytes
    content_type: str
    format_name: str
    query_type: str
    gzipped: bytes | None = None


class ResultCache:
    """Thread-safe LRU keyed by (query, formats, graphs); ``capacity`` 0 turns it off."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any:
        if self.capacity <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: Hashable, item: Any) -> None:
        size = len(item.body) if isinstance(item, CachedResult) else len(item[-1])
        if self.capacity <= 0 or size > MAX_ENTRY_BYTES:
            return
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


CACHEABLE = "blackjanuary.cacheable"
"""WSGI environ key a view sets to True when its complete response may be replayed for the same request."""


class ResponseCacheMiddleware:
    """Replays complete responses to repeated identical GETs before Flask dispatches anything.

    The key is the request's path, query string, ``Accept`` and ``Accept-Encoding``: on read-only data
    the same request gets the same bytes. Only responses a view marked with :data:`CACHEABLE` are kept,
    exactly as Flask sent them (after every ``after_request`` hook). Conditional requests
    (``If-None-Match``) and every other method go to the application.
    """

    def __init__(self, app: Any, cache: ResultCache) -> None:
        self.app = app
        self.cache = cache

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if (
            self.cache.capacity <= 0
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_IF_NONE_MATCH" in environ
        ):
            return self.app(environ, start_response)
        key = (
            "wsgi",
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
        )
        hit = self.cache.get(key)
        if hit is not None:
            status, headers, body = hit
            start_response(status, list(headers))
            return [body]
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        if not environ.get(CACHEABLE) or not captured or not captured[0].startswith("200"):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self.cache.put(key, (captured[0], tuple(captured[1]), body))  # type: ignore[arg-type]
        return [body]
