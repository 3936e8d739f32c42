"""The embedded backend: Oxigraph in memory, bulk-loaded from the validated build's N-Quads in dist/.

A thin engine adapter (:mod:`blackjanuary.store`): it runs queries the query service has checked, on an
engine thread of its :class:`~blackjanuary.store.execution.Runner` (deadline, memory budget, no network).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

from blackjanuary.config import Settings
from blackjanuary.errors import BadRequest, BuildError, QuerySyntaxError
from blackjanuary.publish.manifest import MANIFEST_NAME, Manifest, read_manifest
from blackjanuary.rdf.formats import NQUADS
from blackjanuary.store import Answer, CheckedQuery, Read, StoreInfo, Write
from blackjanuary.store.execution import Job, Runner
from blackjanuary.store.patterns import (
    TriplePattern,
    count_from,
    count_query,
    page_construct_query,
    page_from,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

INLINE_ROWS = 10_001
"""A pattern lookup that reads at most this many distinct matches (a fragment's page up to the 100th,
a count up to the fragments' exact-count cap) runs in the request's own thread: its work is bounded by
construction (8 ms at most: a page or count of 10,000 labels at 1 M triples), so it needs neither the
runner's timeout nor its memory watch, and handing it to an engine thread and back cost more than the
lookup (a subject's fragment at 1 M triples took 2.0 ms of CPU in process that way, 1.0 ms inline).
Larger ones go to the runner like any query."""


def checked_manifest(dist: Path) -> Manifest:
    """The manifest of the build in ``dist``, refused (BuildError) unless it passed the SHACL gate."""
    manifest = read_manifest(dist)
    if manifest.conforms is not True:
        raise BuildError(
            f"{dist / MANIFEST_NAME}: the build does not conform to the SHACL shapes; refusing "
            "to serve it. Run `blackjanuary validate` to see the violations."
        )
    return manifest


def nquads_file(dist: Path, manifest: Manifest) -> Path:
    """The uncompressed N-Quads dump of the build (it keeps the named graphs)."""
    for entry in manifest.files:
        if entry.format == NQUADS.name and not entry.compressed:
            return dist / entry.name
    raise BuildError(f"{dist}: the manifest lists no N-Quads dump. Rebuild with `blackjanuary build`.")


class EmbeddedStore:
    """Oxigraph in memory; read-only by construction (no method writes after loading)."""

    def __init__(
        self, store: ox.Store, *, version: str, settings: Settings, runner: Runner | None = None
    ) -> None:
        self._store = store
        self.settings = settings
        counts: dict[str, int] = {}
        for graph in sorted(store.named_graphs(), key=lambda g: g.value):
            counts[graph.value] = sum(1 for _ in store.quads_for_pattern(None, None, None, graph))
        self.info = StoreInfo(version=version, backend="embedded", graph_triples=counts)
        self.runner = runner or Runner(memory_budget=settings.query_memory_budget)

    # Construction -----------------------------------------------------------------------------------
    @classmethod
    def from_nquads(cls, path: Path, *, version: str, settings: Settings) -> EmbeddedStore:
        store = ox.Store()
        started = time.perf_counter()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        log.info("loaded %s into the embedded store in %.2f s", path, time.perf_counter() - started)
        return cls(store, version=version, settings=settings)

    @classmethod
    def from_dist(cls, settings: Settings) -> EmbeddedStore:
        manifest = checked_manifest(settings.dist)
        path = nquads_file(settings.dist, manifest)
        return cls.from_nquads(path, version=manifest.version, settings=settings)

    # The Store protocol -----------------------------------------------------------------------------
    @property
    def query_base(self) -> str:
        """The base IRI of every query (relative IRIs without a BASE resolve against it): the
        endpoint's canonical IRI, as the SPARQL 1.1 Protocol allows ("MAY be the service endpoint")."""
        return self.settings.base_iri + "sparql"

    def _answer(self, query: CheckedQuery) -> Answer:
        dataset = query.dataset
        options: dict[str, Any] = {}
        if dataset.union:
            options["use_default_graph_as_union"] = True
        elif not dataset.from_query:
            options["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs]
            options["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs]
        try:
            return self._store.query(query.text, base_iri=self.query_base, **options)
        except SyntaxError as exc:
            raise QuerySyntaxError(
                f"the query does not parse: {exc}", hint="The position is line:column in the query text."
            ) from exc
        except RuntimeError as exc:  # a valid query the engine cannot run (W3C syntax-query test_4: a 500)
            if not str(exc).startswith("The custom function"):
                raise
            raise BadRequest(
                f"{exc}: this endpoint offers SPARQL 1.1's functions and the XSD casts only.",
                hint="Remove the call, or compute the value with built-in functions.",
            ) from exc

    def evaluate(self, query: CheckedQuery, read: Read[T], *, timeout: float) -> T:
        def run(job: Job) -> T:
            return read(self._answer(query), job.check)

        return self.runner.call(run, timeout=timeout, description=query.text[:200])

    def stream(self, query: CheckedQuery, write: Write, *, timeout: float) -> Iterator[bytes]:
        def produce(job: Job) -> None:
            write(self._answer(query), job)

        return self.runner.stream(produce, timeout=timeout, description=query.text[:200])

    # Triple pattern lookups (Triple Pattern Fragments: web/fragments.py) ------------------------------
    def match_pattern(
        self, pattern: TriplePattern, *, offset: int, limit: int, timeout: float | None = None
    ) -> list[ox.Triple]:
        """One page of the distinct triples matching ``pattern`` in the union of the named graphs."""
        query = page_construct_query(pattern, offset=offset, limit=limit)

        def run(job: Job | None) -> list[ox.Triple]:
            return page_from(self._store.query(query, use_default_graph_as_union=True), pattern)

        if limit > 0 and offset + limit <= INLINE_ROWS:  # limit 0 means every match: not bounded
            return run(None)
        return self.runner.call(run, timeout=self._timeout(timeout), description=query[:200])

    def _timeout(self, timeout: float | None) -> float:
        return self.settings.query_timeout if timeout is None else timeout

    def count_pattern(self, pattern: TriplePattern, *, cap: int | None, timeout: float | None = None) -> int:
        """How many distinct triples match ``pattern``, counted no further than ``cap + 1``."""
        query = count_query(pattern, cap=cap)

        def run(job: Job | None) -> int:
            return count_from(self._store.query(query, use_default_graph_as_union=True))

        if cap is not None and cap + 1 <= INLINE_ROWS:
            return run(None)
        return self.runner.call(run, timeout=self._timeout(timeout), description=query[:200])

    def dump(self) -> bytes:
        """The whole dataset as N-Quads (used by tests to prove the data unchanged)."""
        return ox.serialize(self._store, format=ox.RdfFormat.N_QUADS) or b""

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        return None
