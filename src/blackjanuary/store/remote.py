"""The remote backend: any SPARQL 1.1 server, spoken to with the SPARQL 1.1 Protocol over HTTP.

Queries are forwarded as ``POST application/x-www-form-urlencoded`` with connect and read timeouts,
after the same guards as every backend. The SPARQL default graph must be the union of our named
graphs: if the server already does that (Virtuoso, QLever and GraphDB do by default, Oxigraph with
``--union-default-graph``, Fuseki with ``unionDefaultGraph``), queries go out unchanged; otherwise
each request lists our graphs as ``default-graph-uri`` and ``named-graph-uri`` (correct on any
server, but a multi-graph default graph costs the server a merge on every pattern).

Failure policy: a remote that is unreachable, slow, answers 5xx or sends something we cannot read
is a :class:`ServiceUnavailable` (503 with ``Retry-After``), never a hang and never a 500. Nothing
about a failure is remembered: the next request tries again, so the app recovers by itself.

The build version is the dataset's ``owl:versionInfo`` (else ``dcat:version``) in the meta graph,
as the build reads it; the per-graph triple counts are counted once per version.

Servers that depart from the recommendations get a dialect: Virtuoso (recognised by its ``Server:``
header) is never streamed through; its answers are read, repaired (:mod:`blackjanuary.store.virtuoso`)
and written again with the embedded store's serializers.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

import pyoxigraph as ox
import urllib3
from rdflib import Graph
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from blackjanuary.config import Settings
from blackjanuary.errors import BadRequest, NotAcceptable, QuerySyntaxError, QueryTimeout, ServiceUnavailable
from blackjanuary.query.protocol import QUERY_KEYWORDS, check_query, dataset_clause_iris, leading_keyword
from blackjanuary.query.serialize import SelectWriter, boolean_result, graph_result
from blackjanuary.rdf.formats import NTRIPLES, RDF_FORMATS, RESULT_FORMATS, SPARQL_JSON, Format, by_media_type
from blackjanuary.rdf.oxigraph import to_rdflib
from blackjanuary.rdf.vocab import Ours
from blackjanuary.store import QueryOutcome, QueryType, Row, StoreInfo, virtuoso
from blackjanuary.store.patterns import TriplePattern, count_from, count_query, page_from, page_query

log = logging.getLogger(__name__)

VERSION_PREDICATES = ("http://www.w3.org/2002/07/owl#versionInfo", "http://www.w3.org/ns/dcat#version")
CHUNK = 64 * 1024
INFO_TTL = 30.0
"""Seconds between two reads of the remote's build version."""
CONNECT_TIMEOUT_CAP = 5.0


def query_form(query: str) -> QueryType:
    """The query form of a query that passed :func:`check_query` (its first keyword after the prologue).

    >>> query_form("PREFIX s: <http://x/#ask> # select\\nCONSTRUCT WHERE { ?s ?p 'ask' }")
    'CONSTRUCT'
    """
    keyword = leading_keyword(query)
    if keyword not in QUERY_KEYWORDS:
        raise BadRequest(
            "the query is not a SELECT, ASK, CONSTRUCT or DESCRIBE query",
            hint="Send a SPARQL 1.1 query; this endpoint is read-only.",
        )
    return keyword  # type: ignore[return-value]


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
        self.virtuoso = False
        """Whether the server is Virtuoso (its ``Server:`` header, read on every answer)."""
        self.prefixes = Ours(settings.base_iri).prefixes()

    # Info ------------------------------------------------------------------------------------------
    @property
    def info(self) -> StoreInfo:
        """Read from the remote on first use; the version is re-read every :data:`INFO_TTL` seconds and
        the graphs recounted when it changed (a reload shows up without a restart). Until a first read
        succeeds, every access tries again."""
        now = time.monotonic()
        if self._info is None or now - self._info_read > INFO_TTL:
            with self._info_lock:
                if self._info is None:
                    self._info = self._read_info(None)
                    self._info_read = time.monotonic()
                elif now - self._info_read > INFO_TTL:
                    self._info_read = now
                    try:
                        self._info = self._read_info(self._info)
                    except ServiceUnavailable as exc:
                        log.warning("keeping the last build information of %s: %s", self.endpoint_url, exc)
        return self._info

    def _read_version(self) -> str | None:
        meta, dataset = self.base_iri + "graph/meta", self.base_iri + "dataset"
        rows = self._select_raw(
            f"SELECT ?p ?v WHERE {{ GRAPH <{meta}> {{ <{dataset}> ?p ?v }} }}", dataset=False
        )
        for predicate in VERSION_PREDICATES:
            values = sorted(str(r["v"]) for r in rows if str(r.get("p")) == predicate and "v" in r)
            if values:
                return values[0]
        return None

    def _read_info(self, previous: StoreInfo | None) -> StoreInfo:
        version = self._read_version()
        if previous is not None and version == previous.version:
            return previous
        counted = self._select_raw(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", dataset=False
        )
        counts = {str(r["g"]): int(str(r["n"])) for r in counted if str(r["g"]).startswith(self.base_iri)}
        foreign = sorted(str(r["g"]) for r in counted if not str(r["g"]).startswith(self.base_iri))
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
        self._union = not foreign and self._ask_raw(
            f"ASK {{ <{self.base_iri}dataset> ?p ?o }}", dataset=False
        )
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
    def select(self, query: str, *, timeout: float | None = None) -> list[Row]:
        self._guard(query)
        rows = self._select_raw(query, timeout=timeout)
        if len(rows) > self.settings.max_results:
            raise BadRequest(
                f"the result has more than {self.settings.max_results} rows, the limit of this endpoint.",
                hint="Add a LIMIT (and OFFSET to page through it).",
            )
        return rows

    def ask(self, query: str, *, timeout: float | None = None) -> bool:
        self._guard(query)
        return self._ask_raw(query, timeout=timeout)

    def construct(self, query: str, *, timeout: float | None = None) -> Graph:
        self._guard(query)
        graph = Graph()
        for t in self._triples(self._read_all(query, NTRIPLES, timeout=timeout)):
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return graph

    def _triples(self, body: bytes) -> list[ox.Triple]:
        """N-Triples from the remote, parsed (and repaired when it is Virtuoso)."""
        try:
            triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except (SyntaxError, ValueError) as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent N-Triples that do not parse "
                f"({exc}); check the endpoint URL"
            ) from exc
        if self.virtuoso:
            return [virtuoso.triple(t.triple if isinstance(t, ox.Quad) else t) for t in triples]
        return [t.triple if isinstance(t, ox.Quad) else t for t in triples]

    def execute(
        self,
        query: str,
        *,
        accept: Sequence[Format] | Format,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryOutcome:
        self._guard(query)
        self._check_dataset(query, default_graph_uris, named_graph_uris)
        form = query_form(query)
        wanted = choose_format(form, [accept] if isinstance(accept, Format) else list(accept))
        if self.info is not None and self.virtuoso:  # (info: the engine is known once it was read)
            return self._transcoded(query, form, wanted, timeout, default_graph_uris, named_graph_uris)
        response = self._post(
            query,
            wanted,
            timeout=timeout,
            default_graph_uris=default_graph_uris,
            named_graph_uris=named_graph_uris,
        )
        got = by_media_type(response.headers.get("Content-Type", ""))
        if got != wanted:
            response.close()
            if wanted.kind in ("graph", "dataset") and form in ("CONSTRUCT", "DESCRIBE"):
                return self._converted(query, form, wanted, timeout, default_graph_uris, named_graph_uris)
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} answered {response.headers.get('Content-Type')!r} "
                f"when asked for {wanted.media_type}; check that it is a SPARQL 1.1 endpoint"
            )
        chunks = self._stream(response)
        first = next(chunks, b"")
        _sniff(first, wanted, self.endpoint_url)
        return QueryOutcome(query_type=form, format=wanted, chunks=_prepend(first, chunks))

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

    def _guard(self, query: str) -> None:
        """The same guards as every other backend, before anything leaves this process."""
        check_query(
            query,
            max_depth=self.settings.max_query_depth,
            allowed_services=self.settings.allowed_service_endpoints,
        )

    def _check_dataset(
        self, query: str, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str]
    ) -> None:
        known = set(self.info.graph_triples)
        named = [("FROM", g) for g in dataset_clause_iris(query)]
        named += [("default-graph-uri", g) for g in default_graph_uris]
        named += [("named-graph-uri", g) for g in named_graph_uris]
        for where, iri in named:
            if iri not in known:
                graphs = ", ".join(f"<{g}>" for g in sorted(known))
                raise BadRequest(
                    f"{where} <{iri}> is not a graph of this dataset; the graphs are: {graphs}.",
                    hint="This endpoint never fetches remote graphs. Omit it to query their union.",
                )

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
        dataset: bool = True,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
    ) -> urllib3.BaseHTTPResponse:
        if self.virtuoso:
            query = virtuoso.wrap_inline_values(query)
        form: list[tuple[str, str]] = [("query", query)]
        if default_graph_uris or named_graph_uris:
            form += [("default-graph-uri", g) for g in default_graph_uris]
            form += [("named-graph-uri", g) for g in named_graph_uris]
        elif dataset and not dataset_clause_iris(query) and not self._server_unions():
            graphs = sorted(self.info.graph_triples)
            form += [("default-graph-uri", g) for g in graphs]
            if not self.virtuoso or virtuoso.mentions_graph(query):  # named graphs cost Virtuoso 2×
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
                self._check_virtuoso_answer(response)
            return response
        detail = _excerpt(response)
        if self.virtuoso:
            self._raise_virtuoso_error(response.status, detail)
        if response.status == 400:
            raise QuerySyntaxError(f"the remote store rejected the query: {detail}")
        if response.status == 406 and fmt.kind in ("graph", "dataset"):
            return response  # the caller converts from N-Triples
        if response.status == 406:
            raise NotAcceptable(f"the remote store cannot write {fmt.media_type}: {detail}")
        raise ServiceUnavailable(
            f"the remote store {self.endpoint_url} answered HTTP {response.status}: {detail}; retry later"
        )

    def _check_virtuoso_answer(self, response: urllib3.BaseHTTPResponse) -> None:
        """A 200 from Virtuoso can be a partial answer: cut at ``ResultSetMaxRows`` or at
        ``MaxQueryExecutionTime``. Neither may pass for a complete one."""
        state = response.headers.get(virtuoso.SQL_STATE_HEADER)
        if state:
            response.close()
            raise QueryTimeout(
                f"the remote store {self.endpoint_url} (Virtuoso) ran out of time and sent a partial "
                f"answer (SQL state {state}, {response.headers.get('X-SQL-Message', 'no message')!r}); "
                "retry later or simplify the query"
            )
        cap = response.headers.get(virtuoso.MAX_ROWS_HEADER)
        if cap:
            response.close()
            raise BadRequest(
                f"the result has more than {cap} rows, the limit of the remote store (Virtuoso's "
                "ResultSetMaxRows).",
                hint="Add a LIMIT (and OFFSET to page through it).",
            )

    def _raise_virtuoso_error(self, status: int, detail: str) -> None:
        """Virtuoso answers a query it will not run with HTTP 500 (or 400) and ``Virtuoso <SQLSTATE>
        Error …``: a refused query is the client's to fix (400); a timeout or anything else is 503."""
        found = virtuoso.error_state(detail)
        if found is None:
            return
        state, message = found
        if state in ("S1T00", "HYT00") or "SR171" in message:
            raise QueryTimeout(f"the remote store {self.endpoint_url} (Virtuoso) timed out: {message}")
        if "estimated execution time" in message:  # MaxQueryCostEstimationTime: a timeout decided early
            raise QueryTimeout(
                f"the remote store {self.endpoint_url} (Virtuoso) would take too long: {message}"
            )
        if virtuoso.is_query_error(state) and status in (400, 500):
            raise QuerySyntaxError(
                f"the remote store (Virtuoso) refused the query: {message} (SQL state {state})",
                hint="Virtuoso does not run every SPARQL 1.1 query as written; rephrase the part it names.",
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

    def _read_all(self, query: str, fmt: Format, *, timeout: float | None, dataset: bool = True) -> bytes:
        response = self._post(query, fmt, timeout=timeout, dataset=dataset)
        return b"".join(self._stream(response))

    def _parse_results(self, body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
        """SPARQL JSON results, parsed by Oxigraph: rdflib's parser drops a solution that binds no
        variable (``OPTIONAL`` that did not match), which turns a one-row answer into none."""
        try:
            return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent an answer that is not "
                f"SPARQL JSON results ({exc}); check the endpoint URL"
            ) from exc

    def _ask_raw(self, query: str, *, timeout: float | None = None, dataset: bool = True) -> bool:
        result = self._parse_results(self._read_all(query, SPARQL_JSON, timeout=timeout, dataset=dataset))
        if isinstance(result, ox.QuerySolutions) and self.virtuoso:
            value = virtuoso.ask_value([v.value for v in result.variables], [list(r) for r in result])
            if value is not None:
                return value
        if not isinstance(result, ox.QueryBoolean):
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} answered an ASK query without a "
                "boolean; check that it is a SPARQL 1.1 endpoint"
            )
        return bool(result)

    def _select_raw(self, query: str, *, timeout: float | None = None, dataset: bool = True) -> list[Row]:
        result = self._parse_results(self._read_all(query, SPARQL_JSON, timeout=timeout, dataset=dataset))
        if not isinstance(result, ox.QuerySolutions):
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} answered a SELECT query with a boolean"
            )
        names = [v.value for v in result.variables]
        try:
            repair = virtuoso.term if self.virtuoso else _same
            return [
                {n: to_rdflib(repair(v)) for n, v in zip(names, solution, strict=True) if v is not None}
                for solution in result
            ]
        except (SyntaxError, ValueError) as exc:  # the parser is lazy: a broken row fails here
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent SPARQL JSON results that "
                f"do not parse ({exc}); check the endpoint URL"
            ) from exc

    def _transcoded(
        self,
        query: str,
        form: QueryType,
        wanted: Format,
        timeout: float | None,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
    ) -> QueryOutcome:
        """A Virtuoso answer read as SPARQL JSON or N-Triples, repaired, and written in ``wanted`` by the
        embedded store's serializers (so the bytes match the other backends')."""
        asked = NTRIPLES if form in ("CONSTRUCT", "DESCRIBE") else SPARQL_JSON
        response = self._post(
            query,
            asked,
            timeout=timeout,
            default_graph_uris=default_graph_uris,
            named_graph_uris=named_graph_uris,
        )
        body = b"".join(self._stream(response))
        limit = self.settings.max_results  # the answer is whole in memory here: the same cap as embedded
        if asked is NTRIPLES:
            triples = self._triples(body)
            if len(triples) > limit:
                raise _too_many("triples", limit)
            graph = graph_result(wanted, triples, self.prefixes)
            return QueryOutcome(query_type=form, format=wanted, chunks=iter([graph]))
        result = self._parse_results(body)
        if isinstance(result, ox.QueryBoolean):
            return QueryOutcome(form, wanted, iter([boolean_result(wanted, bool(result))]))
        names = [v.value for v in result.variables]
        try:
            rows = [[virtuoso.term(v) for v in solution] for solution in result]
        except (SyntaxError, ValueError) as exc:
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent SPARQL JSON results that do not parse ({exc})"
            ) from exc
        if len(rows) > limit:
            raise _too_many("rows", limit)
        if form == "ASK":
            value = virtuoso.ask_value(names, rows)
            if value is None:
                raise ServiceUnavailable(
                    f"the remote store {self.endpoint_url} answered an ASK query without a boolean"
                )
            return QueryOutcome(form, wanted, iter([boolean_result(wanted, value)]))
        return QueryOutcome(form, wanted, _written(SelectWriter(wanted, names), rows))

    def _converted(
        self,
        query: str,
        form: QueryType,
        wanted: Format,
        timeout: float | None,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
    ) -> QueryOutcome:
        """A graph result in a format the remote does not write: fetch N-Triples, serialize with rdflib."""
        response = self._post(
            query,
            NTRIPLES,
            timeout=timeout,
            default_graph_uris=default_graph_uris,
            named_graph_uris=named_graph_uris,
        )
        graph = Graph()
        try:
            graph.parse(data=b"".join(self._stream(response)).decode("utf-8"), format="nt")
        except Exception as exc:  # rdflib raises several unrelated types for bad input
            raise ServiceUnavailable(
                f"the remote store {self.endpoint_url} sent N-Triples that do not parse"
            ) from exc
        body = graph.serialize(format=wanted.rdflib_name or "nt", encoding="utf-8")
        return QueryOutcome(query_type=form, format=wanted, chunks=iter([body]))


def _too_many(what: str, limit: int) -> BadRequest:
    return BadRequest(
        f"the result has more than {limit} {what}, the limit of this endpoint.",
        hint="Add a LIMIT (and OFFSET to page through it).",
    )


def _same(term: object) -> object:
    return term


def choose_format(form: QueryType, accept: list[Format]) -> Format:
    """The first acceptable format that fits the query form; :class:`NotAcceptable` when none does."""
    offered = RESULT_FORMATS if form in ("SELECT", "ASK") else RDF_FORMATS
    for fmt in accept:
        if fmt in offered:
            return fmt
    names = ", ".join(f.media_type for f in offered)
    raise NotAcceptable(f"a {form} query can be answered as {names}; none of them was acceptable")


def _sniff(first: bytes, fmt: Format, endpoint: str) -> None:
    """Reject answers whose first bytes cannot start the promised format (a broken or foreign server)."""
    head = first.lstrip()[:1]
    expected = {
        "application/sparql-results+json": b"{",
        "application/ld+json": b"[{",
        "application/sparql-results+xml": b"<",
        "application/rdf+xml": b"<",
    }.get(fmt.media_type)
    if expected is not None and head and head not in (expected[:1], expected[1:2] or b"\0"):
        raise ServiceUnavailable(
            f"the remote store {endpoint} sent a body that is not {fmt.media_type}; check the endpoint URL"
        )


def _written(writer: SelectWriter, rows: list[list[object]]) -> Iterator[bytes]:
    """SELECT rows written in chunks of about :data:`CHUNK` bytes."""
    parts = [writer.head()]
    size = 0
    for row in rows:
        text = writer.row(row)
        parts.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts.append(writer.tail())
    yield "".join(parts).encode("utf-8")


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def _excerpt(response: urllib3.BaseHTTPResponse) -> str:
    try:
        text = response.read(2000, decode_content=True).decode("utf-8", "replace").strip()
    except (HTTPError, OSError, ValueError):
        text = ""
    finally:
        response.close()
    return " ".join(text.split())[:300] or response.reason or "no detail"


def open_remote(settings: Settings) -> RemoteStore:
    """The factory's opener; contacts nothing (the remote is first asked on first use)."""
    return RemoteStore(settings)
