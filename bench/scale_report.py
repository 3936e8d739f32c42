"""Turn ``bench/results/scale-*.json`` into ``docs/benchmarks-scale.md`` and its PNG plot.

python -m bench.scale_report        # rewrite the doc from the results already measured
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

SERVER_ORDER = ("embedded", "persistent", "remote", "oxigraph", "rdflib-endpoint")
QUERY_PROBES = ("lookup", "join+filter", "group-by")
PAGE_PROBES = ("page", "data")
TARGET_SIZE = "1M"
RUN_COMMAND = (
    "`python -m bench.scale --sizes 10k,100k,1M`, then `python -m bench.scale --sizes 10M "
    "--shacl ''` and `python -m bench.scale_report`. The 1 M rows were re-measured after pages and "
    "data documents went from nine queries to three, with `python -m bench.scale --sizes 1M --shacl ''` "
    "and `python -m bench.scale --shacl-only --shacl 1M`; SHACL at 10k/100k comes from separate runs "
    "(see the closing note)"
)


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(a: Any, b: Any) -> str:
    if not a or not b or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return "–"
    return f"{a / b:.2f}×"


def _servers(run: dict[str, Any]) -> list[dict[str, Any]]:
    by_name = {s["server"]: s for s in run["servers"]}
    return [by_name[n] for n in SERVER_ORDER if n in by_name]


def _peer(run: dict[str, Any], name: str = "oxigraph") -> dict[str, Any] | None:
    return next((s for s in run["servers"] if s["server"] == name), None)


def load_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| size | server | load s | ready s | RSS loaded MiB | RSS after MiB | load / Oxigraph | "
        "RSS / Oxigraph | note |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        oxi = _peer(run) or {}
        for s in _servers(run):
            lines.append(
                f"| {run['size']} | {s['server']} | {_num(s['load_s'], 2)} | "
                f"{_num(s['ready_s'], 2)} | {_num(s['rss_loaded'])} | {_num(s['rss_after'])} | "
                f"{_ratio(s['load_s'], oxi.get('load_s'))} | "
                f"{_ratio(s['rss_after'], oxi.get('rss_after'))} | {s.get('note', '')} |"
            )
    return lines


def latency_table(runs: list[dict[str, Any]], probes: tuple[str, ...]) -> list[str]:
    lines = [
        "| size | probe | server | req/s | p50 ms | p99 ms | errors | p50 / Oxigraph (same run) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        oxi = _peer(run) or {"probes": {}}
        for probe in probes:
            for s in _servers(run):
                stats = s["probes"].get(probe)
                if stats is None:
                    continue
                peer = (s.get("peer_probes") or oxi["probes"]).get(probe, {})
                lines.append(
                    f"| {run['size']} | {probe} | {s['server']} | {_num(stats['rps'])} | "
                    f"{_num(stats['p50'], 2)} | {_num(stats['p99'], 2)} | {stats['errors']} | "
                    f"{_ratio(stats['p50'], peer.get('p50'))} |"
                )
    return lines


def dumps_table(runs: list[dict[str, Any]]) -> list[str]:
    measured = [r for r in runs if r.get("dumps_s")]
    if not measured:
        return ["(not measured)"]
    keys = list(measured[0]["dumps_s"])
    lines = ["| size | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for run in measured:
        lines.append(f"| {run['size']} | " + " | ".join(_num(run["dumps_s"].get(k), 2) for k in keys) + " |")
    return lines


def targets(runs: list[dict[str, Any]]) -> list[str]:
    """The issue's targets at 1 M triples, each judged from the numbers (✔ met, ✘ missed)."""
    run = next((r for r in runs if r["size"] == TARGET_SIZE), None)
    if run is None:
        return [f"- the {TARGET_SIZE} size was not measured in this run."]
    oxi = _peer(run) or {"probes": {}}
    emb = next(s for s in run["servers"] if s["server"] == "embedded")
    out: list[str] = []

    def judge(ok: bool, text: str) -> None:
        out.append(f"- {'✔' if ok else '✘'} {text}")

    if emb.get("load_s") and oxi.get("load_s"):
        judge(
            emb["load_s"] <= 2 * oxi["load_s"],
            f"embedded load {emb['load_s']:.2f} s vs Oxigraph server {oxi['load_s']:.2f} s "
            f"({emb['load_s'] / oxi['load_s']:.2f}×, target ≤ 2×)",
        )
    if emb.get("rss_after") and oxi.get("rss_after"):
        judge(
            emb["rss_after"] <= 2 * oxi["rss_after"],
            f"embedded RSS {emb['rss_after']:.0f} MiB vs Oxigraph server {oxi['rss_after']:.0f} MiB "
            f"({emb['rss_after'] / oxi['rss_after']:.2f}×, target ≤ 2×)",
        )
    if run.get("dumps_s"):
        worst = max((v, k) for k, v in run["dumps_s"].items() if k != "read + sort")
        judge(
            worst[0] <= 30, f"slowest dump format {worst[1]} written in {worst[0]:.1f} s (target ≤ 30 s each)"
        )
    for probe in PAGE_PROBES:
        for s in _servers(run):
            stats = s["probes"].get(probe)
            if stats:
                judge(stats["p50"] <= 50, f"{s['server']} {probe} p50 {stats['p50']:.1f} ms (target ≤ 50 ms)")
    for probe in QUERY_PROBES:
        for s in _servers(run):
            if s["server"] not in ("embedded", "persistent", "remote"):
                continue
            peer = (s.get("peer_probes") or oxi["probes"]).get(probe)
            stats = s["probes"].get(probe)
            if stats and peer and peer.get("p50"):
                ratio = stats["p50"] / peer["p50"]
                judge(
                    ratio <= 1.5,
                    f"{s['server']} {probe} p50 {stats['p50']:.2f} ms vs Oxigraph server "
                    f"{peer['p50']:.2f} ms ({ratio:.2f}×, target ≤ 1.5×)",
                )
    return out


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat, mem) = plt.subplots(1, 2, figsize=(12, 4.5))
    palette = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    colors = dict(zip(SERVER_ORDER, palette, strict=True))
    for name in SERVER_ORDER:
        for probe, style in (("lookup", "-o"), ("page", "--s")):
            xs, ys = [], []
            for run in runs:
                s = next((x for x in run["servers"] if x["server"] == name), None)
                if s and probe in s["probes"] and not math.isnan(s["probes"][probe]["p50"] or float("nan")):
                    xs.append(run["triples"])
                    ys.append(s["probes"][probe]["p50"])
            if xs:
                lat.plot(xs, ys, style, color=colors[name], label=f"{name} {probe}")
        xs, ys = [], []
        for run in runs:
            s = next((x for x in run["servers"] if x["server"] == name), None)
            if s and s.get("rss_after"):
                xs.append(run["triples"])
                ys.append(s["rss_after"])
        if xs:
            mem.plot(xs, ys, "-o", color=colors[name], label=name)
    titles = (
        (lat, "p50 latency (solid: IRI lookup query, dashed: entity page)", "ms"),
        (mem, "RSS after load test", "MiB"),
    )
    for axis, title, unit in titles:
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("triples")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(runs: list[dict[str, Any]], doc: Path, png: Path, *, command: str, machine: str) -> None:
    plot(runs, png)
    shacl = [
        f"| {r['size']} | {_num(r.get('shacl_s'), 1)} | {r.get('shacl_note', '')} |"
        for r in runs
        if r.get("shacl_s") is not None or r.get("shacl_note")
    ]
    hub = [
        f"- {r['size']}: {s['note']}"
        for r in runs
        for s in r["servers"]
        if s["server"] == "embedded" and s.get("note")
    ]
    text = [
        "# Scale benchmarks: our three stores beside Oxigraph server and rdflib-endpoint",
        "",
        f"Made by {command} on {machine}.",
        "Data: `bench/generate.py` (synthetic graphs shaped like ours: events with four-language labels, "
        "agents, places, statement nodes with quote and sentence provenance; deterministic seed).",
        "Load: `bench/loadgen.py` `run()` — 4 keep-alive clients on loopback, per probe and server at most "
        "400 requests and 8 s; every request varies its IRI or constant. Our answer cache is off "
        "(`BLACKJANUARY_CACHE_SIZE=0`), so every server evaluates every request. Our app runs under gunicorn "
        "with 1 worker × 8 threads; Oxigraph server in memory with `--union-default-graph`.",
        "",
        "Probes: **lookup** `SELECT ?p ?o WHERE { <event> ?p ?o }`; **join+filter** three patterns "
        '(location, killedCount, place label) with `FILTER(?n > k && lang(?label) = "en") LIMIT 100`; '
        "**group-by** events per place, `GROUP BY … ORDER BY DESC(COUNT) LIMIT 10`; **page** `/page/<event>` "
        "(HTML) and **data** `/data/<event>.ttl` (ours only).",
        "",
        "Load time: Oxigraph server = `POST /store` of the N-Quads file into the running server; embedded = "
        "`EmbeddedStore.from_nquads` (what the server does at start-up, bulk load plus per-graph counts); "
        "persistent = `blackjanuary load --store` (bulk load to disk, counted, swapped in); remote = "
        "`blackjanuary load --endpoint` (split per graph and pushed with the Graph Store Protocol); "
        "rdflib-endpoint = process start until it answers. *Ready* is the time from starting the server "
        "process until it answers (for persistent: a restart, no re-parse). RSS covers the process tree "
        "(gunicorn master + worker).",
        "",
        "![latency and memory against graph size](benchmarks-scale.png)",
        "",
        "## Targets at 1 M triples",
        "",
        *targets(runs),
        "",
        "## Load time and memory",
        "",
        *load_table(runs),
        "",
        "## Queries (same text for every server)",
        "",
        *latency_table(runs, QUERY_PROBES),
        "",
        "## Entity page and data document (ours)",
        "",
        *latency_table(runs, PAGE_PROBES),
        "",
        "Entity with many incoming links (the hub place, ~a fifth of all events link to it):",
        "",
        *(hub or ["- not measured"]),
        "",
        "## Dumps: the build's writers on the same data (seconds per format; `.gz` includes the plain write)",
        "",
        *dumps_table(runs),
        "",
        "## SHACL validation with the project's shapes (seconds; the note names the engine)",
        "",
        "| size | validate s | note |",
        "|---|---:|---|",
        *(shacl or ["| – | – | not measured |"]),
        "",
    ]
    notes = Path(__file__).with_name("scale_notes.md")
    if notes.is_file():
        text += [
            "## Closing note: what the numbers say, targets missed and why",
            "",
            notes.read_text(encoding="utf-8").strip(),
            "",
        ]
    doc.write_text("\n".join(text), encoding="utf-8")


def main() -> None:
    from bench.scale import DOC, PLOT, load_results, machine

    write_report(load_results(), DOC, PLOT, command=RUN_COMMAND, machine=machine())


if __name__ == "__main__":
    main()
