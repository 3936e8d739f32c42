"""Dump writers side by side: ours (bounded memory, sorted, byte-identical per build) against
``oxigraph dump`` for the same format, with the peak RSS of every run.

Each writer runs in its own process, and its peak RSS is the kernel's ``ru_maxrss`` for that process
(``os.wait4``). Ours reads the synthetic N-Quads of ``bench.generate``, turns each quad into its
N-Quads line as the build does, and writes every format with :func:`blackjanuary.publish.dump_writer.
write_dumps`; the *sort* column is the shared pass (parse, external sort, merge, written straight out
as N-Quads and N-Triples), each other format is one more pass over the sorted N-Triples (per-graph
files for TriG), and ``.gz`` is the gzip (level 9) of the plain file. A format on its own costs the
sort pass plus its own pass: that is the figure compared with ``oxigraph dump``. Oxigraph loads the
file into a RocksDB directory first (not timed), then dumps each format; a graph format (no named
graphs) is dumped from the data graph, which holds all but three of the triples. Oxigraph writes in
its index order, unsorted; ours is sorted and deterministic.

    python -m bench.dumps_bench --sizes 1M [--in-memory]   # quick: --sizes 100k
    python -m bench.dumps_bench --sizes 10M --run-mib 256
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import DATA_GRAPH, generate, parse_size

log = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results"
FORMATS = ("ttl", "nt", "jsonld", "rdf", "trig", "nq")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "rdf")


def oxigraph_cli() -> str:
    found = Path(sys.executable).with_name("oxigraph")
    if not found.exists():
        raise SystemExit("the oxigraph CLI is missing: pip install -e '.[bench]'")
    return str(found)


def run(command: list[str]) -> tuple[float, float]:
    """Run ``command``; its wall time in seconds and its peak RSS in MiB."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    run.last_stdout = out  # type: ignore[attr-defined]
    return elapsed, usage.ru_maxrss / 1024


def child_ours(nq: Path, out: Path, run_mib: int) -> None:
    """In a child process: every format with the streaming writer; timings as JSON on stdout."""
    import pyoxigraph as ox

    from blackjanuary.publish import dump_writer
    from blackjanuary.rdf.formats import NQUADS, NTRIPLES, RDF_FORMATS
    from blackjanuary.rdf.vocab import Ours

    prefixes = Ours().prefixes()
    names = {f.name: out / f"ours.{f.extension}" for f in RDF_FORMATS}
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dump-", dir=out) as tmp:
        scratch = Path(tmp)
        started = time.perf_counter()
        lines = dump_writer.quad_lines(ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS))  # type: ignore[arg-type]
        stats, graph_files = dump_writer.write_sorted(
            lines, scratch, names[NQUADS.name], names[NTRIPLES.name], prefixes, run_mib << 20
        )
        timings["sort"] = time.perf_counter() - started
        for fmt in RDF_FORMATS:
            if fmt.name in (NQUADS.name, NTRIPLES.name):
                continue
            started = time.perf_counter()
            dump_writer.write_format(
                fmt.name, names[fmt.name], names[NTRIPLES.name], graph_files, stats, scratch
            )
            timings[fmt.extension] = time.perf_counter() - started
    for fmt in RDF_FORMATS:
        started = time.perf_counter()
        dump_writer.gzip_file(names[fmt.name], names[fmt.name].with_suffix(f".{fmt.extension}.gz"))
        timings[fmt.extension + ".gz"] = time.perf_counter() - started
    timings["runs"] = stats.runs
    timings["quads"] = stats.quads
    print(json.dumps(timings))


def child_in_memory(nq: Path, out: Path) -> None:
    """In a child process: the in-memory writers of ``blackjanuary.publish.dumps`` (the reference)."""
    import pyoxigraph as ox

    from blackjanuary.publish import dumps
    from blackjanuary.rdf.formats import RDF_FORMATS
    from blackjanuary.rdf.vocab import Ours

    prefixes = Ours().prefixes()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    quads = sorted(set(ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)), key=dumps._nquads_line)
    triples = dumps.union_triples(quads)
    timings["sort"] = time.perf_counter() - started
    for fmt in RDF_FORMATS:
        started = time.perf_counter()
        (out / f"memory.{fmt.extension}").write_bytes(dumps.serialize(fmt, quads, triples, prefixes))  # type: ignore[arg-type]
        timings[fmt.extension] = time.perf_counter() - started
    print(json.dumps(timings))


def bench_size(label: str, run_mib: int, in_memory: bool = False) -> dict[str, object]:
    nq = generate(label)
    result: dict[str, object] = {"size": label, "triples": parse_size(label), "run_mib": run_mib}
    with tempfile.TemporaryDirectory(prefix="dumps-bench-") as tmp:
        work = Path(tmp)
        log.info("%s: ours", label)
        elapsed, rss = run(
            [sys.executable, "-m", "bench.dumps_bench", "--child-ours", str(nq), str(work), str(run_mib)]
        )
        ours = json.loads(run.last_stdout)  # type: ignore[attr-defined]
        result["ours"] = {"total_s": round(elapsed, 2), "peak_rss_mib": round(rss, 1), **ours}
        for name in sorted(work.glob("ours.*")):
            name.unlink()
        if in_memory:
            log.info("%s: the in-memory writers", label)
            elapsed, rss = run(
                [sys.executable, "-m", "bench.dumps_bench", "--child-memory", str(nq), str(work)]
            )
            timings = json.loads(run.last_stdout)  # type: ignore[attr-defined]
            result["in_memory"] = {"total_s": round(elapsed, 2), "peak_rss_mib": round(rss, 1), **timings}
            for name in sorted(work.glob("memory.*")):
                name.unlink()
        log.info("%s: oxigraph load", label)
        store = work / "store"
        cli = oxigraph_cli()
        load_s, load_rss = run([cli, "load", "--location", str(store), "--file", str(nq)])
        oxi: dict[str, object] = {"load_s": round(load_s, 2), "load_peak_rss_mib": round(load_rss, 1)}
        for ext in FORMATS:
            target = work / f"oxigraph.{ext}"
            command = [cli, "dump", "--location", str(store), "--file", str(target)]
            if ext in GRAPH_FORMATS:
                command += ["--graph", DATA_GRAPH.strip("<>")]
            log.info("%s: oxigraph dump %s", label, ext)
            dump_s, dump_rss = run(command)
            oxi[ext] = {"s": round(dump_s, 2), "peak_rss_mib": round(dump_rss, 1)}
            target.unlink()
        result["oxigraph"] = oxi
    return result


def table(results: list[dict[str, object]]) -> str:
    lines = [
        "| size | format | ours s (sort + format) | ours .gz s | oxigraph dump s | ours / oxigraph |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        ours, oxi = r["ours"], r["oxigraph"]
        assert isinstance(ours, dict) and isinstance(oxi, dict)
        for ext in FORMATS:
            alone = ours["sort"] + (ours.get(ext, 0.0) if ext not in ("nq", "nt") else 0.0)
            theirs = oxi[ext]["s"]
            gz = ours[ext + ".gz"]
            lines.append(
                f"| {r['size']} | {ext} | {alone:.2f} | {gz:.2f} | {theirs:.2f} | {alone / theirs:.2f}× |"
            )
    lines.append("")
    lines.append(
        "| size | ours: every format + gzip, s | ours peak RSS MiB | sorted runs | oxigraph load s "
        "| oxigraph dump peak RSS MiB (max) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|")
    for r in results:
        ours, oxi = r["ours"], r["oxigraph"]
        assert isinstance(ours, dict) and isinstance(oxi, dict)
        peak = max(v["peak_rss_mib"] for k, v in oxi.items() if isinstance(v, dict))
        lines.append(
            f"| {r['size']} | {ours['total_s']:.1f} | {ours['peak_rss_mib']:.0f} | {ours['runs']} "
            f"| {oxi['load_s']:.1f} | {peak:.0f} |"
        )
    memory = [r for r in results if isinstance(r.get("in_memory"), dict)]
    if memory:
        lines += [
            "",
            "| size | in-memory writers: every format, s | in-memory peak RSS MiB |",
            "|---|---:|---:|",
        ]
        for r in memory:
            m = r["in_memory"]
            assert isinstance(m, dict)
            lines.append(f"| {r['size']} | {m['total_s']:.1f} | {m['peak_rss_mib']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child-ours":
        child_ours(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--child-memory":
        child_in_memory(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M", help="comma-separated: 10k,100k,1M,10M")
    parser.add_argument("--run-mib", type=int, default=64, help="memory for one sorted run (MiB)")
    parser.add_argument("--in-memory", action="store_true", help="also run the in-memory writers (memory)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = [bench_size(label.strip(), args.run_mib, args.in_memory) for label in args.sizes.split(",")]
    RESULTS.mkdir(parents=True, exist_ok=True)
    for r in results:
        (RESULTS / f"dumps-{r['size']}.json").write_text(json.dumps(r, indent=1), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
