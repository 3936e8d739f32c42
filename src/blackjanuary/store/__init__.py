"""The store interface (DESIGN.md): one small protocol, three backends.

Pages, data documents, reconciliation and exports talk to the store only through this protocol, so
they work unchanged on the embedded Oxigraph, a persistent Oxigraph directory, or a remote SPARQL
1.1 server. Values come back as rdflib terms; the SPARQL endpoint streams serialized bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rdflib import Graph
from rdflib.term import Node

from blackjanuary.rdf.formats import Format

QueryType = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
Row = dict[str, Node]


@dataclass
class QueryOutcome:
    """A query's answer serialized for the protocol: its type, its format and the body chunks.

    ``chunks`` is a generator: the first chunk has been produced before the outcome is returned,
    so errors that happen before any byte exists surface as exceptions, not as truncated 200s.
    """

    query_type: QueryType
    format: Format
    chunks: Iterator[bytes]


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

    def select(self, query: str, *, timeout: float | None = None) -> list[Row]:
        """Run a SELECT; rows map variable names (no ``?``) to rdflib terms (unbound ones omitted)."""
        ...

    def ask(self, query: str, *, timeout: float | None = None) -> bool: ...

    def construct(self, query: str, *, timeout: float | None = None) -> Graph:
        """Run a CONSTRUCT or DESCRIBE and return the triples as an rdflib Graph."""
        ...

    def execute(
        self,
        query: str,
        *,
        accept: Sequence[Format] | Format,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> QueryOutcome:
        """Run any read query for the SPARQL protocol and serialize it in the best of ``accept``."""
        ...

    def close(self) -> None: ...
