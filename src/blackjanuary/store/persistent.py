"""The persistent backend: an Oxigraph (RocksDB) directory made by ``blackjanuary load --store DIR``.

The directory is opened read-only (``pyoxigraph.Store.read_only``), so several server processes can
share it and none can change it. The build it holds (version, base IRI, triple counts) is read from
the sidecar record the loader wrote inside it, so a restart costs milliseconds: no re-parse, no count.
Querying and timeouts are the embedded backend's, unchanged.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pyoxigraph as ox

from blackjanuary.config import Settings
from blackjanuary.errors import BuildError
from blackjanuary.store import StoreInfo
from blackjanuary.store.embedded import EmbeddedStore
from blackjanuary.store.execution import Runner
from blackjanuary.store.loading import STORE_RECORD, read_store_record

log = logging.getLogger(__name__)


class PersistentStore(EmbeddedStore):
    """An :class:`EmbeddedStore` whose Oxigraph lives on disk and whose build record is a sidecar file."""

    def __init__(
        self, store: ox.Store, *, info: StoreInfo, settings: Settings, runner: Runner | None = None
    ) -> None:
        # The embedded constructor counts every graph; here the loader's record already holds the counts.
        self._store = store
        self.settings = settings
        self.info = info
        self.runner = runner or Runner(memory_budget=settings.query_memory_budget)

    @classmethod
    def open(cls, path: Path, settings: Settings) -> PersistentStore:
        """Open the store directory ``path`` read-only; BuildError says what is wrong and how to fix it."""
        if not (path / STORE_RECORD).is_file():
            raise BuildError(
                f"{path}: no blackjanuary store here (missing {STORE_RECORD}). Create it with "
                f"`blackjanuary load --store {path}`."
            )
        record = read_store_record(path)
        if record.base_iri != settings.base_iri:
            raise BuildError(
                f"{path} holds a build for base IRI {record.base_iri}, but the server is "
                f"configured for {settings.base_iri}. Rebuild and reload with that base IRI."
            )
        started = time.perf_counter()
        try:
            store = ox.Store.read_only(str(path))
        except OSError as exc:
            raise BuildError(
                f"{path}: cannot open the Oxigraph store ({exc}). Reload it with "
                f"`blackjanuary load --store {path}`."
            ) from exc
        log.info(
            "opened persistent store %s (%s) in %.3f s", path, record.version, time.perf_counter() - started
        )
        info = StoreInfo(version=record.version, backend="persistent", graph_triples=dict(record.graphs))
        return cls(store, info=info, settings=settings)


def open_persistent(settings: Settings) -> PersistentStore:
    """The factory's opener: ``settings.store_path`` (BLACKJANUARY_STORE_PATH or ``--store``)."""
    if settings.store_path is None:
        raise BuildError(
            "backend 'persistent' needs a store directory: set BLACKJANUARY_STORE_PATH or pass "
            "--store DIR (create it with `blackjanuary load --store DIR`)."
        )
    return PersistentStore.open(settings.store_path, settings)
