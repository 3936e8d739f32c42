"""SHACL validation time: the real data and synthetic graphs, with the fast engine and plain pySHACL.

Each (data, engine) pair runs in a child process with a time limit; the data is loaded into an
Oxigraph store first (timed apart), then ``blackjanuary.publish.shacl.gate.run_shacl`` validates it
against the project's shapes. The real data is validated through ``gate.validate`` (files, then report).

    python -m bench.validation_bench --sizes real,10k,100k,1M --pyshacl real,10k
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent


def measure(size: str, engine: str, repeat: int) -> dict[str, object]:
    """One measurement in this process: load time, best-of-``repeat`` validation time, result counts."""
    import pyoxigraph

    from blackjanuary.config import Settings
    from blackjanuary.publish.shacl.gate import data_graph, load_input, run_shacl, shapes_graph, validate
    from blackjanuary.publish.sources import load

    settings = Settings(root=ROOT)
    started = time.perf_counter()
    if size == "real":
        dataset = load_input(settings)
        data: pyoxigraph.Store = pyoxigraph.Store()
        data.load(
            data_graph(dataset, settings).serialize(format="nt", encoding="utf-8"),
            format=pyoxigraph.RdfFormat.N_TRIPLES,
        )
    else:
        from bench.generate import generate

        path = generate(size)
        shapes = shapes_graph(load(settings, graphs=["shapes"]), settings)
        data = pyoxigraph.Store()
        data.bulk_extend(
            pyoxigraph.Quad(q.subject, q.predicate, q.object)
            for q in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.N_QUADS)
        )
    loaded = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        if size == "real":
            report = validate(settings, dataset, engine=engine)  # type: ignore[arg-type]
        else:
            report = run_shacl(data, shapes, engine=engine)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    return {
        "size": size,
        "engine": engine,
        "triples": len(data),
        "load_s": round(loaded, 2),
        "validate_s": round(min(times), 2),
        "violations": len(report.violations),
        "conforms": report.conforms,
    }


def run_child(size: str, engine: str, repeat: int, limit_s: float) -> dict[str, object]:
    code = (
        "import json, sys; from bench.validation_bench import measure; "
        "print(json.dumps(measure(sys.argv[1], sys.argv[2], int(sys.argv[3]))))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, size, engine, str(repeat)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=limit_s,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"size": size, "engine": engine, "note": f"stopped after {limit_s:.0f} s"}
    except subprocess.CalledProcessError as exc:
        return {
            "size": size,
            "engine": engine,
            "note": "failed: " + (exc.stderr.strip().splitlines() or ["?"])[-1][:200],
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| data | triples | engine | load s | validate s | violations | note |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for row in rows:
        triples = f"{row['triples']:,}" if "triples" in row else "–"
        lines.append(
            f"| {row['size']} | {triples} | {row['engine']} | {row.get('load_s', '–')} | "
            f"{row.get('validate_s', '–')} | {row.get('violations', '–')} | {row.get('note', '')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,10k,100k,1M", help="'real' and/or synthetic sizes")
    parser.add_argument(
        "--pyshacl",
        default="real,10k",
        help="where to run plain pySHACL too (it needs minutes at 10k, hours beyond)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement below 1M (best is kept)")
    parser.add_argument("--limit", type=float, default=900.0, help="seconds before a measurement is stopped")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = []
    reference = {s for s in args.pyshacl.split(",") if s}
    for size in (s for s in args.sizes.split(",") if s):
        repeat = 1 if size in ("1M", "10M") else args.repeat
        for engine in ("fast", "pyshacl"):
            if engine == "pyshacl" and size not in reference:
                rows.append({"size": size, "engine": engine, "note": "not run (see --pyshacl)"})
                continue
            log.info("%s with %s", size, engine)
            rows.append(
                run_child(size, engine, 1 if engine == "pyshacl" and size != "real" else repeat, args.limit)
            )
            log.info("  %s", rows[-1])
    print(table(rows))


if __name__ == "__main__":
    main()
