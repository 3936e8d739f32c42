"""The embedded backend: Oxigraph in memory, bulk-loaded from the validated build's N-Quads in dist/.

Every query passes :func:`blackjanuary.query.protocol.check_query` (depth, read-only, no outbound
calls) before the engine sees it, whichever way it came in (the endpoint, entity pages, reconciliation).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from blackjanuary.config import Settings
from blackjanuary.errors import BadGateway, BadRequest, BuildError, NotAcceptable, QuerySyntaxError
from blackjanuary.publish.manifest import MANIFEST_NAME, Manifest, read_manifest
from blackjanuary.query.lexer import Token
from blackjanuary.query.protocol import check_query, dataset_clause_iris, leading_keyword, service_targets
from blackjanuary.query.serialize import SelectWriter, boolean_result, graph_result
from blackjanuary.rdf.formats import NQUADS, RDF_FORMATS, RESULT_FORMATS, Format
from blackjanuary.rdf.oxigraph import to_rdflib
from blackjanuary.rdf.vocab import Ours
from blackjanuary.store import QueryOutcome, QueryType, Row, StoreInfo
from blackjanuary.store.execution import Job, Runner
from blackjanuary.store.patterns import TriplePattern, count_from, count_query, page_from, page_query

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMIT_BYTES = 256 * 1024
"""A result is sent only once it is complete or this large: errors before that get a proper status."""
CHECK_EVERY = 64
"""Rows between two deadline checks."""


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
        self.ours = Ours(settings.base_iri)
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

    # The dataset a query runs on --------------------------------------------------------------------
    @property
    def query_base(self) -> str:
        """The base IRI of every query (relative IRIs without a BASE resolve against it): the
        endpoint's canonical IRI, as the SPARQL 1.1 Protocol allows ("MAY be the service endpoint")."""
        return self.settings.base_iri + "sparql"

    def graph_iris(self) -> list[str]:
        return list(self.info.graph_triples)

    def _unknown_graph(self, iri: str, where: str) -> BadRequest:
        known = ", ".join(f"<{g}>" for g in self.graph_iris())
        return BadRequest(
            f"{where} <{iri}> is not a graph of this dataset; the graphs are: {known}.",
            hint="This endpoint never fetches remote graphs. Omit it to query their union.",
        )

    def _dataset_options(
        self, tokens: list[Token], default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> dict[str, Any]:
        known = set(self.info.graph_triples)
        for iri in default_graph_uris:
            if iri not in known:
                raise self._unknown_graph(iri, "default-graph-uri")
        for iri in named_graph_uris:
            if iri not in known:
                raise self._unknown_graph(iri, "named-graph-uri")
        if not default_graph_uris and not named_graph_uris:
            if dataset_clause_iris(tokens, self.query_base):
                return {}  # the query's own FROM / FROM NAMED define its dataset
            return {"use_default_graph_as_union": True}
        return {
            "default_graph": [ox.NamedNode(g) for g in default_graph_uris],
            "named_graphs": [ox.NamedNode(g) for g in named_graph_uris],
        }

    def _check(self, query: str) -> list[Token]:
        return check_query(
            query,
            max_depth=self.settings.max_query_depth,
            allowed_services=self.settings.allowed_service_endpoints,
        )

    def _evaluate(self, query: str, options: dict[str, Any], tokens: list[Token] | None = None) -> Any:
        """Run ``query`` (guarded here, unless the caller passes the tokens its own guard returned)."""
        if tokens is None:
            tokens = self._check(query)
        for iri in dataset_clause_iris(tokens, self.query_base):
            if iri not in self.info.graph_triples:
                raise self._unknown_graph(iri, "FROM")
        try:
            return self._store.query(query, base_iri=self.query_base, **options)
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

    def _too_many(self, what: str, limit: int | None = None) -> BadRequest:
        limit = self.settings.max_results if limit is None else limit
        return BadRequest(
            f"the result has more than {limit} {what}, the limit of this endpoint.",
            hint="Add a LIMIT (and OFFSET to page through it).",
        )

    # The Store protocol -----------------------------------------------------------------------------
    def _timeout(self, timeout: float | None) -> float:
        return self.settings.query_timeout if timeout is None else timeout

    def select(self, query: str, *, timeout: float | None = None) -> list[Row]:
        def run(job: Job) -> list[Row]:
            result = self._evaluate(query, {"use_default_graph_as_union": True})
            if not isinstance(result, ox.QuerySolutions):
                raise BadRequest("select() needs a SELECT query.")
            names = [v.value for v in result.variables]
            rows: list[Row] = []
            for n, solution in enumerate(result):
                if n % CHECK_EVERY == 0:
                    job.check()
                if n >= self.settings.max_results:
                    raise self._too_many("rows")
                rows.append({k: to_rdflib(v) for k, v in zip(names, solution, strict=True) if v is not None})
            return rows

        return self.runner.call(
            _service_errors(run, query), timeout=self._timeout(timeout), description=query[:200]
        )

    def ask(self, query: str, *, timeout: float | None = None) -> bool:
        def run(job: Job) -> bool:
            result = self._evaluate(query, {"use_default_graph_as_union": True})
            if not isinstance(result, ox.QueryBoolean):
                raise BadRequest("ask() needs an ASK query.")
            return bool(result)

        return self.runner.call(
            _service_errors(run, query), timeout=self._timeout(timeout), description=query[:200]
        )

    def construct(self, query: str, *, timeout: float | None = None) -> Graph:
        def run(job: Job) -> Graph:
            result = self._evaluate(query, {"use_default_graph_as_union": True})
            if not isinstance(result, ox.QueryTriples):
                raise BadRequest("construct() needs a CONSTRUCT or DESCRIBE query.")
            graph = Graph()
            for n, triple in enumerate(result):
                if n % CHECK_EVERY == 0:
                    job.check()
                if n >= self.settings.max_results:
                    raise self._too_many("triples")
                graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
            return graph

        return self.runner.call(
            _service_errors(run, query), timeout=self._timeout(timeout), description=query[:200]
        )

    def execute(
        self,
        query: str,
        *,
        accept: Sequence[Format] | Format,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
        max_results: int | None = None,
    ) -> QueryOutcome:
        """Run a read query for the protocol; ``max_results`` (default: the settings') caps rows/triples."""
        limit = self.settings.max_results if max_results is None else max_results
        wanted = [accept] if isinstance(accept, Format) else list(accept)
        tokens = self._check(query)  # before anything else reads the text (the dataset clauses below)
        options = self._dataset_options(tokens, default_graph_uris, named_graph_uris)
        prefixes = self.ours.prefixes()

        def produce(job: Job) -> None:
            result = self._evaluate(query, options, tokens)
            if isinstance(result, ox.QuerySolutions):
                fmt = _pick(wanted, RESULT_FORMATS, "SELECT")
                job.begin(("SELECT", fmt))
                _stream_select(job, result, fmt, limit, lambda what: self._too_many(what, limit))
            elif isinstance(result, ox.QueryBoolean):
                fmt = _pick(wanted, RESULT_FORMATS, "ASK")
                job.begin(("ASK", fmt))
                job.end(boolean_result(fmt, bool(result)))
            else:
                query_type: QueryType = "DESCRIBE" if leading_keyword(tokens) == "DESCRIBE" else "CONSTRUCT"
                fmt = _pick(wanted, RDF_FORMATS, query_type)
                job.begin((query_type, fmt))
                triples = []
                for n, triple in enumerate(result):
                    if n % CHECK_EVERY == 0:
                        job.check()
                    if n >= limit:
                        raise self._too_many("triples", limit)
                    triples.append(triple)
                job.end(graph_result(fmt, triples, prefixes))

        timeout_s = self._timeout(timeout)
        (query_type, fmt), chunks = self.runner.stream(
            _service_errors(produce, query), timeout=timeout_s, description=query[:200]
        )
        return QueryOutcome(query_type=query_type, format=fmt, chunks=chunks)

    # Triple pattern lookups (Triple Pattern Fragments: web/fragments.py) ------------------------------
    def match_pattern(
        self, pattern: TriplePattern, *, offset: int, limit: int, timeout: float | None = None
    ) -> list[ox.Triple]:
        """One page of the distinct triples matching ``pattern`` in the union of the named graphs."""
        query = page_query(pattern, offset=offset, limit=limit)

        def run(job: Job) -> list[ox.Triple]:
            return page_from(self._store.query(query, use_default_graph_as_union=True), pattern)

        return self.runner.call(run, timeout=self._timeout(timeout), description=query[:200])

    def count_pattern(self, pattern: TriplePattern, *, cap: int | None, timeout: float | None = None) -> int:
        """How many distinct triples match ``pattern``, counted no further than ``cap + 1``."""
        query = count_query(pattern, cap=cap)

        def run(job: Job) -> int:
            return count_from(self._store.query(query, use_default_graph_as_union=True))

        return self.runner.call(run, timeout=self._timeout(timeout), description=query[:200])

    def dump(self) -> bytes:
        """The whole dataset as N-Quads (used by tests to prove the data unchanged)."""
        return ox.serialize(self._store, format=ox.RdfFormat.N_QUADS) or b""

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        return None


def _service_errors(function: Callable[[Job], T], query: str) -> Callable[[Job], T]:
    """``function``, with a failing allow-listed SERVICE call turned into a 502 (not a 500).

    The engine reports a refused, reset or unreachable endpoint as an ``OSError`` (engine threads may
    not open sockets at all, see :mod:`blackjanuary.store.no_network`) or a ``RuntimeError``.
    """

    def wrapped(job: Job) -> T:
        try:
            return function(job)
        except (OSError, RuntimeError) as exc:
            if not service_targets(query):
                raise
            raise BadGateway(
                f"the query's SERVICE call failed: {exc}.",
                hint="This server's engine opens no network connections; SERVICE SILENT skips the call.",
            ) from None

    return wrapped


def _pick(wanted: Sequence[Format], offered: Sequence[Format], query_type: str) -> Format:
    for fmt in wanted:
        if fmt in offered:
            return fmt
    types = ", ".join(f.media_type for f in offered if f is not NQUADS or query_type != "ASK")
    raise NotAcceptable(
        f"a {query_type} result can be sent as: {types}.",
        hint="Ask for one of these in Accept, or with format=.",
    )


def _stream_select(job: Job, result: ox.QuerySolutions, fmt: Format, max_results: int, too_many: Any) -> None:
    writer = SelectWriter(fmt, [v.value for v in result.variables])
    parts: list[str] = [writer.head()]
    size = 0
    committed = False
    for n, solution in enumerate(result):
        if n % CHECK_EVERY == 0:
            job.check()
        if n >= max_results:
            raise too_many("rows")
        text = writer.row(list(solution))
        parts.append(text)
        size += len(text)
        if size >= (64 * 1024 if committed else COMMIT_BYTES):
            job.send("".join(parts).encode("utf-8"))
            parts, size, committed = [], 0, True
    parts.append(writer.tail())
    job.end("".join(parts).encode("utf-8"))
