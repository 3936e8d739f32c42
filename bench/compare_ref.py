"""``python -m bench.compare_ref --against REF``: this tree side by side with the code at a git ref.

Issue 12 asks that cache-off throughput and page latency be no worse than before the re-cut
(``3b3a433``, the default ref). Two runs minutes apart on a shared machine differ by more than the two
versions do, so both servers run at once and are measured in alternating short windows: the load of
the machine falls on both alike, and each round gives a paired ratio (this tree / the ref) from two
adjacent windows. The table reports each side's median req/s and p50 and the median of the paired
ratios.

What runs:

- the ref's ``src/`` is taken with ``git archive`` into a temporary directory (the repository and its
  worktrees are not touched) and run with this venv's Python and libraries on ``PYTHONPATH`` (the
  ref's dependencies must be installed, as they are for 3b3a433: the re-cut only added some);
- both build **this tree's** graph files (``--root``), each with its own code, into temporary
  ``dist/`` directories, so only the code differs;
- both are served as ``blackjanuary serve`` (gunicorn ``gthread``, 2 workers × 8 threads) with the
  result cache and the page cache off (``BLACKJANUARY_CACHE_SIZE=0``,
  ``BLACKJANUARY_PAGE_CACHE_BYTES=0``; the cells marked "page cache on" from a second pair of servers
  with the page cache at its default) and admission control's SPARQL limits (per worker and per
  client) raised to the number of load connections, which all come from 127.0.0.1 and may all land on
  one worker (``BLACKJANUARY_SPARQL_CONCURRENCY``, ``BLACKJANUARY_SPARQL_CLIENT_CONCURRENCY``): its
  503s are not what is compared;
- each cell is loaded with ``bench/loadgen.py`` (``wrk`` when installed, else the Python fallback),
  N keep-alive connections: the SPARQL queries of ``bench/run.py`` as ``application/sparql-results+json``
  (and the join as CSV), the entity page and the landing page as a browser asks for them (gzip and
  brotli accepted), and a data document.

The quick form (``--quick``: four cells, 1 s windows, 2 rounds) takes under a minute; the full
form (the default: every cell, 3 s windows, 6 rounds) is for an idle machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench import loadgen
from bench.run import ACCEPT, QUERIES, ROOT, free_port, server

log = logging.getLogger("bench.compare_ref")

DEFAULT_REF = "3b3a433"
"""The last commit before the re-cut of issue 12 (310338b and later)."""
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en-GB,en;q=0.9"}
CACHES_OFF = {"BLACKJANUARY_CACHE_SIZE": "0", "BLACKJANUARY_PAGE_CACHE_BYTES": "0"}


@dataclass(frozen=True)
class Cell:
    name: str
    path: str
    """Path and query string."""
    accept: str
    headers: dict[str, str]
    page_cache: bool = False
    """Served with the page cache on (the result cache is off in every cell)."""


def sparql(name: str, query: str, accept: str = ACCEPT) -> Cell:
    return Cell(name, "/sparql?" + urllib.parse.urlencode({"query": QUERIES[query]}), accept, {})


CELLS: tuple[Cell, ...] = (
    sparql("SPARQL lookup (JSON)", "lookup"),
    sparql("SPARQL join (JSON)", "join"),
    sparql("SPARQL aggregate (JSON)", "aggregate"),
    sparql("SPARQL join (CSV)", "join", "text/csv"),
    Cell("page /page/baku", "/page/baku", BROWSER, BROWSER_HEADERS),
    Cell("page /", "/", BROWSER, BROWSER_HEADERS),
    Cell("data /data/baku.ttl", "/data/baku.ttl", "text/turtle", {}),
    Cell("page /page/baku, page cache on", "/page/baku", BROWSER, BROWSER_HEADERS, page_cache=True),
    Cell("page /, page cache on", "/", BROWSER, BROWSER_HEADERS, page_cache=True),
)
QUICK_CELLS = (
    "SPARQL lookup (JSON)",
    "SPARQL aggregate (JSON)",
    "page /page/baku",
    "page /page/baku, page cache on",
)


def resolve(ref: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", f"{ref}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def export_source(ref: str, into: Path) -> Path:
    """The ref's ``src/`` (``git archive``, no checkout); returns the directory for ``PYTHONPATH``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "ref.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"], check=True, stdout=out
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into / "src"


def cli(*args: str) -> list[str]:
    """``blackjanuary`` on this tree's data; which code runs is the ``PYTHONPATH`` of :func:`code_env`."""
    return [sys.executable, "-m", "blackjanuary", "--root", str(ROOT), *args]


def code_env(src: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), **(extra or {})}


def build(sources: dict[str, Path], dists: dict[str, Path]) -> None:
    """This tree's data built by each side's code, both at once."""
    running = {
        side: subprocess.Popen(
            cli("build", "--out", str(dists[side]), "--no-progress"),
            cwd=ROOT,
            env=code_env(src),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for side, src in sources.items()
    }
    for side, process in running.items():
        _, errors = process.communicate()
        if process.returncode:
            raise RuntimeError(f"the {side} code could not build this tree's data:\n{errors.decode()}")


def serve(dist: Path, port: int) -> list[str]:
    return cli("serve", "--dist", str(dist), "--no-build", "--workers", "2", "--threads", "8") + [
        "--port",
        str(port),
    ]


def window(base: str, cell: Cell, seconds: float, connections: int) -> loadgen.LoadResult:
    return loadgen.run_url(
        base + cell.path, seconds=seconds, connections=connections, accept=cell.accept, headers=cell.headers
    )


@dataclass(frozen=True)
class Pair:
    cell: Cell
    ours: list[loadgen.LoadResult]
    ref: list[loadgen.LoadResult]

    def rps_ratio(self) -> float:
        ratios = [
            a.requests_per_second / b.requests_per_second
            for a, b in zip(self.ours, self.ref, strict=True)
            if b.requests_per_second
        ]
        return statistics.median(ratios) if ratios else float("nan")

    def p50_ratio(self) -> float:
        return statistics.median(a.p50_ms / b.p50_ms for a, b in zip(self.ours, self.ref, strict=True))

    @staticmethod
    def median(results: list[loadgen.LoadResult], field: str) -> float:
        return statistics.median(getattr(r, field) for r in results)


def run(ref: str, cells: list[Cell], seconds: float, rounds: int, connections: int) -> list[Pair]:
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        work = Path(tmp)
        sources = {"ours": ROOT / "src", "ref": export_source(ref, work / "ref")}
        dists = {side: work / f"dist-{side}" for side in sources}
        log.info("building this tree's data with this tree's code and %s's", ref)
        build(sources, dists)
        pairs = []
        for page_cache in (False, True):
            group = [c for c in cells if c.page_cache is page_cache]
            if group:
                pairs += measure(sources, dists, group, page_cache, seconds, rounds, connections)
    return pairs


def measure(
    sources: dict[str, Path],
    dists: dict[str, Path],
    cells: list[Cell],
    page_cache: bool,
    seconds: float,
    rounds: int,
    connections: int,
) -> list[Pair]:
    """Both servers up at once; each cell in ``rounds`` alternating pairs of windows."""
    # Every connection comes from 127.0.0.1 and may land on one worker: admission control's 503s would
    # count as lost throughput, in whichever version the scheduler happened to crowd.
    slots = str(connections)
    settings = {
        **CACHES_OFF,
        "BLACKJANUARY_SPARQL_CONCURRENCY": slots,
        "BLACKJANUARY_SPARQL_CLIENT_CONCURRENCY": slots,
    }
    if page_cache:
        del settings["BLACKJANUARY_PAGE_CACHE_BYTES"]
    ports = {side: free_port() for side in sources}
    bases = {side: f"http://127.0.0.1:{port}" for side, port in ports.items()}
    command = {side: serve(dists[side], ports[side]) for side in sources}
    pairs = []
    with (
        server(command["ours"], bases["ours"] + "/sparql", code_env(sources["ours"], settings)),
        server(command["ref"], bases["ref"] + "/sparql", code_env(sources["ref"], settings)),
    ):
        for cell in cells:
            for side in sources:  # every worker up and each code path run once
                window(bases[side], cell, 1, connections)
            found: dict[str, list[loadgen.LoadResult]] = {"ours": [], "ref": []}
            for n in range(rounds):
                for side in ("ours", "ref") if n % 2 == 0 else ("ref", "ours"):
                    found[side].append(window(bases[side], cell, seconds, connections))
            pair = Pair(cell, found["ours"], found["ref"])
            log.info("%s: %.2f× req/s, %.2f× p50", cell.name, pair.rps_ratio(), pair.p50_ratio())
            pairs.append(pair)
    return pairs


def table(pairs: list[Pair], ref: str) -> str:
    lines = [
        f"| cell | {ref} req/s | this tree req/s | req/s ratio | {ref} p50 ms "
        "| this tree p50 ms | p50 ratio | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in pairs:
        errors = sum(r.errors for r in p.ours + p.ref)
        lines.append(
            f"| {p.cell.name} | {p.median(p.ref, 'requests_per_second'):,.0f} "
            f"| {p.median(p.ours, 'requests_per_second'):,.0f} | {p.rps_ratio():.2f}× "
            f"| {p.median(p.ref, 'p50_ms'):.2f} | {p.median(p.ours, 'p50_ms'):.2f} | {p.p50_ratio():.2f}× "
            f"| {errors} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--against", default=DEFAULT_REF, help=f"git ref to compare with (default {DEFAULT_REF})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="four cells, 1 s windows, 2 rounds (under a minute)"
    )
    parser.add_argument("--seconds", type=float, help="window length (default 3, quick 1)")
    parser.add_argument("--rounds", type=int, help="alternations per cell (default 6, quick 2)")
    parser.add_argument("--connections", type=int, default=8, help="load connections (default 8)")
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    rounds = args.rounds or (2 if args.quick else 6)
    cells = [c for c in CELLS if c.name in QUICK_CELLS] if args.quick else list(CELLS)
    ref = resolve(args.against)
    load = os.getloadavg()
    pairs = run(ref, cells, seconds, rounds, args.connections)
    tool = pairs[0].ours[0].tool
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores "
        f"(load average {load[0]:.1f} at the start), Python {platform.python_version()}, load generator: "
        f"{tool}, {args.connections} connections, {rounds} alternations of {seconds:g} s windows per cell "
        f"(`python -m bench.compare_ref --against {args.against}"
        f"{' --quick' if args.quick else ''}`). Ratios: this tree / {ref}, the median of the paired "
        "windows; above 1 is more req/s, below 1 a shorter p50."
    )
    text = table(pairs, ref)
    print(header + "\n\n" + text)
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        doc = path.read_text(encoding="utf-8")
        start, end = "<!-- bench-ref:start -->", "<!-- bench-ref:end -->"
        before, _, rest = doc.partition(start)
        _, _, after = rest.partition(end)
        path.write_text(f"{before}{start}\n{header}\n\n{text}\n{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
