"""Triple Pattern Fragments under load: fragment latency with 8 concurrent clients on a synthetic graph.

The app (``blackjanuary serve``, gunicorn, ``--workers`` × 8 threads) serves the graph of
``bench.generate`` from the chosen backend; :func:`bench.loadgen.run` sends fragment requests as a TPF
client does while it evaluates a query. Each probe runs twice, on two servers started in turn:

- **computed**: the answer cache and the page cache off, so every fragment's page and count are
  computed, whether or not the URL came before (the server's own cost);
- **as served**: the default configuration, where a repeated fragment URL is answered from the
  page cache, as an HTTP cache in front would answer it.

The probes (the subject and literal ones use another IRI on every request, so they are never
repeated; the other two repeat: a few hundred places, twenty pages):

- **subject**: ``?subject=<event k>`` (one entity's triples, one page);
- **predicate+object**: ``?predicate=schema:location&object=<place k>`` (the events at a place: a join
  step; the hub place has a fifth of all events, so some fragments span many pages);
- **object literal**: ``?object="… k"@en`` (a label lookup);
- **predicate page**: ``?predicate=rdfs:label&page=n`` (paging through a large fragment; n ≤ 20).

    python -m bench.tpf_bench --size 1M                          # quick: 8 s per probe
    python -m bench.tpf_bench --size 1M --backend persistent --requests 4000 --seconds 30
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from bench.generate import ID, SDO, generate, parse_size
from bench.loadgen import Probe, default_tool, run
from bench.scale import (
    BIN,
    UNCACHED,
    events_in,
    free_port,
    make_dist,
    process,
    rss_mib,
    wait_until_idle,
    wait_until_ok,
)

log = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ACCEPT = {"Accept": "application/trig"}


def q(value: str) -> str:
    return quote(value, safe="")


def probes(events: int) -> dict[str, Callable[[int], Probe]]:
    places = max(1, events // 50)
    stride = 7919  # a prime: consecutive requests hit unrelated events

    def subject(i: int) -> Probe:
        return Probe("GET", f"/fragments?subject={q(f'{ID}bench-event-{(i * stride) % events}')}", ACCEPT)

    def predicate_object(i: int) -> Probe:
        place = f"{ID}bench-place-{(i * stride) % places}"
        return Probe("GET", f"/fragments?predicate={q(SDO + 'location')}&object={q(place)}", ACCEPT)

    def literal(i: int) -> Probe:
        label = '"event ' + str((i * stride) % events) + '"@en'
        return Probe("GET", "/fragments?object=" + q(label), ACCEPT)

    def page(i: int) -> Probe:
        return Probe("GET", f"/fragments?predicate={q(RDFS_LABEL)}&page={1 + i % 20}", ACCEPT)

    return {
        "subject": subject,
        "predicate+object": predicate_object,
        "object literal": literal,
        "predicate page": page,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--backend", default="embedded", choices=("embedded", "persistent"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (8 threads each)")
    parser.add_argument(
        "--requests", type=int, default=20_000, help="per probe: distinct requests (python: also at most)"
    )
    parser.add_argument("--seconds", type=float, default=8.0, help="per probe, at most")
    parser.add_argument("--tool", default=default_tool(), choices=("wrk", "python"), help="load generator")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    nq = generate(args.size)
    triples = parse_size(args.size)
    events = events_in(triples)
    data_lines = sum(1 for _ in nq.open("rb"))
    graphs = {
        "https://w3id.org/blackjanuary/graph/data": data_lines - 3,
        "https://w3id.org/blackjanuary/graph/meta": 3,
    }
    results: dict[str, object] = {
        "size": args.size,
        "backend": args.backend,
        "clients": args.clients,
        "workers": args.workers,
        "tool": args.tool,
    }
    table: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="tpf-bench-") as tmp:
        work = Path(tmp)
        dist = work / "dist"
        make_dist(nq, dist, args.size, graphs)
        store = None
        if args.backend == "persistent":
            store = work / "store"
            subprocess.run(
                [str(BIN / "blackjanuary"), "load", "--dist", str(dist), "--store", str(store)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        for config, env in CONFIGS.items():
            measured, rss = _measure(args, dist, store, env, events)
            results[config] = {"probes": measured, "rss_mib": rss}
            table += [(config, name, m) for name, m in measured.items()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"tpf-{args.size}-{args.backend}.json").write_text(
        json.dumps(results, indent=1), encoding="utf-8"
    )
    print(
        "| size | backend | workers | configuration | probe | req/s | p50 ms | p99 ms | errors |\n"
        "|---|---|---:|---|---|---:|---:|---:|---:|"
    )
    for config, name, m in table:
        print(
            f"| {args.size} | {args.backend} | {args.workers} | {config} | {name} | {m['rps']:,.1f} "
            f"| {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {m['errors']:.0f} |"
        )


CONFIGS: dict[str, dict[str, str]] = {
    "computed": UNCACHED,
    "as served": {},
}


def _measure(
    args: argparse.Namespace, dist: Path, store: Path | None, env: dict[str, str], events: int
) -> tuple[dict[str, dict[str, float]], float]:
    """Every probe against one server started with ``env``; the figures and the server's RSS."""
    port = free_port()
    command = [str(BIN / "blackjanuary"), "serve", "--no-build", "--dist", str(dist), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(args.workers), "--threads", "8"]
    if store is not None:
        command += ["--store", str(store)]
    base = f"http://127.0.0.1:{port}"
    with process(command, env=env) as proc:
        wait_until_ok(f"{base}/fragments?subject={q(ID + 'bench-event-0')}", proc)
        wait_until_idle(proc)  # every worker has loaded its store
        run(base, probes(events)["subject"], concurrency=args.clients, max_requests=50, max_seconds=5)  # warm
        measured: dict[str, dict[str, float]] = {}
        for name, make in probes(events).items():
            started = time.perf_counter()
            r = run(
                base,
                make,
                concurrency=args.clients,
                max_requests=args.requests,
                max_seconds=args.seconds,
                tool=args.tool,
            )
            measured[name] = {
                "requests": r.requests,
                "errors": r.errors,
                "rps": round(r.rps, 1),
                "p50_ms": round(r.p50, 2),
                "p99_ms": round(r.p99, 2),
                "seconds": round(time.perf_counter() - started, 1),
            }
            log.info("%s, %s: %s", env or "defaults", name, measured[name])
        return measured, round(rss_mib(proc.pid), 1)


if __name__ == "__main__":
    main()
