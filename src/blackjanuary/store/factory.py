"""``open_store(settings)``: the one place that turns settings into a Store backend.

Each backend has a constructor in :data:`BACKEND_OPENERS`.
"""

from __future__ import annotations

from collections.abc import Callable

from blackjanuary.config import Settings
from blackjanuary.store import Store
from blackjanuary.store.embedded import EmbeddedStore
from blackjanuary.store.persistent import open_persistent
from blackjanuary.store.remote import RemoteStore

BACKEND_OPENERS: dict[str, Callable[[Settings], Store]] = {
    "embedded": EmbeddedStore.from_dist,
    "persistent": open_persistent,
    "remote": RemoteStore,  # contacts nothing: the remote is first asked on first use
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
