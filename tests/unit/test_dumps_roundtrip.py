"""Every dump format parses back (with rdflib) to exactly what was loaded from the sources.

Graph formats are compared with the union of the named graphs, TriG and N-Quads graph by graph,
by isomorphism after turning the skolem IRIs back into blank nodes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.term import Node

from blackjanuary.config import Settings
from blackjanuary.publish.build import DUMP_FORMATS, GENERATED_GRAPHS, add_generated_graphs, build, dump_name
from blackjanuary.publish.dumps import SKOLEM_SEGMENT
from blackjanuary.publish.manifest import read_manifest
from blackjanuary.publish.sources import load
from blackjanuary.rdf.formats import Format
from blackjanuary.rdf.vocab import NAMED_GRAPHS, Ours

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
# rdflib's own N-Quads/TriG/JSON-LD parsers still use its deprecated ConjunctiveGraph API internally
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*ConjunctiveGraph is deprecated:DeprecationWarning",
    "ignore:Dataset.default_context is deprecated:DeprecationWarning",
)


@pytest.fixture(scope="module")
def mini_built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("mini-roundtrip")
    root = tmp / "project"
    shutil.copytree(MINI, root)
    settings = Settings(root=root, source_text=root / "black-january-1990.de.txt", dist_dir=tmp / "dist")
    build(settings, show_progress=False)
    return settings


@pytest.fixture(params=["mini", "real"])
def built(request: pytest.FixtureRequest) -> Settings:
    name = "mini_built" if request.param == "mini" else "built_settings"
    return request.getfixturevalue(name)


def unskolemize(term: Node) -> Node:
    if isinstance(term, URIRef) and SKOLEM_SEGMENT in term:
        return BNode(term.rsplit("/", 2)[-2] + "-" + term.rsplit("/", 1)[-1])
    return term


def plain(triples: object) -> Graph:
    graph = Graph()
    for s, p, o in triples:  # type: ignore[attr-defined]
        graph.add((unskolemize(s), unskolemize(p), unskolemize(o)))
    return graph


def isomorphic(a: Graph, b: Graph) -> bool:
    """Whether two graphs are the same up to blank-node names, decided by Oxigraph's canonicalisation
    (rdflib's ``isomorphic`` takes minutes on the real dumps' blank nodes)."""

    def canonical(graph: Graph) -> set[ox.Quad]:
        data = graph.serialize(format="nt", encoding="utf-8")
        quads = (
            ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        )
        dataset = ox.Dataset(quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        return set(dataset)

    return len(a) == len(b) and canonical(a) == canonical(b)


def test_isomorphic_sees_through_blank_node_names_only() -> None:
    ex = "http://example.org/"
    one = Graph().parse(data=f"_:a <{ex}p> [ <{ex}q> 'x' ] .", format="turtle")
    same = Graph().parse(data=f"_:z <{ex}p> _:y . _:y <{ex}q> 'x' .", format="turtle")
    other = Graph().parse(data=f"_:z <{ex}p> _:y . _:y <{ex}q> 'y' .", format="turtle")
    assert isomorphic(one, same) and not isomorphic(one, other)


def test_no_blank_nodes_in_the_dumps(built: Settings) -> None:
    version = read_manifest(built.dist).version
    nq = Dataset()
    nq.parse(built.dist / f"blackjanuary-{version}.nq", format="nquads")
    assert not any(isinstance(t, BNode) for quad in nq.quads() for t in quad)


@pytest.mark.parametrize("fmt", DUMP_FORMATS, ids=lambda f: f.extension)
def test_dump_round_trips(built: Settings, fmt: Format) -> None:
    ours = Ours(built.base_iri)
    version = read_manifest(built.dist).version
    path = built.dist / dump_name(version, fmt)
    source = load(built)
    add_generated_graphs(source, built)
    if fmt.kind == "dataset":
        parsed = Dataset()
        parsed.parse(path, format=fmt.rdflib_name)
        names = {ours.graph(n) for n in (*NAMED_GRAPHS, *GENERATED_GRAPHS)}
        assert {str(g.identifier) for g in parsed.graphs() if len(g)} <= names
        for name in sorted(names):
            expected = source.graph(URIRef(name))
            got = plain(parsed.graph(URIRef(name)))
            assert len(got) == len(expected), name
            assert isomorphic(got, plain(expected)), f"{fmt.extension}: graph {name} differs from the source"
    else:
        parsed_graph = Graph().parse(path, format=fmt.rdflib_name)
        union = Graph()
        for name in (*NAMED_GRAPHS, *GENERATED_GRAPHS):
            for triple in source.graph(URIRef(ours.graph(name))):
                union.add(triple)
        got = plain(parsed_graph)
        assert len(got) == len(union)
        assert isomorphic(got, plain(union)), f"{fmt.extension} differs from the union of the source graphs"
