"""Data documents: what ``/data/{key}`` says about a resource, through the Store protocol only.

A description holds the resource's own triples (with the blank nodes hanging off them), its
statement nodes (``rdf:subject`` = the resource) with their quotes and sentences, the labels of
everything it links to, a bounded page of incoming links, and says what it is about:
``<doc> foaf:primaryTopic <iri> ; void:inDataset <{base}dataset>``. Every part is bounded, so a
resource with a million incoming links still gets a small document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDF, VOID
from rdflib.term import Node

from blackjanuary.store import Store
from blackjanuary.vocab import CANONICAL, Ours

OWN_LIMIT = 2_000
"""At most this many of the resource's own triples (and as many per other part)."""
INCOMING_LIMIT = 50
"""Incoming links per page of a description."""

_UNSAFE_IRI = re.compile(r'[\s\x00-\x20\x7f-\x9f<>"{}|\\^`]')  # SPARQL IRIREF + RFC 3987 controls

_PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
"""


def new_graph(base: str | None = None) -> Graph:
    """An empty graph with our prefixes bound (and no others: rdflib's defaults would shadow
    ``schema:`` = http://schema.org/ with https://schema.org/)."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in (Ours(base) if base else CANONICAL).prefixes().items():
        graph.bind(prefix, namespace)
    return graph


def with_prefixes(graph: Graph, base: str | None = None) -> Graph:
    """``graph``'s triples in a :func:`new_graph` (for serializing with our prefixes)."""
    result = new_graph(base)
    result += graph
    return result


def iri_term(iri: str) -> str:
    """``<iri>`` for a query; ValueError for anything that is not a valid absolute IRI (RFC 3987), so
    nothing taken from a request path can change the query or make it fail to parse."""
    if _UNSAFE_IRI.search(iri):
        raise ValueError(f"not a safe IRI for a query: {iri!r}")
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise ValueError(f"not a valid IRI: {iri!r} ({exc})") from exc
    return f"<{iri}>"


@dataclass(frozen=True)
class Incoming:
    subject: URIRef
    predicate: URIRef


def exists(store: Store, iri: str) -> bool:
    """True when the store holds a triple with ``iri`` as subject."""
    return store.ask(f"ASK {{ {iri_term(iri)} ?p ?o }}")


def successor(store: Store, iri: str) -> str | None:
    """The IRI that replaced a retired one (``dcterms:isReplacedBy``), if any."""
    rows = store.select(
        _PREFIXES + f"SELECT ?new WHERE {{ {iri_term(iri)} dcterms:isReplacedBy ?new }} LIMIT 1"
    )
    return str(rows[0]["new"]) if rows else None


def own_triples(store: Store, iri: str, limit: int = OWN_LIMIT) -> Graph:
    """The resource's triples plus one level of blank nodes hanging off it."""
    s = iri_term(iri)
    return store.construct(
        f"CONSTRUCT {{ {s} ?p ?o . ?o ?bp ?bo }} WHERE {{ {s} ?p ?o . "
        f"OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} LIMIT {limit}"
    )


def provenance(store: Store, iri: str, limit: int = OWN_LIMIT) -> Graph:
    """The resource's statement nodes, and the quotes and sentences they (or it) derive from."""
    s = iri_term(iri)
    statements = store.construct(
        _PREFIXES + f"CONSTRUCT {{ ?st ?p ?o }} WHERE {{ ?st rdf:subject {s} ; ?p ?o }} LIMIT {limit}"
    )
    sources = store.construct(
        _PREFIXES + "CONSTRUCT { ?q ?qp ?qo . ?sent ?sp ?so } WHERE { "
        f"{{ ?st rdf:subject {s} }} UNION {{ BIND({s} AS ?st) }} "
        "?st prov:wasDerivedFrom ?q . ?q ?qp ?qo . "
        "OPTIONAL { ?q dcterms:isPartOf ?sent . ?sent ?sp ?so . FILTER(?sp != schema:text) } "
        f"FILTER(?qp != schema:text) }} LIMIT {limit}"
    )
    return statements + sources


def labels(store: Store, iri: str, limit: int = OWN_LIMIT) -> Graph:
    """Labels and types of everything the resource (or its statements) links to, and of the predicates."""
    s = iri_term(iri)
    return store.construct(
        _PREFIXES + "CONSTRUCT { ?x rdfs:label ?l } WHERE { "
        f"{{ {s} ?x ?o }} UNION {{ {s} ?p ?x }} UNION {{ {s} rdf:type ?x }} UNION "
        f"{{ ?st rdf:subject {s} ; ?sp ?x }} UNION {{ ?st rdf:subject {s} ; ?x ?so }} "
        f"FILTER(isIRI(?x) && ?x != {s}) ?x rdfs:label ?l }} LIMIT {limit}"
    )


def incoming(store: Store, iri: str, *, limit: int = INCOMING_LIMIT, offset: int = 0) -> list[Incoming]:
    """Links to the resource from other resources (statements' ``rdf:subject`` left out).

    Returns up to ``limit`` + 1 rows, so callers can tell whether another page exists. There is no
    ORDER BY: sorting a hub's 100 000 links takes seconds, while the store's own index order is
    stable for a build, which is all paging needs.
    """
    rows = store.select(
        _PREFIXES + f"SELECT ?s ?p WHERE {{ ?s ?p {iri_term(iri)} FILTER(isIRI(?s)) "
        "FILTER(?p NOT IN (rdf:subject, rdf:object)) } "
        f"LIMIT {int(limit) + 1} OFFSET {int(offset)}"
    )
    return [Incoming(URIRef(str(r["s"])), URIRef(str(r["p"]))) for r in rows if "s" in r and "p" in r]


def incoming_labels(store: Store, subjects: list[URIRef]) -> Graph:
    if not subjects:
        return Graph()
    values = " ".join(iri_term(str(s)) for s in subjects)
    return store.construct(
        _PREFIXES + f"CONSTRUCT {{ ?s rdfs:label ?l }} WHERE {{ VALUES ?s {{ {values} }} ?s rdfs:label ?l }}"
    )


def mentioned(store: Store, iri: str) -> bool:
    """True when ``iri`` occurs in the store at all (as subject, object or predicate)."""
    term = iri_term(iri)
    return store.ask(f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} UNION {{ ?s {term} ?o }} }}")


def describe(
    store: Store,
    iri: str,
    *,
    doc_iri: str,
    dataset_iri: str,
    base: str | None = None,
    incoming_limit: int = INCOMING_LIMIT,
    incoming_offset: int = 0,
    objects_too: bool = False,
) -> Graph:
    """The data document of ``iri``: empty when it is no subject in the store, unless ``objects_too``
    (then a resource known only as an object still gets its incoming links)."""
    graph = new_graph(base)
    own = own_triples(store, iri)
    if len(own) == 0 and not objects_too:
        return graph
    graph += own
    graph += provenance(store, iri)
    graph += labels(store, iri)
    links = incoming(store, iri, limit=incoming_limit, offset=incoming_offset)[:incoming_limit]
    subject = URIRef(iri)
    for link in links:
        graph.add((link.subject, link.predicate, subject))
    graph += incoming_labels(store, sorted({link.subject for link in links}))
    doc = URIRef(doc_iri)
    if doc != subject:  # a resource served in place (a skolem IRI …) is its own document
        graph.add((doc, FOAF.primaryTopic, subject))
        graph.add((doc, RDF.type, FOAF.Document))
    graph.add((doc, VOID.inDataset, URIRef(dataset_iri)))
    return graph


def count(store: Store, where: str) -> int:
    """``SELECT (COUNT(*) …)`` helper: ``where`` is a group graph pattern body."""
    rows = store.select(_PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    value: Node | None = rows[0].get("n") if rows else None
    return int(value.toPython()) if isinstance(value, Literal) else 0


PREFIXES = _PREFIXES
"""The ``PREFIX`` lines the query helpers here use (for other modules' queries)."""
