"""The remote backend: any SPARQL 1.1 server, spoken to with the SPARQL 1.1 Protocol over HTTP.

A thin engine adapter (:mod:`blackjanuary.store`): queries the query service has checked are forwarded
as ``POST application/x-www-form-urlencoded`` with connect and read timeouts; the answer is asked for as
SPARQL JSON results (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE), parsed by Oxigraph and handed on
as engine results, so the service writes every format itself, the same bytes as on the other backends.

The SPARQL default graph must be the union of our named graphs: if the server already does that
(Virtuoso, QLever and GraphDB do by default, Oxigraph with ``--union-default-graph``, Fuseki with
``unionDefaultGraph``), queries go out unchanged; otherwise each request lists our graphs as ``default-
graph-uri`` and ``named-graph-uri`` (correct on any server, but a multi-graph default graph costs the
server a merge on every pattern).

Failure policy: a remote that is unreachable, slow, answers 5xx or sends something we cannot read
is a :class:`ServiceUnavailable` (503 with ``Retry-After``), never a hang and never a 500. Nothing
about a failure is remembered: the next request tries again, so the app recovers by itself.

The build version is the dataset's ``owl:versionInfo`` (else ``dcat:version``) in the meta graph,
as the build reads it; the per-graph triple counts are counted once per version.

Servers that depart from the recommendations get a dialect: Virtuoso (recognised by its ``Server:``
header) has its answers repaired (:mod:`blackjanuary.store.virtuoso`) before they are parsed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import TypeVar
from urllib.parse import urlencode

import pyoxigraph as ox
import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from blackjanuary.config import Settings
from blackjanuary.errors import QuerySyntaxError, QueryTimeout, ServiceUnavailable
from blackjanuary.rdf.formats import NTRIPLES, SPARQL_JSON, Format
from blackjanuary.store import (
    UNION,
    Answer,
    CheckedQuery,
    Dataset,
    EngineFailed,
    Read,
    StoreInfo,
    Write,
    virtuoso,
)
from blackjanuary.store.execution import Collected, Deadline
from blackjanuary.store.patterns import TriplePattern, count_from, count_query, page_from, page_query

log = logging.getLogger(__name__)
T = TypeVar("T")

VERSION_PREDICATES = ("http://www.w3.org/2002/07/owl#versionInfo", "http://www.w3.org/ns/dcat#version")
CHUNK = 64 * 1024
INFO_TTL = 30.0
"""Seconds between two reads of the remote's build version."""
CONNECT_TIMEOUT_CAP = 5.0


class RemoteStore:
    """A :class:`blackjanuary.store.Store` over a SPARQL 1.1 query endpoint."""

    backend = "remote"

    def __init__(self, settings: Settings) -> None:
        endpoint_url = settings.endpoint_url or ""
        if not endpoint_url.startswith(("http://", "https://")):
            raise ValueError(
                f"backend 'remote' needs an http(s) endpoint URL, got {endpoint_url!r}: set "
                "BLACKJANUARY_ENDPOINT_URL or pass --endpoint http://host:port/query"
            )
        self.settings = settings
        self.endpoint_url = endpoint_url
        self.base_iri = settings.base_iri
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=32, retries=False, block=False)
        self._info: StoreInfo | None = None
        self._info_read = 0.0
        self._info_lock = threading.Lock()
        self._union = False
        """Whether the server's default graph already is the union of the named graphs."""
        self._foreign: tuple[str, ...] = ()
        """The server's graphs that are not ours (none under our base IRI), listed at every re-read."""
        self.virtuoso = False
        """Whether the server is Virtuoso (its ``Server:`` header, read on every answer)."""

    # Info ------------------------------------------------------------------------------------------
    @property
    def info(self) -> StoreInfo:
        """Read from the remote on first use; the version is re-read every :data:`INFO_TTL` seconds and
        the graphs recounted when it changed (a reload shows up without a restart). Until a first read
        succeeds, every access tries again. While one request re-reads, the others go on with what was
        read last instead of waiting (a recount takes a scan of the store: 0.3 s at 1 M triples)."""
        now = time.monotonic()
        if self._info is None:
            with self._info_lock:
                if self._info is None:
                    self._info = self._read_info(None)
                    self._info_read = time.monotonic()
            return self._info
        if now - self._info_read > INFO_TTL and self._info_lock.acquire(blocking=False):
            try:
                if now - self._info_read > INFO_TTL:
                    self._info_read = now
                    self._info = self._read_info(self._info)
            except ServiceUnavailable as exc:
                log.warning("keeping the last build information of %s: %s", self.endpoint_url, exc)
            finally:
                self._info_lock.release()
        return self._info

    def _read_version(self) -> str | None:
        meta, dataset = self.base_iri + "graph/meta", self.base_iri + "dataset"
        rows = self._rows(f"SELECT ?p ?v WHERE {{ GRAPH <{meta}> {{ <{dataset}> ?p ?v }} }}")
        for predicate in VERSION_PREDICATES:
            values = sorted(r["v"] for r in rows if r.get("p") == predicate and "v" in r)
            if values:
                return values[0]
        return None

    def _read_info(self, previous: StoreInfo | None) -> StoreInfo:
        version = self._read_version()
        if previous is not None and version == previous.version:
            if self.virtuoso and self._foreign:  # left out by name: one created since must be too
                self._foreign = tuple(self._other_graphs())
            return previous
        # names as strings: a graph of others may have one that is no IRI (Virtuoso allows spaces)
        counted = self._rows(
            "SELECT (STR(?graph) AS ?g) (COUNT(*) AS ?n) WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph"
        )
        counts = {r["g"]: int(r["n"]) for r in counted if r["g"].startswith(self.base_iri)}
        foreign = sorted(r["g"] for r in counted if not r["g"].startswith(self.base_iri))
        if not counts:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} holds no graph under "
                f"{self.base_iri}; load the build with `blackjanuary load --endpoint "
                f"{self.endpoint_url}`"
            )
        if version is None:
            log.warning(
                "%s: the meta graph gives <%sdataset> no owl:versionInfo; the version is derived "
                "from the triple counts",
                self.endpoint_url,
                self.base_iri,
            )
            version = "remote-" + hashlib.sha256(repr(sorted(counts.items())).encode()).hexdigest()[:12]
        # the server's default graph is our union only if it has no graph but ours (Virtuoso's holds
        # its system graphs too) and it answers for our graphs without a dataset
        self._foreign = tuple(foreign)
        self._union = not foreign and self._ask_raw(f"ASK {{ <{self.base_iri}dataset> ?p ?o }}")
        log.info(
            "remote store %s%s: version %s, %d graphs%s, default graph %s",
            self.endpoint_url,
            " (Virtuoso)" if self.virtuoso else "",
            version,
            len(counts),
            f" (and {len(foreign)} graphs of others)" if foreign else "",
            "is the union" if self._union else "made explicit per request",
        )
        return StoreInfo(version=version, backend=self.backend, graph_triples=dict(sorted(counts.items())))

    # Store protocol ----------------------------------------------------------------------------------
    @property
    def query_base(self) -> str:
        """Relative IRIs resolve against the endpoint's canonical IRI, as on the embedded store."""
        return self.base_iri + "sparql"

    def evaluate(self, query: CheckedQuery, read: Read[T], *, timeout: float) -> T:
        deadline = Deadline(timeout)
        answer = self._answer(query, timeout)
        try:
            return read(answer, deadline.check)
        except (SyntaxError, ValueError) as exc:  # the parser is lazy: a broken row fails here
            raise self._unreadable(exc) from exc

    def stream(self, query: CheckedQuery, write: Write, *, timeout: float) -> Iterator[bytes]:
        """The whole answer, parsed and written before the first byte goes out (bounded by the
        service's result cap): a remote that breaks off is a 503, never a truncated 200."""
        sink = Collected(timeout)
        try:
            write(self._answer(query, timeout), sink)
        except (SyntaxError, ValueError) as exc:
            raise self._unreadable(exc) from exc
        return iter(sink.chunks)

    def _answer(self, query: CheckedQuery, timeout: float) -> Answer:
        """The remote's answer, parsed by Oxigraph, with Virtuoso's departures undone."""
        _ = self.info  # read first: it also tells whether the server is Virtuoso
        graph = query.form in ("CONSTRUCT", "DESCRIBE")
        fmt = NTRIPLES if graph else SPARQL_JSON
        body = self._read_all(query.text, fmt, timeout=timeout, dataset=query.dataset)
        if graph:
            return self._triples(body)
        if self.virtuoso:
            body = virtuoso.repair_results(body, ask=query.form == "ASK")
        result = self._parse_results(body)
        if isinstance(result, ox.QueryBoolean) != (query.form == "ASK"):
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} answered a {query.form} query with "
                f"{'a boolean' if isinstance(result, ox.QueryBoolean) else 'solutions'}; check that it is "
                "a SPARQL 1.1 endpoint"
            )
        return result

    def _triples(self, body: bytes) -> list[ox.Triple]:
        """N-Triples from the remote, parsed (and repaired when it is Virtuoso)."""
        try:
            parsed = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            triples = [t.triple if isinstance(t, ox.Quad) else t for t in parsed]
        except (SyntaxError, ValueError) as exc:
            raise EngineFailed(
                f"the remote store {self.endpoint_url} sent N-Triples that do not parse "
                f"({exc}); check the endpoint URL"
            ) from exc
        return [virtuoso.triple(t) for t in triples] if self.virtuoso else triples

    def _unreadable(self, exc: Exception) -> EngineFailed:
        """An answer that breaks off mid-way (Oxigraph server streams, and writes the error where the
        next solution should be: a SERVICE call that failed, for one) or is not SPARQL JSON."""
        return EngineFailed(
            f"the remote store {self.endpoint_url} sent SPARQL JSON results that do not parse "
            f"({exc}); check the endpoint URL"
        )

    # Triple pattern lookups (Triple Pattern Fragments: web/fragments.py) ------------------------------
    def match_pattern(
        self, pattern: TriplePattern, *, offset: int, limit: int, timeout: float | None = None
    ) -> list[ox.Triple]:
        """One page of the distinct triples matching ``pattern``: one SPARQL query to the engine."""
        query = page_query(pattern, offset=offset, limit=limit)
        result = self._parse_results(self._read_all(query, SPARQL_JSON, timeout=timeout))
        try:
            return page_from(result, pattern)
        except (SyntaxError, ValueError, TypeError) as exc:  # the parser is lazy: a broken row fails here
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent a pattern page that does not parse ({exc})"
            ) from exc

    def count_pattern(self, pattern: TriplePattern, *, cap: int | None, timeout: float | None = None) -> int:
        """How many distinct triples match ``pattern``, counted by the engine no further than ``cap + 1``."""
        query = count_query(pattern, cap=cap)
        result = self._parse_results(self._read_all(query, SPARQL_JSON, timeout=timeout))
        try:
            return count_from(result)
        except (SyntaxError, ValueError, TypeError, KeyError) as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent a count that does not parse ({exc})"
            ) from exc

    def close(self) -> None:
        self._pool.clear()

    # HTTP (urllib3: a thread-safe keep-alive pool; about 4× less overhead per request than requests) ---
    def _server_unions(self) -> bool:
        """Whether the server's default graph already is the union of the named graphs (read with info)."""
        return bool(self.info.graph_triples) and self._union

    def _timeouts(self, timeout: float | None) -> tuple[float, float]:
        """(connect, read) seconds: the remote timeout, shortened by a shorter query timeout."""
        query_timeout = self.settings.query_timeout if timeout is None else timeout
        read = min(self.settings.remote_timeout, query_timeout)
        return min(read, CONNECT_TIMEOUT_CAP), read

    def _post(
        self,
        query: str,
        fmt: Format,
        *,
        timeout: float | None,
        dataset: Dataset | None = UNION,
    ) -> urllib3.BaseHTTPResponse:
        """``query`` on ``dataset`` (``None``: the server's own, for queries that name their graphs)."""
        if self.virtuoso:
            query = virtuoso.wrap_inline_values(query)
        form: list[tuple[str, str]] = [("query", query)]
        if dataset is not None and (dataset.default_graphs or dataset.named_graphs):
            form += [("default-graph-uri", g) for g in dataset.default_graphs]
            form += [("named-graph-uri", g) for g in dataset.named_graphs]
        elif dataset is not None and dataset.union and not self._server_unions():
            pragmas = None
            if self.virtuoso and virtuoso.exclusion_is_exact(query):
                pragmas = virtuoso.excluding(self._foreign)
            if pragmas is not None:  # the same dataset, without the plans a named one costs Virtuoso
                form = [("query", pragmas + query)]
            else:
                graphs = sorted(self.info.graph_triples)
                form += [("default-graph-uri", g) for g in graphs]
                form += [("named-graph-uri", g) for g in graphs]
        connect, read = self._timeouts(timeout)
        try:
            response = self._pool.request(
                "POST",
                self.endpoint_url,
                body=urlencode(form).encode("ascii"),
                preload_content=False,
                timeout=urllib3.Timeout(connect=connect, read=read),
                headers={
                    "Accept": fmt.media_type,
                    "User-Agent": "blackjanuary",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        except NewConnectionError as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} is unreachable (connection "
                "refused or no route); retry later"
            ) from exc
        except ConnectTimeoutError as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} did not accept a connection "
                f"within {connect:g} s; retry later"
            ) from exc
        except ReadTimeoutError as exc:
            raise QueryTimeout(
                f"the remote store {self.endpoint_url} did not answer within {read:g} s; retry later"
            ) from exc
        except HTTPError as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} is unreachable ({type(exc).__name__}); retry later"
            ) from exc
        self.virtuoso = virtuoso.is_virtuoso(response.headers.get("Server"))
        if response.status == 200:
            if self.virtuoso:
                virtuoso.check_answer(response, self.endpoint_url)
            return response
        detail = _excerpt(response)
        if self.virtuoso:
            virtuoso.raise_for_error(response.status, detail, self.endpoint_url)
        if response.status == 400:
            raise QuerySyntaxError(f"the remote store rejected the query: {detail}")
        raise EngineFailed(
            f"the remote store {self.endpoint_url} answered HTTP {response.status}: {detail}; retry later"
        )

    def _stream(self, response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        try:
            yield from response.stream(CHUNK)
        except (HTTPError, OSError) as exc:
            log.error("remote store %s broke off a streamed answer: %s", self.endpoint_url, exc)
            if isinstance(exc, ReadTimeoutError):
                raise QueryTimeout(
                    f"the remote store {self.endpoint_url} stopped sending its answer; retry later"
                ) from exc
            raise ServiceUnavailable(f"the remote store {self.endpoint_url} broke off its answer") from exc
        finally:
            response.release_conn()

    def _read_all(
        self, query: str, fmt: Format, *, timeout: float | None, dataset: Dataset | None = UNION
    ) -> bytes:
        response = self._post(query, fmt, timeout=timeout, dataset=dataset)
        return b"".join(self._stream(response))

    def _parse_results(self, body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
        """SPARQL JSON results, parsed by Oxigraph: rdflib's parser drops a solution that binds no
        variable (``OPTIONAL`` that did not match), which turns a one-row answer into none."""
        try:
            return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise EngineFailed(
                f"the remote store {self.endpoint_url} sent an answer that is not "
                f"SPARQL JSON results ({exc}); check the endpoint URL"
            ) from exc

    def _other_graphs(self) -> list[str]:
        """The server's graphs that are not under our base IRI (names as strings: see _read_info)."""
        rows = self._rows("SELECT DISTINCT (STR(?graph) AS ?g) WHERE { GRAPH ?graph { ?s ?p ?o } }")
        return sorted(r["g"] for r in rows if "g" in r and not r["g"].startswith(self.base_iri))

    def _ask_raw(self, query: str) -> bool:
        """An ASK of our own (no dataset: it names its graphs), for the build information."""
        body = self._read_all(query, SPARQL_JSON, timeout=None, dataset=None)
        result = self._parse_results(virtuoso.repair_results(body, ask=True) if self.virtuoso else body)
        if not isinstance(result, ox.QueryBoolean):
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} answered an ASK query without a "
                "boolean; check that it is a SPARQL 1.1 endpoint"
            )
        return bool(result)

    def _rows(self, query: str) -> list[dict[str, str]]:
        """The values of a SELECT of our own (no dataset: it names its graphs), as plain strings."""
        result = self._parse_results(self._read_all(query, SPARQL_JSON, timeout=None, dataset=None))
        if not isinstance(result, ox.QuerySolutions):
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} answered a SELECT query with a boolean"
            )
        names = [v.value for v in result.variables]
        try:
            return [
                {n: v.value for n, v in zip(names, solution, strict=True) if v is not None}
                for solution in result
            ]
        except (SyntaxError, ValueError) as exc:  # the parser is lazy: a broken row fails here
            raise self._unreadable(exc) from exc


def _excerpt(response: urllib3.BaseHTTPResponse) -> str:
    try:
        text = response.read(2000, decode_content=True).decode("utf-8", "replace").strip()
    except (HTTPError, OSError, ValueError):
        text = ""
    finally:
        response.close()
    return " ".join(text.split())[:300] or response.reason or "no detail"
