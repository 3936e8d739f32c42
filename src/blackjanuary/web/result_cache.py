"""Byte-bounded LRUs: one class (:class:`BoundedLRU`) for every cache of the web layer.

The data is read-only between builds, so three things are kept and replayed: complete SPARQL
responses (:class:`ResultCache`, here), rendered pages (``page_cache.PageCache``) and values a build
version needs once, such as the property names and the places on the maps
(``version_cache.VersionCache``). Each has its own budget in bytes, per worker process, and the same
accounting and eviction.

Every stored copy is counted: the key (a query may be a megabyte), the body, and the replayable
response the middleware keeps (compressed as it was sent, one per ``Accept-Encoding``). The budget
(``BLACKJANUARY_CACHE_BYTES``) is per worker process; ``cachetools.LRUCache`` with a ``getsizeof``
does the accounting and the eviction (``docs/adr/0004-bounded-work-at-the-web-layer.md``).

>>> cache = ResultCache(capacity=4, max_bytes=40_000)
>>> cache.put("q", CachedResult(b"x" * 3_000, "text/csv", "csv", "SELECT"))
True
>>> cache.get("q").body == b"x" * 3_000, cache.stored_bytes >= 3_000
(True, True)
>>> for n in range(100):
...     _ = cache.put(f"q{n}", CachedResult(b"x" * 3_000, "text/csv", "csv", "SELECT"))
>>> len(cache) <= 4 and cache.stored_bytes <= 40_000
True
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from cachetools import LRUCache

MAX_ENTRY_BYTES = 1_000_000
"""Largest entry kept (bytes, every copy of it counted); larger responses are answered, not kept."""
ENTRY_OVERHEAD = 256
"""Bytes counted per entry on top of its data: the objects that hold it."""
CACHE_KEY = "blackjanuary.sparql_cache"
"""Where the application keeps its :class:`ResultCache` (``app.extensions``)."""


@dataclass(frozen=True)
class CachedResult:
    body: bytes
    content_type: str
    format_name: str
    query_type: str


def data_bytes(value: Any) -> int:
    """The bytes a key or an item holds: its strings and byte strings, through tuples and results."""
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, tuple | list | set | frozenset):
        return sum(data_bytes(v) for v in value) + 8 * len(value)
    if isinstance(value, dict):
        return sum(data_bytes(k) + data_bytes(v) for k, v in value.items()) + 16 * len(value)
    if isinstance(value, CachedResult):
        parts = (value.body, value.content_type, value.format_name)
        return sum(data_bytes(part) for part in parts)
    if is_dataclass(value) and not isinstance(value, type):
        return sum(data_bytes(getattr(value, f.name)) for f in fields(value)) + 16
    return 16


class BoundedLRU:
    """Thread-safe LRU bounded by the bytes it holds (:func:`data_bytes` of key and item, plus
    :data:`ENTRY_OVERHEAD`); an item larger than ``max_entry_bytes`` is not kept. ``max_bytes`` 0
    turns it off. ``floor`` charges each entry at least that many bytes (a bound on their number)."""

    def __init__(self, max_bytes: int, max_entry_bytes: int, floor: int = 0) -> None:
        self.max_bytes = max(max_bytes, 0)
        self.max_entry_bytes = min(max_entry_bytes, self.max_bytes)
        self._items: LRUCache[Hashable, tuple[int, Any]] = LRUCache(
            maxsize=max(self.max_bytes, 1), getsizeof=lambda entry: max(entry[0], floor)
        )
        self._lock = threading.Lock()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def stored_bytes(self) -> int:
        """Bytes held now, as charged (every copy, keys and per-entry overhead included)."""
        with self._lock:
            return sum(size for size, _ in self._items.values())

    def get(self, key: Hashable) -> Any:
        if self.max_bytes <= 0:
            return None
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, item: Any) -> bool:
        """Keep ``item``; False when it is larger than an entry may be (or the cache is off)."""
        if self.max_bytes <= 0:
            return False
        size = data_bytes(key) + data_bytes(item) + ENTRY_OVERHEAD
        if size > self.max_entry_bytes:
            return False
        with self._lock:
            self._items[key] = (size, item)
        return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class ResultCache(BoundedLRU):
    """SPARQL responses keyed by (query, formats, graphs), bounded in entries and in bytes.

    ``capacity`` 0 (or ``max_bytes`` 0) turns it off. Each entry is charged at least
    ``max_bytes / capacity``, so both bounds hold with one ``cachetools`` budget.
    """

    def __init__(self, capacity: int, max_bytes: int = 32_000_000) -> None:
        on = capacity > 0 and max_bytes > 0
        floor = max_bytes // capacity if on else 0
        super().__init__(max_bytes if on else 0, MAX_ENTRY_BYTES, floor)
        self.capacity = capacity if on else 0


CACHEABLE = "blackjanuary.cacheable"
"""WSGI environ key a view sets to True when its complete response may be replayed for the same request."""


@dataclass(frozen=True)
class Kept:
    """A complete response as the WSGI server was to send it."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None = None


class ReplayMiddleware:
    """Replays complete ``200`` responses to repeated GETs before Flask dispatches anything.

    The one mechanism behind the SPARQL response cache (:class:`ResponseCacheMiddleware`) and the
    page cache (``page_cache.PageCacheMiddleware``): a subclass says what a request's key is
    (:meth:`key`; ``None``: not cached), whether a kept response answers it (:meth:`replay`), and
    the view marks a response keepable by setting ``environ[marker]``. Kept bytes are exactly what
    Flask sent (after every ``after_request`` hook).
    """

    def __init__(self, app: Any, cache: BoundedLRU, marker: str) -> None:
        self.app = app
        self.cache = cache
        self.marker = marker

    def key(self, environ: dict[str, Any]) -> Hashable | None:
        raise NotImplementedError

    def replay(self, hit: Kept, environ: dict[str, Any], start_response: Any) -> list[bytes] | None:
        """The kept response as the answer (or None: the application answers)."""
        start_response(hit.status, list(hit.headers))
        return [hit.body]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.cache.max_bytes <= 0 or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        try:
            key = self.key(environ)
        except Exception:  # noqa: BLE001 - no key (e.g. a remote engine's version unreadable): uncached
            key = None
        if key is None:
            return self.app(environ, start_response)
        hit = self.cache.get(key)
        if hit is not None:
            answered = self.replay(hit, environ, start_response)
            if answered is not None:
                return answered
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        if not environ.get(self.marker) or not captured or not captured[0].startswith("200"):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers = tuple(captured[1])
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        self.cache.put(key, Kept(captured[0], headers, body, etag))
        return [body]


class ResponseCacheMiddleware(ReplayMiddleware):
    """SPARQL responses: keyed by the request's path, query string, ``Accept`` and
    ``Accept-Encoding`` (on read-only data the same request gets the same bytes); only responses a
    view marked with :data:`CACHEABLE`. Conditional requests (``If-None-Match``) go to the
    application."""

    def __init__(self, app: Any, cache: ResultCache) -> None:
        super().__init__(app, cache, CACHEABLE)

    def key(self, environ: dict[str, Any]) -> Hashable | None:
        if "HTTP_IF_NONE_MATCH" in environ:
            return None
        return (
            "wsgi",
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
        )
