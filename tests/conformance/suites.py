"""The vendored W3C suites: where each lives, its official base IRI, and its manifests read as tests.

Every suite is read from its manifests (``mf:include`` and ``mf:entries``) with the manifest's official
IRI as base, so test, data and result IRIs are the ones the W3C publishes; :func:`local_path` maps
such an IRI back to the vendored file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

HERE = Path(__file__).resolve().parent
SUITES = HERE / "suites"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
RDFT = Namespace("http://www.w3.org/ns/rdftest#")


@dataclass(frozen=True)
class Suite:
    name: str
    """Short name (the folder under ``suites/``)."""
    title: str
    base: str
    """The official IRI of the folder (manifests are read with it as base)."""
    manifest: str
    """The top manifest, relative to the folder."""

    @property
    def folder(self) -> Path:
        return SUITES / self.name


SPARQL10 = Suite(
    "sparql10",
    "SPARQL 1.0 (data-r2) query evaluation",
    "http://www.w3.org/2001/sw/DataAccess/tests/data-r2/",
    "manifest-evaluation.ttl",
)
SPARQL11 = Suite(
    "sparql11",
    "SPARQL 1.1 query evaluation",
    "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/",
    "manifest-all.ttl",
)
TURTLE = Suite("turtle", "Turtle", "http://www.w3.org/2013/TurtleTests/", "manifest.ttl")
NTRIPLES = Suite("ntriples", "N-Triples", "http://www.w3.org/2013/N-TriplesTests/", "manifest.ttl")
NQUADS = Suite("nquads", "N-Quads", "http://www.w3.org/2013/N-QuadsTests/", "manifest.ttl")
TRIG = Suite("trig", "TriG", "http://www.w3.org/2013/TrigTests/", "manifest.ttl")
RDFXML = Suite("rdf-xml", "RDF/XML", "http://www.w3.org/2013/RDFXMLTests/", "manifest.ttl")

QUERY_SUITES = (SPARQL10, SPARQL11)
SYNTAX_SUITES = (TURTLE, NTRIPLES, NQUADS, TRIG, RDFXML)
SUITE_BY_NAME = {s.name: s for s in (*QUERY_SUITES, *SYNTAX_SUITES)}

QUERY_FOLDERS_11 = (
    "aggregates",
    "bind",
    "bindings",
    "construct",
    "csv-tsv-res",
    "exists",
    "functions",
    "grouping",
    "json-res",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
)
"""The SPARQL 1.1 query-evaluation folders vendored (updates, entailment, service, federation and
service-description are not: this endpoint is read-only, has no entailment regime and calls no
other endpoint)."""


def local_path(iri: str) -> Path:
    """The vendored file an official test IRI names (ValueError if it lies outside every suite)."""
    for suite in SUITE_BY_NAME.values():
        if iri.startswith(suite.base):
            return suite.folder / iri[len(suite.base) :]
    raise ValueError(f"{iri} is not in a vendored suite")


@dataclass(frozen=True)
class Entry:
    """One manifest entry, with the few properties the harness reads."""

    suite: str
    iri: str
    kind: str
    """The local name of its ``rdf:type`` (``QueryEvaluationTest``, ``TestTurtlePositiveSyntax`` …)."""
    name: str
    comment: str
    approval: str | None
    requires: tuple[str, ...] = ()
    query: str | None = None
    data: tuple[str, ...] = ()
    graph_data: tuple[str, ...] = ()
    action: str | None = None
    """For syntax tests: the input document."""
    result: str | None = None
    lax: bool = False
    """``mf:resultCardinality mf:LaxCardinality``: duplicates may be dropped (REDUCED)."""
    manifest: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def short_id(self) -> str:
        """``folder/manifest#name`` relative to the suite: stable, readable test ids."""
        base = SUITE_BY_NAME[self.suite].base
        return self.iri[len(base) :] if self.iri.startswith(base) else self.iri


def _local(node: Node) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _items(graph: Graph, head: Node | None) -> list[Node]:
    return [] if head is None else list(Collection(graph, head))


@cache
def _graph(path: Path, base: str) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle", publicID=base)
    return graph


def read_manifest(suite: Suite, relative: str | None = None) -> Iterator[Entry]:
    """Every entry of ``suite`` reachable from its top manifest (or from ``relative``), in order."""
    relative = relative or suite.manifest
    iri = suite.base + relative
    graph = _graph(suite.folder / relative, iri)
    manifest = URIRef(iri)
    for included in _items(graph, graph.value(manifest, MF.include)):
        sub = str(included)[len(suite.base) :]
        if suite is SPARQL11 and sub.split("/", 1)[0] not in QUERY_FOLDERS_11:
            continue
        yield from read_manifest(suite, sub)
    for node in _items(graph, graph.value(manifest, MF.entries)):
        yield _entry(suite, graph, node, iri)


def _entry(suite: Suite, graph: Graph, node: Node, manifest: str) -> Entry:
    kind = graph.value(node, RDF.type)
    action = graph.value(node, MF.action)
    result = graph.value(node, MF.result)
    approval = graph.value(node, DAWGT.approval)
    query = data = graph_data = None
    action_file = None
    if action is not None and (action, QT.query, None) in graph:
        query = str(graph.value(action, QT.query))
        data = tuple(sorted(str(d) for d in graph.objects(action, QT.data)))
        graph_data = []
        for g in graph.objects(action, QT.graphData):
            named = graph.value(g, QT.graph)  # the later form: [ qt:graph <file> ; rdfs:label "name" ]
            graph_data.append(str(named if named is not None else g))
        graph_data = tuple(sorted(graph_data))
    elif action is not None:
        action_file = str(action)
    return Entry(
        suite=suite.name,
        iri=str(node),
        kind=_local(kind) if kind is not None else "",
        name=str(graph.value(node, MF.name) or _local(node)),
        comment=" ".join(str(graph.value(node, RDFS.comment) or "").split()),
        approval=_local(approval) if approval is not None else None,
        requires=tuple(sorted(_local(r) for r in graph.objects(node, MF.requires))),
        query=query,
        data=data or (),
        graph_data=graph_data or (),
        action=action_file,
        result=str(result) if result is not None else None,
        lax=(node, MF.resultCardinality, MF.LaxCardinality) in graph,
        manifest=manifest,
    )


def query_tests() -> list[Entry]:
    """Every query-evaluation entry of the SPARQL 1.0 and 1.1 suites."""
    kinds = {"QueryEvaluationTest", "CSVResultFormatTest"}
    return [e for suite in QUERY_SUITES for e in read_manifest(suite) if e.kind in kinds]


def syntax_tests(suite: Suite) -> list[Entry]:
    """Every entry of one RDF syntax suite (positive and negative syntax, evaluation)."""
    return list(read_manifest(suite))
