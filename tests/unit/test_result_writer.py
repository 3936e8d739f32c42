"""The result writer in front of pyoxigraph's serializers: it counts solutions exactly in every format,
however the bytes are cut, and stops at the cap, the deadline, and commits in chunks."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest

from blackjanuary.errors import BadRequest
from blackjanuary.query.serialize import (
    COMMIT_BYTES,
    RESULTS_FORMAT_OF,
    SolutionCounter,
    boolean_result,
    write_solutions,
)
from blackjanuary.rdf.formats import RESULT_FORMATS, SPARQL_CSV, SPARQL_JSON, SPARQL_TSV, Format

NASTY = [
    '"',
    "\\",
    "\\\\",
    '\\"',
    ",{",
    "[{",
    "},{",
    "\r\n",
    "\n",
    "\t",
    "<result>",
    "&",
    "'",
    "{}",
    "é",
    "𝄞",
]


def nasty_store(seed: int, rows: int) -> ox.Store:
    rng = random.Random(seed)
    store = ox.Store()
    p = ox.NamedNode("http://e/p")
    for n in range(rows):
        text = "".join(rng.choice(NASTY + ["a", " "]) for _ in range(rng.randrange(0, 12)))
        value: ox.Literal | ox.NamedNode | ox.BlankNode = rng.choice(
            [ox.Literal(text), ox.Literal(text, language="de"), ox.NamedNode(f"http://e/{n}"), ox.BlankNode()]
        )
        store.add(ox.Quad(ox.NamedNode(f"http://e/s{n}"), p, value, ox.DefaultGraph()))
    return store


QUERY = "SELECT ?s ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/none> ?none } }"


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("seed", range(8))
def test_the_counter_counts_every_solution_however_the_bytes_are_cut(fmt: Format, seed: int) -> None:
    rows = 1 + seed * 7
    store = nasty_store(seed, rows)
    data = store.query(QUERY).serialize(format=RESULTS_FORMAT_OF[fmt]) or b""
    rng = random.Random(seed)
    for _ in range(20):
        counter = SolutionCounter(fmt)
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data), rng.randrange(1, 40))))
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            counter.feed(data[start:end])
        assert counter.count == rows, (fmt.name, data[:300])


def test_no_solutions_and_an_empty_solution() -> None:
    store = ox.Store()
    for fmt in RESULT_FORMATS:
        for query, expected in (("SELECT ?x WHERE { ?x ?y ?z }", 0), ("SELECT * WHERE {}", 1)):
            data = store.query(query).serialize(format=RESULTS_FORMAT_OF[fmt]) or b""
            assert SolutionCounter(fmt).feed(data) == expected, (fmt.name, data)


class Sink:
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended = False
        self.checks = 0

    def check(self) -> None:
        self.checks += 1

    def send(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def end(self, last: bytes) -> None:
        self.chunks.append(last)
        self.ended = True


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_the_cap_is_exact(fmt: Format) -> None:
    store = nasty_store(1, 120)
    at_the_cap = Sink()
    write_solutions(store.query(QUERY), fmt, at_the_cap, 120)
    assert at_the_cap.ended and b"".join(at_the_cap.chunks) == store.query(QUERY).serialize(
        format=RESULTS_FORMAT_OF[fmt]
    )
    with pytest.raises(BadRequest, match="more than 119 rows"):
        write_solutions(store.query(QUERY), fmt, Sink(), 119)


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_the_cap_is_exact_for_solutions_of_one_byte(fmt: Format) -> None:
    """The writer leaves a result of at most ``limit`` bytes uncounted; empty solutions (one line
    break each in TSV) are where bytes and solutions come closest."""
    store = ox.Store()
    for n in range(300):
        store.add(ox.Quad(ox.NamedNode(f"http://e/s{n}"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    empty = "SELECT ?none WHERE { ?s ?p ?o }"
    size = len(store.query(empty).serialize(format=RESULTS_FORMAT_OF[fmt]) or b"")
    for limit in (300, size, size + 1):
        sink = Sink()
        write_solutions(store.query(empty), fmt, sink, limit)
        assert sink.ended
    with pytest.raises(BadRequest, match="more than 299 rows"):
        write_solutions(store.query(empty), fmt, Sink(), 299)


def test_large_results_commit_once_then_stream_in_chunks_checking_the_deadline() -> None:
    store = ox.Store()
    for n in range(20_000):
        store.add(ox.Quad(ox.NamedNode(f"http://e/s{n}"), ox.NamedNode("http://e/p"), ox.Literal("x" * 20)))
    sink = Sink()
    write_solutions(store.query("SELECT * { ?s ?p ?o }"), SPARQL_JSON, sink, 10**6)
    assert len(sink.chunks) > 3 and len(sink.chunks[0]) >= COMMIT_BYTES
    assert all(len(c) < COMMIT_BYTES for c in sink.chunks[1:])
    assert sink.checks > 50  # every write pyoxigraph makes (about 8 kB)

    class Late(Sink):
        def check(self) -> None:
            raise TimeoutError("late")

    with pytest.raises(TimeoutError):
        write_solutions(store.query("SELECT * { ?s ?p ?o }"), SPARQL_JSON, Late(), 10**6)


def test_ask_in_csv_and_tsv_is_a_one_column_table() -> None:
    yes = ox.Store().query("ASK {}")
    assert boolean_result(SPARQL_CSV, yes) == b"_askResult\r\ntrue\r\n"
    assert boolean_result(SPARQL_TSV, yes) == b"?_askResult\ntrue\n"
    assert boolean_result(SPARQL_JSON, yes) == b'{"head":{},"boolean":true}'
