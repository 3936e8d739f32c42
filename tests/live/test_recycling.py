"""Recycling a worker drops nothing that was not part of the runaway (issue 11).

An uninterruptible query stuck past its deadline makes its worker recycle itself (docs/adr/0002).
Here runaways land on *both* workers at once, the worst case: before, both stopped accepting at the
same moment and every other client waited for fresh workers to boot (8–9 s measured, docs/adr/0010).
Meanwhile other clients keep asking — on kept-alive connections and on fresh ones, queries and pages.
Every one of their requests must be answered: 200, or 503 with ``Retry-After`` (a refusal a client
can act on), never a reset, a closed connection or silence; and, read from the server's log, no old
worker may exit before a replacement has loaded its app (an ordering, whatever the machine's load).
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import quote

import pytest
import requests

from blackjanuary.config import Settings
from support.processes import ServeProcess, worker_pids

# An uninterruptible 4-way cartesian COUNT: the engine thread never lets go (ADR 0002).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CLIENTS = 6
RUNAWAYS = 6  # from six client addresses, at once: each worker admits at most 4, so both get some
#: A cheap request unanswered for this long counts as dropped (normally milliseconds; generous for a
#: machine at load 20, where new workers took 15 s to boot).
CHEAP_TIMEOUT = 30.0


@dataclass
class Outcomes:
    statuses: Counter[int] = field(default_factory=Counter)
    drops: list[str] = field(default_factory=list)
    bare_503s: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: requests.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code == 503 and not response.headers.get("Retry-After", "").isdigit():
                self.bare_503s += 1

    def drop(self, what: str) -> None:
        with self.lock:
            self.drops.append(what)


def cheap_client(url: str, index: int, stop: threading.Event, outcomes: Outcomes) -> None:
    """Alternately a distinct cheap query (never a cache replay) and a page; even clients keep their
    connection alive between requests, odd ones open a new one each time."""
    session = requests.Session() if index % 2 == 0 else None
    count, began = 0, time.monotonic()
    while not stop.is_set():
        count += 1
        if count % 2:
            path, params, accept = "/sparql", {"query": f"ASK {{}} # {index}-{count}"}, "application/json"
        else:
            path, params, accept = "/page/baku", None, "text/html"
        try:
            get = session.get if session is not None else requests.get
            outcomes.record(get(url + path, params=params, headers={"Accept": accept}, timeout=CHEAP_TIMEOUT))
        except requests.RequestException as exc:
            outcomes.drop(f"{path} at {time.monotonic() - began:.1f} s: {type(exc).__name__}")
        time.sleep(0.02)


def send_runaway(url: str, index: int, results: list[int]) -> None:
    """A runaway from its own client address (127.0.0.2 …), so the per-client admission limit is not
    what is tested."""
    host, port = url.removeprefix("http://").split(":")
    source = (f"127.0.0.{2 + index}", 0)
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=source)
    try:
        connection.request("GET", "/sparql?query=" + quote(RUNAWAY), headers={"Accept": "application/json"})
        results.append(connection.getresponse().status)
    finally:
        connection.close()


def drain(stream: IO[bytes], lines: list[str]) -> None:
    for line in iter(stream.readline, b""):
        lines.append(line.decode("utf-8", "replace"))


def exits_before_replacements(log: list[str], old: set[int]) -> list[str]:
    """Exits of ``old`` workers logged before as many new workers had said they were ready."""
    ready, exited, early = 0, 0, []
    for line in log:
        if (found := re.search(r"worker (\d+) ready", line)) and int(found[1]) not in old:
            ready += 1
        elif (found := re.search(r"Worker exiting \(pid: (\d+)\)", line)) and int(found[1]) in old:
            exited += 1
            if exited > ready:
                early.append(line.strip())
    return early


@pytest.mark.slow  # 25–70 s: two graceful handovers, each waiting for a fresh worker to load
def test_recycling_a_worker_drops_no_other_request(built_settings: Settings) -> None:
    env = {"BLACKJANUARY_QUERY_TIMEOUT": "1"}
    server = ServeProcess(built_settings, env=env, args=("--no-build",)).start()
    log: list[str] = []
    stderr = server.process.stderr  # type: ignore[attr-defined]
    threading.Thread(target=drain, args=(stderr, log), daemon=True).start()
    stop, outcomes = threading.Event(), Outcomes()
    clients = [
        threading.Thread(target=cheap_client, args=(server.url, index, stop, outcomes), daemon=True)
        for index in range(CLIENTS)
    ]
    try:
        master = server.process.pid  # type: ignore[attr-defined]
        before = worker_pids(master)
        assert len(before) == 2
        for client in clients:
            client.start()
        time.sleep(1.0)
        runaways: list[int] = []
        senders = [
            threading.Thread(target=send_runaway, args=(server.url, index, runaways))
            for index in range(RUNAWAYS)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=40)
        assert runaways == [503] * RUNAWAYS  # their own answers: the deadline (1 s) or admission
        # the watchdog recycles each worker 5 s after the deadline; wait for both to be replaced
        deadline, replaced_at = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            now = worker_pids(master)
            if replaced_at is None and not before & now and len(now) == 2:
                replaced_at = time.monotonic()
            if replaced_at is not None and time.monotonic() > replaced_at + 3:
                break
            time.sleep(0.2)
        assert replaced_at is not None, f"not both workers were recycled: {before} → {worker_pids(master)}"
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=20)
        server.stop()
    assert not outcomes.drops, (len(outcomes.drops), outcomes.drops[:5], outcomes.statuses)
    assert outcomes.bare_503s == 0
    assert set(outcomes.statuses) <= {200, 503}, outcomes.statuses
    assert outcomes.statuses[200] > 50, outcomes.statuses  # the clients were really served throughout
    assert not exits_before_replacements(log, before), "".join(log[-30:])
