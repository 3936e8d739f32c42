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

Request bodies are buffered the same way: a ``Content-Length`` body of at most ``MAX_BODY_BUFFER``
bytes, or a chunked body (its framing scanned as it arrives, up to the same size), is read in the
poller too, so a client trickling its body holds no thread either; one not complete ``BODY_TIMEOUT``
seconds after its head gets a 408. A worker promises at most ``MAX_BUFFERED_BODIES`` of buffer to
bodies at once (declared lengths); a body beyond that budget is read by a thread, as without buffering.
``Expect: 100-continue`` is answered by the poller (gunicorn sends its own ``100 Continue`` again
later: several 1xx responses are allowed, RFC 9110 §15.2). Only a body declared larger than
``MAX_BODY_BUFFER`` is read by the thread, by the same deadline, so the app can refuse it (413)
without reading it; see docs/adr/0002-query-execution.md.

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
from dataclasses import dataclass
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
#: Largest request body buffered in the poller (the app's default cap is 1 MB); a larger declared
#: ``Content-Length`` goes to a thread at once, which reads it by ``BODY_TIMEOUT`` (or the app refuses it).
MAX_BODY_BUFFER = 1024 * 1024
#: Body bytes one worker may have promised to buffer at once (declared lengths; a chunked body counts
#: ``MAX_BODY_BUFFER``). A body that would go beyond it is read by a thread, as without buffering:
#: 1,000 connection slots × 1 MiB would otherwise be 1 GiB.
MAX_BUFFERED_BODIES = 64 * 1024 * 1024
#: Bytes asked of the socket per read while the head or a buffered body is incomplete.
RECV_SIZE = 16 * 1024

_TOO_LARGE_BODY = (
    f"The request head is larger than {MAX_HEAD_BYTES} bytes: send fewer or shorter header fields.\n"
).encode()
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n" + f"Content-Length: {len(_TOO_LARGE_BODY)}\r\n\r\n".encode() + _TOO_LARGE_BODY
)


_SLOW_BODY = f"The request body did not arrive within {BODY_TIMEOUT:g} s; send it faster.\n".encode()
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Connection: close\r\n" + f"Content-Length: {len(_SLOW_BODY)}\r\n\r\n".encode() + _SLOW_BODY
)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


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


_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
#: Longest chunk-size line (with extensions) and trailer section scanned before the thread takes over.
_MAX_CHUNK_LINE = 1024
_MAX_TRAILERS = 8 * 1024


@dataclass(frozen=True)
class BodyFrame:
    """How the body after a complete head is delimited: ``end`` (a Content-Length body is complete
    when the buffer holds that many bytes) or ``chunked_from`` (where a chunked body starts)."""

    end: int | None
    chunked_from: int | None
    expect_continue: bool


def body_frame(buffer: bytes | bytearray) -> BodyFrame | None:
    """The framing of the body that follows the complete head at the start of ``buffer``; None when
    there is no body to wait for, or one a thread must read: declared larger than ``MAX_BODY_BUFFER``,
    or framed in a way gunicorn's parser is to judge (conflicting or malformed length fields)."""
    head_end, bare = buffer.find(b"\r\n\r\n"), buffer.find(b"\n\n")
    if head_end < 0 or 0 <= bare < head_end:
        return None  # a bare-LF head: gunicorn's parser rejects it
    lines = bytes(buffer[:head_end]).split(b"\r\n")
    fields: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        fields.setdefault(name.strip().lower(), []).append(value.strip())
    expect = lines[0].endswith(b"HTTP/1.1") and [v.lower() for v in fields.get(b"expect", [])] == [
        b"100-continue"
    ]
    start = head_end + 4
    lengths, codings = fields.get(b"content-length", []), fields.get(b"transfer-encoding", [])
    if codings:
        if lengths or [c.lower() for c in codings] != [b"chunked"]:
            return None
        return BodyFrame(None, start, expect)
    if len(lengths) != 1 or not lengths[0].isdigit() or len(lengths[0]) > 12:
        return None
    size = int(lengths[0])
    if size == 0 or size > MAX_BODY_BUFFER:
        return None
    return BodyFrame(start + size, None, expect)


def chunked_end(buffer: bytes | bytearray, position: int, start: int) -> tuple[int | None, int]:
    """Scan a chunked body from the chunk-size line at ``position`` (the body began at ``start``).

    Returns ``(end, resume)``: ``end`` is the index just past the body (last chunk and trailer
    section), or None when more bytes are needed; ``resume`` is where to scan from next time.
    ValueError when the framing is malformed or the body outgrows ``MAX_BODY_BUFFER``: the thread
    reads the rest, and gunicorn's parser answers what is wrong with it.
    """
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            if len(buffer) - position > _MAX_CHUNK_LINE:
                raise ValueError("chunk-size line too long")
            return None, position
        digits = bytes(buffer[position:line_end]).split(b";", 1)[0].strip()
        if not digits or len(digits) > 8 or not _HEX_DIGITS.issuperset(digits):
            raise ValueError("malformed chunk size")
        size = int(digits, 16)
        if size == 0:
            end = buffer.find(b"\r\n\r\n", line_end)
            if end < 0:
                if len(buffer) - line_end > _MAX_TRAILERS:
                    raise ValueError("trailer section too long")
                return None, position
            return end + 4, position
        data_end = line_end + 2 + size
        if data_end - start > MAX_BODY_BUFFER:
            raise ValueError("chunked body larger than the buffer")
        if len(buffer) < data_end + 2:
            return None, position
        if buffer[data_end : data_end + 2] != b"\r\n":
            raise ValueError("chunk data not followed by CRLF")
        position = data_end + 2


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
        self.body_deadline = 0.0
        self.reserved = 0  # bytes of the worker's body budget held for this body
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

    def body_done(self) -> bool:
        """Whether the buffer holds the whole body of ``frame`` (ValueError: let the thread read it)."""
        frame = self.frame
        if frame is None:
            return True
        if frame.chunked_from is None:
            return len(self.head) >= (frame.end or 0)
        end, self.chunk_position = chunked_end(self.head, self.chunk_position, frame.chunked_from)
        return end is not None


class HeadFirstThreadWorker(ThreadWorker):  # type: ignore[misc]
    """``gthread`` with request heads buffered in the main loop (slowloris-resistant)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections reading their head, and those reading their body, oldest first (insertion order
        # = order of their deadlines: each is its start plus one constant).
        self.heading: OrderedDict[HeadConn, None] = OrderedDict()
        self.bodying: OrderedDict[HeadConn, None] = OrderedDict()
        self.body_reserved = 0  # ``conn.reserved`` summed over ``bodying``

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
            self._body_progress(conn)
        elif conn.head_done():
            self._head_complete(conn)
        elif len(conn.head) > MAX_HEAD_BYTES:
            self._drop(conn, answer=_TOO_LARGE)

    def _head_complete(self, conn: HeadConn) -> None:
        """The head is in: dispatch now, or first buffer a body that fits (answering ``Expect``)."""
        conn.frame = body_frame(conn.head)
        if conn.frame is None:
            self._dispatch(conn)
            return
        # what the buffer may grow to: head and body (a chunked body: its limit)
        conn.reserved = conn.frame.end or (conn.frame.chunked_from or 0) + MAX_BODY_BUFFER
        if self.body_reserved + conn.reserved > MAX_BUFFERED_BODIES:
            conn.reserved = 0
            self._dispatch(conn)  # the buffers are spoken for: a thread reads this body
            return
        self.body_reserved += conn.reserved
        conn.chunk_position = conn.frame.chunked_from or 0
        self.heading.pop(conn, None)
        self.bodying[conn] = None
        conn.body_deadline = time.monotonic() + BODY_TIMEOUT
        if not self.alive:
            conn.body_deadline = min(conn.body_deadline, time.monotonic() + STOP_KEEPALIVE_LINGER)
        if self._body_progress(conn) and conn.frame.expect_continue:
            try:
                conn.sock.send(_CONTINUE)  # 25 bytes into an empty socket buffer: never partial
            except OSError:
                self._drop(conn)

    def _body_progress(self, conn: HeadConn) -> bool:
        """Dispatch ``conn`` when its body is complete (or a thread must read it); True while waiting."""
        try:
            done = conn.body_done()
        except ValueError:
            done = True
        if done:
            self._dispatch(conn)
        return not done

    def _leave_bodying(self, conn: HeadConn) -> None:
        if self.bodying.pop(conn, False) is None:
            self.body_reserved -= conn.reserved
            conn.reserved = 0

    def _dispatch(self, conn: HeadConn) -> None:
        self.heading.pop(conn, None)
        self._leave_bodying(conn)
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
        self._leave_bodying(conn)
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
            self._drop(oldest, answer=_TIMED_OUT)

    def set_accept_enabled(self, enabled: bool) -> None:
        """Out of connection slots: close the oldest unfinished requests (heads first, then bodies)
        rather than stop accepting."""
        if not enabled and self.alive and (self.heading or self.bodying):
            while self.heading and self.nr_conns >= self.worker_connections:
                self._drop(next(iter(self.heading)))
            while self.bodying and self.nr_conns >= self.worker_connections:
                self._drop(next(iter(self.bodying)))
            enabled = self.nr_conns < self.worker_connections
        super().set_accept_enabled(enabled)
