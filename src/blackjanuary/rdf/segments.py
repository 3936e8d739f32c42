"""Text segments of the source text, as ADR 0001 models them (Web Annotation).

A quote or sentence is an ``oa:SpecificResource`` identified by its RFC 5147 ``#char=S,E`` IRI; the
selectors hanging off it by ``oa:hasSelector`` carry its text (``oa:TextQuoteSelector``, ``oa:exact``),
its offsets (``oa:TextPositionSelector``, ``oa:start`` / ``oa:end``) and the fragment
(``oa:FragmentSelector``, ``rdf:value``). These helpers read them from a graph, or name them in a query.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from blackjanuary.rdf.vocab import OA, sorted_nodes

EXACT = "<http://www.w3.org/ns/oa#hasSelector>/<http://www.w3.org/ns/oa#exact>"
"""The SPARQL property path from a segment to its text."""


def selector_value(graph: Graph, segment: Node, predicate: URIRef) -> Node | None:
    """The first value of ``predicate`` on any selector of ``segment`` (None if there is none)."""
    for selector in sorted_nodes(graph.objects(segment, OA.hasSelector)):
        value = graph.value(selector, predicate)
        if value is not None:
            return value
    return None


def exact(graph: Graph, segment: Node) -> str | None:
    """The characters of the segment (its ``oa:TextQuoteSelector``'s ``oa:exact``)."""
    value = selector_value(graph, segment, OA.exact)
    return str(value) if value is not None else None


def offset(graph: Graph, segment: Node, predicate: URIRef) -> int | None:
    """``oa:start`` or ``oa:end`` of the segment's ``oa:TextPositionSelector``, as an int."""
    value = selector_value(graph, segment, predicate)
    return int(value.toPython()) if isinstance(value, Literal) else None
