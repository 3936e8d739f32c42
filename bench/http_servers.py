"""``python -m bench.http_servers``: the same app, cache off, under each candidate HTTP server.

The decision of docs/adr/0010-http-server.md: ``blackjanuary serve`` (gunicorn with
``HeadFirstThreadWorker``), plain gunicorn ``gthread``, and granian's WSGI interface (blocking
threads), each with 2 workers × 8 threads on the same build, measured one after the other in one run
with the load generator of ``bench.run`` (8 keep-alive connections, the better of two windows per
query). Printed as requests per second and as a ratio to ``blackjanuary serve``. granian is measured
when it is installed (``pip install granian``); it is not a dependency of the project.

Admission control (ADR 0004) is widened to the load generator's 8 connections for every server, so the
figures measure the HTTP server, not the per-client limit.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import tempfile
from pathlib import Path

from bench.run import BIN, QUERIES, ROOT, Target, build_data, free_port, measure, server, warm_up

log = logging.getLogger("bench")
APP = "blackjanuary.serve.server:wsgi_app"


def candidates(dist: Path, port: int) -> dict[str, list[str]]:
    """The command line of each candidate server on ``port`` (granian only when installed)."""
    gunicorn = [str(BIN / "gunicorn"), "--workers", "2", "--threads", "8", "--bind", f"127.0.0.1:{port}"]
    commands = {
        "blackjanuary serve (HeadFirstThreadWorker)": [
            *(sys.executable, "-m", "blackjanuary", "--root", str(ROOT), "serve", "--dist", str(dist)),
            *("--no-build", "--workers", "2", "--threads", "8", "--port", str(port)),
        ],
        "gunicorn gthread": [*gunicorn, "--worker-class", "gthread", "--log-level", "warning", f"{APP}()"],
    }
    if importlib.util.find_spec("granian") is not None:
        commands["granian WSGI"] = [
            *(str(BIN / "granian"), "--interface", "wsgi", "--factory", "--workers", "2"),
            *("--blocking-threads", "8", "--port", str(port), "--log-level", "warning", APP),
        ]
    return commands


def run(seconds: float) -> dict[str, dict[str, float]]:
    rates: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        dist = build_data(Path(tmp))
        port = free_port()
        env = {
            "BLACKJANUARY_DIST_DIR": str(dist),
            "BLACKJANUARY_CACHE_SIZE": "0",
            "BLACKJANUARY_PUBLIC_URL": f"http://127.0.0.1:{port}/",
            "BLACKJANUARY_SPARQL_CONCURRENCY": "8",
            "BLACKJANUARY_SPARQL_CLIENT_CONCURRENCY": "8",
        }
        url = f"http://127.0.0.1:{port}/sparql"
        for name, command in candidates(dist, port).items():
            log.info("measuring %s", name)
            with server(command, url, env):
                target = Target(name, url)
                warm_up(target, list(QUERIES.values()))
                rates[name] = {
                    query: measure(target, text, seconds).requests_per_second
                    for query, text in QUERIES.items()
                }
    return rates


def table(rates: dict[str, dict[str, float]]) -> str:
    reference = next(iter(rates.values()))
    lines = ["| server | " + " | ".join(f"{q} req/s | {q} ratio" for q in QUERIES) + " |"]
    lines.append("|---|" + "---:|---:|" * len(QUERIES))
    for name, per in rates.items():
        cells = [f"{per[q]:,.0f} | {per[q] / reference[q]:.2f}" for q in QUERIES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="measurement per query and server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(table(run(args.seconds)))


if __name__ == "__main__":
    main()
