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
  N keep-alive connections: the SPARQL queries of ``bench/run.py`` as
  ``application/sparql-results+json`` (and the join as CSV, and as JSON to a client that accepts gzip,
  as Python's requests does), the entity page and the landing page as a browser asks for them (gzip
  and brotli accepted), and a data document.

The quick form (``--quick``: four cells, 1 s windows, 2 rounds) takes under a minute; the full
form (the default: every cell, 3 s windows, 6 rounds) is for an idle machine.

``--instructions`` measures what the load cannot move: the CPU instructions each version executes per
request (valgrind's callgrind, every thread of the process, the engine's included), with the same
cells and settings, the requests sent straight to the WSGI callable (:mod:`bench.request_cost`) instead
of through gunicorn and a socket. It needs Debian's ``valgrind``; the quick form takes about two
minutes, whatever else runs on the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import loadgen
from bench.run import ACCEPT, QUERIES, ROOT, free_port, stop, wait_until_up

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


def sparql(name: str, query: str, accept: str = ACCEPT, headers: dict[str, str] | None = None) -> Cell:
    return Cell(name, "/sparql?" + urllib.parse.urlencode({"query": QUERIES[query]}), accept, headers or {})


CELLS: tuple[Cell, ...] = (
    sparql("SPARQL lookup (JSON)", "lookup"),
    sparql("SPARQL join (JSON)", "join"),
    sparql("SPARQL aggregate (JSON)", "aggregate"),
    sparql("SPARQL join (CSV)", "join", "text/csv"),
    sparql("SPARQL join (JSON, gzip)", "join", headers={"Accept-Encoding": "gzip, deflate"}),  # requests'
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
    """``ref`` as a short commit id; a clear exit when this clone does not have it."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "--short", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if found.returncode:
        raise SystemExit(
            f"{ref} is not a commit of this clone ({found.stderr.strip()}); a shallow clone needs "
            "`git fetch --unshallow` (or a deeper fetch) first."
        )
    return found.stdout.strip()


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


@contextmanager
def started(command: list[str], url: str, env: dict[str, str]) -> Iterator[int]:
    """The server ``command`` running until ``url`` answers; yields its process id."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(url, process)
        yield process.pid
    finally:
        stop(process)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and every process below it — gunicorn's master and workers —
    from ``/proc`` (NaN where there is none)."""
    ticks, stack = 0, [pid]
    try:
        while stack:
            current = stack.pop()
            try:
                fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
                for task in Path(f"/proc/{current}/task").iterdir():
                    stack += [int(child) for child in (task / "children").read_text().split()]
            except FileNotFoundError:  # a worker that has just exited
                continue
    except OSError:
        return float("nan")
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Window:
    load: loadgen.LoadResult
    cpu_ms: float
    """The server's CPU time per successful response, in milliseconds."""


def window(base: str, pid: int, cell: Cell, seconds: float, connections: int) -> Window:
    before = cpu_seconds(pid)
    load = loadgen.run_url(
        base + cell.path, seconds=seconds, connections=connections, accept=cell.accept, headers=cell.headers
    )
    spent = cpu_seconds(pid) - before
    return Window(load, spent * 1000 / load.requests if load.requests else float("nan"))


@dataclass(frozen=True)
class Pair:
    cell: Cell
    ours: list[Window]
    ref: list[Window]

    @staticmethod
    def value(w: Window, field: str) -> float:
        return float(w.cpu_ms if field == "cpu_ms" else getattr(w.load, field))

    def ratio(self, field: str) -> float:
        """The median over the rounds of ours / ref, each from two adjacent windows."""
        ratios = [
            self.value(a, field) / self.value(b, field)
            for a, b in zip(self.ours, self.ref, strict=True)
            if self.value(b, field)
        ]
        return statistics.median(ratios) if ratios else float("nan")

    def median(self, side: str, field: str) -> float:
        return statistics.median(self.value(w, field) for w in (self.ours if side == "ours" else self.ref))


@contextmanager
def built(ref: str) -> Iterator[tuple[Path, dict[str, Path], dict[str, Path]]]:
    """A temporary working directory, both versions' sources (this tree's ``src/`` and ``ref``'s,
    exported there) and the ``dist/`` each built from this tree's graph files."""
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        work = Path(tmp)
        sources = {"ours": ROOT / "src", "ref": export_source(ref, work / "ref")}
        dists = {side: work / f"dist-{side}" for side in sources}
        log.info("building this tree's data with this tree's code and %s's", ref)
        build(sources, dists)
        yield work, sources, dists


def run(ref: str, cells: list[Cell], seconds: float, rounds: int, connections: int) -> list[Pair]:
    with built(ref) as (work, sources, dists):
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
        started(command["ours"], bases["ours"] + "/sparql", code_env(sources["ours"], settings)) as ours,
        started(command["ref"], bases["ref"] + "/sparql", code_env(sources["ref"], settings)) as ref,
    ):
        pids = {"ours": ours, "ref": ref}
        for cell in cells:
            for side in sources:  # every worker up and each code path run once
                window(bases[side], pids[side], cell, 1, connections)
            found: dict[str, list[Window]] = {"ours": [], "ref": []}
            for n in range(rounds):
                for side in ("ours", "ref") if n % 2 == 0 else ("ref", "ours"):
                    found[side].append(window(bases[side], pids[side], cell, seconds, connections))
            pair = Pair(cell, found["ours"], found["ref"])
            log.info(
                "%s: %.2f× req/s, %.2f× p50, %.2f× CPU per request",
                cell.name,
                pair.ratio("requests_per_second"),
                pair.ratio("p50_ms"),
                pair.ratio("cpu_ms"),
            )
            pairs.append(pair)
    return pairs


# Instructions per request (callgrind) ---------------------------------------------------------------

REQUESTS = {"page": 4, "data": 10, "SPARQL": 30}
"""Requests counted per cell (a page costs about 25× a SPARQL answer); the first word of the cell."""


class Counted:
    """One side's app under callgrind, instrumented only while a cell's requests run."""

    def __init__(self, src: Path, dist: Path, settings: dict[str, str], out: Path) -> None:
        self.out = out
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}.%p"]
        self.process = subprocess.Popen(
            [*command, sys.executable, "-m", "bench.request_cost", str(dist)],
            cwd=ROOT,
            env=code_env(src, settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        if self._line() != "ready":
            raise RuntimeError(f"{src}: the app did not start under valgrind")

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def send(self, cell: Cell, n: int) -> str:
        assert self.process.stdin is not None
        order = {"cell": cell.name, "path": cell.path, "accept": cell.accept, "headers": cell.headers, "n": n}
        self.process.stdin.write(json.dumps(order) + "\n")
        self.process.stdin.flush()
        return self._line().removeprefix("done ")

    def _control(self, *args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(self.process.pid)], check=True, capture_output=True)

    def instructions(self, cell: Cell, n: int) -> float:
        """Instructions per request of ``cell``, over ``n`` requests after two instrumented ones."""
        self.send(cell, 3)  # uninstrumented: code paths and the engine's threads warm
        self._control("-i", "on")
        self.send(cell, 2)  # instrumented once: valgrind's translations made
        self._control("-z")
        status = self.send(cell, n)
        if not status.startswith(("200", "304")):
            raise RuntimeError(f"{cell.name}: {status}")
        dumped = set(self.out.parent.glob(f"{self.out.name}.*"))
        self._control("-d")
        self._control("-i", "off")
        deadline = time.monotonic() + 60
        while not (new := set(self.out.parent.glob(f"{self.out.name}.*")) - dumped):
            if time.monotonic() > deadline:
                raise RuntimeError("callgrind wrote no dump")
            time.sleep(0.1)
        text = ""
        while not (found := re.search(r"^(?:summary|totals):\s*(\d+)", text, re.MULTILINE)):
            time.sleep(0.1)
            text = max(new).read_text()
        return int(found.group(1)) / n

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def instructions(ref: str, cells: list[Cell]) -> list[tuple[Cell, float, float]]:
    """(cell, instructions per request with the ref, with this tree) for every cell."""
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("--instructions needs valgrind: apt-get install valgrind")
    found = []
    with built(ref) as (work, sources, dists):
        for page_cache in (False, True):
            group = [c for c in cells if c.page_cache is page_cache]
            if not group:
                continue
            settings = dict(CACHES_OFF)
            if page_cache:
                del settings["BLACKJANUARY_PAGE_CACHE_BYTES"]
            apps = {
                side: Counted(src, dists[side], settings, work / f"cg-{side}")
                for side, src in sources.items()
            }
            try:
                for cell in group:
                    n = REQUESTS[cell.name.split()[0]]
                    counts = {side: app.instructions(cell, n) for side, app in apps.items()}
                    log.info("%s: %.3f× instructions", cell.name, counts["ours"] / counts["ref"])
                    found.append((cell, counts["ref"], counts["ours"]))
            finally:
                for app in apps.values():
                    app.close()
    return found


def instructions_table(found: list[tuple[Cell, float, float]], ref: str) -> str:
    lines = [
        f"| cell | {ref} instructions per request | this tree | ratio |",
        "|---|---:|---:|---:|",
    ]
    for cell, theirs, ours in found:
        lines.append(f"| {cell.name} | {theirs / 1e6:.2f} M | {ours / 1e6:.2f} M | {ours / theirs:.3f}× |")
    return "\n".join(lines)


def table(pairs: list[Pair], ref: str) -> str:
    lines = [
        f"| cell | {ref} req/s | this tree | ratio | {ref} p50 ms | this tree | ratio "
        f"| {ref} CPU ms/request | this tree | ratio | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in pairs:
        errors = sum(w.load.errors for w in p.ours + p.ref)
        cells = [p.cell.name]
        for field, shown in (("requests_per_second", "{:,.0f}"), ("p50_ms", "{:.2f}"), ("cpu_ms", "{:.2f}")):
            cells += [shown.format(p.median("ref", field)), shown.format(p.median("ours", field))]
            cells.append(f"{p.ratio(field):.2f}×")
        lines.append("| " + " | ".join([*cells, str(errors)]) + " |")
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
    parser.add_argument("--cells", help="only the cells whose name contains one of these (comma-separated)")
    parser.add_argument(
        "--instructions", action="store_true", help="instructions per request under callgrind, not req/s"
    )
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seconds = args.seconds or (1.0 if args.quick else 3.0)
    rounds = args.rounds or (2 if args.quick else 6)
    cells = [c for c in CELLS if c.name in QUICK_CELLS] if args.quick else list(CELLS)
    if args.cells:
        cells = [c for c in CELLS if any(part in c.name for part in args.cells.split(","))]
    ref = resolve(args.against)
    load = os.getloadavg()
    invocation = f"`python -m bench.compare_ref --against {args.against}" + " --quick" * args.quick
    if args.instructions:
        found = instructions(ref, cells)
        header = (
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python "
            f"{platform.python_version()}, valgrind's callgrind, every thread of the app's process, requests "
            f"sent to the WSGI callable ({invocation} --instructions`; load average {load[0]:.1f}, which "
            f"these counts do not depend on). Ratio: this tree / {ref}; below 1 is less work."
        )
        text = instructions_table(found, ref)
        marker = "bench-ref-instructions"
    else:
        pairs = run(ref, cells, seconds, rounds, args.connections)
        tool = pairs[0].ours[0].load.tool
        header = (
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores "
            f"(load average {load[0]:.1f} at the start), Python {platform.python_version()}, load "
            f"generator: {tool}, {args.connections} connections, {rounds} alternations of {seconds:g} s "
            f"windows per cell ({invocation}`). Ratios: this tree / {ref}, the median of the paired "
            "windows; above 1 is more req/s, below 1 a shorter p50 or less server CPU time per request "
            "(gunicorn's master and workers, from /proc)."
        )
        text = table(pairs, ref)
        marker = "bench-ref"
    print(header + "\n\n" + text)
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        doc = path.read_text(encoding="utf-8")
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        before, _, rest = doc.partition(start)
        _, _, after = rest.partition(end)
        path.write_text(f"{before}{start}\n{header}\n\n{text}\n{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
