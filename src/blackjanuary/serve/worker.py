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
Kept-alive connections go through the same path for each further request.

Request bodies are buffered the same way, so no pool thread ever waits for a client's bytes: a
``Content-Length`` body, or a chunked body (its framing scanned as it arrives), of at most the app's
request-size cap is read in the poller before a thread sees the connection, and ``Expect:
100-continue`` is answered there (gunicorn sends its own ``100 Continue`` again later: several 1xx
responses are allowed, RFC 9110 §15.2). What the poller will not buffer it answers itself and closes:
a body larger than the cap (413), ambiguous or malformed framing (400: ``Content-Length`` beside
``Transfer-Encoding``, conflicting lengths, bad chunks), a body not complete ``BODY_TIMEOUT`` seconds
after its head (408), or one that would take the worker past ``MAX_BUFFERED_BODIES`` of buffered
bodies, counted until a thread takes them (503 with ``Retry-After``). Every byte is still parsed
by gunicorn's own parser afterwards; the poller only decides when a request is complete. See
docs/adr/0002-query-execution.md.

TLS and HTTP/2 prior knowledge read the socket before the HTTP/1 parser does; with either configured
the worker behaves exactly like ``gthread`` (we serve plain HTTP/1.1 behind a proxy, neither is used).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import threading
import time
from collections import OrderedDict
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import _DEFER, STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from blackjanuary.serve.framing import (
    BODY_TIMEOUT,
    BUSY,
    CONTINUE,
    HEAD_TIMEOUT,
    LINGER_BYTES,
    LINGER_SECONDS,
    MAX_BODY_BUFFER,
    MAX_BUFFERED_BODIES,
    MAX_HEAD_BYTES,
    RECV_SIZE,
    SEND_TIMEOUT,
    TIMED_OUT,
    TOO_LARGE,
    BodyFrame,
    BodyRefused,
    DeadlineSocket,
    body_frame,
    chunked_end,
)


class HeadConn(TConn):  # type: ignore[misc]
    """A gthread connection plus the bytes of the request head read so far in the poller."""

    def __init__(self, cfg: Any, sock: Any, client: Any, server: Any) -> None:
        super().__init__(cfg, sock, client, server)
        self.head = bytearray()
        self.scanned = 0  # bytes of ``head`` already searched for the end of the head
        self.head_deadline = 0.0
        self.head_complete = False
        self.frame: BodyFrame | None = None  # the body being buffered, once the head is complete
        self.chunk_position = 0  # where the chunked-body scan resumes
        self.chunk_payload = 0  # chunk data before ``chunk_position``
        self.body_deadline = 0.0
        self.held = 0  # bytes of the worker's body budget this connection holds
        # TLS wraps the socket and HTTP/2 prior knowledge sniffs it in the thread (TConn.init):
        # for those the head cannot be read here, so the connection goes the plain gthread way.
        self.passthrough = bool(
            cfg.is_ssl
            or getattr(cfg, "protocol", "http") != "http"
            or negotiation.prior_knowledge_allowed(cfg, client)
        )

    def init(self) -> None:
        """gthread calls this in the pool thread right after making the socket blocking (which clears
        any timeout): bound every write from here on (reads are bounded by ``DeadlineSocket``)."""
        super().init()
        self.sock.settimeout(SEND_TIMEOUT)

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

    def body_done(self, limit: int) -> bool:
        """Whether the buffer holds the whole body of ``frame`` (:class:`BodyRefused`: answer it)."""
        frame = self.frame
        if frame is None:
            return True
        if frame.chunked_from is None:
            return len(self.head) >= (frame.end or 0)
        end, self.chunk_position, self.chunk_payload = chunked_end(
            self.head, self.chunk_position, frame.chunked_from, limit, self.chunk_payload
        )
        return end is not None


class HeadFirstThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``gthread`` with request heads buffered in the main loop (slowloris-resistant)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections reading their head, and those reading their body, oldest first (insertion order
        # = order of their deadlines: each is its start plus one constant).
        self.heading: OrderedDict[HeadConn, None] = OrderedDict()
        self.bodying: OrderedDict[HeadConn, None] = OrderedDict()
        # Body bytes held by connections from their first buffered byte until a pool thread takes
        # them (``conn.held`` summed); threads release theirs, hence the lock.
        self.body_held = 0
        # Answered connections being drained before they are closed: connection → (deadline, bytes left)
        self.lingering: OrderedDict[HeadConn, list[float]] = OrderedDict()
        self.body_held_lock = threading.Lock()
        self.body_limit = MAX_BODY_BUFFER  # the app's own cap, once it is loaded

    def load_wsgi(self) -> None:
        """Load the app, and take its request-size cap as the largest body to buffer."""
        super().load_wsgi()
        config = getattr(self.wsgi, "config", None)
        limit = config.get("MAX_CONTENT_LENGTH") if isinstance(config, dict) else None
        if isinstance(limit, int) and limit > 0:
            self.body_limit = limit

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
            self._head_complete(conn)
        else:
            self.on_head_readable(conn, conn.sock)  # often the bytes are there already

    def on_head_readable(self, conn: HeadConn, _sock: Any) -> None:
        if conn not in self.heading and conn not in self.bodying:
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
        if conn in self.bodying:
            # a Content-Length body was held whole when its head came; a chunked one as it arrives
            chunked = conn.frame is not None and conn.frame.chunked_from is not None
            if not chunked or self._hold(conn, len(data)):
                self._body_progress(conn)
        elif conn.head_done():
            self._head_complete(conn)
        elif len(conn.head) > MAX_HEAD_BYTES:
            self._drop(conn, answer=TOO_LARGE)

    def _head_complete(self, conn: HeadConn) -> None:
        """The head is in: dispatch now, or first buffer a body that fits (answering ``Expect``)."""
        try:
            conn.frame = body_frame(conn.head, self.body_limit)
        except BodyRefused as refused:
            self._drop(conn, answer=refused.response)
            return
        if conn.frame is None:
            self._dispatch(conn)
            return
        # hold a Content-Length body's whole size now, so one that does not fit is refused unread
        if not self._hold(conn, conn.frame.end or len(conn.head)):
            return
        conn.chunk_position, conn.chunk_payload = conn.frame.chunked_from or 0, 0
        self.heading.pop(conn, None)
        self.bodying[conn] = None
        conn.body_deadline = time.monotonic() + BODY_TIMEOUT
        if not self.alive:
            conn.body_deadline = min(conn.body_deadline, time.monotonic() + STOP_KEEPALIVE_LINGER)
        if self._body_progress(conn) and conn.frame.expect_continue:
            try:
                conn.sock.send(CONTINUE)  # 25 bytes into an empty socket buffer: never partial
            except OSError:
                self._drop(conn)

    def _body_progress(self, conn: HeadConn) -> bool:
        """Dispatch ``conn`` when its body is complete, answer it when refused; True while waiting."""
        try:
            done = conn.body_done(self.body_limit)
        except BodyRefused as refused:
            self._drop(conn, answer=refused.response)
            return False
        if done:
            self._dispatch(conn)
        return not done

    def _hold(self, conn: HeadConn, size: int) -> bool:
        """Count ``size`` more buffered body bytes; over the budget, answer 503 (False)."""
        with self.body_held_lock:
            if self.body_held + size > MAX_BUFFERED_BODIES:
                over = True
            else:
                over = False
                self.body_held += size
                conn.held += size
        if over:
            self._drop(conn, answer=BUSY)
        return not over

    def _release(self, conn: HeadConn) -> None:
        """Give back what ``conn`` held (its buffer was taken by a thread, or it was dropped)."""
        with self.body_held_lock:
            self.body_held -= conn.held
            conn.held = 0

    def _dispatch(self, conn: HeadConn) -> None:
        """To the thread pool; the buffered body stays counted until a thread takes it."""
        self.heading.pop(conn, None)
        self.bodying.pop(conn, None)
        self.poller.unregister(conn.sock)
        conn.head_complete = True
        conn.data_ready = True  # gthread must not wait for data or defer: the head is here
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        """In a pool thread: give the parser the buffered head, then serve as ``gthread`` does."""
        if isinstance(conn, HeadConn) and conn.head_complete:
            buffered = conn.take_head()
            self._release(conn)
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
        """Close ``conn``; with an ``answer``, send it and linger (drain, then close)."""
        self.heading.pop(conn, None)
        self.bodying.pop(conn, None)
        self._release(conn)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        if answer:
            try:
                conn.sock.send(answer)  # small: the empty socket buffer takes it whole
            except OSError:
                self._close(conn)
                return
            self._linger(conn)
            return
        self._close(conn)

    def _linger(self, conn: HeadConn) -> None:
        """Stop sending, then drain what the client still sends until it closes (bounded), without
        blocking the poller; then close."""
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_linger_readable, conn))
        except (OSError, ValueError, KeyError):
            self._close(conn)
            return
        self.lingering[conn] = [time.monotonic() + LINGER_SECONDS, LINGER_BYTES]

    def finish_request(self, conn: Any, fs: Any) -> None:
        """A request is done (main loop). Closing goes through :meth:`_linger`: gunicorn's graceful
        close blocks the main loop for up to 2 s waiting for the client, which one client that never
        closes could repeat to stall every other connection."""
        if isinstance(conn, HeadConn) and not fs.cancelled() and fs.exception() is None:
            result = fs.result()
            if not result and result is not _DEFER:
                self._linger(conn)
                return
        super().finish_request(conn, fs)

    def _close(self, conn: HeadConn) -> None:
        if self.lingering.pop(conn, None) is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)
        self.nr_conns -= 1
        util.close(conn.sock)

    def on_linger_readable(self, conn: HeadConn, _sock: Any) -> None:
        """Discard what the client still sends after its answer, until it stops (or enough)."""
        budget = self.lingering.get(conn)
        if budget is None:
            return
        try:
            data = conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        budget[1] -= len(data)
        if not data or budget[1] <= 0:
            self._close(conn)

    def murder_pending(self) -> None:
        """Called by ``run()`` once per loop: also close heads past their deadline."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive:  # stopping: a half-sent request gets the keep-alive linger, no more
            for conn in self.heading:
                conn.head_deadline = min(conn.head_deadline, now + STOP_KEEPALIVE_LINGER)
            for conn in self.bodying:
                conn.body_deadline = min(conn.body_deadline, now + STOP_KEEPALIVE_LINGER)
        # Both are in the order of their deadlines (capping them all at one instant keeps it).
        while self.heading:
            oldest = next(iter(self.heading))
            if oldest.head_deadline > now:
                break
            self.log.debug("closing %s: no complete request head within %g s", oldest.client, HEAD_TIMEOUT)
            self._drop(oldest)
        while self.bodying:
            oldest = next(iter(self.bodying))
            if oldest.body_deadline > now:
                break
            self.log.debug("answering %s 408: no complete body within %g s", oldest.client, BODY_TIMEOUT)
            self._drop(oldest, answer=TIMED_OUT)
        while self.lingering:  # in the order of their deadlines too (one constant after each answer)
            oldest, (deadline, _) = next(iter(self.lingering.items()))
            if deadline > now and self.alive:
                break
            self._close(oldest)

    def set_accept_enabled(self, enabled: bool) -> None:
        """Out of connection slots: close the oldest unfinished requests (heads first, then bodies)
        rather than stop accepting."""
        if not enabled and self.alive and (self.heading or self.bodying or self.lingering):
            while self.heading and self.nr_conns >= self.worker_connections:
                self._drop(next(iter(self.heading)))
            while self.bodying and self.nr_conns >= self.worker_connections:
                self._drop(next(iter(self.bodying)))
            while self.lingering and self.nr_conns >= self.worker_connections:
                self._close(next(iter(self.lingering)))
            enabled = self.nr_conns < self.worker_connections
        super().set_accept_enabled(enabled)
