"""pyoxigraph beside rdflib: term conversion, our formats as Oxigraph's, the prefixes statements use."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from blackjanuary.rdf.formats import JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

RDF_FORMAT_OF: dict[str, ox.RdfFormat] = {
    TURTLE.name: ox.RdfFormat.TURTLE,
    NTRIPLES.name: ox.RdfFormat.N_TRIPLES,
    JSONLD.name: ox.RdfFormat.JSON_LD,
    RDFXML.name: ox.RdfFormat.RDF_XML,
    TRIG.name: ox.RdfFormat.TRIG,
    NQUADS.name: ox.RdfFormat.N_QUADS,
}


def to_rdflib(term: object) -> Node:
    """A pyoxigraph term as the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        datatype = term.datatype.value
        return RdfLiteral(term.value, datatype=None if datatype == XSD_STRING else URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


def used_prefixes(
    prefixes: dict[str, str], statements: Sequence[ox.Triple] | Sequence[ox.Quad]
) -> dict[str, str]:
    """Only the prefixes whose namespace occurs in an IRI of ``statements`` (a tidy header).

    Written for speed (it runs on every fragment and page): the predicate is always an IRI, and a
    language-tagged literal's datatype (always ``rdf:langString``) is named without asking Oxigraph."""
    iris: set[str] = set()
    add = iris.add
    quads = bool(statements) and isinstance(statements[0], ox.Quad)
    for st in statements:
        subject, obj = st.subject, st.object
        if isinstance(subject, ox.NamedNode):
            add(subject.value)
        add(st.predicate.value)
        if isinstance(obj, ox.NamedNode):
            add(obj.value)
        elif isinstance(obj, ox.Literal):
            add(RDF_LANG_STRING if obj.language else obj.datatype.value)
        if quads:
            graph = st.graph_name  # type: ignore[union-attr]
            if isinstance(graph, ox.NamedNode):
                add(graph.value)
    ordered = sorted(iris)  # the IRIs a namespace starts follow it directly in sorted order

    def used(namespace: str) -> bool:
        at = bisect_left(ordered, namespace)
        return at < len(ordered) and ordered[at].startswith(namespace)

    return {p: ns for p, ns in sorted(prefixes.items()) if used(ns)}
