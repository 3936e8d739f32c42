"""The one guarded query service above the stores: every query of the app passes here.

The SPARQL endpoint, the pages, the data documents and reconciliation ask :class:`QueryService`; it
checks the query once (:func:`~blackjanuary.query.guard.check_query`: the lexer, nesting and chain
bounds, read-only, SERVICE allow-list), settles the dataset once (protocol graph parameters and ``FROM``
clauses, an unknown graph is a 400), chooses the output format once, applies the result cap once and
serialises once (:mod:`blackjanuary.query.serialize`, pyoxigraph's writers). The store underneath
(:mod:`blackjanuary.store`) only runs the checked query and hands back the engine's answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from blackjanuary.config import Settings
from blackjanuary.errors import BadGateway, BadRequest, NotAcceptable, PublisherError
from blackjanuary.query.guard import QUERY_KEYWORDS, check_query, leading_keyword, service_targets
from blackjanuary.query.lexer import Token
from blackjanuary.query.protocol import dataset_clause_iris
from blackjanuary.query.serialize import boolean_result, graph_result, too_many, write_solutions
from blackjanuary.rdf.formats import RDF_FORMATS, RESULT_FORMATS, Format
from blackjanuary.rdf.oxigraph import to_rdflib
from blackjanuary.rdf.vocab import Ours
from blackjanuary.store import (
    UNION,
    Answer,
    CheckedQuery,
    Dataset,
    EngineFailed,
    QueryForm,
    Sink,
    Store,
    StoreInfo,
)
from blackjanuary.store.patterns import TriplePattern

T = TypeVar("T")
Row = dict[str, Node]
CHECK_EVERY = 64
"""Rows between two deadline checks where Python walks an answer itself."""


@dataclass
class QueryOutcome:
    """A query's answer serialized for the protocol: its form, its format and the body chunks.

    ``chunks`` is an iterator whose first chunk already exists: errors that happen before any byte
    surface as exceptions, not as truncated 200s.
    """

    query_type: QueryForm
    format: Format
    chunks: Iterator[bytes]


class QueryService:
    """Guards, dataset, caps, formats and serialisation over one :class:`~blackjanuary.store.Store`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.prefixes = Ours(settings.base_iri).prefixes()

    @property
    def info(self) -> StoreInfo:
        return self.store.info

    @property
    def runner(self) -> object:
        """The engine runner of an in-process store (its watchdog is the server's), else ``None``."""
        return getattr(self.store, "runner", None)

    # The guard and the dataset, once ------------------------------------------------------------------
    def check(
        self, query: str, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = ()
    ) -> tuple[CheckedQuery, list[Token]]:
        """The checked query (and its tokens); 400/403 for what the guard refuses, 400 for a graph
        that is not ours."""
        tokens = check_query(
            query,
            max_depth=self.settings.max_query_depth,
            allowed_services=self.settings.allowed_service_endpoints,
        )
        keyword = leading_keyword(tokens)
        # a text that starts with no query form fails in the engine's parser, which names the position
        form = cast(QueryForm, keyword if keyword in QUERY_KEYWORDS else "SELECT")
        known = self.store.info.graph_triples
        from_clauses = dataset_clause_iris(tokens, self.store.query_base)
        named = [("FROM", g) for g in from_clauses]
        named += [("default-graph-uri", g) for g in default_graph_uris]
        named += [("named-graph-uri", g) for g in named_graph_uris]
        for where, iri in named:
            if iri not in known:
                graphs = ", ".join(f"<{g}>" for g in known)
                raise BadRequest(
                    f"{where} <{iri}> is not a graph of this dataset; the graphs are: {graphs}.",
                    hint="This endpoint never fetches remote graphs. Omit it to query their union.",
                )
        dataset = UNION
        if default_graph_uris or named_graph_uris:
            dataset = Dataset(tuple(default_graph_uris), tuple(named_graph_uris))
        elif from_clauses:
            dataset = Dataset(from_query=True)
        return CheckedQuery(query, form, dataset), tokens

    def _timeout(self, timeout: float | None) -> float:
        return self.settings.query_timeout if timeout is None else timeout

    def _run(self, query: str, tokens: list[Token], run: Callable[[], T]) -> T:
        """``run()``, with a failing allow-listed SERVICE call turned into a 502 (not a 500 or 503).

        The embedded engine reports a refused, reset or unreachable endpoint as an ``OSError`` (its
        threads may not open sockets at all, see :mod:`blackjanuary.store.no_network`) or a
        ``RuntimeError``; a remote store's engine answers an error (:class:`EngineFailed`).
        """
        try:
            return run()
        except (OSError, RuntimeError, EngineFailed) as exc:
            targets = [t for t in service_targets(tokens) if t in self.settings.allowed_service_endpoints]
            if not targets or (isinstance(exc, PublisherError) and not isinstance(exc, EngineFailed)):
                raise
            detail = exc.message if isinstance(exc, PublisherError) else str(exc)
            raise BadGateway(
                f"the query's SERVICE call to {', '.join(f'<{t}>' for t in targets)} failed: {detail}.",
                hint="The endpoint it calls did not answer; SERVICE SILENT skips a call that fails. "
                "This server's own engine opens no network connections.",
            ) from None

    # Values for pages, data documents and reconciliation -----------------------------------------------
    def _read(self, query: str, read: Callable[[Answer, Callable[[], None]], T], timeout: float | None) -> T:
        checked, tokens = self.check(query)
        return self._run(
            query, tokens, lambda: self.store.evaluate(checked, read, timeout=self._timeout(timeout))
        )

    def select(self, query: str, *, timeout: float | None = None) -> list[Row]:
        """Run a SELECT; rows map variable names (no ``?``) to rdflib terms (unbound ones omitted)."""
        limit = self.settings.max_results

        def rows(answer: Answer, check: Callable[[], None]) -> list[Row]:
            if not isinstance(answer, ox.QuerySolutions):
                raise BadRequest("select() needs a SELECT query.")
            names = [v.value for v in answer.variables]
            found: list[Row] = []
            for n, solution in enumerate(answer):
                if n % CHECK_EVERY == 0:
                    check()
                if n >= limit:
                    raise too_many("rows", limit)
                found.append({k: to_rdflib(v) for k, v in zip(names, solution, strict=True) if v is not None})
            return found

        return self._read(query, rows, timeout)

    def ask(self, query: str, *, timeout: float | None = None) -> bool:
        def boolean(answer: Answer, check: Callable[[], None]) -> bool:
            if not isinstance(answer, ox.QueryBoolean):
                raise BadRequest("ask() needs an ASK query.")
            return bool(answer)

        return self._read(query, boolean, timeout)

    def construct(self, query: str, *, timeout: float | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE and return the triples as an rdflib Graph."""
        limit = self.settings.max_results

        def graph(answer: Answer, check: Callable[[], None]) -> Graph:
            found = Graph()
            for t in _triples(answer, check, limit):
                found.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
            return found

        return self._read(query, graph, timeout)

    def construct_union(self, prologue: str, parts: Sequence[str], *, timeout: float | None = None) -> Graph:
        """``CONSTRUCT { ?s ?p ?o }`` over the ``UNION`` of ``parts`` (group patterns that bind ``?s ?p
        ?o``), as one query: one round trip to a remote store. (Sending the parts to Virtuoso at once
        instead saved 3 ms of an entity page's 59 at one client and cost a third of its throughput at
        eight, docs/backends.md.)"""
        whole = f"{prologue}CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {' UNION '.join(parts)} }}"
        return self.construct(whole, timeout=timeout)

    # The SPARQL protocol -------------------------------------------------------------------------------
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
        """Run any read query for the protocol and serialize it in the best of ``accept``;
        ``max_results`` (default: the settings') caps rows/triples."""
        limit = self.settings.max_results if max_results is None else max_results
        checked, tokens = self.check(query, default_graph_uris, named_graph_uris)
        fmt = choose_format(checked.form, [accept] if isinstance(accept, Format) else list(accept))
        prefixes = self.prefixes

        def write(answer: Answer, sink: Sink) -> None:
            if isinstance(answer, ox.QuerySolutions):
                write_solutions(answer, _fit(fmt, RESULT_FORMATS, "SELECT"), sink, limit)
            elif isinstance(answer, ox.QueryBoolean):
                sink.end(boolean_result(_fit(fmt, RESULT_FORMATS, "ASK"), answer))
            else:
                triples = list(_triples(answer, sink.check, limit))
                sink.end(graph_result(_fit(fmt, RDF_FORMATS, checked.form), triples, prefixes))

        chunks = self._run(
            query, tokens, lambda: self.store.stream(checked, write, timeout=self._timeout(timeout))
        )
        return QueryOutcome(query_type=checked.form, format=fmt, chunks=chunks)

    # Triple pattern lookups (Triple Pattern Fragments), written by us: no guard needed ---------------
    def match_pattern(
        self, pattern: TriplePattern, *, offset: int, limit: int, timeout: float | None = None
    ) -> list[ox.Triple]:
        return self.store.match_pattern(pattern, offset=offset, limit=limit, timeout=timeout)

    def count_pattern(self, pattern: TriplePattern, *, cap: int | None, timeout: float | None = None) -> int:
        return self.store.count_pattern(pattern, cap=cap, timeout=timeout)

    def close(self) -> None:
        self.store.close()


def choose_format(form: QueryForm, accept: Sequence[Format]) -> Format:
    """The first acceptable format that fits the query form; :class:`NotAcceptable` when none does."""
    offered = RESULT_FORMATS if form in ("SELECT", "ASK") else RDF_FORMATS
    for fmt in accept:
        if fmt in offered:
            return fmt
    types = ", ".join(f.media_type for f in offered)
    raise NotAcceptable(
        f"a {form} result can be sent as: {types}.", hint="Ask for one of these in Accept, or with format=."
    )


def _fit(fmt: Format, offered: Sequence[Format], form: str) -> Format:
    """``fmt``, if the answer the engine gave can be written in it (the form read from the text and
    the engine's answer agree for every query that parses)."""
    if fmt not in offered:
        raise NotAcceptable(f"a {form} result cannot be sent as {fmt.media_type}.")
    return fmt


def _triples(answer: Answer, check: Callable[[], None], limit: int) -> Iterator[ox.Triple]:
    if isinstance(answer, (ox.QuerySolutions, ox.QueryBoolean)):
        raise BadRequest("construct() needs a CONSTRUCT or DESCRIBE query.")
    for n, triple in enumerate(answer):
        if n % CHECK_EVERY == 0:
            check()
        if n >= limit:
            raise too_many("triples", limit)
        yield triple
