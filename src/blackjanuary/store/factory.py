"""``open_store(settings)``: the one place that turns settings into a Store backend.

Backends register a constructor in :data:`BACKEND_OPENERS`; the persistent and remote backends are
added there by their own modules without touching the callers.
"""

from __future__ import annotations

from collections.abc import Callable

from blackjanuary.config import Settings
from blackjanuary.store import Store


def _open_embedded(settings: Settings) -> Store:
    from blackjanuary.store.embedded import EmbeddedStore

    return EmbeddedStore.from_dist(settings)


def _open_persistent(settings: Settings) -> Store:
    from blackjanuary.store.persistent import open_persistent

    return open_persistent(settings)


def _open_remote(settings: Settings) -> Store:
    from blackjanuary.store.remote import open_remote

    return open_remote(settings)


BACKEND_OPENERS: dict[str, Callable[[Settings], Store]] = {
    "embedded": _open_embedded,
    "persistent": _open_persistent,
    "remote": _open_remote,
}


def open_store(settings: Settings) -> Store:
    """Open the backend ``settings.backend`` names; ValueError names the ones that exist."""
    try:
        opener = BACKEND_OPENERS[settings.backend]
    except KeyError:
        raise ValueError(
            f"the {settings.backend!r} backend is not available here; available: "
            f"{', '.join(sorted(BACKEND_OPENERS))}"
        ) from None
    return opener(settings)
