"""What an entity page shows, computed from a description graph (no Flask, no store).

:func:`entity_view` turns the graph that :func:`blackjanuary.query.describe.describe` returns into plain
values for the template: label and description in the reader's language, types, facts with their
statements and quoted sentences, the map point and the neighbourhood.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, VOID, XSD
from rdflib.term import Node

from blackjanuary.rdf import segments
from blackjanuary.rdf.formats import JSONLD
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.vocab import OA, SDO, WD, WGS84, WIKIBASE, Ours, sorted_nodes
from blackjanuary.web.context import serialize
from blackjanuary.web.formatting import format_literal, word_value
from blackjanuary.web.i18n import pick_literal
from blackjanuary.web.svg import Neighbour
from blackjanuary.web.terms import TermNames, term_names

HEADER_PREDICATES = {RDF.type, RDFS.label, SDO.description, SKOS.altLabel}
STATEMENT_PLUMBING = {RDF.type, RDF.subject, RDF.predicate, RDF.object, PROV.wasDerivedFrom, RDFS.label}


@dataclass(frozen=True)
class Value:
    text: str
    href: str | None = None
    external: bool = False
    lang: str | None = None
    datatype: str | None = None
    iri: str | None = None
    parts: tuple[tuple[Value, Value], ...] = ()
    """For a blank node: its own (predicate, value) pairs."""
    term: str | None = None
    """For a term (property or class): its compact name (``schema:startDate``), shown as secondary text."""
    raw: str | None = None
    """For a literal written for the reader (a date, a figure): the value as the data has it."""


@dataclass(frozen=True)
class Quote:
    exact: str
    href: str | None
    sentence_href: str | None
    sentence_number: int | None
    before: str
    after: str


@dataclass(frozen=True)
class StatementView:
    value: Value
    quotes: tuple[Quote, ...]
    qualifiers: tuple[tuple[Value, Value], ...]
    subject: Value | None = None
    predicate: Value | None = None
    object: Value | None = None


@dataclass
class ValueRow:
    value: Value
    statements: list[StatementView] = field(default_factory=list)


@dataclass
class Fact:
    predicate: Value
    rows: list[ValueRow]


@dataclass
class EntityView:
    iri: str
    label: str
    description: str | None
    types: list[Value]
    names: list[Value]
    facts: list[Fact]
    wikidata: list[Value]
    point: tuple[float, float] | None
    neighbours: list[Neighbour]
    statement: StatementView | None = None
    """For a statement node: the fact it states (subject, property, value) and its quotes."""
    description_lang: str | None = None


class Labeller:
    """Turns terms into :class:`Value` s: labels in ``lang``, local links for our IRIs."""

    def __init__(self, graph: Graph, iris: Iris, lang: str) -> None:
        self.graph, self.iris, self.lang = graph, iris, lang
        self.terms: TermNames = term_names(iris.base)

    def label(self, node: Node) -> str:
        iri = str(node)
        if self.terms.overrides(iri):
            return self.terms.label(iri, self.lang) or iri
        labels = [v for v in self.graph.objects(node, RDFS.label) if isinstance(v, Literal)]
        in_lang = sorted(str(v) for v in labels if v.language == self.lang)
        if in_lang:
            return in_lang[0]
        term = self.terms.get(iri)
        if term is not None and self.lang in term.labels:
            return term.labels[self.lang]
        found = pick_literal(labels, self.lang)
        if found is not None:
            return str(found)
        ours = self.terms.label(iri, self.lang) if term is not None else None
        if ours is not None:
            return ours
        if isinstance(node, URIRef):
            exact = segments.exact(self.graph, node)
            if exact is not None:
                return f"„{exact}“"
            try:
                prefix, _, name = self.graph.namespace_manager.compute_qname(str(node), generate=False)
                return f"{prefix}:{name}"
            except (KeyError, ValueError):
                return self.iris.local_name(str(node)) or str(node)
        return str(node)

    def is_inline(self, node: Node) -> bool:
        """Skolemized blank nodes of the dumps are shown in place, like the blank nodes they were."""
        return (
            isinstance(node, URIRef)
            and str(node).startswith(self.iris.base + ".well-known/genid/")
            and (node, None, None) in self.graph
        )

    def list_items(self, node: Node) -> list[Node] | None:
        """The members of an RDF list starting at ``node`` (``None`` if it is not a list)."""
        items: list[Node] = []
        while node != RDF.nil:
            first = self.graph.value(node, RDF.first)
            rest = self.graph.value(node, RDF.rest)
            if first is None or rest is None or len(items) > 100:
                return items or None
            items.append(first)
            node = rest
        return items

    def term(self, node: Node) -> Value:
        """A property or class in words, its compact name as secondary text."""
        value = self.value(node)
        return Value(
            value.text,
            href=value.href,
            external=value.external,
            iri=value.iri,
            term=self.terms.curie(str(node)),
        )

    def fact_value(self, predicate: Node, node: Node) -> Value:
        """A value of ``predicate`` as a reader says it: "mehr als 700" for ``bj:injuredMoreThan 700``."""
        term = self.terms.get(str(predicate))
        if isinstance(node, Literal) and term is not None and term.value:
            number = node.toPython()
            if isinstance(number, int | float | Decimal) and not isinstance(number, bool):
                worded = word_value(number, term.value, self.lang)
                if worded is not None:
                    return Value(worded, raw=str(node))
        return self.value(node)

    def value(self, node: Node, depth: int = 0) -> Value:
        if isinstance(node, Literal):
            written = format_literal(node, self.lang)
            if written is not None:
                return Value(written, raw=str(node))
            datatype = None
            if node.datatype is not None and node.datatype != XSD.string:
                datatype = self.terms.curie(str(node.datatype))
            return Value(str(node), lang=node.language, datatype=datatype)
        if isinstance(node, BNode) or self.is_inline(node):
            items = self.list_items(node)
            if items is not None:
                return Value("( " + " ".join(self.value(i, depth + 1).text for i in items) + " )")
            parts: tuple[tuple[Value, Value], ...] = ()
            if depth < 3:
                parts = tuple(
                    (self.term(p), self.value(o, depth + 1))
                    for p, o in sorted(self.graph.predicate_objects(node))
                )
            return Value("[…]", parts=parts)
        iri = str(node)
        local = self.iris.link(iri)
        if local is not None:
            return Value(self.label(node), href=local, iri=iri)
        return Value(self.label(node), href=iri, external=True, iri=iri)


def int_value(node: Node | None) -> int | None:
    """An integer literal's value (offsets, sentence numbers); None for anything else."""
    return int(node.toPython()) if isinstance(node, Literal) else None


def quote_of(graph: Graph, labeller: Labeller, node: Node) -> Quote:
    exact = segments.exact(graph, node) or ""
    sentence = graph.value(node, DCTERMS.isPartOf)
    if sentence is not None and segments.exact(graph, sentence) is None:
        sentence = None
    href = labeller.iris.link(str(node)) if isinstance(node, URIRef) else None
    if sentence is None:
        return Quote(exact, href, href, int_value(graph.value(node, _sentence_number(labeller))), "", "")
    sentence_text = segments.exact(graph, sentence) or ""
    start, s_start = segments.offset(graph, node, OA.start), segments.offset(graph, sentence, OA.start)
    before = after = ""
    if start is not None and s_start is not None:
        offset = start - s_start
        if sentence_text[offset : offset + len(exact)] == exact:
            before, after = sentence_text[:offset], sentence_text[offset + len(exact) :]
    return Quote(
        exact,
        href,
        labeller.iris.link(str(sentence)),
        int_value(graph.value(sentence, _sentence_number(labeller))),
        before,
        after,
    )


def _sentence_number(labeller: Labeller) -> URIRef:
    return URIRef(Ours(labeller.iris.base).BJ.sentenceNumber)


def is_mirror(predicate: Node, iris: Iris) -> bool:
    """Predicates of the generated Wikibase-shaped graph (``{base}prop/…``, ``wikibase:``): the same
    facts again, in the data documents but not repeated on the page."""
    return str(predicate).startswith((iris.base + "prop/", str(WIKIBASE)))


def statement_view(graph: Graph, labeller: Labeller, statement: Node) -> StatementView:
    quotes = tuple(
        quote_of(graph, labeller, q)
        for q in sorted_nodes(graph.objects(statement, PROV.wasDerivedFrom))
        if segments.exact(graph, q) is not None
    )
    by_predicate: dict[Node, list[Node]] = {}
    for p, o in sorted(graph.predicate_objects(statement)):
        if p not in STATEMENT_PLUMBING and not is_mirror(p, labeller.iris):
            by_predicate.setdefault(p, []).append(o)
    qualifiers: list[tuple[Value, Value]] = []
    for p, objects in sorted(by_predicate.items(), key=lambda item: labeller.terms.rank(str(item[0]))):
        literals = [o for o in objects if isinstance(o, Literal) and o.language]
        picked = pick_literal(literals, labeller.lang) if literals else None  # one language, the reader's
        chosen: list[Node] = [picked] if picked is not None else []
        chosen += [o for o in objects if o not in literals]
        qualifiers += [(labeller.term(p), labeller.fact_value(p, o)) for o in chosen if o is not None]
    subject, predicate = graph.value(statement, RDF.subject), graph.value(statement, RDF.predicate)
    obj = graph.value(statement, RDF.object)
    return StatementView(
        Value(statement_title(graph, labeller, statement), href=labeller.iris.link(str(statement))),
        quotes,
        tuple(qualifiers),
        labeller.value(subject) if subject is not None else None,
        labeller.term(predicate) if predicate is not None else None,
        labeller.fact_value(predicate, obj) if predicate is not None and obj is not None else None,
    )


def statement_title(graph: Graph, labeller: Labeller, statement: Node) -> str:
    """A statement in words: "Black January — start date — 19 January 1990"."""
    subject, predicate = graph.value(statement, RDF.subject), graph.value(statement, RDF.predicate)
    obj = graph.value(statement, RDF.object)
    if subject is None or predicate is None or obj is None:
        return labeller.label(statement)
    return " — ".join(
        (labeller.label(subject), labeller.label(predicate), labeller.fact_value(predicate, obj).text)
    )


def entity_view(graph: Graph, iri: str, iris: Iris, lang: str) -> EntityView:
    subject = URIRef(iri)
    labeller = Labeller(graph, iris, lang)
    description = pick_literal(graph.objects(subject, SDO.description), lang)
    types = type_words(graph, subject, labeller)
    names = [
        labeller.value(n)
        for p in (RDFS.label, SKOS.altLabel)
        for n in sorted(
            graph.objects(subject, p), key=lambda lit: (str(getattr(lit, "language", "")), str(lit))
        )
    ]
    is_statement = (subject, RDF.subject, None) in graph
    facts: dict[Node, dict[Node, ValueRow]] = {}
    ours_by_key = iris.ref_of(iri) is not None
    for p, o in sorted(graph.predicate_objects(subject)):
        if p in HEADER_PREDICATES or (ours_by_key and is_mirror(p, iris)):
            continue
        if is_statement and (p in STATEMENT_PLUMBING or not isinstance(o, Literal) and is_mirror(p, iris)):
            continue
        facts.setdefault(p, {})[o] = ValueRow(labeller.fact_value(p, o))
    for statement in sorted_nodes(graph.subjects(RDF.subject, subject)):
        p_stated, o_stated = graph.value(statement, RDF.predicate), graph.value(statement, RDF.object)
        if p_stated is None or o_stated is None:
            continue
        p, o = p_stated, o_stated
        row = facts.setdefault(p, {}).setdefault(o, ValueRow(labeller.fact_value(p, o)))
        row.statements.append(statement_view(graph, labeller, statement))
    order = labeller.terms
    ranked = sorted(facts.items(), key=lambda item: (order.rank(str(item[0])), order.position(str(item[0]))))
    fact_list = [Fact(labeller.term(p), list(rows.values())) for p, rows in ranked]
    wikidata = [
        labeller.value(o)
        for o in sorted_nodes(graph.objects(subject, SKOS.exactMatch))
        if str(o).startswith(str(WD))
    ]
    lat, long = graph.value(subject, WGS84.lat), graph.value(subject, WGS84.long)
    point = None
    if isinstance(lat, Literal) and isinstance(long, Literal):
        point = (float(lat.toPython()), float(long.toPython()))
    label = statement_title(graph, labeller, subject) if is_statement else labeller.label(subject)
    return EntityView(
        iri,
        label,
        str(description) if description else None,
        types,
        names,
        fact_list,
        wikidata,
        point,
        neighbours(graph, subject, labeller),
        statement_view(graph, labeller, subject) if is_statement else None,
        description.language if description is not None else None,
    )


def type_words(graph: Graph, subject: Node, labeller: Labeller) -> list[Value]:
    """The kinds of a thing in words, each once ("place", not ``schema:Place, sem:Place``); the
    Wikibase-shaped copy's ``wikibase:Item`` is left to the data documents."""
    words: dict[str, Value] = {}
    for t in sorted_nodes(graph.objects(subject, RDF.type)):
        if str(t).startswith(str(WIKIBASE)):
            continue
        value = labeller.term(t)
        if value.text.casefold() in words:
            kept = words[value.text.casefold()]
            words[value.text.casefold()] = Value(
                kept.text,
                href=kept.href,
                external=kept.external,
                iri=kept.iri,
                term=f"{kept.term}, {value.term}",
            )
        else:
            words[value.text.casefold()] = value
    return list(words.values())


def neighbours(graph: Graph, subject: URIRef, labeller: Labeller) -> list[Neighbour]:
    """Our resources linked from or to ``subject`` (not its statements or documents), one per node."""
    seen: dict[str, Neighbour] = {}
    skip = {RDF.type, FOAF.primaryTopic, VOID.inDataset, RDF.subject, RDF.object}
    pairs = [(p, o, True) for p, o in graph.predicate_objects(subject)]
    pairs += [(p, s, False) for s, p in graph.subject_predicates(subject)]
    for p, node, outgoing in sorted(pairs, key=lambda item: (not item[2], str(item[0]), str(item[1]))):
        if p in skip or not isinstance(node, URIRef) or node == subject or is_mirror(p, labeller.iris):
            continue
        ref = labeller.iris.ref_of(str(node))
        key = f"{node} {p} {outgoing}"
        if ref is None or ref.statement or key in seen:
            continue
        seen[key] = Neighbour(
            labeller.label(node), labeller.iris.link(str(node)), labeller.label(p), outgoing, str(p)
        )
    return list(seen.values())


def jsonld_island(graph: Graph, prefixes: dict[str, str]) -> Markup:
    """The graph as JSON-LD for a ``<script type="application/ld+json">``, markup in data made inert:
    the same compacted JSON-LD as the data documents (Oxigraph's writer and our compaction, about
    five times faster than rdflib's JSON-LD serializer, which took a quarter of a page's time). Its
    bytes do not depend on the store: the triples are written sorted (``web.context.serialize``)."""
    return inert(serialize(graph, JSONLD, prefixes).decode("utf-8").rstrip("\n"))


def safe_json(data: object) -> Markup:
    """JSON text that cannot close a script element (see :func:`inert`)."""
    return inert(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))


def inert(json_text: str) -> Markup:
    """JSON text with ``<``, ``>`` and ``&`` written ``\\u003c`` etc.: outside strings JSON has none of
    them, inside a string the escape means the same character, and a script element cannot be closed."""
    text = json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above
