"""HTTP/1.1 message framing for the worker's poller: when a request head or body is complete, the
limits and deadlines that bound them, and the plain answers the poller sends itself (431, 413, 408, 503).
Pure functions of the bytes received so far; gunicorn's own parser still parses every byte afterwards.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import RequestTimeout

#: Seconds a connection may take to deliver a complete request head, counted from its acceptance
#: (or, on a kept-alive connection, from the first byte of the next request).
HEAD_TIMEOUT = 10.0
#: Largest request head (request line + header fields) buffered; gunicorn's own limits (8190-byte
#: request line, 100 fields of ≤ 8190 bytes) still apply to what is smaller. Larger heads get a 431.
MAX_HEAD_BYTES = 64 * 1024
#: Seconds a request body may take to arrive, counted from the complete head. The app caps bodies at
#: ``Settings.max_request_bytes`` (1 MB): 20 s asks for ≥ 50 kB/s.
BODY_TIMEOUT = 20.0
#: Largest request body buffered when the app's own cap (``MAX_CONTENT_LENGTH``) is unknown; a body
#: declared or growing larger than the cap is answered 413 by the poller, unread.
MAX_BODY_BUFFER = 1024 * 1024
#: Body bytes one worker holds at once, counted from the first byte buffered until a pool thread takes
#: the request: 1,000 connection slots × 1 MiB would otherwise be 1 GiB. A body that would go beyond it
#: is answered 503 with ``Retry-After`` (the server is busy), never handed to a thread unfinished.
MAX_BUFFERED_BODIES = 64 * 1024 * 1024
#: After answering a request it will not read (413, 400, 408, 503) the poller stops sending and keeps
#: reading, discarding, for up to this many seconds and bytes before it closes: closing a socket with
#: unread bytes sends a reset, which can destroy the answer before the client reads it.
LINGER_SECONDS = 2.0
LINGER_BYTES = 16 * 1024 * 1024
#: Seconds one write of a response may take (``sendall`` of a chunk, ``sendfile``): a client that
#: stops reading its response holds a pool thread for at most this long, then is disconnected.
SEND_TIMEOUT = 30.0
#: Bytes asked of the socket per read while the head or a buffered body is incomplete.
RECV_SIZE = 16 * 1024


def plain_response(status: str, message: str, *headers: str) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 response with a one-line text body."""
    body = (message + "\n").encode()
    lines = [f"HTTP/1.1 {status}", "Content-Type: text/plain; charset=utf-8", "Connection: close", *headers]
    return ("\r\n".join([*lines, f"Content-Length: {len(body)}", "", ""])).encode() + body


TOO_LARGE = plain_response(
    "431 Request Header Fields Too Large",
    f"The request head is larger than {MAX_HEAD_BYTES} bytes: send fewer or shorter header fields.",
)
TIMED_OUT = plain_response(
    "408 Request Timeout", f"The request body did not arrive within {BODY_TIMEOUT:g} s; send it faster."
)
BUSY = plain_response(
    "503 Service Unavailable",
    "The server is buffering as many request bodies as it can; retry in a few seconds.",
    "Retry-After: 5",
)
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BodyRefused(ValueError):
    """A request body the poller answers itself (and closes): too large, or framed ambiguously."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.response = plain_response(status, message)


def _too_large(limit: int) -> BodyRefused:
    return BodyRefused(
        "413 Content Too Large", f"The request body is larger than {limit} bytes, the limit here."
    )


def _bad_framing(what: str) -> BodyRefused:
    return BodyRefused("400 Bad Request", f"Malformed request body framing: {what}.")


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
#: Longest chunk-size line (with extensions) and trailer section, as gunicorn's parser allows.
_MAX_CHUNK_LINE = 8 * 1024
_MAX_TRAILERS = MAX_HEAD_BYTES


@dataclass(frozen=True)
class BodyFrame:
    """How the body after a complete head is delimited: ``end`` (a Content-Length body is complete
    when the buffer holds that many bytes) or ``chunked_from`` (where a chunked body starts)."""

    end: int | None
    chunked_from: int | None
    expect_continue: bool


def body_frame(buffer: bytes | bytearray, limit: int = MAX_BODY_BUFFER) -> BodyFrame | None:
    """The framing of the body that follows the complete head in ``buffer``.

    None when there is no body, or when gunicorn's parser rejects the head itself (a bare-LF head)
    before any body is read. :class:`BodyRefused` for a body the worker will not take: declared larger
    than ``limit`` (413), or with length fields that do not say one thing (400: a request-smuggling
    shape, such as ``Content-Length`` beside ``Transfer-Encoding``). So every body is either buffered
    whole before a thread sees it, or answered here.
    """
    offset = 0
    while buffer.startswith(b"\r\n", offset):  # empty lines before the request line are ignored
        offset += 2
    head_end, bare = buffer.find(b"\r\n\r\n", offset), buffer.find(b"\n\n", offset)
    if head_end < 0 or 0 <= bare < head_end:
        return None  # a bare-LF head: gunicorn's parser rejects it
    lines = bytes(buffer[offset:head_end]).split(b"\r\n")
    fields: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise _bad_framing("a header line that is not `name: value`")
        fields.setdefault(name.lower(), []).extend(v.strip() for v in value.split(b","))
    expect = lines[0].endswith(b"HTTP/1.1") and [v.lower() for v in fields.get(b"expect", [])] == [
        b"100-continue"
    ]
    start = head_end + 4
    lengths = fields.get(b"content-length", [])
    codings = [c.lower() for c in fields.get(b"transfer-encoding", []) if c]
    if codings:
        if lengths:
            raise _bad_framing("both Content-Length and Transfer-Encoding")
        if codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
            raise _bad_framing("Transfer-Encoding must end with one `chunked`")
        return BodyFrame(None, start, expect)
    if not lengths:
        return None
    if not all(v.isdigit() for v in lengths) or len({int(v) for v in lengths}) != 1:
        raise _bad_framing("Content-Length must be one decimal number")
    size = int(lengths[0])
    if size > limit:
        raise _too_large(limit)
    return BodyFrame(start + size, None, expect) if size else None


def chunked_end(
    buffer: bytes | bytearray, position: int, start: int, limit: int = MAX_BODY_BUFFER, payload: int = 0
) -> tuple[int | None, int, int]:
    """Scan a chunked body from the chunk-size line at ``position`` (the body began at ``start``;
    ``payload`` bytes of chunk data came before ``position``).

    Returns ``(end, resume, payload)``: ``end`` is the index just past the body (last chunk and
    trailer section), or None when more bytes are needed; ``resume`` and ``payload`` are where to scan
    from next time and the chunk data up to there. :class:`BodyRefused` when the framing is malformed
    (400) or the chunk data outgrows ``limit`` (413; the framing around it may add up to 8 × ``limit``).
    """
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            if len(buffer) - position > _MAX_CHUNK_LINE:
                raise _bad_framing("a chunk-size line too long")
            return None, position, payload
        digits = bytes(buffer[position:line_end]).split(b";", 1)[0].strip()
        if not digits or not _HEX_DIGITS.issuperset(digits):
            raise _bad_framing("a chunk size that is not hexadecimal")
        size = int(digits, 16)
        if size == 0:
            end = buffer.find(b"\r\n\r\n", line_end)
            if end < 0:
                if len(buffer) - line_end > _MAX_TRAILERS:
                    raise _bad_framing("a trailer section too long")
                return None, position, payload
            return end + 4, position, payload
        data_end = line_end + 2 + size
        if payload + size > limit:
            raise _too_large(limit)
        if data_end - start > 8 * limit:
            raise _bad_framing("chunks so small that their framing is most of the body")
        if len(buffer) < data_end + 2:
            return None, position, payload
        if buffer[data_end : data_end + 2] != b"\r\n":
            raise _bad_framing("chunk data not followed by CRLF")
        position, payload = data_end + 2, payload + size
