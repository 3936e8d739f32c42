""" "What links here" in words: each incoming relation once, statement and Wikibase nodes folded in.

The description's page of incoming links holds every way a resource is pointed at: the plain fact
(``schema:superEvent``), its Wikibase-shaped copies (``/prop/direct/…``, ``/prop/statement/…``) and
statement nodes that name the resource in a qualifier (``bj:relativeTo``). A reader wants the first
kind once, and a qualifier as the fact it qualifies ("Independence — after — Black January, via
relative to"). :func:`fold_incoming` does that with one query for the statements' facts (only when
statement nodes link here); the linking terms' names come from the property labels kept per build
version (:mod:`blackjanuary.web.property_names`), not from another query.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from blackjanuary.query.describe import PREFIXES, Incoming, iri_term
from blackjanuary.query.service import QueryService
from blackjanuary.web.entity_view import Labeller, Value, is_mirror
from blackjanuary.web.property_names import property_labels


@dataclass(frozen=True)
class IncomingLink:
    subject: Value
    predicate: Value
    via: Value | None = None
    """The qualifier of a statement that names this resource (the statement's fact is shown)."""


def fold_incoming(store: QueryService, links: list[Incoming], labeller: Labeller) -> list[IncomingLink]:
    iris = labeller.iris
    kept = [link for link in links if not is_mirror(link.predicate, iris)]
    statements = sorted({str(link.subject) for link in kept if _is_statement(str(link.subject), labeller)})
    facts = _statement_facts(store, statements, labeller.graph)
    predicates = sorted({str(link.predicate) for link in kept} | {str(p) for _, p in facts.values()})
    _add_labels(property_labels(store, iris), predicates, labeller.graph)
    folded: dict[tuple[str, str, str], IncomingLink] = {}
    for link in kept:
        subject, predicate, via = link.subject, link.predicate, None
        if str(subject) in facts:
            subject, predicate = facts[str(subject)]
            via = link.predicate
        elif _is_statement(str(subject), labeller):
            continue  # a statement whose fact is not in the store: nothing to say in words
        key = (str(subject), str(predicate), str(via or ""))
        if key not in folded:
            folded[key] = IncomingLink(
                labeller.value(subject), labeller.term(predicate), labeller.term(via) if via else None
            )
    return sorted(folded.values(), key=lambda item: (item.subject.text.casefold(), item.predicate.text))


def _is_statement(iri: str, labeller: Labeller) -> bool:
    ref = labeller.iris.ref_of(iri)
    return ref is not None and ref.statement


def _statement_facts(
    store: QueryService, statements: list[str], graph: Graph
) -> dict[str, tuple[URIRef, URIRef]]:
    if not statements:
        return {}
    values = " ".join(iri_term(s) for s in statements)
    rows = store.select(
        PREFIXES + f"SELECT ?st ?s ?p ?l WHERE {{ VALUES ?st {{ {values} }} ?st rdf:subject ?s ; "
        "rdf:predicate ?p OPTIONAL { ?s rdfs:label ?l } }"
    )
    found: dict[str, tuple[URIRef, URIRef]] = {}
    for row in rows:
        s, p = row.get("s"), row.get("p")
        if isinstance(s, URIRef) and isinstance(p, URIRef):
            found[str(row["st"])] = (s, p)
            label = row.get("l")
            if isinstance(label, Literal):
                graph.add((row["s"], RDFS.label, label))
    return found


def _add_labels(known: dict[str, list[Literal]], iris: list[str], graph: Graph) -> None:
    for iri in iris:
        for label in known.get(iri, ()):
            graph.add((URIRef(iri), RDFS.label, label))
