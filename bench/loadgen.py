"""A bounded loopback load generator.

Two entry points:

- :func:`run_url` — one fixed URL, N keep-alive connections for D seconds. ``wrk`` (Debian package
  ``wrk``) is used when installed (it is written in C and leaves the cores to the servers); otherwise a
  Python fallback with one thread and one ``http.client`` keep-alive connection per client.
- :func:`run` — varying requests: ``make(i)`` builds the i-th :class:`Probe`; bounded by a request
  count *and* a time limit (used by ``bench.scale``). With ``tool="wrk"`` (GET probes only) the
  requests go from ``wrk`` instead, through a generated Lua script that cycles through the first
  ``max_requests`` probes: the clients then cost the cores next to nothing, which matters on a small
  machine where a Python client competes with the server it measures (bounded by time only).

Both report requests per second, p50 and p99 latency and the failed responses (status ≥ 400 or a
broken connection), which never count as throughput.
"""

from __future__ import annotations

import http.client
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    requests: int = 0
    """Successful responses in the window."""


def run_url(
    url: str,
    *,
    connections: int = 8,
    seconds: float = 5.0,
    accept: str = "*/*",
    threads: int = 2,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """``headers``: sent besides ``Accept`` (e.g. ``Accept-Encoding: gzip`` as a browser does)."""
    if shutil.which("wrk"):
        return run_wrk(
            url, connections=connections, seconds=seconds, accept=accept, threads=threads, headers=headers
        )
    return run_python(url, connections=connections, seconds=seconds, accept=accept, headers=headers)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    accept: str,
    threads: int,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    return _wrk([f"-t{threads}", f"-c{connections}", "-H", f"Accept: {accept}", *extra, url], seconds)


def _wrk(arguments: list[str], seconds: float) -> LoadResult:
    """``wrk`` for ``seconds`` with ``arguments``, its summary read back."""
    command = ["wrk", f"-d{max(1, round(seconds))}s", "--latency", *arguments]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)\b", output)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", output)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_ok.group(1)) if non_ok else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    total = re.search(r"(\d+) requests in", output)
    completed = int(total.group(1)) if total else 0
    if errors:
        rps = max(0.0, rps * (completed - errors) / completed) if completed else 0.0
    return LoadResult(
        rps,
        _ms(*p50.groups()) if p50 else float("nan"),  # type: ignore[union-attr]
        _ms(*p99.groups()) if p99 else float("nan"),
        errors,
        "wrk",
        max(0, completed - errors),
    )  # type: ignore[union-attr]


def run_python(
    url: str, *, connections: int, seconds: float, accept: str, headers: dict[str, str] | None = None
) -> LoadResult:
    parts = urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers={"Accept": accept, **(headers or {})})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[n] += 1
                    continue
            except (OSError, http.client.HTTPException):
                errors[n] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            latencies[n].append(time.perf_counter() - started)
        conn.close()

    workers = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    every = sorted(x for per in latencies for x in per)
    if not every:
        return LoadResult(0.0, float("nan"), float("nan"), sum(errors), "python")
    quantiles = statistics.quantiles(every, n=100, method="inclusive")
    return LoadResult(
        len(every) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, sum(errors), "python", len(every)
    )


# Varying requests ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    """Path and query string, relative to the base URL."""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class ProbeResult:
    requests: int
    errors: int
    rps: float
    p50: float
    """Milliseconds."""
    p99: float
    """Milliseconds."""


def run(
    base: str,
    make: Callable[[int], Probe],
    *,
    concurrency: int = 4,
    max_requests: int = 400,
    max_seconds: float = 8.0,
    timeout: float = 30.0,
    tool: str = "python",
) -> ProbeResult:
    """Send ``make(0)``, ``make(1)``, … from ``concurrency`` keep-alive clients until ``max_requests``
    have been sent or ``max_seconds`` have passed, whichever comes first (``tool="wrk"``: see the
    module's docstring)."""
    if tool == "wrk":
        return run_wrk_probes(base, [make(i) for i in range(max_requests)], concurrency, max_seconds)
    parts = urlsplit(base)
    prefix = parts.path.rstrip("/")
    lock = threading.Lock()
    counter = [0]
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + max_seconds

    def next_index() -> int | None:
        with lock:
            if counter[0] >= max_requests or time.perf_counter() >= deadline:
                return None
            counter[0] += 1
            return counter[0] - 1

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        mine: list[float] = []
        failed = 0
        while (index := next_index()) is not None:
            probe = make(index)
            started = time.perf_counter()
            try:
                conn.request(probe.method, prefix + probe.path, body=probe.body, headers=probe.headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                    continue
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
                continue
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    if len(ordered) < 2:
        value = ordered[0] * 1000 if ordered else float("nan")
        return ProbeResult(len(ordered) + errors[0], errors[0], len(ordered) / elapsed, value, value)
    quantiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return ProbeResult(
        len(ordered) + errors[0],
        errors[0],
        len(ordered) / elapsed,
        quantiles[49] * 1000,
        quantiles[98] * 1000,
    )


def default_tool() -> str:
    """``wrk`` where it is installed (``make bench`` installs it), else ``python``."""
    return "wrk" if shutil.which("wrk") else "python"


def run_wrk_probes(base: str, probes: list[Probe], concurrency: int, seconds: float) -> ProbeResult:
    """``probes`` (GET, one set of headers) from ``wrk`` for ``seconds``, cycled through; each of its
    threads starts at another point of the list."""
    if any(p.method != "GET" or p.body is not None or p.headers != probes[0].headers for p in probes):
        raise ValueError("wrk sends GET requests with one set of headers here")
    if not probes or any("]==]" in p.path for p in probes):
        raise ValueError("no probes, or a path that cannot be quoted for Lua")
    threads = max(1, min(2, concurrency))
    prefix = urlsplit(base).path.rstrip("/")
    lua = "\n".join(
        [
            "local paths = {",
            *(f"[==[{prefix}{p.path}]==]," for p in probes),
            "}",
            "local headers = {",
            *(f"[ [==[{k}]==] ] = [==[{v}]==]," for k, v in probes[0].headers.items()),
            "}",
            "local starts, requests, i = 0, {}, 0",
            "function setup(thread) thread:set('offset', starts); starts = starts + "
            f"{max(1, len(probes) // threads)} end",
            "function init(args) for k, path in ipairs(paths) do requests[k] = "
            "wrk.format('GET', path, headers) end end",
            "function request() i = i + 1; return requests[((offset + i) % #requests) + 1] end",
        ]
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8") as script:
        script.write(lua)
        script.flush()
        result = _wrk([f"-t{threads}", f"-c{concurrency}", "-s", script.name, base], seconds)
    return ProbeResult(
        result.requests + result.errors,
        result.errors,
        result.requests_per_second,
        result.p50_ms,
        result.p99_ms,
    )
