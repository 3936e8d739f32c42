"""Mixed-workload soak test: N concurrent keep-alive clients for D seconds, with the server's RSS sampled.

Used by ``tests/live/test_load.py`` (quick and soak) and runnable by hand against any running server::

    python -m bench.soak http://127.0.0.1:8080 --clients 64 --seconds 60 [--pid GUNICORN_MASTER_PID]

The workload mixes entity pages, data documents, SPARQL queries (lookup, join, aggregate), downloads,
the landing page, VoID and reconciliation, in fixed proportions. Every response must be a 2xx or 3xx;
anything else (or a broken connection) is an error. Latencies are per request, end to end.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

log = logging.getLogger(__name__)

Request = tuple[str, str, dict[str, str], bytes | None]
"""(method, path, headers, body)"""

LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/blackjanuary/id/%s> ?p ?o }"
JOIN = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?s ?l ?t WHERE { ?s a ?t ; rdfs:label ?l "
    "FILTER(LANG(?l) = 'en' && CONTAINS(LCASE(?l), 'a')) } LIMIT 50"
)
AGGREGATE = "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)"


def keys_of(base: str, limit: int = 60) -> list[str]:
    """Keys of things in the served dataset (asked of its own endpoint)."""
    query = (
        "SELECT DISTINCT ?s WHERE { GRAPH <https://w3id.org/blackjanuary/graph/data> { ?s a ?t } "
        "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/blackjanuary/id/') "
        "&& !CONTAINS(STR(?s), '/statement/')) }"
        f" ORDER BY ?s LIMIT {limit}"
    )
    response = requests.get(
        base + "/sparql",
        params={"query": query},
        timeout=30,
        headers={"Accept": "application/sparql-results+json"},
    )
    response.raise_for_status()
    return [b["s"]["value"].rsplit("/", 1)[1] for b in response.json()["results"]["bindings"]]


def mixed_workload(base: str) -> Callable[[random.Random], Request]:
    keys = keys_of(base) or ["baku"]
    downloads = requests.get(base + "/downloads", headers={"Accept": "application/json"}, timeout=30).json()
    files = [f["name"] for f in downloads["files"]]
    html = {"Accept": "text/html", "Accept-Language": "en"}

    def make(rng: random.Random) -> Request:
        key = rng.choice(keys)
        roll = rng.random()
        if roll < 0.30:
            return "GET", f"/page/{key}", html, None
        if roll < 0.50:
            ext = rng.choice(("ttl", "nt", "jsonld", "rdf"))
            return "GET", f"/data/{key}.{ext}", {}, None
        if roll < 0.60:
            return (
                "GET",
                f"/sparql?query={requests.utils.quote(LOOKUP % key)}",
                {"Accept": "application/sparql-results+json"},
                None,
            )
        if roll < 0.67:
            return (
                "POST",
                "/sparql",
                {"Content-Type": "application/sparql-query", "Accept": "text/csv"},
                JOIN.encode(),
            )
        if roll < 0.72:
            return (
                "GET",
                f"/sparql?query={requests.utils.quote(AGGREGATE)}",
                {"Accept": "application/sparql-results+json"},
                None,
            )
        if roll < 0.82:
            return "GET", f"/downloads/{rng.choice(files)}", {}, None
        if roll < 0.88:
            return "GET", "/", html, None
        if roll < 0.92:
            return "GET", "/void.ttl", {}, None
        if roll < 0.96:
            return "GET", f"/reconcile/suggest/entity?prefix={key[:3]}", {}, None
        return "GET", f"/id/{key}", {"Accept": "text/turtle"}, None

    return make


def server_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (gunicorn master + workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except OSError:
            continue
        stack.extend(children.get(current, ()))
    return total


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    extra: str = ""

    @classmethod
    def from_latencies(cls, latencies: list[float], *, extra: str = "") -> LoadResult:
        return cls(requests=len(latencies), seconds=sum(latencies), latencies=list(latencies), extra=extra)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def rss_window(self, window_s: float) -> tuple[float, float]:
        """Mean RSS over the first and the last ``window_s`` seconds of the run."""
        if not self.rss:
            return 0.0, 0.0
        end = self.rss[-1][0]
        first = [v for t, v in self.rss if t <= window_s] or [self.rss[0][1]]
        last = [v for t, v in self.rss if t >= end - window_s] or [self.rss[-1][1]]
        return statistics.fmean(first), statistics.fmean(last)

    def summary(self) -> str:
        rate = self.requests / self.seconds if self.seconds else 0.0
        text = (
            f"{self.requests} requests in {self.seconds:.1f} s ({rate:.0f}/s), "
            f"errors={len(self.errors)}, "
            f"p50={self.percentile(50) * 1000:.1f} ms, p99={self.percentile(99) * 1000:.1f} ms, "
            f"max={max(self.latencies, default=0) * 1000:.0f} ms"
        )
        if self.statuses:
            text += f", statuses={dict(sorted(self.statuses.items()))}"
        if self.rss:
            first, last = self.rss_window(min(10.0, self.rss[-1][0] / 3))
            text += f", rss first={first / 2**20:.0f} MiB last={last / 2**20:.0f} MiB"
        return text + (f", {self.extra}" if self.extra else "")


def run_load(
    base: str,
    make: Callable[[random.Random], Request],
    *,
    clients: int,
    duration_s: float,
    pid: int | None = None,
    seed: int = 1990,
) -> LoadResult:
    """``clients`` threads with one keep-alive session each, for ``duration_s`` seconds."""
    result = LoadResult()
    lock = threading.Lock()
    stop = threading.Event()
    started = time.monotonic()

    def client(n: int) -> None:
        rng = random.Random(seed + n)
        latencies: list[float] = []
        errors: list[str] = []
        statuses: dict[int, int] = {}
        with requests.Session() as session:
            while not stop.is_set():
                method, path, headers, body = make(rng)
                t0 = time.monotonic()
                try:
                    response = session.request(
                        method, base + path, headers=headers, data=body, timeout=30, allow_redirects=False
                    )
                    _ = response.content
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code >= 400:
                        errors.append(
                            f"{method} {path[:120]} → {response.status_code}: {response.text[:200]}"
                        )
                except requests.RequestException as exc:
                    errors.append(f"{method} {path[:120]} → {exc!r}")
                latencies.append(time.monotonic() - t0)
        with lock:
            result.latencies.extend(latencies)
            result.errors.extend(errors)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    while time.monotonic() - started < duration_s:
        if pid is not None:
            result.rss.append((time.monotonic() - started, server_rss(pid)))
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    result.seconds = time.monotonic() - started
    result.requests = len(result.latencies)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pid", type=int, default=None, help="gunicorn master PID, to sample RSS")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    result = run_load(base, mixed_workload(base), clients=args.clients, duration_s=args.seconds, pid=args.pid)
    print(result.summary())  # noqa: T201
    for error in itertools.islice(result.errors, 10):
        print("  ", error)  # noqa: T201


if __name__ == "__main__":
    main()
