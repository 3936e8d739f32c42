"""The graph's statement nodes (ADR 0001) as plain records, for every export to share.

A :class:`Fact` is one ``bj:Statement``: subject, predicate, object, its qualifiers and the quotes
it was derived from. Facts are read from an rdflib Dataset/Graph, or from a Store through one
CONSTRUCT, and always come back sorted by statement IRI, so every export is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from blackjanuary.publish.entities import ConstructSource
from blackjanuary.rdf import segments
from blackjanuary.rdf.vocab import OA, WD, Ours, sorted_nodes

STRUCTURAL = frozenset(
    {RDF.type, RDF.subject, RDF.predicate, RDF.object, PROV.wasDerivedFrom, RDFS.label, RDFS.comment}
)


@dataclass(frozen=True)
class Quote:
    iri: str
    exact: str
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Fact:
    iri: str
    key: str
    subject: URIRef
    predicate: URIRef
    object: Node
    qualifiers: tuple[tuple[URIRef, Node], ...]
    quotes: tuple[Quote, ...]


def facts_query(ours: Ours) -> str:
    bj, wd = str(ours.BJ), str(WD)
    return f"""PREFIX rdf: <{RDF}> PREFIX prov: <{PROV}> PREFIX skos: <{SKOS}> PREFIX rdfs: <{RDFS}>
PREFIX dcterms: <{DCTERMS}>
CONSTRUCT {{ ?st ?p ?o . ?q ?qp ?qo . ?x skos:exactMatch ?wd . ?t rdfs:label ?l . ?d dcterms:modified ?m . }}
WHERE {{
  {{ ?st a <{bj}Statement> ; ?p ?o . }}
  UNION {{ ?st a <{bj}Statement> ; prov:wasDerivedFrom ?q . ?q <{OA.hasSelector}> ?qo .
           BIND(<{OA.hasSelector}> AS ?qp) }}
  UNION {{ ?st a <{bj}Statement> ; prov:wasDerivedFrom/<{OA.hasSelector}> ?q . ?q ?qp ?qo .
           FILTER(?qp IN (<{OA.exact}>, <{OA.start}>, <{OA.end}>)) }}
  UNION {{ ?x skos:exactMatch ?wd . FILTER(STRSTARTS(STR(?wd), "{wd}")) }}
  UNION {{ ?t rdfs:label ?l . }}
  UNION {{ <{ours.dataset}> dcterms:modified ?m . BIND(<{ours.dataset}> AS ?d) }}
}}"""


def as_graph(source: Graph | ConstructSource, ours: Ours) -> Graph:
    """An rdflib graph holding at least the statements, quotes, links and labels."""
    if isinstance(source, Graph):
        return plain_graph(source)
    return source.construct(facts_query(ours))


def plain_graph(graph: Graph) -> Graph:
    """A Dataset's union as one plain Graph (a Dataset is slow and noisy to walk); others unchanged."""
    if not isinstance(graph, ConjunctiveGraph):
        return graph
    plain = Graph()
    for triple in graph.triples((None, None, None)):
        plain.add(triple)
    return plain


def read_facts(graph: Graph, ours: Ours) -> list[Fact]:
    facts: list[Fact] = []
    prefix = str(ours.STATEMENT)
    for st in sorted_nodes(set(graph.subjects(RDF.type, ours.BJ.Statement))):
        subject, predicate = graph.value(st, RDF.subject), graph.value(st, RDF.predicate)
        obj = graph.value(st, RDF.object)
        if not isinstance(subject, URIRef) or not isinstance(predicate, URIRef) or obj is None:
            continue
        qualifiers = sorted(
            (p, o) for p, o in graph.predicate_objects(st) if p not in STRUCTURAL and isinstance(p, URIRef)
        )
        quotes = []
        for q in sorted_nodes(graph.objects(st, PROV.wasDerivedFrom)):
            exact = segments.exact(graph, q)
            if exact is not None:
                start, end = segments.offset(graph, q, OA.start), segments.offset(graph, q, OA.end)
                quotes.append(Quote(str(q), exact, start, end))
        key = str(st)[len(prefix) :] if str(st).startswith(prefix) else str(st)
        facts.append(Fact(str(st), key, subject, predicate, obj, tuple(qualifiers), tuple(quotes)))
    return facts


def verified_qids(graph: Graph) -> dict[URIRef, str]:
    """Our IRI → its Wikidata QID, for the things linked with ``skos:exactMatch wd:Q…``."""
    out: dict[URIRef, str] = {}
    for s, o in graph.subject_objects(SKOS.exactMatch):
        if isinstance(s, URIRef) and isinstance(o, URIRef) and o.startswith(str(WD)):
            out[s] = o[len(str(WD)) :]
    return out


def dataset_modified(graph: Graph, ours: Ours) -> str | None:
    """The dataset's ``dcterms:modified`` as ``YYYY-MM-DD``, if the meta graph states it."""
    value = graph.value(URIRef(ours.dataset), DCTERMS.modified)
    return str(value)[:10] if value is not None else None


def label(graph: Graph, node: Node, lang: str = "en") -> str:
    found = {o.language: str(o) for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)}
    return found.get(lang) or found.get("de") or next(iter(sorted(found.values())), str(node))
