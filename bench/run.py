"""``python -m bench.run``: our endpoint against Oxigraph server, rdflib-endpoint and a bare Flask app.

One run builds the real data into a temporary dist/, starts every server on a free loopback port
(gunicorn gthread 2×8 for the two Flask apps, uvicorn with 2 workers for rdflib-endpoint,
``oxigraph serve`` on a store loaded from the same N-Quads), checks that each answers each query
correctly-shaped, then drives each with the load generator (8 connections) and prints — and with
``--write`` stores — the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import loadgen

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
log = logging.getLogger("bench")

QUERIES: dict[str, str] = {
    "lookup": "SELECT ?p ?o WHERE { <https://w3id.org/blackjanuary/id/baku> ?p ?o }",
    "join": (
        "SELECT ?event ?label ?place WHERE { ?event a <http://schema.org/Event> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label ; <http://schema.org/location> ?place . "
        'FILTER(LANG(?label) = "en") }'
    ),
    "aggregate": "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) ?type",
}
ACCEPT = "application/sparql-results+json"


@dataclass
class Target:
    name: str
    url: str
    """The query URL (``?query=`` is appended)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            requests.get(url, params={"query": "ASK {}"}, headers={"Accept": ACCEPT}, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or still loading
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


@contextmanager
def server(command: list[str], url: str, env: dict[str, str] | None = None) -> Iterator[str]:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if the process has not ended 15 s later."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_command(dist: Path, port: int) -> list[str]:
    """``blackjanuary serve`` on ``dist`` as a user runs it: 2 workers × 8 threads, on ``port``."""
    return [sys.executable, "-m", "blackjanuary", "--root", str(ROOT), "serve", "--dist", str(dist)] + [
        "--no-build",
        "--workers",
        "2",
        "--threads",
        "8",
        "--port",
        str(port),
    ]


def build_data(work: Path) -> Path:
    from blackjanuary.config import Settings
    from blackjanuary.publish.build import build

    settings = Settings.from_env(root=ROOT).replace(dist_dir=work / "dist")
    build(settings)
    return settings.dist


def rows(url: str, query: str) -> int:
    response = requests.get(url, params={"query": query}, headers={"Accept": ACCEPT}, timeout=60)
    response.raise_for_status()
    return len(response.json()["results"]["bindings"])


def query_url(target: Target, query: str) -> str:
    return target.url + "?" + urllib.parse.urlencode({"query": query})


def warm_up(target: Target, queries: list[str]) -> None:
    """Load every query for 2 s (every worker process up, caches filled where there are any)."""
    for query in queries:
        loadgen.run_url(query_url(target, query), seconds=2, accept=ACCEPT)


def measure(target: Target, query: str, seconds: float) -> loadgen.LoadResult:
    url = query_url(target, query)
    # The better of two windows: the two cores are shared with whatever else runs on the machine.
    runs = [loadgen.run_url(url, seconds=seconds, accept=ACCEPT) for _ in range(2)]
    return max(runs, key=lambda r: r.requests_per_second)


def gunicorn(app: str, port: int) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "--worker-class",
        "gthread",
        "--workers",
        "2",
        "--threads",
        "8",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]


def run(seconds: float) -> dict[str, object]:
    results: dict[str, dict[str, loadgen.LoadResult]] = {}
    counts: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        dist = build_data(work)
        nquads = next(dist.glob("*.nq"))
        store = work / "oxigraph"
        subprocess.run(
            [str(BIN / "oxigraph"), "load", "--location", str(store), "--file", str(nquads)],
            check=True,
            capture_output=True,
        )
        ports = {name: free_port() for name in ("ours", "ours-nocache", "oxigraph", "rdflib", "bare")}
        servers = {
            "blackjanuary (cache on)": (
                serve_command(dist, ports["ours"]),
                f"http://127.0.0.1:{ports['ours']}/sparql",
                {},
            ),
            "blackjanuary (cache off)": (
                serve_command(dist, ports["ours-nocache"]),
                f"http://127.0.0.1:{ports['ours-nocache']}/sparql",
                {"BLACKJANUARY_CACHE_SIZE": "0"},
            ),
            "Oxigraph server": (
                [
                    str(BIN / "oxigraph"),
                    "serve",
                    "--location",
                    str(store),
                    "--union-default-graph",
                    "--bind",
                    f"127.0.0.1:{ports['oxigraph']}",
                ],
                f"http://127.0.0.1:{ports['oxigraph']}/query",
                {},
            ),
            "rdflib-endpoint": (
                [
                    str(BIN / "uvicorn"),
                    "bench.apps:rdflib_app",
                    "--factory",
                    "--workers",
                    "2",
                    "--port",
                    str(ports["rdflib"]),
                    "--log-level",
                    "warning",
                ],
                f"http://127.0.0.1:{ports['rdflib']}/sparql",
                {"BENCH_NQUADS": str(nquads)},
            ),
        }
        for name, (command, url, env) in servers.items():
            log.info("measuring %s", name)
            with server(command, url, env):
                counts[name] = {q: rows(url, text) for q, text in QUERIES.items()}
                warm_up(Target(name, url), list(QUERIES.values()))
                results[name] = {q: measure(Target(name, url), text, seconds) for q, text in QUERIES.items()}
        with server(
            gunicorn("bench.apps:bare_app()", ports["bare"]), f"http://127.0.0.1:{ports['bare']}/sparql"
        ) as url:
            warm_up(Target("bare", url), ["ASK {}"])
            results["bare Flask (ceiling)"] = {"fixed body": measure(Target("bare", url), "ASK {}", seconds)}
    reference = counts["Oxigraph server"]
    for name, per in counts.items():
        if per != reference:
            log.warning("%s returned other row counts than Oxigraph: %s vs %s", name, per, reference)
    return {"results": results, "counts": counts, "seconds": seconds}


def table(outcome: dict[str, object]) -> str:
    results: dict[str, dict[str, loadgen.LoadResult]] = outcome["results"]  # type: ignore[assignment]
    ceiling = results["bare Flask (ceiling)"]["fixed body"].requests_per_second
    lines = [
        "| server | query | req/s | p50 ms | p99 ms | errors | vs ceiling | vs rdflib-endpoint "
        "| vs Oxigraph |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, per in results.items():
        for query, r in per.items():
            rdflib = results["rdflib-endpoint"].get(query)
            oxigraph = results["Oxigraph server"].get(query)
            vs_rdflib = f"{r.requests_per_second / rdflib.requests_per_second:.1f}×" if rdflib else ""
            vs_ox = f"{r.requests_per_second / oxigraph.requests_per_second:.2f}×" if oxigraph else ""
            lines.append(
                f"| {name} | {query} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | "
                f"{r.p99_ms:.2f} | {r.errors} | {r.requests_per_second / ceiling:.0%} | {vs_rdflib} "
                f"| {vs_ox} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measurement per query and server")
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    parser.add_argument("--json", type=Path, help="also save the raw numbers as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    outcome = run(args.seconds)
    tool = next(iter(next(iter(outcome["results"].values())).values())).tool  # type: ignore[union-attr]
    text = table(outcome)
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load generator: {tool}, 8 connections, "
        f"{args.seconds:g} s per cell."
    )
    print(header + "\n\n" + text)
    if args.json:
        data = {k: {q: vars(r) for q, r in v.items()} for k, v in outcome["results"].items()}  # type: ignore[union-attr]
        args.json.write_text(json.dumps({"results": data, "counts": outcome["counts"]}, indent=2))
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        doc = path.read_text(encoding="utf-8")
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        before, _, rest = doc.partition(start)
        _, _, after = rest.partition(end)
        path.write_text(f"{before}{start}\n{header}\n\n{text}\n{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
