"""Virtuoso as the remote engine: our app in front of it against querying Virtuoso directly.

    python -m bench.virtuoso --size 1M          # the issue's measurement (make bench)
    python -m bench.virtuoso --size 10k --quick # a few seconds: shows that it works

The synthetic graph of ``bench.scale`` (``bench.generate``) is loaded into Debian's Virtuoso (started
by ``tests/support/virtuoso.py`` on loopback) with ``blackjanuary load --endpoint … --user dba``,
then the same probes go:

- through the app (``blackjanuary serve --endpoint``, ``--workers`` × 8 threads, answer and page caches
  off): ``/sparql`` lookup and join, and the entity page;
- to Virtuoso directly, with the dataset the adapter sends (the exclusion pragmas that leave Virtuoso's
  other graphs out: the same work for the engine) and without (Virtuoso's own default graph).

Every request varies its IRI or constant (``bench.scale``'s probes), from ``wrk`` where it is
installed (``bench.loadgen``), first from one client (the latency a reader sees) and then from
``--clients`` at once (8: the load the TPF target names). Results go to
``bench/results/virtuoso-<size>.json`` and stdout; the figures in docs/backends.md were copied from
there, with the command that made them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from urllib.parse import quote

import requests

from bench.generate import generate, parse_size
from bench.loadgen import Probe, default_tool
from bench.scale import (
    BIN,
    RESULTS,
    SRJ,
    UNCACHED,
    Options,
    ProbeStats,
    events_in,
    make_dist,
    measure,
    page_probe,
    process,
    q_join,
    q_lookup,
    query_probe,
    rss_mib,
    wait_until_ok,
)
from blackjanuary.publish.manifest import read_manifest
from blackjanuary.store import virtuoso
from tests.support.servers import free_port
from tests.support.virtuoso import DBA_PASSWORD, VirtuosoServer

log = logging.getLogger("bench.virtuoso")
QUERIES: dict[str, Callable[[int], str]] = {"lookup": q_lookup, "join+filter": q_join}


def direct_probe(
    path: str, build: Callable[[int], str], events: int, others: list[str]
) -> Callable[[int], Probe]:
    """``bench.scale.query_probe`` with the dataset the remote adapter sends, for Virtuoso directly:
    the pragmas that leave ``others`` (every graph not ours) out."""
    pragmas = virtuoso.excluding(others) or ""
    return query_probe(path, lambda key: pragmas + build(key), events)


def other_graphs(query_url: str, ours: list[str]) -> list[str]:
    """The server's graphs that are not ours (Virtuoso's system graphs), as the adapter reads them."""
    query = "SELECT DISTINCT (STR(?g) AS ?name) WHERE { GRAPH ?g { ?s ?p ?o } }"
    answer = requests.post(query_url, data={"query": query}, headers={"Accept": SRJ}, timeout=120)
    answer.raise_for_status()
    names = [row["name"]["value"] for row in answer.json()["results"]["bindings"]]
    return sorted(name for name in names if name not in ours)


def run(size: str, opts: Options, *, buffers: int, workers: int = 1) -> dict[str, object]:
    triples = parse_size(size)
    events = events_in(triples)
    nq = generate(size)
    results: dict[str, object] = {"size": size, "triples": triples, "machine": platform.platform()}
    results.update(clients=opts.concurrency, workers=workers, tool=opts.tool)
    with tempfile.TemporaryDirectory(prefix="bench-virtuoso-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        graphs = _graph_counts(nq)
        make_dist(nq, dist, size, graphs)
        # a synthetic build needs ResultSetMaxRows above its biggest answer: the page of a hub place
        server = VirtuosoServer(work / "virtuoso", buffers=buffers, max_rows=1_000_000, max_seconds=60)
        started = time.perf_counter()
        server.start()
        results["virtuoso_start_s"] = round(time.perf_counter() - started, 2)
        try:
            started = time.perf_counter()
            subprocess.run(
                [
                    str(BIN / "blackjanuary"),
                    "load",
                    "--dist",
                    str(dist),
                    "--endpoint",
                    server.query_url,
                    "--user",
                    "dba",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "BLACKJANUARY_ENDPOINT_PASSWORD": DBA_PASSWORD},
            )
            results["load_s"] = round(time.perf_counter() - started, 2)
            log.info("loaded %s triples into Virtuoso in %.1f s", f"{triples:,}", results["load_s"])
            others = other_graphs(server.query_url, sorted(read_manifest(dist).graphs))
            results["other_graphs"] = others
            direct = {
                f"{name} (same dataset)": direct_probe("/sparql", q, events, others)
                for name, q in QUERIES.items()
            }
            direct.update(
                {
                    f"{name} (server default graph)": query_probe("/sparql", q, events)
                    for name, q in QUERIES.items()
                }
            )
            for clients in sorted({1, opts.concurrency}):
                at = replace(opts, concurrency=clients)
                log.info("Virtuoso directly (%s), %d clients", server.query_url, clients)
                results[f"direct, {clients} clients"] = _stats(measure(server.base_url, direct, at))
            results["ours"] = _measure_app(dist, server, opts, events, workers)
            results["virtuoso_rss_mib"] = round(rss_mib(server.pid), 1) if server.pid else None
        finally:
            server.stop()
    return results


def _measure_app(
    dist: Path, server: VirtuosoServer, opts: Options, events: int, workers: int
) -> dict[str, dict[str, dict[str, object]]]:
    port = free_port()
    command = [
        str(BIN / "blackjanuary"), "serve", "--no-build", "--dist", str(dist), "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--threads", "8", "--endpoint", server.query_url,
    ]  # fmt: skip
    env = {
        **UNCACHED,
        "BLACKJANUARY_REMOTE_TIMEOUT": str(opts.timeout),
        "BLACKJANUARY_QUERY_TIMEOUT": str(opts.timeout),
    }
    base = f"http://127.0.0.1:{port}"
    with process(command, env=env) as proc:
        wait_until_ok(f"{base}/sparql?query={quote('ASK {}')}", proc)
        probes = {name: query_probe("/sparql", q, events) for name, q in QUERIES.items()}
        probes["page"] = page_probe("page", events)
        measured = {}
        for clients in sorted({1, opts.concurrency}):
            log.info("the app in front of Virtuoso (%s), %d clients", base, clients)
            measured[f"{clients} clients"] = _stats(measure(base, probes, replace(opts, concurrency=clients)))
        return measured


def _graph_counts(nq: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with nq.open("rb") as lines:
        for line in lines:
            graph = line.rsplit(b"<", 1)[1].split(b">", 1)[0].decode()
            counts[graph] = counts.get(graph, 0) + 1
    return counts


def _stats(stats: dict[str, ProbeStats]) -> dict[str, dict[str, object]]:
    return {name: asdict(s) for name, s in stats.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="1M", help="graph size: 10k, 100k, 1M … (default 1M)")
    parser.add_argument("--quick", action="store_true", help="2 clients, 60 requests or 3 s per probe")
    parser.add_argument("--buffers", type=int, default=100_000, help="Virtuoso NumberOfBuffers (8 KiB each)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the second pass")
    parser.add_argument("--workers", type=int, default=1, help="the app's gunicorn workers (8 threads each)")
    parser.add_argument("--tool", default=default_tool(), choices=("wrk", "python"), help="load generator")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    opts = Options(concurrency=args.clients, max_requests=4000, max_seconds=8.0, tool=args.tool)
    if args.quick:
        opts = replace(opts, concurrency=2, max_requests=60, max_seconds=3.0)
    results = run(args.size, opts, buffers=args.buffers, workers=args.workers)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"virtuoso-{args.size}.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
