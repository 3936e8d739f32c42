"""Slow clients against a real ``blackjanuary serve`` (gunicorn with HeadFirstThreadWorker), issue 7.

Slowloris: many connections trickle a request head at one byte per second. With plain ``gthread`` each
one held a pool thread and real requests timed out; the worker now reads heads in its poller, so normal
clients are answered at once and the slow connections are closed at the head deadline. The other tests
make sure the head buffering keeps HTTP/1.1 working: keep-alive, pipelining, split heads, chunked and
plain POST bodies, HEAD, large responses, the 431 for an over-long head.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
import requests

from blackjanuary.config import Settings
from blackjanuary.serve.framing import (
    BODY_TIMEOUT,
    HEAD_TIMEOUT,
    MAX_BUFFERED_BODIES,
    MAX_HEAD_BYTES,
    SEND_TIMEOUT,
)

SLOW_CONNECTIONS = 64
ASK = "/sparql?query=ASK%7B%7D"


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def exchange(url: str, data: bytes, *, pause: float = 0.0, pieces: int = 1, timeout: float = 10.0) -> bytes:
    """Send ``data`` in ``pieces`` with ``pause`` between them, then read until the server closes."""
    with socket.create_connection(address(url), timeout=timeout) as sock:
        step = -(-len(data) // pieces)
        for start in range(0, len(data), step):
            sock.sendall(data[start : start + step])
            if pause:
                time.sleep(pause)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
        return bytes(received)


def statuses(raw: bytes) -> list[int]:
    """The status codes of the responses in ``raw`` (a body need not end with a line break)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) [A-Za-z]", raw)]


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed ``sock`` (EOF or reset), False while it is still open."""
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class Trickler:
    """``count`` connections sending an endless request head at one byte per second; closed on exit."""

    def __init__(self, url: str, count: int, *, warm: int = 0) -> None:
        self.head = b"GET /page/baku HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 200
        self.sockets: list[socket.socket] = []
        self.closed_at: dict[int, float] = {}
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        for index in range(count):
            sock = socket.create_connection(address(url), timeout=5)
            if index < warm:  # a kept-alive connection that turns slow on its second request
                sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
                assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            sock.setblocking(False)
            self.sockets.append(sock)

    def __enter__(self) -> Trickler:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()

    def _run(self) -> None:
        for position in range(len(self.head)):
            for index, sock in enumerate(self.sockets):
                if index in self.closed_at:
                    continue
                try:
                    sock.send(self.head[position : position + 1])
                except OSError:
                    self.closed_at[index] = time.monotonic() - self.started
            if self._stop.wait(1.0):
                return

    def all_closed(self) -> bool:
        for index, sock in enumerate(self.sockets):
            if index not in self.closed_at and closed_by_server(sock):
                self.closed_at[index] = time.monotonic() - self.started
        return len(self.closed_at) == len(self.sockets)


def normal_clients_are_served(url: str) -> None:
    """20 normal requests (query and page, alternately), each answered 200 within 2 s."""
    for index in range(20):
        path = ASK if index % 2 == 0 else "/page/baku"
        began = time.monotonic()
        response = requests.get(url + path, headers={"Accept": "text/html"}, timeout=2)
        assert response.status_code == 200, (path, response.status_code)
        assert time.monotonic() - began < 2.0, (path, time.monotonic() - began)


@pytest.fixture
def slow_load(live_server: str) -> Iterator[Trickler]:
    with Trickler(live_server, SLOW_CONNECTIONS, warm=8) as trickler:
        yield trickler


def test_slowloris_does_not_starve_normal_clients(live_server: str, slow_load: Trickler) -> None:
    time.sleep(2.0)  # every slow connection has sent a few bytes of its head: a thread each, before
    normal_clients_are_served(live_server)
    assert not slow_load.all_closed() or time.monotonic() - slow_load.started >= HEAD_TIMEOUT - 1
    # The head deadline closes every slow connection (the run loop checks about once a second).
    limit = slow_load.started + HEAD_TIMEOUT + 5
    while time.monotonic() < limit and not slow_load.all_closed():
        time.sleep(0.2)
    assert slow_load.all_closed(), f"{len(slow_load.closed_at)}/{SLOW_CONNECTIONS} slow connections closed"
    assert min(slow_load.closed_at.values()) >= HEAD_TIMEOUT - 1.5, sorted(slow_load.closed_at.values())[:5]
    assert requests.get(live_server + ASK, timeout=2).status_code == 200


def test_keep_alive_serves_several_requests_on_one_connection(live_server: str) -> None:
    host, port = address(live_server)
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        first_socket = None
        select = "/sparql?query=SELECT%20*%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%203"
        for path in (ASK, "/page/baku", ASK, select):
            connection.request("GET", path, headers={"Accept": "text/html"})
            response = connection.getresponse()
            assert response.status == 200, path
            assert response.read()
            first_socket = first_socket or connection.sock
            assert connection.sock is first_socket, "the server closed a keep-alive connection"
        connection.request("HEAD", "/page/baku", headers={"Accept": "text/html"})
        head = connection.getresponse()
        assert head.status == 200 and head.read() == b"" and connection.sock is first_socket
    finally:
        connection.close()


def test_pipelined_and_split_heads_are_answered(live_server: str) -> None:
    one = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /page/baku HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    assert statuses(exchange(live_server, one + one + last)) == [200, 200, 200]
    # A head arriving in pieces (and a keep-alive request whose head is split) is put together.
    assert statuses(exchange(live_server, one + last, pieces=7, pause=0.15)) == [200, 200]


def test_post_bodies_plain_chunked_and_late(live_server: str) -> None:
    host, port = address(live_server)
    query = b"ASK { ?s ?p ?o }"
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(
            "POST",
            "/sparql",
            body=iter([query[:5], query[5:]]),
            encode_chunked=True,
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        assert response.status == 200 and b"true" in response.read()
        connection.request(
            "POST",
            "/sparql",
            body=b"query=ASK%7B%7D",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
        )
        response = connection.getresponse()
        assert response.status == 200 and b"boolean" in response.read()
    finally:
        connection.close()
    # The head first, the body a moment later: the thread reads it after the head was buffered.
    late = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: application/sparql-results+json\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
    )
    raw = exchange(live_server, late + query, pieces=2, pause=0.3)
    assert statuses(raw) == [200] and b"true" in raw


def test_large_response_streams_through(live_server: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = requests.get(
        live_server + "/sparql",
        params={"query": query},
        headers={"Accept": "application/n-triples"},
        timeout=20,
    )
    assert response.status_code == 200
    assert response.text.count(" .\n") > 1000


def test_over_long_head_gets_431_and_server_stays_up(live_server: str) -> None:
    endless = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-Filler-%05d: %s\r\n" % (index, b"f" * 100) for index in range(MAX_HEAD_BYTES // 100 + 10)
    )
    raw = exchange(live_server, endless[: MAX_HEAD_BYTES + 1])  # all read before the server closes
    assert statuses(raw) == [431], raw[:200]
    assert requests.get(live_server + ASK, timeout=2).status_code == 200


def trickle_body(url: str, head: bytes, body: bytes, outcome: dict[str, tuple[float, bytes]]) -> None:
    """Send ``head`` at once and ``body`` one byte per second until the server answers or closes."""
    with socket.create_connection(address(url), timeout=BODY_TIMEOUT + 10) as sock:
        sock.sendall(head)
        began = time.monotonic()
        sock.setblocking(False)
        received = bytearray()
        for position in range(len(body)):
            try:
                sock.send(body[position : position + 1])
            except OSError:
                break
            time.sleep(1.0)
            try:
                chunk = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                break
            received += chunk
            if not chunk:
                break
        outcome[head.split(b"\r\n", 1)[0].decode() + head[-40:].decode()] = (
            time.monotonic() - began,
            bytes(received),
        )


def test_slow_bodies_are_cut_off_at_the_body_deadline(live_server: str) -> None:
    query = b"ASK { ?s ?p ?o } # " + b"x" * 60
    common = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    cases = {
        common + b"Content-Length: %d\r\n\r\n" % len(query): query,
        common + b"Transfer-Encoding: chunked\r\n\r\n": b"%x\r\n%s\r\n0\r\n\r\n" % (len(query), query),
    }
    outcome: dict[str, tuple[float, bytes]] = {}
    threads = [
        threading.Thread(target=trickle_body, args=(live_server, head, body, outcome))
        for head, body in cases.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BODY_TIMEOUT + 15)
    assert len(outcome) == 2
    for name, (elapsed, raw) in outcome.items():
        # cut at the deadline, not after the whole 79-second trickle (slack for a loaded 2-core machine)
        assert BODY_TIMEOUT - 1.5 <= elapsed <= BODY_TIMEOUT + 8, (name, elapsed)
        assert all(400 <= status < 500 for status in statuses(raw)), (name, raw[:300])
    assert requests.get(live_server + ASK, timeout=2).status_code == 200


def open_slow_bodies(url: str, count: int) -> list[socket.socket]:
    """``count`` POSTs whose heads are complete and whose bodies have only begun, in every framing
    gunicorn accepts (found in review: each form the poller did not recognise went to a thread)."""
    common = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    starts = [
        common + b"Content-Length: 400\r\n\r\nASK { ?s ?p ?o } #",
        common + b"Transfer-Encoding: chunked\r\n\r\n10\r\nASK { ?s ?p ?o }\r\n3",
        common + b"Content-Length: 400\r\nExpect: 100-continue\r\n\r\n",
        common + b"Content-Length: 0000000000400\r\n\r\nASK",
        common + b"Transfer-Encoding: gzip, chunked\r\n\r\n",
        common + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5",
        b"\r\n" + common + b"Content-Length: 400\r\n\r\nASK",
        common + b"Transfer-Encoding: chunked\r\n\r\n5;" + b"e" * 2000,
    ]
    sockets = []
    for index in range(count):
        sock = socket.create_connection(address(url), timeout=5)
        sock.sendall(starts[index % len(starts)])
        sockets.append(sock)
    return sockets


def test_slow_bodies_do_not_starve_normal_clients(live_server: str) -> None:
    """Bodies are buffered in the poller like heads: connections stuck in their body hold no thread."""
    sockets = open_slow_bodies(live_server, SLOW_CONNECTIONS)
    try:
        time.sleep(1.0)  # every head has arrived: with thread-read bodies each would hold a thread now
        normal_clients_are_served(live_server)
        for sock in sockets:  # none has been answered or closed: they are still waiting for their bodies
            sock.setblocking(False)
            try:
                data = sock.recv(1024)
            except BlockingIOError:
                data = None
            assert data in (None, b"HTTP/1.1 100 Continue\r\n\r\n"), data
    finally:
        for sock in sockets:
            sock.close()
    assert requests.get(live_server + ASK, timeout=2).status_code == 200


def test_bodies_the_poller_will_not_buffer_are_answered_at_once(live_server: str) -> None:
    """Too large, or framed ambiguously: answered by the poller without waiting for the body."""
    common = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    cases = {
        common + b"Content-Length: 2000000\r\n\r\n": 413,
        common + b"Transfer-Encoding: chunked\r\n\r\n100000\r\n": 413,
        common + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n": 400,
        common + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n": 400,
    }
    for request, status in cases.items():
        began = time.monotonic()
        raw = exchange(live_server, request, timeout=5)
        assert statuses(raw) == [status], (request, raw[:200])
        assert time.monotonic() - began < 2.0
        assert b"Connection: close" in raw


def test_expect_continue_is_answered_before_the_body(live_server: str) -> None:
    query = b"ASK { ?s ?p ?o }"
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Accept: application/sparql-results+json\r\nConnection: close\r\n"
        b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(query)
    )
    with socket.create_connection(address(live_server), timeout=5) as sock:
        sock.sendall(head)
        assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"  # the client may now send its body
        sock.sendall(query)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
    codes = statuses(bytes(received))
    assert codes[-1] == 200 and set(codes[:-1]) <= {100}, bytes(received)[:300]
    assert b"true" in received
    # Python's own client (like curl) waits for the 100 and handles a second one
    connection = http.client.HTTPConnection(*address(live_server), timeout=10)
    try:
        connection.request(
            "POST",
            "/sparql",
            body=query,
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
                "Expect": "100-continue",
            },
        )
        response = connection.getresponse()
        assert response.status == 200 and b"true" in response.read()
    finally:
        connection.close()


def push_bodies(url: str, bodies: list[bytes], seconds: float) -> list[socket.socket]:
    """Open one connection per request in ``bodies`` and send them all, as far as the server takes
    them, for at most ``seconds`` (the kernel takes most at once; the worker reads it later)."""
    sockets: list[socket.socket] = []
    pending: dict[socket.socket, memoryview] = {}
    for data in bodies:
        sock = socket.create_connection(address(url), timeout=5)
        sock.setblocking(False)
        sockets.append(sock)
        pending[sock] = memoryview(data)
    deadline = time.monotonic() + seconds
    while pending and time.monotonic() < deadline:
        progress = False
        for sock, data in list(pending.items()):
            try:
                sent = sock.send(data[:262144])
            except BlockingIOError:
                continue
            except OSError:  # answered and closed: looked at below
                del pending[sock]
                continue
            progress = True
            pending[sock] = data[sent:]
            if not pending[sock]:
                del pending[sock]
        if not progress:
            time.sleep(0.05)
    return sockets


def refused_by_the_server(sockets: list[socket.socket], limit: float = 30.0) -> int:
    """How many of ``sockets`` the server answers 503 (or closes), waiting until some are: on a busy
    machine the worker may take a while to read what the kernel took at once."""
    refused: set[socket.socket] = set()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for sock in sockets:
            if sock in refused:
                continue
            try:
                answer = sock.recv(64)
            except BlockingIOError:
                continue  # still open, waiting
            except OSError:
                answer = b""  # reset
            if answer == b"" or answer.startswith(b"HTTP/1.1 503"):
                refused.add(sock)
        if refused:
            break
        time.sleep(0.5)
    return len(refused)


def settled_growth(worker: int, before: float, limit: float = 20.0) -> float:
    """The worker's RSS growth once it has stopped growing: the kernel holds what was sent until the
    worker reads it, which takes a few seconds for hundreds of megabytes."""
    from support.processes import rss_mib

    deadline, last = time.monotonic() + limit, -1.0
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = rss_mib(worker)
        if abs(now - last) < 1.0:
            break
        last = now
    return last - before


def post(size: int, *, short_by: int = 0) -> bytes:
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % size + b"#" * (size - short_by)


def test_unfinished_bodies_cannot_take_a_worker_s_memory(built_settings: Settings) -> None:
    """Five times the budget of nearly complete bodies: the worker holds at most ``MAX_BUFFERED_BODIES``
    and answers the rest 503 (with Retry-After), rather than holding every byte every client sent."""
    from support.processes import ServeProcess, rss_mib, worker_pids

    server = ServeProcess(built_settings, args=("--no-build",), workers=1).start()
    sockets: list[socket.socket] = []
    try:
        (worker,) = worker_pids(server.process.pid)  # type: ignore[attr-defined]
        before = rss_mib(worker)
        size = 900_000  # under the app's 1 MB cap
        sockets = push_bodies(server.url, [post(size, short_by=1)] * (5 * MAX_BUFFERED_BODIES // size), 15)
        busy = refused_by_the_server(sockets)
        grown = settled_growth(worker, before)
        # with the budget about 75 MiB, busy machine or not (64 MiB of bodies; one that does not fit
        # is refused before any of it is read); without it every byte sent was held: about 360 MiB
        assert grown < 2 * MAX_BUFFERED_BODIES / 2**20, f"worker grew by {grown:.0f} MiB"
        assert busy > 0, "no connection was refused for lack of buffer"
        assert requests.get(server.url + ASK, timeout=2).status_code == 200  # and others are served
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def test_complete_bodies_waiting_for_a_thread_count_against_the_budget(built_settings: Settings) -> None:
    """Bodies that are complete but queued behind busy threads still hold their buffers: they count
    until a thread takes them (found in review: 300 such bodies grew a worker by 300 MiB)."""
    from support.processes import ServeProcess, rss_mib, worker_pids

    env = {
        "BLACKJANUARY_QUERY_TIMEOUT": "60",
        "BLACKJANUARY_MAX_RESULTS": "1000000000",
        # every pool thread must be held by an endless query, so admission (ADR 0004) lets all 8 in
        "BLACKJANUARY_SPARQL_CONCURRENCY": "8",
        "BLACKJANUARY_SPARQL_CLIENT_CONCURRENCY": "8",
    }
    server = ServeProcess(built_settings, args=("--no-build",), workers=1, env=env).start()
    sockets: list[socket.socket] = []
    readers: list[socket.socket] = []
    # A pool thread is held by a client that asks for an endless streamed answer and never reads it:
    # the thread blocks in send once the socket buffers are full (memory bounded by those buffers).
    endless = quote("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    request = f"GET /sparql?query={endless} HTTP/1.1\r\nHost: x\r\nAccept: text/tab-separated-values\r\n\r\n"
    try:
        (worker,) = worker_pids(server.process.pid)  # type: ignore[attr-defined]
        for _ in range(8):
            reader = socket.create_connection(address(server.url), timeout=5)
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            reader.sendall(request.encode())
            readers.append(reader)
        time.sleep(3.0)  # every pool thread now blocks sending to a client that does not read
        before = rss_mib(worker)
        size = 900_000
        sockets = push_bodies(server.url, [post(size)] * (5 * MAX_BUFFERED_BODIES // size), 15)
        busy = refused_by_the_server(sockets)
        grown = settled_growth(worker, before)
        assert grown < 2 * MAX_BUFFERED_BODIES / 2**20, f"worker grew by {grown:.0f} MiB"
        assert busy > 0, "no connection was refused for lack of buffer"
    finally:
        for sock in sockets + readers:
            sock.close()
        server.stop()


def test_clients_that_never_close_do_not_stall_the_poller(live_server: str) -> None:
    """Found in review: after a ``Connection: close`` answer gunicorn waits, in the main loop, up to
    2 s for the client to close; one client that never does, asking every half second, stalled every
    other connection (a normal GET took 30 s). Closing now lingers without blocking."""
    request = f"GET {ASK} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    held: list[socket.socket] = []
    slowest = 0.0
    try:
        for _ in range(12):
            sock = socket.create_connection(address(live_server), timeout=5)
            sock.sendall(request)  # and never read or close
            held.append(sock)
            began = time.monotonic()
            assert requests.get(live_server + ASK, timeout=5).status_code == 200
            slowest = max(slowest, time.monotonic() - began)
            time.sleep(0.25)
    finally:
        for sock in held:
            sock.close()
    assert slowest < 1.0, f"a normal request waited {slowest:.2f} s behind clients that do not close"


@pytest.mark.slow
def test_clients_that_stop_reading_release_their_threads(built_settings: Settings) -> None:
    """Found in review: a client that stops reading its response held a pool thread for ever. Every
    write is now bounded by ``SEND_TIMEOUT``: eight such clients hold the eight threads that long."""
    from support.processes import ServeProcess

    server = ServeProcess(built_settings, args=("--no-build",), workers=1).start()
    readers: list[socket.socket] = []
    try:
        dump = requests.get(server.url + "/downloads", headers={"Accept": "application/json"}, timeout=10)
        name = next(f["name"] for f in dump.json()["files"] if f["name"].endswith(".nq"))
        request = f"GET /downloads/{name} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 30
        for _ in range(8):
            reader = socket.create_connection(address(server.url), timeout=5)
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            reader.sendall(request)  # and never read
            readers.append(reader)
        time.sleep(SEND_TIMEOUT + 5)
        began = time.monotonic()
        assert requests.get(server.url + ASK, timeout=10).status_code == 200
        assert time.monotonic() - began < 5
    finally:
        for reader in readers:
            reader.close()
        server.stop()
