"""The graph's statements in Wikibase's RDF shape, under our own namespaces (digest §5).

Laid out like Wikidata's ``p:``/``ps:``/``pq:``/``pr:``/``wdt:`` split, so Wikibase-style SPARQL
works against our endpoint unchanged (only the prefixes differ)::

    {base}prop/{slug}              p:    thing → statement node
    {base}prop/statement/{slug}    ps:   statement node → main value
    {base}prop/qualifier/{slug}    pq:   statement node → qualifier value
    {base}prop/reference/{slug}    pr:   reference node → reference value
    {base}prop/direct/{slug}       wdt:  thing → value, for best-rank statements ("truthy")
    {base}reference/{sha1}         wdref: reference nodes, named by a hash of their snaks

The statement nodes are our own ``{base}id/statement/{key}`` IRIs. A property is the predicate IRI
itself (``schema:location``, ``bj:killedCount``), declared ``wikibase:Property`` with
``wikibase:directClaim``/``claim``/``statementProperty``/``qualifier``/``reference`` and its
``wikibase:propertyType``. Its slug is the local name for our ontology's terms and
``{prefix}-{local}`` for reused ones (``schema-location``). Every statement has normal rank and is
therefore best rank: the graph has no deprecated or preferred claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD
from rdflib.term import Node

from blackjanuary.config import Settings
from blackjanuary.publish.entities import ConstructSource
from blackjanuary.publish.exports.facts import Fact, as_graph, read_facts
from blackjanuary.publish.exports.wikidata_map import wikidata_property
from blackjanuary.rdf.vocab import NUMERIC_TYPES, OA, SCHEMA, WD, WIKIBASE, Ours, sorted_nodes

QUOTE_PROPERTY = OA.exact
SOURCE_PROPERTY = DCTERMS.source
TIME_TYPES = frozenset({XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth})


GRAPH_NAME = "wikibase"
"""The short name of the named graph this module's triples are meant for: ``{base}graph/wikibase``."""


def wikibase_graph_iri(settings: Settings) -> str:
    return Ours(settings.base_iri).graph(GRAPH_NAME)


class WikibaseSpace:
    """Our Wikibase-shaped namespaces under one base IRI."""

    def __init__(self, ours: Ours) -> None:
        self.ours = ours
        base = ours.base
        self.P = Namespace(base + "prop/")
        self.PS = Namespace(base + "prop/statement/")
        self.PQ = Namespace(base + "prop/qualifier/")
        self.PR = Namespace(base + "prop/reference/")
        self.WDT = Namespace(base + "prop/direct/")
        self.REF = Namespace(base + "reference/")
        self._prefixes = sorted(
            ((ns, p) for p, ns in {**ours.prefixes(), "schema": str(SCHEMA)}.items()),
            key=lambda item: -len(item[0]),
        )

    def prefixes(self) -> dict[str, str]:
        return {
            "wikibase": str(WIKIBASE),
            "bjp": str(self.P),
            "bjps": str(self.PS),
            "bjpq": str(self.PQ),
            "bjpr": str(self.PR),
            "bjt": str(self.WDT),
            "bjref": str(self.REF),
        }

    def slug(self, predicate: str) -> str:
        if predicate.startswith(str(self.ours.BJ)):
            return predicate[len(str(self.ours.BJ)) :]
        for namespace, prefix in self._prefixes:
            if predicate.startswith(namespace) and predicate[len(namespace) :]:
                return f"{prefix}-{predicate[len(namespace) :]}"
        return hashlib.sha1(predicate.encode(), usedforsecurity=False).hexdigest()[:12]


def property_type(objects: Iterable[Node], ours: Ours) -> URIRef:
    """The Wikibase datatype of a property from the values it takes."""
    for obj in objects:
        if isinstance(obj, URIRef):
            return WIKIBASE.WikibaseItem if obj.startswith(str(ours.ID)) else WIKIBASE.Url
        if isinstance(obj, Literal):
            if obj.language:
                return WIKIBASE.Monolingualtext
            if obj.datatype in TIME_TYPES:
                return WIKIBASE.Time
            if obj.datatype in NUMERIC_TYPES:
                return WIKIBASE.Quantity
            return WIKIBASE.String
    return WIKIBASE.String


def reference_snaks(fact: Fact) -> list[list[tuple[URIRef, Node]]]:
    """One reference per quote: the quote's IRI (stated in) and its exact German text."""
    return [
        [(SOURCE_PROPERTY, URIRef(q.iri)), (QUOTE_PROPERTY, Literal(q.exact, lang="de"))] for q in fact.quotes
    ]


def reference_id(snaks: list[tuple[URIRef, Node]]) -> str:
    """A deterministic reference name: the SHA-1 of its sorted snaks (as Wikibase names ``wdref:``)."""
    text = "\n".join(sorted(f"{p.n3()} {o.n3()}" for p, o in snaks))
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def wikibase_graph(source: Graph | ConstructSource, settings: Settings) -> Graph:
    """The statements of ``source`` (a Dataset/Graph or a Store) in Wikibase's RDF shape.

    Meant for the named graph ``{base}graph/wikibase`` and the ``wikibase.ttl`` dump.
    """
    ours = Ours(settings.base_iri)
    space = WikibaseSpace(ours)
    facts = read_facts(as_graph(source, ours), ours)
    out = Graph()
    for prefix, namespace in {
        **space.prefixes(),
        "prov": str(PROV),
        "bjid": str(ours.ID),
        "bjst": str(ours.STATEMENT),
        "bj": str(ours.BJ),
        "schema": str(SCHEMA),
        "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
        "oa": str(OA),
        "dcterms": str(DCTERMS),
        "wd": str(WD),
        "skos": str(SKOS),
    }.items():
        out.bind(prefix, namespace, override=True, replace=True)
    values: dict[URIRef, list[Node]] = {}
    for fact in facts:
        slug = space.slug(fact.predicate)
        st = URIRef(fact.iri)
        out.add((fact.subject, RDF.type, WIKIBASE.Item))
        out.add((fact.subject, space.P[slug], st))
        out.add((st, RDF.type, WIKIBASE.Statement))
        out.add((st, RDF.type, WIKIBASE.BestRank))
        out.add((st, WIKIBASE.rank, WIKIBASE.NormalRank))
        out.add((st, space.PS[slug], fact.object))
        out.add((fact.subject, space.WDT[slug], fact.object))
        values.setdefault(fact.predicate, []).append(fact.object)
        for qualifier, value in fact.qualifiers:
            out.add((st, space.PQ[space.slug(qualifier)], value))
            values.setdefault(qualifier, []).append(value)
        for snaks in reference_snaks(fact):
            ref = space.REF[reference_id(snaks)]
            out.add((st, PROV.wasDerivedFrom, ref))
            out.add((ref, RDF.type, WIKIBASE.Reference))
            for prop, value in snaks:
                out.add((ref, space.PR[space.slug(prop)], value))
                values.setdefault(prop, []).append(value)
    for prop in sorted(values):
        _declare(out, space, prop, property_type(sorted_nodes(values[prop]), ours))
    return out


def _declare(out: Graph, space: WikibaseSpace, prop: URIRef, datatype: URIRef) -> None:
    slug = space.slug(prop)
    out.add((prop, RDF.type, WIKIBASE.Property))
    out.add((prop, WIKIBASE.propertyType, datatype))
    out.add((prop, WIKIBASE.directClaim, space.WDT[slug]))
    out.add((prop, WIKIBASE.claim, space.P[slug]))
    out.add((prop, WIKIBASE.statementProperty, space.PS[slug]))
    out.add((prop, WIKIBASE.qualifier, space.PQ[slug]))
    out.add((prop, WIKIBASE.reference, space.PR[slug]))
    pid = wikidata_property(str(prop), space.ours.base)
    if pid:
        out.add((prop, SKOS.exactMatch, WD[pid]))
