"""Triple pattern lookups, the same on every backend: one page of matches and a bounded count.

A store answers a triple pattern (each of subject, predicate and object either a term or ``None`` for
"any") over the union of its named graphs, the SPARQL default graph of the endpoint. The lookups are
written as two small SPARQL queries that every backend runs natively (Oxigraph in process, or the
remote engine over the protocol):

- a page: ``SELECT DISTINCT`` of the free positions with ``LIMIT``/``OFFSET``, in the engine's own
  index order (a triple that sits in two graphs is one match), so a page costs ``offset + limit`` rows;
- a count: ``COUNT`` over at most ``cap + 1`` distinct matches, so a count costs at most ``cap`` rows.
  Whether the answer is exact or "more than cap" is the caller's to decide (see ``web/fragments.py``).

>>> pattern = TriplePattern(ox.NamedNode("http://example.org/a"), None, ox.Literal("x", language="de"))
>>> print(page_query(pattern, offset=200, limit=101))
SELECT DISTINCT ?p WHERE { <http://example.org/a> ?p "x"@de } LIMIT 101 OFFSET 200
>>> print(count_query(pattern, cap=1000))
SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?p WHERE { <http://example.org/a> ?p "x"@de } LIMIT 1001 }
>>> print(count_query(TriplePattern(None, None, None), cap=None))
SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

Subject = ox.NamedNode | ox.BlankNode
Object = ox.NamedNode | ox.BlankNode | ox.Literal
Term = ox.NamedNode | ox.BlankNode | ox.Literal

_VARIABLES = ("s", "p", "o")


@dataclass(frozen=True)
class TriplePattern:
    """A triple pattern: ``None`` is a variable ("any term here")."""

    subject: Subject | None
    predicate: ox.NamedNode | None
    object: Object | None

    @property
    def terms(self) -> tuple[Term | None, Term | None, Term | None]:
        return (self.subject, self.predicate, self.object)

    @property
    def free(self) -> list[str]:
        """The variable names (``s``, ``p``, ``o``) of the unbound positions."""
        return [name for name, term in zip(_VARIABLES, self.terms, strict=True) if term is None]

    def where(self) -> str:
        """The pattern as one SPARQL triple (terms in N-Triples syntax, which SPARQL accepts)."""
        return " ".join(
            f"?{name}" if term is None else str(term)
            for name, term in zip(_VARIABLES, self.terms, strict=True)
        )

    def triple(self, row: Sequence[Any]) -> ox.Triple:
        """The matched triple from a row of :func:`page_query` (the free positions, in order)."""
        values = iter(row)
        s, p, o = (next(values) if term is None else term for term in self.terms)
        return ox.Triple(s, p, o)  # type: ignore[arg-type]


def _projection(pattern: TriplePattern) -> str:
    free = pattern.free
    return " ".join(f"?{name}" for name in free) if free else "*"


def page_query(pattern: TriplePattern, *, offset: int, limit: int) -> str:
    """The distinct matches ``offset`` … ``offset + limit - 1`` in the engine's order (all: ``limit=0``)."""
    if not pattern.free:
        return f"ASK {{ {pattern.where()} }}"
    query = f"SELECT DISTINCT {_projection(pattern)} WHERE {{ {pattern.where()} }}"
    return query + (f" LIMIT {limit}" if limit else "") + (f" OFFSET {offset}" if offset else "")


def page_construct_query(pattern: TriplePattern, *, offset: int, limit: int) -> str:
    """:func:`page_query` as a ``CONSTRUCT`` of the matched triples, for an engine in process: Oxigraph
    then builds the triples itself (half the time of building them from the solutions in Python).

    >>> page_construct_query(TriplePattern(None, None, ox.Literal("x")), offset=0, limit=5)
    'CONSTRUCT { ?s ?p "x" } WHERE { SELECT DISTINCT ?s ?p WHERE { ?s ?p "x" } LIMIT 5 }'
    """
    if not pattern.free:
        return page_query(pattern, offset=offset, limit=limit)
    return f"CONSTRUCT {{ {pattern.where()} }} WHERE {{ {page_query(pattern, offset=offset, limit=limit)} }}"


def count_query(pattern: TriplePattern, *, cap: int | None) -> str:
    """The number of distinct matches, counting no further than ``cap + 1`` (``None``: all of them)."""
    if not pattern.free:
        return f"ASK {{ {pattern.where()} }}"
    inner = f"SELECT DISTINCT {_projection(pattern)} WHERE {{ {pattern.where()} }}"
    if cap is not None:
        inner += f" LIMIT {cap + 1}"
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ {inner} }}"


def page_from(result: object, pattern: TriplePattern) -> list[ox.Triple]:
    """The triples of an evaluated :func:`page_query` (solutions, or a boolean for a bound pattern) or
    :func:`page_construct_query` (triples)."""
    if isinstance(result, ox.QueryBoolean):
        return [pattern.triple(())] if bool(result) else []
    if isinstance(result, ox.QueryTriples):
        return list(result)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"a pattern page is a SELECT or ASK result, not {type(result).__name__}")
    return [pattern.triple(list(solution)) for solution in result]


def count_from(result: object) -> int:
    """The number an evaluated :func:`count_query` gives."""
    if isinstance(result, ox.QueryBoolean):
        return int(bool(result))
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"a pattern count is a SELECT or ASK result, not {type(result).__name__}")
    for solution in result:
        value = solution["n"]
        if isinstance(value, ox.Literal):
            return int(value.value)
    return 0
