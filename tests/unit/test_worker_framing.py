"""The worker's body framing (``body_frame``, ``chunked_end``): when a buffered body is complete, and
which bodies the poller answers itself instead of handing them to a thread unfinished."""

from __future__ import annotations

import pytest

from blackjanuary.serve.framing import MAX_BODY_BUFFER, BodyFrame, BodyRefused, body_frame, chunked_end

POST = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"


def test_no_body_is_dispatched_at_once() -> None:
    assert body_frame(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") is None
    assert body_frame(POST + b"Content-Length: 0\r\n\r\n") is None


def test_a_content_length_body_ends_where_it_says() -> None:
    head = POST + b"Content-Length: 16\r\n\r\n"
    assert body_frame(head) == BodyFrame(len(head) + 16, None, expect_continue=False)
    odd = POST + b"content-length:  16 \r\nExpect: 100-Continue\r\n\r\n"
    assert body_frame(odd) == BodyFrame(len(odd) + 16, None, expect_continue=True)


@pytest.mark.parametrize(
    "head",
    [
        POST + b"Content-Length: 0000000000100\r\n\r\n",  # leading zeros: still 100
        POST + b"Content-Length: 100\r\nContent-Length: 100\r\n\r\n",  # repeated, the same
        POST + b"Content-Length: 100, 100\r\n\r\n",  # a list of the same value
        b"\r\n" + POST + b"Content-Length: 100\r\n\r\n",  # an empty line before the request line
    ],
)
def test_content_length_as_gunicorn_reads_it(head: bytes) -> None:
    """Every form gunicorn accepts is buffered: none may slip through to a thread unfinished."""
    assert body_frame(head) == BodyFrame(len(head) + 100, None, expect_continue=False)


@pytest.mark.parametrize(
    "fields",
    [
        b"Transfer-Encoding: chunked\r\n",
        b"Transfer-Encoding: gzip, chunked\r\n",
        b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
        b"transfer-encoding: Chunked\r\n",
    ],
)
def test_chunked_in_every_spelling_is_buffered(fields: bytes) -> None:
    head = POST + fields + b"\r\n"
    assert body_frame(head) == BodyFrame(None, len(head), expect_continue=False)


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        (b"Content-Length: %d\r\n" % (MAX_BODY_BUFFER + 1), "413"),  # too large: answered unread
        (b"Content-Length: 5\r\nContent-Length: 6\r\n", "400"),  # conflicting
        (b"Content-Length: -5\r\n", "400"),
        (b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "400"),  # request-smuggling shape
        (b"Transfer-Encoding: chunked, gzip\r\n", "400"),  # chunked must come last
        (b"Transfer-Encoding: chunked, chunked\r\n", "400"),
        (b"Broken header line\r\n", "400"),
        (b" folded: continuation\r\n", "400"),  # obsolete line folding
        (b"Content-Length : 5\r\n", "400"),  # white space before the colon
    ],
)
def test_what_the_poller_will_not_buffer_it_answers(fields: bytes, status: str) -> None:
    with pytest.raises(BodyRefused) as refused:
        body_frame(POST + fields + b"\r\n")
    assert refused.value.response.startswith(b"HTTP/1.1 " + status.encode())
    assert b"Connection: close" in refused.value.response


def test_the_limit_is_the_apps() -> None:
    assert body_frame(POST + b"Content-Length: 2000\r\n\r\n", limit=5000) is not None
    with pytest.raises(BodyRefused):
        body_frame(POST + b"Content-Length: 2000\r\n\r\n", limit=1000)


def test_expect_needs_http_1_1() -> None:
    head = b"POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    frame = body_frame(head)
    assert frame is not None and not frame.expect_continue


def test_a_bare_lf_head_goes_to_the_parser() -> None:
    """gunicorn rejects it at once, before reading any body: no thread waits."""
    assert body_frame(b"POST / HTTP/1.1\nContent-Length: 3\n\nabc\r\n\r\n") is None


def chunked(head_and_body: bytes, limit: int = MAX_BODY_BUFFER) -> tuple[int | None, int]:
    frame = body_frame(head_and_body)
    assert frame is not None and frame.chunked_from is not None
    end, resume, _ = chunked_end(head_and_body, frame.chunked_from, frame.chunked_from, limit)
    return end, resume


def test_a_chunked_body_ends_after_its_last_chunk_and_trailers() -> None:
    head = POST + b"Transfer-Encoding: chunked\r\n\r\n"
    body = b"5\r\nASK {\r\n3;ext=1\r\n } \r\n0\r\n\r\n"
    assert chunked(head + body) == (len(head + body), len(head) + body.index(b"0\r\n"))
    with_trailers = b"5\r\nASK {\r\n0\r\nX-Trailer: yes\r\n\r\n"
    assert chunked(head + with_trailers)[0] == len(head + with_trailers)
    assert chunked(head + body + b"GET / HTTP/1.1\r\n\r\n")[0] == len(head + body)  # pipelined


def test_a_chunked_body_in_pieces_resumes_where_it_stopped() -> None:
    data = POST + b"Transfer-Encoding: chunked\r\n\r\n" + b"5\r\nASK {\r\n3\r\n } \r\n0\r\n\r\n"
    frame = body_frame(data)
    assert frame is not None and frame.chunked_from is not None
    position, payload, ends = frame.chunked_from, 0, []
    for size in range(frame.chunked_from, len(data) + 1):
        end, position, payload = chunked_end(data[:size], position, frame.chunked_from, payload=payload)
        ends.append(end)
    assert ends[-1] == len(data) and all(end is None for end in ends[:-1])
    assert payload == 8  # the chunk data, not the framing


def test_the_limit_counts_chunk_data_not_framing() -> None:
    """Found in review: 900,000 bytes in 50-byte chunks were refused as over a 1,000,000 limit."""
    head = POST + b"Transfer-Encoding: chunked\r\n\r\n"
    body = b"".join(b"32\r\n" + b"x" * 50 + b"\r\n" for _ in range(18_000)) + b"0\r\n\r\n"
    assert chunked(head + body, limit=1_000_000)[0] == len(head + body)


def test_a_long_chunk_extension_waits_like_gunicorn() -> None:
    head = POST + b"Transfer-Encoding: chunked\r\n\r\n"
    assert chunked(head + b"5;" + b"e" * 4000) == (None, len(head))  # not complete, not refused


@pytest.mark.parametrize(
    ("body", "limit", "status"),
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", MAX_BODY_BUFFER, "400"),  # not hex
        (b"5\r\nhelloXX0\r\n\r\n", MAX_BODY_BUFFER, "400"),  # data not followed by CRLF
        (b"5" * 9000, MAX_BODY_BUFFER, "400"),  # an endless chunk-size line
        (b"%x\r\n" % (MAX_BODY_BUFFER + 1), MAX_BODY_BUFFER, "413"),  # one chunk too large, announced
        (b"400\r\n" + b"x" * 1024 + b"\r\n" + b"400\r\n", 1500, "413"),  # growing past the limit
    ],
)
def test_malformed_or_huge_chunked_bodies_are_answered(body: bytes, limit: int, status: str) -> None:
    with pytest.raises(BodyRefused) as refused:
        chunked(POST + b"Transfer-Encoding: chunked\r\n\r\n" + body, limit)
    assert refused.value.response.startswith(b"HTTP/1.1 " + status.encode())
