"""Values a build version needs once (the property names, the places on the maps, the landing
page's counts), kept per application and per version in a byte-bounded LRU.

The data is read-only between builds, so what is computed from the store for one version holds
until the next. The key is ``(version, name)``: a new build is a new key and the old version's
values age out of the LRU. The budget is ``Settings.version_cache_bytes``
(``BLACKJANUARY_VERSION_CACHE_BYTES``) per worker process (default 8 MiB, ``0`` turns it off: every
value is computed on every use); no value larger than half of it is kept.

>>> cache = VersionCache(max_bytes=10_000)
>>> calls = []
>>> cache.get_or_compute("1.0", "names", lambda: calls.append(1) or {"a": "b"})
{'a': 'b'}
>>> cache.get_or_compute("1.0", "names", lambda: calls.append(1) or {"a": "c"}), len(calls)
({'a': 'b'}, 1)
>>> cache.get_or_compute("2.0", "names", lambda: {"a": "c"})
{'a': 'c'}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from blackjanuary.web.current import current_settings
from blackjanuary.web.result_cache import BoundedLRU

T = TypeVar("T")
CACHE_KEY = "blackjanuary.version_cache"
"""Where the application keeps its :class:`VersionCache` (``app.extensions``)."""


class VersionCache(BoundedLRU):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, max(max_bytes, 0) // 2)

    def get_or_compute(self, version: str, name: str, compute: Callable[[], T]) -> T:
        """The value kept for ``(version, name)``, else ``compute()`` (kept when it fits).

        Two requests may compute the same value at once; both get a correct value and one is kept.
        """
        key = (version, name)
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        value = compute()
        self.put(key, value)
        return value


def version_cache(extensions: dict[str, Any]) -> VersionCache:
    """The application's cache (made on first use, sized by its settings; ``extensions`` is
    ``app.extensions``)."""
    found = extensions.get(CACHE_KEY)
    if found is None:
        found = extensions.setdefault(CACHE_KEY, VersionCache(current_settings().version_cache_bytes))
    assert isinstance(found, VersionCache)
    return found
