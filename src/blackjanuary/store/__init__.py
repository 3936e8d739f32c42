"""The store interface (DESIGN.md): thin engine adapters, one small protocol, three backends.

A store runs a query that :mod:`blackjanuary.query.service` has already checked, on the dataset the
service chose, within a deadline, and hands the engine's answer — pyoxigraph solutions, a boolean or
triples — to a function of the caller's, on the thread that owns the answer (pyoxigraph's result
objects may only be used and dropped there). Guards, caps, formats and serialisation are the query
service's, once for every backend: the embedded Oxigraph, a persistent Oxigraph directory, or a
remote SPARQL 1.1 server (whose answers arrive parsed, every dialect quirk already undone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar, Union

import pyoxigraph as ox

from blackjanuary.errors import ServiceUnavailable
from blackjanuary.store.patterns import TriplePattern

T = TypeVar("T")
QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
Answer = Union[ox.QuerySolutions, ox.QueryBoolean, Iterable[ox.Triple]]  # noqa: UP007 - a runtime alias
"""What an engine answers: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE)."""


class EngineFailed(ServiceUnavailable):
    """A remote engine answered this query with an error of its own (503, or 502 when the query
    calls an allow-listed SERVICE: then the call is what failed)."""


class Sink(Protocol):
    """Where a streamed answer goes, chunk by chunk (:class:`blackjanuary.store.execution.Job`)."""

    def check(self) -> None:
        """Raise when the deadline has passed or the reader is gone."""

    def send(self, chunk: bytes) -> None:
        """Commit: from now on the response streams."""

    def end(self, last: bytes) -> None: ...


Read = Callable[[Answer, Callable[[], None]], T]
"""``read(answer, check)``: turns an answer into a value, calling ``check()`` now and then."""
Write = Callable[[Answer, Sink], None]
"""``write(answer, sink)``: serialises an answer into a sink, ending it."""


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a query runs on (already checked against the store's graphs).

    The default: the default graph is the union of our named graphs, and every named graph is there.
    """

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    from_query: bool = False
    """The query's own ``FROM`` / ``FROM NAMED`` clauses define it."""

    @property
    def union(self) -> bool:
        return not (self.default_graphs or self.named_graphs or self.from_query)


UNION = Dataset()


@dataclass(frozen=True)
class CheckedQuery:
    """A query the query service's guard has passed: its text, its form and the dataset it runs on."""

    text: str
    form: QueryForm
    dataset: Dataset = UNION


@dataclass(frozen=True)
class StoreInfo:
    version: str
    """The build version (also the basis of every ETag)."""
    backend: str
    graph_triples: dict[str, int] = field(default_factory=dict)
    """Triple count per named graph IRI."""


class Store(Protocol):
    @property
    def info(self) -> StoreInfo: ...

    @property
    def query_base(self) -> str:
        """The base IRI relative IRIs in a query resolve against."""
        ...

    def evaluate(self, query: CheckedQuery, read: Read[T], *, timeout: float) -> T:
        """Run a checked query and return ``read(answer, check)``, computed where the answer lives."""
        ...

    def stream(self, query: CheckedQuery, write: Write, *, timeout: float) -> Iterator[bytes]:
        """Run a checked query and stream what ``write`` makes of its answer. The first chunk exists
        when this returns: an error before it is raised here, never turned into a truncated body."""
        ...

    def match_pattern(
        self, pattern: TriplePattern, *, offset: int, limit: int, timeout: float | None = None
    ) -> list[ox.Triple]: ...

    def count_pattern(
        self, pattern: TriplePattern, *, cap: int | None, timeout: float | None = None
    ) -> int: ...

    def close(self) -> None: ...
