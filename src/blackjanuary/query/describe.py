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
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, VOID
from rdflib.term import Node

from blackjanuary.query.service import QueryService
from blackjanuary.rdf.vocab import CANONICAL, Ours

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
PREFIX oa: <http://www.w3.org/ns/oa#>
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


@dataclass(frozen=True, order=True)
class Incoming:
    subject: URIRef
    predicate: URIRef


@dataclass(frozen=True)
class Standing:
    """Whether ``iri`` is a subject in the store, and the IRI that replaced it (if it was retired)."""

    found: bool
    successor: str | None


def standing(store: QueryService, iri: str) -> Standing:
    """:class:`Standing` of ``iri`` in one query (``dcterms:isReplacedBy`` names the successor)."""
    rows = store.select(
        _PREFIXES + f"SELECT ?new WHERE {{ {iri_term(iri)} ?p ?o "
        f"OPTIONAL {{ {iri_term(iri)} dcterms:isReplacedBy ?new }} }} LIMIT 1"
    )
    new = rows[0].get("new") if rows else None
    return Standing(bool(rows), str(new) if new is not None else None)


def standing_in(found: Graph, iri: str) -> Standing | None:
    """:class:`Standing` of ``iri`` read from its :func:`facts` (which hold its own triples), so that a
    page or data document needs no query of its own to learn whether the resource exists or was retired
    (the successor is the least IRI named, should there be several); ``None`` when the facts may have
    been cut at :data:`OWN_LIMIT` (then a ``dcterms:isReplacedBy`` could be missing: ask :func:`standing`)."""
    if len(found) >= OWN_LIMIT:
        return None
    subject = URIRef(iri)
    successors = sorted(str(new) for new in found.objects(subject, DCTERMS.isReplacedBy))
    return Standing((subject, None, None) in found, successors[0] if successors else None)


def facts(store: QueryService, iri: str, limit: int = OWN_LIMIT) -> Graph:
    """Everything a description says about ``iri`` except its incoming links, in two queries.

    Four bounded parts (each at most ``limit`` triples, or terms for the labels):

    1. the resource's own triples plus one level of blank nodes hanging off it;
    2. its statement nodes (``rdf:subject`` = the resource);
    3. the labels of everything the resource or its statements link to, predicates included;
    4. the quotes those statements (or the resource itself) derive from, the sentences holding
       them (their ``schema:text`` left out: the source text is its own document), and the selectors
       describing both (text, offsets, RFC 5147 fragment).

    The first three are one ``CONSTRUCT`` of their ``UNION``; the fourth is asked for by the quotes the
    first two found (:func:`provenance`), when there are any. Asked as one query of four parts, the
    quotes were found again by a join on the statements, which Virtuoso made the slowest part of a page:
    at 1 M triples the two queries take 20–24 ms there, the one 32–37 ms, and Oxigraph 1.3 ms, the one
    3.7 ms (docs/backends.md).
    """
    s = iri_term(iri)
    n = int(limit)
    found = store.construct_union(
        _PREFIXES,
        [
            f"{{ SELECT DISTINCT ?s ?p ?o WHERE {{ {{ VALUES ?s {{ {s} }} ?s ?p ?o }} UNION "
            f"{{ {s} ?via ?s FILTER(isBlank(?s)) ?s ?p ?o }} }} LIMIT {n} }}",
            f"{{ SELECT ?s ?p ?o WHERE {{ ?s rdf:subject {s} ; ?p ?o }} LIMIT {n} }}",
            "{ { SELECT DISTINCT ?term WHERE { "
            f"{{ {s} ?x ?term }} UNION {{ {s} ?term ?x }} UNION "
            f"{{ ?st rdf:subject {s} ; ?x ?term }} UNION {{ ?st rdf:subject {s} ; ?term ?x }} "
            f"FILTER(isIRI(?term) && ?term != {s}) }} LIMIT {n} }} "
            "?term rdfs:label ?o BIND(?term AS ?s) BIND(rdfs:label AS ?p) }",
        ],
    )
    quotes = quotes_in(found, URIRef(iri))
    if quotes:
        found += provenance(store, iri, quotes, limit=n)
    return found


def quotes_in(found: Graph, subject: URIRef) -> list[Node]:
    """What ``subject`` and its statement nodes (in ``found``) are ``prov:wasDerivedFrom``, in order."""
    derived = {subject, *found.subjects(RDF.subject, subject)}
    return sorted(
        {quote for st, quote in found.subject_objects(PROV.wasDerivedFrom) if st in derived}, key=str
    )


def provenance(store: QueryService, iri: str, quotes: list[Node], *, limit: int = OWN_LIMIT) -> Graph:
    """The ``quotes`` that ``iri`` or its statements derive from, the sentences holding them
    (``dcterms:isPartOf``; their ``schema:text`` left out) and the selectors of both: at most ``limit``
    triples. The quotes are named in the query; one that is a blank node cannot be, so then they are
    all found again through the statements (the data the SHACL gate passes names its quotes by IRI)."""
    triples = "?s ?p ?o FILTER(?p != schema:text)"
    if all(isinstance(quote, URIRef) for quote in quotes):
        named = " ".join(iri_term(str(quote)) for quote in quotes)
        steps = (
            "?q dcterms:isPartOf ?s",
            "?q oa:hasSelector ?s",
            "?q dcterms:isPartOf ?segment . ?segment oa:hasSelector ?s",
        )
        branches = [f"{{ VALUES ?s {{ {named} }} {triples} }}"]
        branches += [f"{{ VALUES ?q {{ {named} }} {step} . {triples} }}" for step in steps]
        where = " UNION ".join(branches)
    else:
        s = iri_term(iri)
        where = (
            f"{{ ?st rdf:subject {s} }} UNION {{ VALUES ?st {{ {s} }} }} "
            "{ ?st prov:wasDerivedFrom ?s } UNION "
            "{ ?st prov:wasDerivedFrom ?q . ?q dcterms:isPartOf ?s } UNION "
            "{ ?st prov:wasDerivedFrom ?q . ?q dcterms:isPartOf? ?segment . ?segment oa:hasSelector ?s } "
            + triples
        )
    return store.construct_union(
        _PREFIXES, [f"{{ SELECT DISTINCT ?s ?p ?o WHERE {{ {where} }} LIMIT {int(limit)} }}"]
    )


def incoming_labelled(
    store: QueryService, iri: str, *, limit: int = INCOMING_LIMIT, offset: int = 0
) -> list[tuple[Incoming, list[Literal]]]:
    """Links to the resource from other resources (statements' ``rdf:subject`` and ``rdf:object`` and
    text segments' ``oa:hasSource`` left out: plumbing, each segment is reached through the sentence it
    is ``dcterms:isPartOf``), each with
    the linking resource's labels, in one query.

    Returns up to ``limit`` + 1 links, so callers can tell whether another page exists. There is no
    ORDER BY: sorting a hub's 100 000 links takes seconds, while the store's own index order is
    stable for a build, which is all paging needs. ``DISTINCT``: the default graph is the union of
    the named graphs, where a link stated in two graphs would come twice and shorten the page."""
    rows = store.select(
        _PREFIXES + "SELECT ?s ?p ?l WHERE { "
        f"{{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {iri_term(iri)} FILTER(isIRI(?s)) "
        "FILTER(?p NOT IN (rdf:subject, rdf:object, <http://www.w3.org/ns/oa#hasSource>)) } "
        f"LIMIT {int(limit) + 1} OFFSET {int(offset)} }} OPTIONAL {{ ?s rdfs:label ?l }} }}"
    )
    links: dict[Incoming, list[Literal]] = {}
    for row in rows:
        if "s" not in row or "p" not in row:
            continue
        names = links.setdefault(Incoming(URIRef(str(row["s"])), URIRef(str(row["p"]))), [])
        label = row.get("l")
        if isinstance(label, Literal):
            names.append(label)
    return list(links.items())


def mentioned(store: QueryService, iri: str) -> bool:
    """True when ``iri`` occurs in the store at all (as subject, object or predicate)."""
    term = iri_term(iri)
    return store.ask(f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} UNION {{ ?s {term} ?o }} }}")


@dataclass(frozen=True)
class Description:
    """A data document and the page of incoming links it holds (``more``: another page follows)."""

    graph: Graph
    incoming: list[Incoming]
    more: bool


def description(
    store: QueryService,
    iri: str,
    *,
    doc_iri: str,
    dataset_iri: str,
    base: str | None = None,
    incoming_limit: int = INCOMING_LIMIT,
    incoming_offset: int = 0,
    objects_too: bool = False,
    found: Graph | None = None,
) -> Description:
    """The data document of ``iri`` (two queries, one when its :func:`facts` are ``found`` already):
    empty when it is no subject in the store, unless ``objects_too`` (then a resource known only as an
    object still gets its incoming links)."""
    graph = new_graph(base)
    if found is None:
        found = facts(store, iri)
    if not objects_too and (URIRef(iri), None, None) not in found:
        return Description(graph, [], False)
    graph += found
    rows = incoming_labelled(store, iri, limit=incoming_limit, offset=incoming_offset)
    subject = URIRef(iri)
    for link, names in rows[:incoming_limit]:
        graph.add((link.subject, link.predicate, subject))
        for name in names:
            graph.add((link.subject, RDFS.label, name))
    doc = URIRef(doc_iri)
    if doc != subject:  # a resource served in place (a skolem IRI …) is its own document
        graph.add((doc, FOAF.primaryTopic, subject))
        graph.add((doc, RDF.type, FOAF.Document))
    graph.add((doc, VOID.inDataset, URIRef(dataset_iri)))
    # a page of links comes in the store's index order (stable, so paging works); within the page,
    # sorted, so every store shows the same page the same way
    shown = sorted(link for link, _ in rows[:incoming_limit])
    return Description(graph, shown, len(rows) > incoming_limit)


def describe(store: QueryService, iri: str, **options: Any) -> Graph:
    """The graph of :func:`description` (same arguments)."""
    return description(store, iri, **options).graph


def count(store: QueryService, where: str) -> int:
    """``SELECT (COUNT(*) …)`` helper: ``where`` is a group graph pattern body."""
    rows = store.select(_PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    value: Node | None = rows[0].get("n") if rows else None
    return int(value.toPython()) if isinstance(value, Literal) else 0


PREFIXES = _PREFIXES
"""The ``PREFIX`` lines the query helpers here use (for other modules' queries)."""
