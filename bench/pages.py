"""``python -m bench.pages``: the HTML pages against a bare Flask app returning a fixed body.

Builds the real data into a temporary dist/, starts ``blackjanuary serve`` (gunicorn gthread 2×8)
with the page cache on and off, and the bare Flask app (the ceiling, ``bench.apps:bare_app``) the
same way; then drives each page with the load generator (8 keep-alive connections, a browser's
``Accept`` and ``Accept-Encoding: gzip``) and prints req/s, p50, p99 and the ratio to the ceiling.
``--write`` stores the table in docs/benchmarks.md. The quick form (``--seconds 2``) takes about
half a minute.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

from bench import loadgen
from bench.run import ROOT, build_data, free_port, gunicorn, serve_command, server

log = logging.getLogger("bench.pages")

PAGES = ["/page/baku", "/", "/source/black-january-1990.de", "/page/black-january-massacre"]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HEADERS = {"Accept-Encoding": "gzip, deflate", "Accept-Language": "en-GB,en;q=0.9"}


def measure(url: str, seconds: float) -> loadgen.LoadResult:
    loadgen.run_url(url, seconds=1, accept=BROWSER, headers=HEADERS)  # warm: every worker renders once
    runs = [loadgen.run_url(url, seconds=seconds, accept=BROWSER, headers=HEADERS) for _ in range(2)]
    return max(runs, key=lambda r: r.requests_per_second)


def run(seconds: float, pages: list[str], uncached: bool) -> dict[str, dict[str, loadgen.LoadResult]]:
    results: dict[str, dict[str, loadgen.LoadResult]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        dist = build_data(Path(tmp))
        variants = {"blackjanuary (page cache on)": {}}
        if uncached:
            variants["blackjanuary (page cache off)"] = {"BLACKJANUARY_PAGE_CACHE_BYTES": "0"}
        for name, env in variants.items():
            port = free_port()
            command = serve_command(dist, port)
            log.info("measuring %s", name)
            with server(command, f"http://127.0.0.1:{port}/sparql", env):
                base = f"http://127.0.0.1:{port}"
                results[name] = {page: measure(base + page, seconds) for page in pages}
        port = free_port()
        with server(gunicorn("bench.apps:bare_app()", port), f"http://127.0.0.1:{port}/sparql") as url:
            results["bare Flask (ceiling)"] = {"fixed body": measure(url, seconds)}
    return results


def table(results: dict[str, dict[str, loadgen.LoadResult]]) -> str:
    ceiling = results["bare Flask (ceiling)"]["fixed body"]
    lines = [
        "| server | page | req/s | p50 ms | p99 ms | errors | vs ceiling |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, per in results.items():
        for page, r in per.items():
            lines.append(
                f"| {name} | `{page}` | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
                f"{r.errors} | {r.requests_per_second / ceiling.requests_per_second:.2f}× |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measurement per page and server")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated paths")
    parser.add_argument("--no-uncached", action="store_true", help="skip the run with the page cache off")
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = run(args.seconds, args.pages.split(","), not args.no_uncached)
    tool = next(iter(next(iter(results.values())).values())).tool
    header = (
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load generator: {tool}, 8 connections, gzip accepted, "
        f"{args.seconds:g} s per cell."
    )
    text = table(results)
    print(header + "\n\n" + text)
    if args.write:
        path = ROOT / "docs" / "benchmarks.md"
        doc = path.read_text(encoding="utf-8")
        start, end = "<!-- bench-pages:start -->", "<!-- bench-pages:end -->"
        if start not in doc:
            doc += f"\n## HTML pages\n\n{start}\n{end}\n"
        before, _, rest = doc.partition(start)
        _, _, after = rest.partition(end)
        path.write_text(f"{before}{start}\n{header}\n\n{text}\n{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
