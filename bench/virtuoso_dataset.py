"""What naming the dataset costs Virtuoso: the entity page's ``CONSTRUCT`` with and without our graphs.

Virtuoso's own default graph also holds its system graphs, so the remote adapter must say which graphs
a query runs on. It used to name ours (``default-graph-uri``); it now excludes the others with
Virtuoso's pragmas (``define input:default-graph-exclude``), because of what this measures.

This loads the synthetic graph of ``bench.generate`` into a fresh Virtuoso (``tests.support.virtuoso``,
``blackjanuary load``) and times :func:`blackjanuary.query.describe.facts`'s query for a few entities,
one request at a time, with the dataset named each way Virtuoso accepts, with the others excluded and
without any.

    python -m bench.virtuoso_dataset --size 1M
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from bench.generate import generate
from bench.scale import BIN, make_dist
from bench.virtuoso import _graph_counts, other_graphs
from blackjanuary.query.describe import facts
from blackjanuary.store import virtuoso
from tests.support.virtuoso import DBA_PASSWORD, VirtuosoServer

ENTITY = "https://w3id.org/blackjanuary/id/bench-event-"


class _Captured:
    """A stand-in query service that keeps the query ``facts`` would send."""

    query = ""

    def construct_union(self, prologue: str, parts: list[str]) -> None:
        self.query = f"{prologue}CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {' UNION '.join(parts)} }}"


def facts_query(event: int) -> str:
    captured = _Captured()
    facts(captured, f"{ENTITY}{event}")  # type: ignore[arg-type]
    return virtuoso.wrap_inline_values(captured.query)


def timed(endpoint: str, queries: list[str], form: list[tuple[str, str]]) -> tuple[float, int]:
    """The median seconds of ``queries`` (each with ``form``) and the lines of the last answer."""
    seconds, lines = [], 0
    for query in queries:
        started = time.perf_counter()
        answer = requests.post(
            endpoint, data=[("query", query), *form], headers={"Accept": "application/n-triples"}, timeout=120
        )
        seconds.append(time.perf_counter() - started)
        answer.raise_for_status()
        lines = answer.text.count("\n")
    return statistics.median(seconds), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--entities", type=int, default=5)
    args = parser.parse_args()
    nq = generate(args.size)
    graphs = sorted(_graph_counts(nq))
    with tempfile.TemporaryDirectory(prefix="bench-virtuoso-dataset-") as tmp:
        work = Path(tmp)
        make_dist(nq, work / "dist", args.size, _graph_counts(nq))
        server = VirtuosoServer(work / "virtuoso", buffers=100_000, max_rows=1_000_000, max_seconds=120)
        server.start()
        try:
            subprocess.run(
                [str(BIN / "blackjanuary"), "load", "--dist", str(work / "dist")]
                + ["--endpoint", server.query_url, "--user", "dba"],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "BLACKJANUARY_ENDPOINT_PASSWORD": DBA_PASSWORD},
            )
            queries = [facts_query(1000 + 97 * k) for k in range(args.entities)]
            named = " ".join(f"FROM <{g}>" for g in graphs)
            defines = "".join(f"define input:default-graph-uri <{g}> " for g in graphs)
            pragmas = virtuoso.excluding(other_graphs(server.query_url, graphs)) or ""
            variants = {
                "no dataset (Virtuoso's default graph)": (queries, []),
                "the other graphs excluded (define input:default-graph-exclude, as the adapter sends)": (
                    [pragmas + q for q in queries],
                    [],
                ),
                "default-graph-uri, every graph of ours (as the adapter sent before)": (
                    queries,
                    [("default-graph-uri", g) for g in graphs],
                ),
                "default-graph-uri, the data graph only": (queries, [("default-graph-uri", graphs[0])]),
                "FROM clauses": ([q.replace(" WHERE {", f" {named} WHERE {{", 1) for q in queries], []),
                "define input:default-graph-uri": ([defines + q for q in queries], []),
            }
            print(
                f"| {args.size}: the page's CONSTRUCT on Virtuoso | p50 ms | answer lines |\n|---|---:|---:|"
            )
            for name, (texts, form) in variants.items():
                median, lines = timed(server.query_url, texts, form)
                print(f"| {name} | {median * 1000:,.1f} | {lines} |", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
