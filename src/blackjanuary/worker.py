"""A gunicorn ``gthread`` worker that reads each request head in its poller before a thread sees it.

gunicorn 27's ``ThreadWorker`` hands a connection to a pool thread as soon as it is readable; the thread
then blocks until the whole request head has arrived. A client trickling one header byte per second
(slowloris) therefore holds a thread for as long as it likes, and 8 such clients per worker starve
everybody else. :class:`HeadFirstThreadWorker` buffers the head (up to the empty line) non-blockingly
in the worker's main loop, waitress-style, and submits the connection to the thread pool only when the
head is complete, pre-feeding the buffered bytes (head plus any body bytes that came with it) into
gunicorn's parser. A head that is not complete ``HEAD_TIMEOUT`` seconds after the connection became
readable (or was accepted) is dropped, a head larger than ``MAX_HEAD_BYTES`` gets a 431, and when the
worker runs out of connection slots the oldest half-read heads are closed so new clients still get in.
Kept-alive connections go through the same path for each further request. The request *body* is read
by the thread as before, but by a deadline (``BODY_TIMEOUT``); see docs/adr/0002-query-execution.md.

TLS and HTTP/2 prior knowledge read the socket before the HTTP/1 parser does; with either configured
the worker behaves exactly like ``gthread`` (we serve plain HTTP/1.1 behind a proxy, neither is used).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from collections import OrderedDict
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker
from werkzeug.exceptions import RequestTimeout

#: Seconds a connection may take to deliver a complete request head, counted from its acceptance
#: (or, on a kept-alive connection, from the first byte of the next request).
HEAD_TIMEOUT = 10.0
#: Largest request head (request line + header fields) buffered; gunicorn's own limits (8190-byte
#: request line, 100 fields of ≤ 8190 bytes) still apply to what is smaller. Larger heads get a 431.
MAX_HEAD_BYTES = 64 * 1024
#: Seconds a pool thread may spend reading one request's body, counted from the complete head. The
#: app caps bodies at ``Settings.max_request_bytes`` (1 MB): 20 s asks for ≥ 50 kB/s.
BODY_TIMEOUT = 20.0
#: Bytes asked of the socket per read while the head is incomplete.
RECV_SIZE = 16 * 1024

_TOO_LARGE_BODY = (
    f"The request head is larger than {MAX_HEAD_BYTES} bytes: send fewer or shorter header fields.\n"
).encode()
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n" + f"Content-Length: {len(_TOO_LARGE_BODY)}\r\n\r\n".encode() + _TOO_LARGE_BODY
)


class BodyTimeout(TimeoutError, RequestTimeout):
    """The request body did not arrive within ``BODY_TIMEOUT``: a 408 if the app is reading it.

    A ``TimeoutError`` for gunicorn (its body drain gives up and closes the connection) and werkzeug
    (a ``Content-Length`` body read that fails becomes its 400 "client disconnected"); a werkzeug
    ``RequestTimeout`` for Flask when a chunked body read fails in a view.
    """

    def __init__(self) -> None:
        message = f"The request body did not arrive within {BODY_TIMEOUT:g} s; send it faster."
        RequestTimeout.__init__(self, message)  # first: it resets ``args``
        TimeoutError.__init__(self, message)


class DeadlineSocket:
    """The socket as gunicorn's parser sees it: every ``recv`` ends by one absolute deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = 0.0

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise BodyTimeout()
        prior = self.sock.gettimeout()
        self.sock.settimeout(remaining if prior is None else min(prior, remaining))
        try:
            return self.sock.recv(size)
        except TimeoutError:
            if prior is not None and prior < remaining:
                raise  # the caller's own, shorter timeout (gunicorn's body drain)
            raise BodyTimeout() from None
        finally:
            self.sock.settimeout(prior)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class HeadConn(TConn):  # type: ignore[misc]
    """A gthread connection plus the bytes of the request head read so far in the poller."""

    def __init__(self, cfg: Any, sock: Any, client: Any, server: Any) -> None:
        super().__init__(cfg, sock, client, server)
        self.head = bytearray()
        self.scanned = 0  # bytes of ``head`` already searched for the end of the head
        self.head_deadline = 0.0
        self.head_complete = False
        # TLS wraps the socket and HTTP/2 prior knowledge sniffs it in the thread (TConn.init):
        # for those the head cannot be read here, so the connection goes the plain gthread way.
        self.passthrough = bool(
            cfg.is_ssl
            or getattr(cfg, "protocol", "http") != "http"
            or negotiation.prior_knowledge_allowed(cfg, client)
        )

    def take_head(self) -> bytes:
        data = bytes(self.head)
        self.head.clear()
        self.scanned = 0
        self.head_complete = False
        return data

    def head_done(self) -> bool:
        """Whether the buffer holds a whole head (or enough for the parser to reject it now)."""
        start = max(0, self.scanned - 3)
        self.scanned = len(self.head)
        # "\n\n": a bare-LF head, which gunicorn's parser rejects with a 400 straight away.
        return self.head.find(b"\r\n\r\n", start) >= 0 or self.head.find(b"\n\n", start) >= 0


class HeadFirstThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``gthread`` with request heads buffered in the main loop (slowloris-resistant)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections reading their head, oldest first (insertion order = order of their deadlines).
        self.heading: OrderedDict[HeadConn, None] = OrderedDict()

    # Accepting and dispatching -------------------------------------------------------------------------

    def accept(self, listener: Any) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = HeadConn(self.cfg, client_sock, client_addr, listener.getsockname())
        if conn.passthrough:
            client_sock.setblocking(True)
        self.enqueue_req(conn)

    def enqueue_req(self, conn: Any) -> None:
        """Every way into the thread pool (new, kept-alive, read-ahead) passes the head reader first."""
        if not isinstance(conn, HeadConn) or conn.passthrough or conn.head_complete:
            super().enqueue_req(conn)
            return
        if conn.parser is not None:  # a kept-alive connection: bytes read ahead by the last request
            conn.head += conn.parser.unreader.take_buffered()
        conn.head_deadline = time.monotonic() + HEAD_TIMEOUT
        if not self.alive:
            conn.head_deadline = min(conn.head_deadline, time.monotonic() + STOP_KEEPALIVE_LINGER)
        conn.sock.setblocking(False)
        self.heading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_head_readable, conn))
        if conn.head and conn.head_done():
            self._dispatch(conn)
        else:
            self.on_head_readable(conn, conn.sock)  # often the bytes are there already

    def on_head_readable(self, conn: HeadConn, _sock: Any) -> None:
        if conn not in self.heading:
            return
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        if not data:  # the client went away before finishing its head (or between requests)
            self._drop(conn)
            return
        conn.head += data
        if conn.head_done():
            self._dispatch(conn)
        elif len(conn.head) > MAX_HEAD_BYTES:
            self._drop(conn, answer=_TOO_LARGE)

    def _dispatch(self, conn: HeadConn) -> None:
        del self.heading[conn]
        self.poller.unregister(conn.sock)
        conn.head_complete = True
        conn.data_ready = True  # gthread must not wait for data or defer: the head is here
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        """In a pool thread: give the parser the buffered head, then serve as ``gthread`` does."""
        if isinstance(conn, HeadConn) and conn.head_complete:
            buffered = conn.take_head()
            conn.sock.setblocking(True)
            conn.init()  # creates the HTTP/1 parser on first use (no TLS, no prior knowledge here)
            unreader = conn.parser.unreader
            if not isinstance(unreader.sock, DeadlineSocket):
                unreader.sock = DeadlineSocket(unreader.sock)
            unreader.sock.deadline = time.monotonic() + BODY_TIMEOUT
            unreader.unread(buffered)
        return super().handle(conn)

    # Deadlines, limits, shutdown ---------------------------------------------------------------------

    def _drop(self, conn: HeadConn, answer: bytes = b"") -> None:
        self.heading.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        if answer:
            with contextlib.suppress(OSError):
                conn.sock.send(answer)  # best effort: small, the socket buffer takes it
                # Unread bytes make close() send a reset, which can destroy the answer in flight:
                # take what has arrived (bounded; never waiting).
                for _ in range(16):
                    if not conn.sock.recv(RECV_SIZE):
                        break
        self.nr_conns -= 1
        util.close(conn.sock)

    def murder_pending(self) -> None:
        """Called by ``run()`` once per loop: also close heads past their deadline."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive:  # stopping: a half-sent head gets the keep-alive linger, no more
            for conn in self.heading:
                conn.head_deadline = min(conn.head_deadline, now + STOP_KEEPALIVE_LINGER)
        # ``heading`` is in the order of the deadlines (capping them all at one instant keeps it).
        while self.heading:
            oldest = next(iter(self.heading))
            if oldest.head_deadline > now:
                break
            self.log.debug("closing %s: no complete request head within %g s", oldest.client, HEAD_TIMEOUT)
            self._drop(oldest)

    def set_accept_enabled(self, enabled: bool) -> None:
        """Out of connection slots: close the oldest unfinished heads rather than stop accepting."""
        if not enabled and self.alive and self.heading:
            while self.heading and self.nr_conns >= self.worker_connections:
                self._drop(next(iter(self.heading)))
            enabled = self.nr_conns < self.worker_connections
        super().set_accept_enabled(enabled)
