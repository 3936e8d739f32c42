"""What the reconciliation service knows about each thing, read once from the store or a dataset.

The matching core never talks to the store itself: :func:`entities_from_graph` turns the triples of
the named things (``{base}id/{key}``) into plain :class:`Entity` records, and
:func:`graph_from_store` fetches exactly those triples (plus the labels of classes and properties)
through the Store protocol, so the service works the same on every backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from blackjanuary.rdf.vocab import SDO, WD, WGS84, Ours, sorted_nodes

LANGUAGES: tuple[str, ...] = ("en", "de", "az", "ru")
"""The four label languages; the first is the default when a client names none of them."""
KEY_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QID_PATTERN = re.compile(r"^Q[1-9][0-9]*$")


class ConstructSource(Protocol):
    def construct(self, query: str, *, timeout: float | None = None) -> Graph: ...


@dataclass(frozen=True)
class Entity:
    key: str
    iri: str
    labels: dict[str, str]
    """One label per language tag (de, en, az, ru …)."""
    alt_labels: tuple[tuple[str, str], ...] = ()
    """(text, language) pairs: spelling variants."""
    descriptions: dict[str, str] = field(default_factory=dict)
    types: tuple[str, ...] = ()
    qid: str | None = None
    lat: float | None = None
    lon: float | None = None
    values: dict[str, tuple[Node, ...]] = field(default_factory=dict)
    """Every other direct property: predicate IRI → objects (sorted)."""

    def label(self, lang: str) -> str:
        for candidate in (lang, *LANGUAGES):
            if candidate in self.labels:
                return self.labels[candidate]
        return next(iter(sorted(self.labels.values())), self.key)

    def description(self, lang: str) -> str | None:
        for candidate in (lang, "en", "de"):
            if candidate in self.descriptions:
                return self.descriptions[candidate]
        return None

    def names(self) -> list[tuple[str, str]]:
        """Every name of the thing with its kind: ``label``, ``altLabel`` or ``key``."""
        out = [(text, "label") for _, text in sorted(self.labels.items())]
        out += [(text, "altLabel") for text, _ in self.alt_labels]
        out.append((self.key.replace("-", " "), "key"))
        return out


def entity_query(ours: Ours) -> str:
    """CONSTRUCT the triples of named things and the labels of every class and property."""
    base = str(ours.ID)
    statements = str(ours.STATEMENT)
    return f"""CONSTRUCT {{ ?s ?p ?o . ?x <{RDFS.label}> ?xl . }} WHERE {{
  {{ ?s ?p ?o . FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{base}") && !STRSTARTS(STR(?s), "{statements}")) }}
  UNION {{ ?x <{RDFS.label}> ?xl . FILTER(isIRI(?x) && !STRSTARTS(STR(?x), "{base}")) }}
}}"""


def graph_from_store(store: ConstructSource, ours: Ours) -> Graph:
    return store.construct(entity_query(ours))


def _as_float(node: Node | None) -> float | None:
    if isinstance(node, Literal):
        try:
            return float(node)
        except (TypeError, ValueError):
            return None
    return None


def entities_from_graph(graph: Graph, ours: Ours) -> list[Entity]:
    """One :class:`Entity` per labelled ``{base}id/{key}`` IRI, sorted by key."""
    base = str(ours.ID)
    statements = str(ours.STATEMENT)
    subjects: set[URIRef] = set()
    for s in graph.subjects(RDFS.label, None):
        if isinstance(s, URIRef) and s.startswith(base) and not s.startswith(statements):
            key = s[len(base) :]
            if KEY_PATTERN.match(key):
                subjects.add(s)
    return [_entity(graph, s, s[len(base) :]) for s in sorted(subjects)]


def _entity(graph: Graph, subject: URIRef, key: str) -> Entity:
    labels: dict[str, str] = {}
    alts: set[tuple[str, str]] = set()
    descriptions: dict[str, str] = {}
    types: set[str] = set()
    values: dict[str, set[Node]] = {}
    qid = None
    for p, o in graph.predicate_objects(subject):
        lang = o.language or "" if isinstance(o, Literal) else ""
        if p == RDFS.label and isinstance(o, Literal):
            labels.setdefault(lang, str(o))
            if labels[lang] != str(o):
                alts.add((str(o), lang))
        elif p in (SKOS.altLabel, SKOS.prefLabel, SDO.name) and isinstance(o, Literal):
            alts.add((str(o), lang))
        elif p == SDO.description and isinstance(o, Literal):
            descriptions.setdefault(lang, str(o))
        elif p == RDF.type:
            types.add(str(o))
        else:
            if p == SKOS.exactMatch and isinstance(o, URIRef) and o.startswith(str(WD)):
                candidate = o[len(str(WD)) :]
                if QID_PATTERN.match(candidate):
                    qid = candidate
            values.setdefault(str(p), set()).add(o)
    return Entity(
        key=key,
        iri=str(subject),
        labels=labels,
        alt_labels=tuple(sorted(alts)),
        descriptions=descriptions,
        types=tuple(sorted(types)),
        qid=qid,
        lat=_as_float(graph.value(subject, WGS84.lat)),
        lon=_as_float(graph.value(subject, WGS84.long)),
        values={p: tuple(sorted_nodes(objs)) for p, objs in sorted(values.items())},
    )
