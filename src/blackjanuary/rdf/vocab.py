"""Namespaces: the reused vocabularies and our own, bound once for every parser and serializer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

from blackjanuary.config import CANONICAL_BASE_IRI

N = TypeVar("N")


def sorted_nodes(nodes: Iterable[N]) -> list[N]:
    """rdflib terms in rdflib's own order (``Node`` orders its instances; its type stubs do not say so)."""
    return cast("list[N]", sorted(cast("Iterable[Any]", nodes)))


SCHEMA = Namespace("http://schema.org/")
"""schema.org in its http form, as the data and most linked data use it (rdflib's SDO is https)."""
SDO = SCHEMA
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
OA = Namespace("http://www.w3.org/ns/oa#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
WD = Namespace("http://www.wikidata.org/entity/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
WIKIBASE = Namespace("http://wikiba.se/ontology#")

INTEGER_TYPES = frozenset({XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.positiveInteger})
"""The XSD integer datatypes the data and the exports treat as whole numbers."""
NUMERIC_TYPES = INTEGER_TYPES | {XSD.decimal, XSD.double, XSD.float}


class Ours:
    """Our namespaces under one base IRI (the canonical one unless a deployment configures another)."""

    def __init__(self, base: str = CANONICAL_BASE_IRI) -> None:
        self.base = base
        self.BJ = Namespace(base + "ontology#")
        self.ID = Namespace(base + "id/")
        self.STATEMENT = Namespace(base + "id/statement/")
        self.SHAPES = Namespace(base + "shapes#")
        self.SOURCE = Namespace(base + "source/")

    @property
    def dataset(self) -> str:
        return self.base + "dataset"

    def graph(self, name: str) -> str:
        return self.base + "graph/" + name

    def prefixes(self) -> dict[str, str]:
        return {
            **REUSED_PREFIXES,
            "bj": str(self.BJ),
            "bjid": str(self.ID),
            "bjst": str(self.STATEMENT),
            "bjsh": str(self.SHAPES),
            "bjsrc": str(self.SOURCE),
        }


REUSED_PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "foaf": str(FOAF),
    "prov": str(PROV),
    "schema": str(SCHEMA),
    "sh": str(SH),
    "sem": str(SEM),
    "oa": str(OA),
    "geo": str(GEO),
    "wgs84": str(WGS84),
    "wd": str(WD),
    "sd": str(SD),
    "spdx": str(SPDX),
}

CANONICAL = Ours()
NAMED_GRAPHS: tuple[str, ...] = ("data", "ontology", "shapes", "meta")


def bind_prefixes(graph: Graph, ours: Ours = CANONICAL) -> Graph:
    for prefix, namespace in ours.prefixes().items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def sparql_prefix_block(ours: Ours = CANONICAL) -> str:
    """``PREFIX`` lines for example queries and the query UI."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(ours.prefixes().items()))
