"""SHACL validation: the real data and synthetic graphs, with every SHACL engine that can run our shapes.

Each (data, engine) pair runs in a child process with a time limit; the data is loaded into an
Oxigraph store first (timed apart), then the engine validates it against the project's shapes
(SHACL-SPARQL constraints, the SPARQL-based constraint component and the SPARQL targets included) and
the report is read into ``Violation`` values by ``blackjanuary.publish.shacl.report.read_results``, as
the gate does. *validate* covers handing the data over (an engine that takes text gets the store's
N-Triples), the validation, and reading its report; *peak MB* is the child's peak RSS.

``--compare`` runs every engine on the conforming world and on each violating fixture of
``tests/unit/test_shapes.py`` and says where its report differs from pySHACL's (the reference): focus
node, path, shape and severity, then messages.

    python -m bench.validation_bench --sizes real,10k,100k --engines pyshacl-turbo,pyshacl,shacl
    python -m bench.validation_bench --sizes 1M --engines pyshacl-turbo     # one 1M case at a time
    python -m bench.validation_bench --compare --engines pyshacl-turbo,shacl,pyshifty,pyrudof

``pyshacl-turbo`` (the gate's default) and ``pyshacl`` (the reference) run through the gate; the others
are not project dependencies: install them into the venv to measure them (``pip install shacl pyshifty
pyrudof``). The in-house SHACL-to-SPARQL compiler this bench also measured ("fast") was removed after
the comparison (docs/adr/0012-shacl-engine.md; run it from the commit before its removal).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyoxigraph
import pyshacl
from rdflib import BNode, Graph
from rdflib.namespace import SH

from bench.generate import Generator, generate
from blackjanuary.config import Settings
from blackjanuary.publish.shacl.gate import data_graph, load_input, run_shacl, shapes_graph, to_oxigraph
from blackjanuary.publish.shacl.report import read_results
from blackjanuary.publish.sources import load, parse_file

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"

Result = tuple[bool, Graph]
"""What an engine returns: conforms, and the ``sh:ValidationReport`` graph."""


def _gate(engine: str) -> Callable[[pyoxigraph.Store, Graph], Result]:
    def run(store: pyoxigraph.Store, shapes: Graph) -> Result:
        report = run_shacl(store, shapes, engine=engine)  # type: ignore[arg-type]
        return report.conforms, report.graph

    return run


def _named(shapes: Graph) -> Graph:
    """The shapes with IRIs (rdflib skolem IRIs) for blank property shapes and SPARQL constraints.

    An engine that parses the shapes from text names their blank nodes anew, so its report's
    ``sh:sourceShape`` could not be traced back to the named shape; de-skolemizing its report gives
    the original blank nodes back. Lists (paths, ``sh:or``) stay blank, as SHACL requires.
    """
    holders = set(shapes.subjects(SH.path, None)) | set(shapes.objects(None, SH.property))
    holders |= set(shapes.objects(None, SH.sparql))
    names = {n: n.skolemize() for n in holders if isinstance(n, BNode)}
    named = Graph()
    for s, p, o in shapes:
        named.add((names.get(s, s), p, names.get(o, o)))
    return named


def _ntriples(store: pyoxigraph.Store) -> str:
    return store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph()).decode()


def _shacl(store: pyoxigraph.Store, shapes: Graph) -> Result:
    import shacl  # type: ignore[import-not-found]  # optional: not a project dependency

    compiled = shacl.Shapes.from_text(_named(shapes).serialize(format="nt"), format="ntriples")
    report = compiled.validate_text(_ntriples(store), format="ntriples", allow_warnings=True)
    graph = Graph().parse(data=report.serialize("ntriples"), format="nt")
    return bool(report.conforms), graph.de_skolemize()


def _pyshacl_rdflib(store: pyoxigraph.Store, shapes: Graph) -> Result:
    """pySHACL on an in-memory rdflib graph (the gate hands it an Oxigraph store instead)."""
    data = Graph().parse(data=_ntriples(store), format="nt")
    conforms, graph, _ = pyshacl.validate(
        data, shacl_graph=shapes, advanced=True, inference="none", allow_warnings=True
    )
    return bool(conforms), graph


def _shifty(store: pyoxigraph.Store, shapes: Graph) -> Result:
    import shifty  # type: ignore[import-not-found]  # optional: not a project dependency

    conforms, graph, _ = shifty.validate(
        _ntriples(store), _named(shapes).serialize(format="turtle"), infer=False, on_unsupported="error"
    )
    return bool(conforms), graph.de_skolemize()


def _rudof(store: pyoxigraph.Store, shapes: Graph) -> Result:
    import pyrudof  # type: ignore[import-not-found]  # optional: not a project dependency

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(_ntriples(store), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(_named(shapes).serialize(format="turtle"))
    report = rudof.validate_shacl()
    text = rudof.serialize_shacl_validation_results(format=pyrudof.ResultShaclValidationFormat.Turtle)
    return bool(report.conforms), Graph().parse(data=text, format="turtle").de_skolemize()


ENGINES: dict[str, Callable[[pyoxigraph.Store, Graph], Result]] = {
    "pyshacl-turbo": _gate("pyshacl-turbo"),
    "pyshacl": _gate("pyshacl"),
    "pyshacl-rdflib": _pyshacl_rdflib,
    "shacl": _shacl,
    "pyshifty": _shifty,
    "pyrudof": _rudof,
}
PACKAGES = {"shacl": "shacl", "pyshifty": "shifty", "pyrudof": "pyrudof"}


def _version(engine: str) -> str:
    try:
        return version(engine.removesuffix("-rdflib"))
    except PackageNotFoundError:
        return "not installed"


def project_shapes() -> Graph:
    settings = Settings(root=ROOT)
    return shapes_graph(load(settings, graphs=["shapes"]), settings)


def load_data(size: str) -> pyoxigraph.Store:
    if size == "real":
        settings = Settings(root=ROOT)
        return to_oxigraph(data_graph(load_input(settings), settings))
    store = pyoxigraph.Store()
    store.bulk_extend(
        pyoxigraph.Quad(q.subject, q.predicate, q.object)
        for q in pyoxigraph.parse(path=str(generate(size)), format=pyoxigraph.RdfFormat.N_QUADS)
    )
    return store


def _cpu() -> float:
    """CPU seconds of this process (all threads): steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(size: str, engine: str, repeat: int | str = 1) -> dict[str, object]:
    """One measurement in this process: load time, best-of-``repeat`` validation time, result counts."""
    shapes = project_shapes()
    started = time.perf_counter()
    store = load_data(size)
    loaded = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(int(repeat)):
        started, cpu_started = time.perf_counter(), _cpu()
        conforms, graph = ENGINES[engine](store, shapes)
        violations = read_results(graph, shapes)
        times.append(time.perf_counter() - started)
        cpu.append(_cpu() - cpu_started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size,
        "engine": engine,
        "version": _version(engine),
        "triples": len(store),
        "load_s": round(loaded, 2),
        "validate_s": round(min(times), 2),
        "cpu_s": round(min(cpu), 2),
        "peak_mb": round(peak_mb),
        "violations": len(violations),
        "conforms": conforms,
    }


SYNTHETIC = Path("synthetic-700")
"""The case of a small generated graph (``bench/generate.py``, 700 triples, seed 7), as in the tests."""


def _synthetic() -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in Generator(700, seed=7).triples())


def compare(engine: str) -> dict[str, object]:
    """The engine against pySHACL on the conforming world and every violating fixture."""
    shapes = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes += parse_file(path)
    cases: list[Path | None] = [None, *sorted((FIXTURES / "violating").glob("*.ttl")), SYNTHETIC]
    differ: list[str] = []
    messages: list[str] = []
    for case in cases:
        if case == SYNTHETIC:
            store = pyoxigraph.Store()
            store.load(_synthetic().encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
        else:
            data = parse_file(FIXTURES / "conforming.ttl")
            if case is not None:
                data += parse_file(case)
            store = to_oxigraph(data)
        got, want = [
            (c, read_results(g, shapes)) for c, g in (ENGINES[e](store, shapes) for e in (engine, "pyshacl"))
        ]
        name = case.stem if case else "conforming"

        def keys(found: tuple[Any, ...]) -> set[tuple[str | None, ...]]:
            return {(v.focus_node, v.path, v.shape, v.severity) for v in found}

        if got[0] != want[0] or keys(got[1]) != keys(want[1]):
            extra = sorted(keys(got[1]) - keys(want[1]), key=str)
            missing = sorted(keys(want[1]) - keys(got[1]), key=str)
            differ.append(f"{name}: missing {missing[:2]} extra {extra[:2]}")
        elif {v.message for v in got[1]} != {v.message for v in want[1]}:
            messages.append(name)
    return {
        "engine": engine,
        "version": _version(engine),
        "cases": len(cases),
        "same": len(cases) - len(differ) - len(messages),
        "differ": differ,
        "messages_differ": messages,
    }


def run_child(function: str, args: list[str], limit_s: float) -> dict[str, object] | None:
    code = (
        "import json, sys; from bench import validation_bench as b; "
        f"print(json.dumps(b.{function}(*sys.argv[1:])))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=limit_s,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"note": f"stopped after {limit_s:.0f} s"}
    except subprocess.CalledProcessError as exc:
        return {"note": "failed: " + (exc.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| data | triples | engine | load s | validate s | CPU s | peak MB | violations | note |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        triples = f"{row['triples']:,}" if "triples" in row else "–"
        lines.append(
            f"| {row['size']} | {triples} | {row['engine']} | {row.get('load_s', '–')} | "
            f"{row.get('validate_s', '–')} | {row.get('cpu_s', '–')} | {row.get('peak_mb', '–')} | "
            f"{row.get('violations', '–')} | {row.get('note', '')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,10k", help="'real' and/or synthetic sizes (10k,100k,1M)")
    parser.add_argument("--engines", default="pyshacl-turbo", help=f"some of {','.join(ENGINES)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement below 1M (best is kept)")
    parser.add_argument("--limit", type=float, default=900.0, help="seconds before a measurement is stopped")
    parser.add_argument("--compare", action="store_true", help="compare reports with pySHACL's on fixtures")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    engines = [e for e in args.engines.split(",") if e]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}: use {', '.join(ENGINES)}")
    for engine in engines:
        if engine in PACKAGES and importlib.util.find_spec(PACKAGES[engine]) is None:
            parser.error(f"{engine} is not installed: pip install {engine}")
    if args.compare:
        for engine in engines:
            print(json.dumps(run_child("compare", [engine], args.limit), ensure_ascii=False))
        return
    rows = []
    for size in (s for s in args.sizes.split(",") if s):
        repeat = 1 if size in ("1M", "10M") or size != "real" and engines == ["pyshacl"] else args.repeat
        for engine in engines:
            log.info("%s with %s", size, engine)
            row = run_child("measure", [size, engine, str(repeat)], args.limit) or {}
            rows.append({"size": size, "engine": engine, **row})
            log.info("  %s", rows[-1])
    print(table(rows))


if __name__ == "__main__":
    main()
