"""The streaming dump writer (external sort) gives the in-memory writer's bytes, in bounded memory."""

from __future__ import annotations

import gzip
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from blackjanuary.config import Settings
from blackjanuary.publish import dump_writer, dumps
from blackjanuary.publish.external_sort import ExternalSorter
from blackjanuary.publish.manifest import read_manifest
from blackjanuary.rdf.formats import RDF_DATASET_FORMATS, RDF_FORMATS, Format
from blackjanuary.rdf.vocab import Ours

PREFIXES = Ours().prefixes()
BASE = "https://w3id.org/blackjanuary/"


def reference(quads: list[ox.Quad], fmt: Format) -> bytes:
    """What the in-memory writer of ``blackjanuary.publish.dumps`` makes of ``quads``."""
    ordered = sorted(set(quads), key=dumps._nquads_line)
    return dumps.serialize(fmt, ordered, dumps.union_triples(ordered), PREFIXES)


def stream(quads: list[ox.Quad], tmp: Path, run_bytes: int) -> tuple[dict[str, Path], dump_writer.DumpStats]:
    names = {fmt.name: tmp / f"dump.{fmt.extension}" for fmt in RDF_FORMATS}
    lines = dump_writer.quad_lines(quads, batch=97)
    return names, dump_writer.write_dumps(lines, names, PREFIXES, run_bytes=run_bytes, work=tmp)


def synthetic(count: int, seed: int = 1990) -> list[ox.Quad]:
    """Quads with everything that could upset an order or a writer: blank nodes, IRIs that are prefixes
    of each other, literals whose language tag extends another's, text that looks like an IRI or holds
    quotes, newlines and non-ASCII, typed literals, duplicates, and triples in several graphs."""
    rng = random.Random(seed)
    graphs = [ox.NamedNode(f"{BASE}graph/{name}") for name in ("data", "meta", "wikibase")]
    subjects: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(f"{BASE}id/e{i}") for i in range(60)]
    subjects += [ox.NamedNode(f"{BASE}id/e1{i}") for i in range(10)]  # e1 is a prefix of e10 …
    subjects += [ox.BlankNode(f"b{i}") for i in range(25)]
    predicates = [
        ox.NamedNode(iri)
        for iri in (
            "http://www.w3.org/2000/01/rdf-schema#label",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            "http://schema.org/description",
            "http://schema.org/descriptionX",
            f"{BASE}ontology#killedCount",
            "http://example.org/unprefixed/p",
        )
    ]
    objects: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [
        ox.Literal("Baku", language="de"),
        ox.Literal("Baku", language="de-at"),
        ox.Literal("Баку", language="ru"),
        ox.Literal("Bakı"),
        ox.Literal('text with <http://schema.org/Thing> and "quotes"\nand a newline\\'),
        ox.Literal("133", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("1990-01-20", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        ox.Literal("x", datatype=ox.NamedNode("http://example.org/unprefixed/datatype")),
        ox.NamedNode("http://semanticweb.cs.vu.nl/2009/11/sem/Event"),
        ox.NamedNode("http://www.wikidata.org/entity/Q9248"),
        *subjects[:30],
    ]
    quads = [
        ox.Quad(rng.choice(subjects), rng.choice(predicates), rng.choice(objects), rng.choice(graphs))
        for _ in range(count)
    ]
    return (
        quads
        + quads[: count // 10]
        + [ox.Quad(q.subject, q.predicate, q.object, graphs[0]) for q in quads[:200]]
    )


@pytest.mark.parametrize("fmt", RDF_FORMATS, ids=lambda f: f.name)
def test_generated_data_with_blank_nodes_gives_the_same_bytes(tmp_path: Path, fmt: Format) -> None:
    quads = synthetic(3000)
    names, stats = stream(quads, tmp_path, run_bytes=16 * 1024)
    assert stats.runs >= 5  # the budget forced several sorted runs
    expected = reference(quads, fmt)
    assert names[fmt.name].read_bytes() == expected
    dump_writer.gzip_file(names[fmt.name], tmp_path / "dump.gz")
    assert (tmp_path / "dump.gz").read_bytes() == dumps.gzip_bytes(expected)
    assert stats.quads == len(set(quads))
    assert stats.triples == len({q.triple for q in quads}) < stats.quads


def test_the_real_build_is_the_in_memory_writers_bytes(built_settings: Settings, tmp_path: Path) -> None:
    manifest = read_manifest(built_settings.dist)
    nq = next(f for f in manifest.files if f.format == "nquads" and not f.compressed)
    quads = list(ox.parse(path=str(built_settings.dist / nq.name), format=ox.RdfFormat.N_QUADS))
    random.Random(7).shuffle(quads)
    names, stats = stream(quads, tmp_path, run_bytes=64 * 1024)
    assert stats.runs >= 5
    for entry in manifest.files:
        fmt = next(f for f in RDF_FORMATS if f.name == entry.format)
        expected = reference(quads, fmt)
        body = (built_settings.dist / entry.name).read_bytes()
        assert body == (dumps.gzip_bytes(expected) if entry.compressed else expected), entry.name
        if not entry.compressed:
            assert names[fmt.name].read_bytes() == expected, entry.name
        assert entry.triples == (stats.quads if fmt in RDF_DATASET_FORMATS else stats.triples)


def test_memory_stays_within_the_budget_whatever_the_input(tmp_path: Path) -> None:
    """Python's peak allocation while writing every format is bounded by the run budget, not the data."""
    quads = synthetic(20_000, seed=2)
    text_bytes = sum(len(dump_writer.quad_line(q)) for q in quads)

    def lines() -> Iterator[bytes]:  # produced on demand, as the build does
        for q in quads:
            yield dump_writer.quad_line(q)

    names = {fmt.name: tmp_path / f"dump.{fmt.extension}" for fmt in RDF_FORMATS}
    budget = 32 * 1024
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        stats = dump_writer.write_dumps(lines(), names, PREFIXES, run_bytes=budget, work=tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.runs >= 10
    constant = 1024 * 1024  # a copy buffer and one JSON-LD batch of whole subjects, whatever the size
    assert peak < 2 * budget + constant < text_bytes / 2, (peak, text_bytes)
    assert gzip.decompress(dumps.gzip_bytes(names["nquads"].read_bytes())) == names["nquads"].read_bytes()


def test_the_sorter_merges_runs_into_distinct_sorted_lines(tmp_path: Path) -> None:
    rng = random.Random(3)
    words = [f"{rng.randrange(5000):05d}-é\n".encode() for _ in range(20_000)]
    sorter = ExternalSorter(tmp_path, run_bytes=8 * 1024)
    for word in words:
        sorter.add(word)
    merged = list(sorter.merged())
    assert sorter.runs > 10
    assert merged == sorted(set(words))
    assert not list(tmp_path.iterdir())  # the runs are removed once merged


def test_doctests_of_the_new_modules() -> None:
    import doctest

    from blackjanuary.publish import external_sort
    from blackjanuary.store import patterns
    from blackjanuary.web import fragment_terms

    for module in (external_sort, patterns, fragment_terms):
        result = doctest.testmod(module)
        assert result.attempted and not result.failed, module.__name__


def test_batched_lines_are_the_lines_of_each_quad() -> None:
    quads = synthetic(2000, seed=5)
    quads.append(
        ox.Quad(
            ox.NamedNode("http://example.org/a"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal('line\u2028separator\r\t\x01\x7f"quote\\é'),
            ox.NamedNode(BASE + "graph/data"),
        )
    )
    assert list(dump_writer.quad_lines(quads, batch=300)) == [dump_writer.quad_line(q) for q in quads]
