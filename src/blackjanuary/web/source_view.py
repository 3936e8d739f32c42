"""The source-text page's content: sentences with their anchors and the facts drawn from each.

:func:`source_view` asks the store for the source text, its sentences and quotes, and every statement
derived from them, and returns paragraphs of :class:`SentenceView` s for the template. The sentence
ids are the RFC 5147 fragments (``char=S,E``), so ``…/source/black-january-1990.de#char=S,E`` lands
on the sentence; quotes get an empty anchor at their start; ``#s3`` names sentence 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.term import Node

from blackjanuary.describe import PREFIXES, iri_term
from blackjanuary.iris import Iris, char_fragment, parse_char_fragment
from blackjanuary.store import Store
from blackjanuary.vocab import Ours
from blackjanuary.web.entity_view import Labeller, Value, int_value

FACT_LIMIT = 5_000


@dataclass(frozen=True)
class Segment:
    text: str
    anchors: tuple[str, ...] = ()
    """Ids placed before ``text`` (the ``char=`` fragments of quotes starting there)."""


@dataclass(frozen=True)
class FactView:
    subject: Value
    predicate: Value
    object: Value
    statement: Value


@dataclass
class SentenceView:
    number: int | None
    start: int
    end: int
    segments: list[Segment]
    facts: list[FactView] = field(default_factory=list)

    @property
    def fragment(self) -> str:
        return char_fragment(self.start, self.end)


def source_text(store: Store, source: str) -> str | None:
    rows = store.select(PREFIXES + f"SELECT ?t WHERE {{ {iri_term(source)} schema:text ?t }} LIMIT 1")
    return str(rows[0]["t"]) if rows and "t" in rows[0] else None


def sentences(store: Store, source: str, bj: str) -> list[tuple[URIRef, int, int, int | None, str | None]]:
    rows = store.select(
        PREFIXES + f"PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX bj: <{bj}> "
        f"SELECT ?s ?start ?end ?n ?exact WHERE {{ ?s a bj:Sentence ; dcterms:isPartOf {iri_term(source)} ; "
        "oa:hasSelector/oa:start ?start ; oa:hasSelector/oa:end ?end . OPTIONAL { ?s bj:sentenceNumber ?n } "
        "OPTIONAL { ?s oa:hasSelector/oa:exact ?exact } } "
        "ORDER BY ?start"
    )
    found = []
    for row in rows:
        start, end = int_value(row.get("start")), int_value(row.get("end"))
        if start is None or end is None:
            continue
        exact = row.get("exact")
        number = int_value(row.get("n"))
        found.append((URIRef(str(row["s"])), start, end, number, str(exact) if exact else None))
    return found


def quote_starts(store: Store, source: str) -> dict[int, list[str]]:
    """Quote fragments by start offset (from their IRIs, which carry the offsets)."""
    rows = store.select(
        PREFIXES + "SELECT DISTINCT ?q WHERE { ?q dcterms:isPartOf ?sentence . "
        f"?sentence dcterms:isPartOf {iri_term(source)} }}"
    )
    starts: dict[int, list[str]] = {}
    for row in rows:
        fragment = str(row["q"]).partition("#")[2]
        offsets = parse_char_fragment(fragment)
        if offsets is not None:
            starts.setdefault(offsets[0], []).append(fragment)
    return starts


def facts(store: Store, source: str) -> tuple[list[dict[str, Node]], Graph]:
    """Every statement derived from a sentence of ``source`` (or a quote in one), with labels."""
    where = (
        "?st prov:wasDerivedFrom ?q ; rdf:subject ?subj ; rdf:predicate ?pred ; rdf:object ?obj . "
        "{ ?q dcterms:isPartOf ?sent . "
        f"?sent dcterms:isPartOf {iri_term(source)} }} UNION {{ ?q dcterms:isPartOf {iri_term(source)} . "
        "BIND(?q AS ?sent) }"
    )
    rows = store.select(
        PREFIXES + f"SELECT ?sent ?st ?subj ?pred ?obj WHERE {{ {where} }} "
        f"ORDER BY ?sent ?st LIMIT {FACT_LIMIT}"
    )
    labels = store.construct(
        PREFIXES + "CONSTRUCT { ?x rdfs:label ?l } WHERE { "
        f"{{ SELECT DISTINCT ?x WHERE {{ {where} VALUES ?v {{ 1 2 3 }} "
        "BIND(IF(?v = 1, ?subj, IF(?v = 2, ?pred, ?obj)) AS ?x) FILTER(isIRI(?x)) } LIMIT 20000 } "
        "?x rdfs:label ?l }"
    )
    return rows, labels


def _segments(text: str, start: int, anchors: dict[int, list[str]], own: str) -> list[Segment]:
    """Split a sentence at the start offsets of quotes inside it (no nesting: empty anchors only)."""
    cuts = sorted(offset for offset in anchors if start <= offset < start + len(text))
    segments: list[Segment] = []
    position = start
    pending: tuple[str, ...] = ()
    for cut in cuts:
        if cut > position:
            segments.append(Segment(text[position - start : cut - start], pending))
            pending, position = (), cut
        pending += tuple(sorted(fragment for fragment in set(anchors[cut]) if fragment != own))
    segments.append(Segment(text[position - start :], pending))
    return segments


def source_view(store: Store, iris: Iris, lang: str) -> list[list[SentenceView]]:
    """Paragraphs (a blank line in the text separates them) of sentences, with their facts."""
    source = iris.source
    bj = str(Ours(iris.base).BJ)
    text = source_text(store, source)
    anchors = quote_starts(store, source)
    views: dict[str, SentenceView] = {}
    paragraphs: list[list[SentenceView]] = [[]]
    previous_end = 0
    for node, start, end, number, exact in sentences(store, source, bj):
        sentence_text = text[start:end] if text is not None else (exact or "")
        gap = text[previous_end:start] if text is not None else ""
        if "\n\n" in gap and paragraphs[-1]:
            paragraphs.append([])
        own = char_fragment(start, end)
        view = SentenceView(number, start, end, _segments(sentence_text, start, anchors, own))
        views[str(node)] = view
        paragraphs[-1].append(view)
        previous_end = end
    rows, labels = facts(store, source)
    labeller = Labeller(labels, iris, lang)
    for row in rows:
        view = views.get(str(row.get("sent")))
        if view is None:
            continue
        view.facts.append(
            FactView(
                labeller.value(row["subj"]),
                labeller.value(row["pred"]),
                labeller.value(row["obj"]),
                labeller.value(row["st"]),
            )
        )
    return [paragraph for paragraph in paragraphs if paragraph]
