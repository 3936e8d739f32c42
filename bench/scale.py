"""Scale benchmark: our three backends beside Oxigraph server and rdflib-endpoint, on the same
synthetic graphs and the same queries, at growing sizes. Writes ``docs/benchmarks-scale.md`` (+ PNG).

    python -m bench.scale --sizes 10k,100k,1M

For every size: generate the graph (``bench.generate``), then for each server measure the load time,
the resident memory (RSS of the whole process tree, after loading and after the load test) and, per
probe, requests/s, p50 and p99 under a bounded loopback load (``bench.loadgen``). Our app runs with
its answer and page caches off and room for the load's eight connections (:data:`UNCACHED`), and
every probe varies its IRI or constant, so all servers evaluate every request. Also measured: the
build's dump writers on the same data, and SHACL validation (pyshacl through
``blackjanuary.publish.shacl.gate.run_shacl``) with the project's shapes.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import logging
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import requests

from bench import loadgen
from bench.generate import BJ, ID, RDFS, SDO, generate, parse_size
from bench.loadgen import Probe
from blackjanuary.config import Settings
from blackjanuary.progress import progress
from blackjanuary.publish.manifest import DistFile, Manifest
from tests.support.oxigraph import OxigraphServer, oxigraph_binary
from tests.support.servers import free_port

log = logging.getLogger("bench.scale")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks-scale.md"
PLOT = ROOT / "docs" / "benchmarks-scale.png"
BIN = Path(sys.executable).parent
SRJ = "application/sparql-results+json"
SERVERS = ("embedded", "persistent", "remote", "oxigraph", "rdflib-endpoint")
OURS = ("embedded", "persistent", "remote")


# Probes: the same three queries for every server, plus an entity page and a data document for ours ---
UNCACHED: dict[str, str] = {
    "BLACKJANUARY_CACHE_SIZE": "0",
    "BLACKJANUARY_PAGE_CACHE_BYTES": "0",
    "BLACKJANUARY_SPARQL_CONCURRENCY": "8",
    "BLACKJANUARY_SPARQL_CLIENT_CONCURRENCY": "8",
}
"""The app's settings for a probe: no answer or page cache (every request is evaluated), and room for
the load generator's eight connections, which all come from 127.0.0.1 (the per-client SPARQL limit
would refuse five of them, and those refusals would be counted as errors)."""


def events_in(triples: int) -> int:
    """How many events a generated graph of ``triples`` holds (about 52 triples per event)."""
    return max(1, triples // 52)


def q_lookup(k: int) -> str:
    return f"SELECT ?p ?o WHERE {{ <{ID}bench-event-{k}> ?p ?o }}"


def q_join(k: int) -> str:
    return (
        f"SELECT ?e ?place ?label WHERE {{ ?e <{SDO}location> ?place . ?e <{BJ}killedCount> ?n . "
        f'?place <{RDFS}label> ?label FILTER(?n > {480 + k % 19} && lang(?label) = "en") }} LIMIT 100'
    )


def q_group(k: int) -> str:
    return (
        f"SELECT ?place (COUNT(?e) AS ?n) WHERE {{ ?e <{SDO}location> ?place }} "
        f"GROUP BY ?place ORDER BY DESC(?n) LIMIT {10 + k % 5}"
    )


QUERIES: dict[str, Callable[[int], str]] = {"lookup": q_lookup, "join+filter": q_join, "group-by": q_group}
PAGES = ("page", "data")


def query_probe(path: str, build: Callable[[int], str], events: int) -> Callable[[int], Probe]:
    rng = random.Random(7)
    keys = [rng.randrange(events) for _ in range(4096)]

    def make(i: int) -> Probe:
        return Probe("GET", f"{path}?query={quote(build(keys[i % len(keys)]))}", {"Accept": SRJ})

    return make


def page_probe(kind: str, events: int) -> Callable[[int], Probe]:
    rng = random.Random(11)
    keys = [rng.randrange(events) for _ in range(4096)]

    def make(i: int) -> Probe:
        key = f"bench-event-{keys[i % len(keys)]}"
        if kind == "page":
            return Probe("GET", f"/page/{key}", {"Accept": "text/html"})
        return Probe("GET", f"/data/{key}.ttl", {"Accept": "text/turtle"})

    return make


# Processes and memory -----------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MiB."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        stack.extend(_children(current))
    return total / 1024


@contextmanager
def process(command: list[str], *, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    log.info("$ %s", " ".join(command))
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def wait_until_ok(url: str, proc: subprocess.Popen[bytes], limit: float = 3600.0) -> None:
    """Poll until ``url`` answers 200 (a server that is up but still loading may answer otherwise)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering {url}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {limit:g} s")


def wait_until_idle(proc: subprocess.Popen[bytes], limit: float = 600.0) -> None:
    """Wait until the server and its workers use less than a tenth of a core over half a second: a
    gunicorn server answers as soon as one worker has loaded its store, while the others may still be
    loading theirs, which would be measured as the first probe's latency."""
    deadline = time.monotonic() + limit
    before = _tree_cpu_seconds(proc.pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _tree_cpu_seconds(proc.pid)
        if now - before < 0.05:
            return
        before = now
    raise RuntimeError(f"the server was still busy after {limit:g} s")


def _tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its children (Linux ``/proc``)."""
    total, pids = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


# Results -------------------------------------------------------------------------------------------------
@dataclass
class ProbeStats:
    requests: int
    errors: int
    rps: float
    p50: float
    p99: float


@dataclass
class ServerRun:
    size: str
    triples: int
    server: str
    load_s: float | None = None
    ready_s: float | None = None
    rss_loaded: float | None = None
    rss_after: float | None = None
    probes: dict[str, ProbeStats] = field(default_factory=dict)
    note: str = ""


@dataclass
class SizeRun:
    size: str
    triples: int
    file_mib: float
    servers: list[ServerRun] = field(default_factory=list)
    dumps_s: dict[str, float] = field(default_factory=dict)
    hub_page_ms: float | None = None
    shacl_s: float | None = None
    shacl_note: str = ""


@dataclass
class Options:
    concurrency: int = 4
    max_requests: int = 400
    max_seconds: float = 8.0
    timeout: float = 60.0
    rdflib_max: int = 1_000_000
    dumps_max: int = 1_000_000
    shacl_sizes: tuple[str, ...] = ("100k", "1M")
    tool: str = "python"
    """The load generator of :func:`bench.loadgen.run`: ``python`` or ``wrk``."""


def measure(base: str, probes: dict[str, Callable[[int], Probe]], opts: Options) -> dict[str, ProbeStats]:
    """Each probe through ``bench.loadgen.run``: varying requests, bounded in count and time."""
    stats: dict[str, ProbeStats] = {}
    for name, make in probes.items():
        warm = make(-1)
        response = requests.get(base + warm.path, headers=warm.headers, timeout=opts.timeout)
        if response.status_code != 200:
            log.warning("    %s answers HTTP %d: %s", name, response.status_code, response.text[:200])
        result = loadgen.run(
            base,
            make,
            concurrency=opts.concurrency,
            max_requests=opts.max_requests,
            max_seconds=opts.max_seconds,
            timeout=opts.timeout,
            tool=opts.tool,
        )
        stats[name] = ProbeStats(
            result.requests, result.errors, round(result.rps, 1), round(result.p50, 2), round(result.p99, 2)
        )
        log.info(
            "    %-12s %8.1f req/s  p50 %8.2f ms  p99 %8.2f ms  (%d requests, %d errors)",
            name,
            result.rps,
            result.p50,
            result.p99,
            result.requests,
            result.errors,
        )
    return stats


# The servers --------------------------------------------------------------------------------------------
def bench_oxigraph(
    size: str, triples: int, nq: Path, opts: Options, events: int
) -> tuple[ServerRun, OxigraphServer]:
    """Oxigraph server in memory, union default graph; the caller stops it (the remote backend uses it)."""
    run_ = ServerRun(size, triples, "oxigraph")
    server = OxigraphServer(None, extra_args=("--union-default-graph",))
    started = time.perf_counter()
    server.start()
    try:
        run_.ready_s = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        with nq.open("rb") as body:
            response = requests.post(
                server.store_url, data=body, timeout=3600, headers={"Content-Type": "application/n-quads"}
            )
        response.raise_for_status()
        run_.load_s = round(time.perf_counter() - started, 2)
        assert server.pid is not None
        run_.rss_loaded = round(rss_mib(server.pid), 1)
        probes = {name: query_probe("/query", q, events) for name, q in QUERIES.items()}
        run_.probes = measure(server.base_url, probes, opts)
        run_.rss_after = round(rss_mib(server.pid), 1)
    except BaseException:
        server.stop()
        raise
    return run_, server


def bench_rdflib(size: str, triples: int, nq: Path, opts: Options, events: int) -> ServerRun:
    run_ = ServerRun(size, triples, "rdflib-endpoint")
    if triples > opts.rdflib_max:
        run_.note = f"skipped above {opts.rdflib_max:,} triples (load time and memory)"
        return run_
    port = free_port()
    command = [str(BIN / "rdflib-endpoint"), "serve", str(nq), "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with process(command) as proc:
        started = time.perf_counter()
        wait_until_ok(f"{base}/?query={quote('ASK {}')}", proc)
        run_.load_s = run_.ready_s = round(time.perf_counter() - started, 2)
        run_.rss_loaded = round(rss_mib(proc.pid), 1)
        probes = {name: query_probe("/", q, events) for name, q in QUERIES.items()}
        run_.probes = measure(base, probes, opts)
        run_.rss_after = round(rss_mib(proc.pid), 1)
        run_.note = "rdflib Dataset (default_union), uvicorn; load = process start until it answers"
    return run_


def make_dist(nq: Path, dist: Path, size: str, graphs: dict[str, int]) -> None:
    """A servable dist/ for the synthetic graph: its N-Quads (hard-linked) and a manifest."""
    dist.mkdir(parents=True, exist_ok=True)
    name = f"blackjanuary-bench-{size}.nq"
    target = dist / name
    if not target.exists():
        try:
            os.link(nq, target)
        except OSError:
            shutil.copyfile(nq, target)
    entry = DistFile(
        name=name,
        format="nquads",
        media_type="application/n-quads",
        bytes=nq.stat().st_size,
        sha256="not-computed-for-benchmarks",
        triples=sum(graphs.values()),
        compressed=False,
        graphs=True,
    )
    manifest = Manifest(
        dataset="https://w3id.org/blackjanuary/dataset",
        version=f"bench-{size}",
        base_iri="https://w3id.org/blackjanuary/",
        conforms=True,
        input_sha256="bench",
        graphs=graphs,
        triples=sum(graphs.values()),
        files=(entry,),
    )
    (dist / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")


def embedded_load(nq: Path) -> tuple[float, dict[str, int]]:
    """Time ``EmbeddedStore.from_nquads`` in this process: the exact code the server runs at start-up."""
    from blackjanuary.store.embedded import EmbeddedStore

    started = time.perf_counter()
    store = EmbeddedStore.from_nquads(nq, version="bench", settings=Settings(root=ROOT))
    seconds = time.perf_counter() - started
    graphs = dict(store.info.graph_triples)
    del store
    gc.collect()
    return seconds, graphs


def bench_ours(
    backend: str,
    size: str,
    triples: int,
    dist: Path,
    work: Path,
    opts: Options,
    events: int,
    oxigraph: OxigraphServer,
    load_s: float | None,
) -> ServerRun:
    run_ = ServerRun(size, triples, backend, load_s=load_s)
    port = free_port()
    command = [
        str(BIN / "blackjanuary"),
        "serve",
        "--no-build",
        "--dist",
        str(dist),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--threads",
        "8",
    ]
    if backend == "persistent":
        store_dir = work / "store"
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "blackjanuary"), "load", "--dist", str(dist), "--store", str(store_dir)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        run_.load_s = round(time.perf_counter() - started, 2)
        command += ["--store", str(store_dir)]
    elif backend == "remote":
        started = time.perf_counter()
        subprocess.run(
            [str(BIN / "blackjanuary"), "load", "--dist", str(dist), "--endpoint", oxigraph.query_url],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        run_.load_s = round(time.perf_counter() - started, 2)
        run_.note = "load = GSP push to the Oxigraph server; RSS is the app only (the server is the peer's)"
        command += ["--endpoint", oxigraph.query_url]
    base = f"http://127.0.0.1:{port}"
    env = {
        **UNCACHED,
        "BLACKJANUARY_REMOTE_TIMEOUT": str(opts.timeout),
        "BLACKJANUARY_QUERY_TIMEOUT": str(opts.timeout),
    }
    with process(command, env=env) as proc:
        started = time.perf_counter()
        wait_until_ok(f"{base}/sparql?query={quote('ASK {}')}", proc)
        run_.ready_s = round(time.perf_counter() - started, 2)
        run_.rss_loaded = round(rss_mib(proc.pid), 1)
        probes = {name: query_probe("/sparql", q, events) for name, q in QUERIES.items()}
        probes.update({kind: page_probe(kind, events) for kind in PAGES})
        run_.probes = measure(base, probes, opts)
        run_.rss_after = round(rss_mib(proc.pid), 1)
        if backend == "embedded":
            t0 = time.perf_counter()
            hub = requests.get(f"{base}/page/bench-place-0", headers={"Accept": "text/html"}, timeout=120)
            run_.note = (
                f"hub page /page/bench-place-0 (~{events // 5:,} incoming links): "
                f"HTTP {hub.status_code}, {(time.perf_counter() - t0) * 1000:.0f} ms, "
                f"{len(hub.content) // 1024} KiB"
            )
    return run_


# Dumps and SHACL ----------------------------------------------------------------------------------------
def bench_dumps(nq: Path, work: Path) -> dict[str, float]:
    """The build's own writers (``dumps.serialize`` + gzip) on the synthetic quads, one format at a time."""
    from blackjanuary.publish import dumps
    from blackjanuary.publish.build import DUMP_FORMATS
    from blackjanuary.rdf.vocab import Ours

    started = time.perf_counter()
    with nq.open("rb") as stream:
        quads = sorted(ox.parse(stream, format=ox.RdfFormat.N_QUADS), key=dumps._nquads_line)
    triples = dumps.union_triples(quads)
    times = {"read + sort": round(time.perf_counter() - started, 2)}
    prefixes = Ours().prefixes()
    for fmt in DUMP_FORMATS:
        started = time.perf_counter()
        data = dumps.serialize(fmt, quads, triples, prefixes)
        (work / f"dump.{fmt.extension}").write_bytes(data)
        plain = time.perf_counter() - started
        with gzip.open(work / f"dump.{fmt.extension}.gz", "wb", compresslevel=9) as fh:
            fh.write(data)
        times[fmt.extension] = round(plain, 2)
        times[fmt.extension + ".gz"] = round(time.perf_counter() - started, 2)
        del data
        (work / f"dump.{fmt.extension}").unlink()
        (work / f"dump.{fmt.extension}.gz").unlink()
    return times


def bench_shacl(nq: Path, limit_s: float) -> tuple[float | None, str]:
    """``run_shacl`` (the default engine, pyshacl-turbo; see bench/validation_bench.py) on synthetic data,
    in a child process."""
    code = (
        "import sys, time, json\n"
        "from rdflib import Dataset, Graph\n"
        "from blackjanuary.config import Settings\n"
        "from blackjanuary.publish.sources import load\n"
        "from blackjanuary.publish.shacl.gate import run_shacl, shapes_graph\n"
        "s = Settings(root=__import__('pathlib').Path(sys.argv[2]))\n"
        "shapes = shapes_graph(load(s, graphs=['shapes']), s)\n"
        "t = time.perf_counter(); ds = Dataset(); ds.parse(sys.argv[1], format='nquads')\n"
        "g = Graph()\n"
        "for s_, p_, o_, _ in ds.quads((None, None, None, None)): g.add((s_, p_, o_))\n"
        "parse = time.perf_counter() - t; t = time.perf_counter()\n"
        "report = run_shacl(g, shapes)\n"
        "print(json.dumps({'parse': parse, 'validate': time.perf_counter() - t, "
        "'violations': len(report.violations), 'triples': len(g)}))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(nq), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=limit_s,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None, f"stopped after {limit_s:.0f} s"
    except subprocess.CalledProcessError as exc:
        return None, "failed: " + (exc.stderr.strip().splitlines() or ["?"])[-1][:200]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    note = (
        f"{result['triples']:,} triples: rdflib parse {result['parse']:.1f} s + pyshacl-turbo "
        f"{result['validate']:.1f} s ({result['violations']} violations on synthetic data)"
    )
    return round(result["validate"], 2), note


# The run ------------------------------------------------------------------------------------------------
def bench_size(size: str, opts: Options, *, shacl_limit: float) -> SizeRun:
    nq = generate(size)
    triples = parse_size(size)
    events = events_in(triples)
    result = SizeRun(size, triples, round(nq.stat().st_size / 2**20, 1))
    log.info("== %s: %s (%.0f MiB)", size, nq.name, result.file_mib)
    with tempfile.TemporaryDirectory(prefix=f"bench-{size}-", dir=RESULTS) as tmp:
        work = Path(tmp)
        embedded_s, graphs = embedded_load(nq)
        make_dist(nq, work / "dist", size, graphs)
        log.info("  oxigraph server")
        oxi, server = bench_oxigraph(size, triples, nq, opts, events)
        result.servers.append(oxi)
        try:
            for backend in OURS:
                log.info("  ours: %s", backend)
                load = round(embedded_s, 2) if backend == "embedded" else None
                try:
                    result.servers.append(
                        bench_ours(backend, size, triples, work / "dist", work, opts, events, server, load)
                    )
                except Exception as exc:  # keep the other servers' numbers
                    log.error("  %s failed: %s", backend, exc)
                    result.servers.append(ServerRun(size, triples, backend, note=f"failed: {exc}"[:200]))
        finally:
            server.stop()
        log.info("  rdflib-endpoint")
        try:
            result.servers.append(bench_rdflib(size, triples, nq, opts, events))
        except Exception as exc:  # keep the other servers' numbers
            log.error("  rdflib-endpoint failed: %s", exc)
            result.servers.append(ServerRun(size, triples, "rdflib-endpoint", note=f"failed: {exc}"[:200]))
        if triples <= opts.dumps_max:
            log.info("  dumps")
            try:
                result.dumps_s = bench_dumps(nq, work)
            except Exception as exc:  # a benchmark step failing must not lose the other numbers
                log.error("  dumps failed: %s", exc)
    if size in opts.shacl_sizes:
        log.info("  SHACL")
        result.shacl_s, result.shacl_note = bench_shacl(nq, shacl_limit)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="Scale benchmark: our backends and two peers")
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated: 10k,100k,1M,10M")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=400, help="per probe and server")
    parser.add_argument("--max-seconds", type=float, default=8.0, help="per probe and server")
    parser.add_argument("--shacl", default="100k,1M", help="sizes to run SHACL validation at ('' for none)")
    parser.add_argument("--shacl-limit", type=float, default=900.0, help="seconds before SHACL is stopped")
    parser.add_argument("--no-report", action="store_true", help="only write bench/results/scale-*.json")
    parser.add_argument(
        "--shacl-only",
        action="store_true",
        help="only (re)measure SHACL validation at --shacl sizes, into the existing results",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    oxigraph_binary()
    RESULTS.mkdir(parents=True, exist_ok=True)
    opts = Options(
        concurrency=args.concurrency,
        max_requests=args.max_requests,
        max_seconds=args.max_seconds,
        shacl_sizes=tuple(s for s in args.shacl.split(",") if s),
    )
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.shacl_only:
        for size in opts.shacl_sizes:
            path = RESULTS / f"scale-{size}.json"
            data = json.loads(path.read_text(encoding="utf-8"))
            log.info("SHACL at %s", size)
            data["shacl_s"], data["shacl_note"] = bench_shacl(generate(size), args.shacl_limit)
            log.info("  %s s: %s", data["shacl_s"], data["shacl_note"])
            path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        sizes = []
    runs: list[SizeRun] = []
    with progress("scale benchmark", len(sizes)) as step:
        for size in sizes:
            run_ = bench_size(size, opts, shacl_limit=args.shacl_limit)
            (RESULTS / f"scale-{size}.json").write_text(json.dumps(asdict(run_), indent=1), encoding="utf-8")
            runs.append(run_)
            step.advance(size)
    if not args.no_report:
        from bench.scale_report import write_report

        command = "`" + " ".join(["python -m bench.scale", *sys.argv[1:]]) + "`"
        write_report(load_results(), DOC, PLOT, command=command, machine=machine())


def load_results() -> list[dict[str, object]]:
    """Every size measured so far (bench/results/scale-*.json), smallest first."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in RESULTS.glob("scale-*.json")]
    return sorted(found, key=lambda r: int(r["triples"]))  # type: ignore[arg-type]


def machine() -> str:
    cpus = os.cpu_count()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    version = subprocess.run([oxigraph_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs{mem}; "
        f"Python {platform.python_version()}; {version}"
    )


if __name__ == "__main__":
    main()
