"""The RDF syntax suites through our writers (round trips) and our loader (negative tests).

Positive tests (``…PositiveSyntax`` and the inputs of ``…Eval`` tests): the input is read by
pyoxigraph (the reference reader), written by each of our code paths, read back by pyoxigraph and
compared with the input under blank-node isomorphism (RDFC-1.0 canonical forms):

- ``dump:<format>`` — :func:`blackjanuary.publish.dumps.serialize`, the build's writer for the six dump
  formats, fed as the build feeds it (:func:`~blackjanuary.publish.dumps.sorted_quads`: every graph a named
  graph, blank nodes skolemized; the skolem IRIs are turned back into blank nodes before comparing,
  and the test's default graph travels as one named graph);
- ``doc:<format>`` — :func:`blackjanuary.web.context.serialize`, the writer of the ``/data/``
  documents, for its four graph formats.

Graph formats carry the union of the input's graphs; dataset formats carry every graph.

Negative tests (``…NegativeSyntax``, ``…NegativeEval``) go to the loader ``blackjanuary validate``
and ``build`` use for the Turtle files of ``graph/``, ``ontology/`` and ``shapes/``
(:func:`blackjanuary.publish.sources.parse_file`), which must refuse them with a DataLoadError naming the file
and the line. The project reads no other syntax, so the negative tests of the other suites do not apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.term import Node

from blackjanuary.errors import DataLoadError
from blackjanuary.publish import dumps
from blackjanuary.publish.sources import parse_file
from blackjanuary.rdf.formats import JSONLD, NQUADS, NTRIPLES, RDF_GRAPH_FORMATS, RDFXML, TRIG, TURTLE, Format
from blackjanuary.rdf.vocab import Ours

from .suites import Entry, Suite, local_path, syntax_tests

BASE = "https://w3id.org/blackjanuary/"
DEFAULT_AS_NAMED = "urn:x-conformance:default-graph"
"""The name the input's default graph travels under through the dumps (which hold named graphs only)."""
GENID = BASE + dumps.SKOLEM_SEGMENT

READERS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdf-xml": ox.RdfFormat.RDF_XML,
}
OX_FORMAT = {
    TURTLE.name: ox.RdfFormat.TURTLE,
    NTRIPLES.name: ox.RdfFormat.N_TRIPLES,
    JSONLD.name: ox.RdfFormat.JSON_LD,
    RDFXML.name: ox.RdfFormat.RDF_XML,
    TRIG.name: ox.RdfFormat.TRIG,
    NQUADS.name: ox.RdfFormat.N_QUADS,
}
DUMP_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS)
KNOWN_FAILURES = {
    "manifest.ttl#localName_with_assigned_nfc_PN_CHARS_BASE_character_boundaries": (
        "the IRI holds U+E01EF, which Turtle's PN_CHARS_BASE allows but RFC 3987 does not; pyoxigraph's "
        "NamedNode (through which every writer of ours builds its terms) refuses it"
    ),
}
"""Failures explained (keyed by test id); a listed test that starts passing fails the test run."""

WRITERS = [f"dump:{f.name}" for f in DUMP_FORMATS] + [f"doc:{f.name}" for f in RDF_GRAPH_FORMATS]


@dataclass(frozen=True)
class SyntaxOutcome:
    test: str
    check: str
    """A writer (``dump:turtle`` …), or ``loader`` for a negative test."""
    status: str
    """``pass``, ``fail``, ``skip`` or ``n/a``."""
    reason: str = ""


def is_positive(entry: Entry) -> bool:
    return "Positive" in entry.kind or (entry.kind.endswith("Eval") and "Negative" not in entry.kind)


def is_negative(entry: Entry) -> bool:
    return "Negative" in entry.kind


def read_input(suite: Suite, entry: Entry) -> list[ox.Quad]:
    assert entry.action is not None
    quads = ox.parse(path=str(local_path(entry.action)), format=READERS[suite.name], base_iri=entry.action)
    return list(quads)


def canonical(quads: list[ox.Quad]) -> set[str]:
    """The quads in RDFC-1.0 canonical form (blank nodes relabelled), as N-Quads lines."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def union(quads: list[ox.Quad]) -> list[ox.Quad]:
    return list({ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads})


def _to_rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _unskolem(term: object) -> object:
    if isinstance(term, ox.NamedNode) and term.value.startswith(GENID):
        return ox.BlankNode("s" + term.value[len(GENID) :].replace("/", "_").replace("-", "_"))
    return term


def _back(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Skolem IRIs back to blank nodes, and the travelling default graph back to the default graph."""
    result = []
    for q in quads:
        graph = q.graph_name
        if isinstance(graph, ox.NamedNode) and graph.value == DEFAULT_AS_NAMED:
            graph = ox.DefaultGraph()
        result.append(ox.Quad(_unskolem(q.subject), q.predicate, _unskolem(q.object), graph))  # type: ignore[arg-type]
    return result


def write_dump(fmt: Format, quads: list[ox.Quad]) -> bytes:
    """``fmt`` as the build writes it, from the input as a dataset of named graphs."""
    dataset = Dataset()
    names = set()
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else DEFAULT_AS_NAMED
        names.add(name)
        dataset.graph(URIRef(name)).add(
            (_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object))  # type: ignore[arg-type]
        )
    sorted_quads = dumps.sorted_quads(dataset, BASE, sorted(names))
    triples = dumps.union_triples(sorted_quads)
    return dumps.serialize(fmt, sorted_quads, triples, Ours(BASE).prefixes())


def write_document(fmt: Format, quads: list[ox.Quad]) -> bytes:
    """``fmt`` as a ``/data/`` document is written, from the union of the input's graphs."""
    from rdflib import Graph

    from blackjanuary.web.context import serialize

    graph = Graph()
    for q in quads:
        graph.add((_to_rdflib(q.subject), _to_rdflib(q.predicate), _to_rdflib(q.object)))  # type: ignore[arg-type]
    return serialize(graph, fmt, Ours(BASE).prefixes())


def rdflib_view(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads as our code paths receive them: through rdflib terms, whose literals rdflib
    canonicalises on creation (``"01"^^xsd:integer`` becomes ``"1"``, XML literals are normalised)."""
    return [
        ox.Quad(q.subject, q.predicate, dumps.to_ox_term(_to_rdflib(q.object), {}), q.graph_name)  # type: ignore[arg-type]
        if isinstance(q.object, ox.Literal)
        else q
        for q in quads
    ]


LEXICAL = "literal lexical forms canonicalised by rdflib when it reads them (values kept)"


def not_applicable(writer: str, quads: list[ox.Quad]) -> str | None:
    """Why a dump writer cannot carry this input by design, or None."""
    if not writer.startswith("dump:"):
        return None
    if any(isinstance(q.graph_name, ox.BlankNode) for q in quads):
        return "a graph named by a blank node: the build's graphs are named by IRIs"
    graphs_of: dict[str, set[str]] = {}
    for q in quads:
        for term in (q.subject, q.object):
            if isinstance(term, ox.BlankNode):
                graphs_of.setdefault(term.value, set()).add(str(q.graph_name))
    if any(len(graphs) > 1 for graphs in graphs_of.values()):
        return (
            "a blank node shared by two graphs: the build reads each graph from its own files, so its "
            "blank nodes never span graphs, and the dumps skolemize them graph by graph"
        )
    return None


def round_trip(writer: str, quads: list[ox.Quad]) -> tuple[str, str]:
    """``(status, reason)``: does the writer's output read back isomorphic to the input?"""
    kind, _, name = writer.partition(":")
    fmt = next(f for f in DUMP_FORMATS if f.name == name)
    reason = not_applicable(writer, quads)
    if reason:
        return "n/a", reason
    try:
        data = write_dump(fmt, quads) if kind == "dump" else write_document(fmt, quads)
    except Exception as exc:  # noqa: BLE001 — the writer's refusal is the finding
        return "fail", f"the writer fails: {type(exc).__name__}: {str(exc)[:200]}"
    try:
        back = list(ox.parse(data, format=OX_FORMAT[fmt.name]))
    except SyntaxError as exc:
        return "fail", f"the output does not parse as {fmt.label}: {str(exc)[:200]}"
    got = canonical(_back(back))
    want = quads if fmt.kind == "dataset" else union(quads)
    if canonical(want) == got:
        return "pass", ""
    loaded = rdflib_view(quads)
    if canonical(loaded if fmt.kind == "dataset" else union(loaded)) == got:
        return "pass", LEXICAL
    missing = sorted(canonical(want) - got)[:1]
    extra = sorted(got - canonical(want))[:1]
    return "fail", f"not isomorphic: missing {missing}, unexpected {extra}"


def check_loader(suite: Suite, entry: Entry) -> SyntaxOutcome:
    """A negative test through the Turtle loader: refused with a DataLoadError naming file and line."""
    if suite.name != "turtle":
        return SyntaxOutcome(
            entry.short_id,
            "loader",
            "n/a",
            f"no loader of ours reads {suite.title}: graph/, ontology/ and shapes/ are Turtle only",
        )
    assert entry.action is not None
    path = local_path(entry.action)
    try:
        parse_file(path)
    except DataLoadError as exc:
        message = str(exc)
        if str(path) in message and "line" in message:
            return SyntaxOutcome(entry.short_id, "loader", "pass")
        return SyntaxOutcome(entry.short_id, "loader", "fail", f"refused, but unclearly: {message[:200]}")
    except Exception as exc:  # noqa: BLE001
        return SyntaxOutcome(
            entry.short_id, "loader", "fail", f"{type(exc).__name__} escaped: {str(exc)[:200]}"
        )
    return SyntaxOutcome(entry.short_id, "loader", "fail", "accepted: the loader took an invalid document")


def run_entry(suite: Suite, entry: Entry) -> Iterator[SyntaxOutcome]:
    if is_negative(entry):
        yield check_loader(suite, entry)
        return
    if not is_positive(entry):
        return
    try:
        quads = read_input(suite, entry)
    except SyntaxError as exc:
        for writer in WRITERS:
            yield SyntaxOutcome(entry.short_id, writer, "skip", f"pyoxigraph cannot read the input: {exc}")
        return
    for writer in WRITERS:
        status, reason = round_trip(writer, quads)
        yield SyntaxOutcome(entry.short_id, writer, status, reason)


def run_suite(suite: Suite) -> list[SyntaxOutcome]:
    return [o for entry in syntax_tests(suite) for o in run_entry(suite, entry)]


def input_path(entry: Entry) -> Path:
    assert entry.action is not None
    return local_path(entry.action)
