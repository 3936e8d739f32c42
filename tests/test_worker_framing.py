"""The worker's body framing (``body_frame``, ``chunked_end``): when a buffered body is complete."""

from __future__ import annotations

import pytest

from blackjanuary.worker import MAX_BODY_BUFFER, BodyFrame, body_frame, chunked_end

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
    "fields",
    [
        b"Content-Length: %d\r\n" % (MAX_BODY_BUFFER + 1),  # too large to buffer: a thread reads it
        b"Content-Length: 5\r\nContent-Length: 6\r\n",  # conflicting: gunicorn answers 400
        b"Content-Length: -5\r\n",
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",  # request smuggling shape
        b"Transfer-Encoding: gzip, chunked\r\n",
        b"Broken header line\r\n",
    ],
)
def test_what_gunicorn_must_judge_goes_to_a_thread(fields: bytes) -> None:
    assert body_frame(POST + fields + b"\r\n") is None


def test_expect_needs_http_1_1() -> None:
    head = b"POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    frame = body_frame(head)
    assert frame is not None and not frame.expect_continue


def test_a_bare_lf_head_goes_to_the_parser() -> None:
    assert body_frame(b"POST / HTTP/1.1\nContent-Length: 3\n\nabc\r\n\r\n") is None


def chunked(head_and_body: bytes) -> tuple[int | None, int]:
    frame = body_frame(head_and_body)
    assert frame is not None and frame.chunked_from is not None
    return chunked_end(head_and_body, frame.chunked_from, frame.chunked_from)


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
    position, ends = frame.chunked_from, []
    for size in range(frame.chunked_from, len(data) + 1):
        end, position = chunked_end(data[:size], position, frame.chunked_from)
        ends.append(end)
    assert ends[-1] == len(data) and all(end is None for end in ends[:-1])


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # not hex
        b"5\r\nhelloXX0\r\n\r\n",  # data not followed by CRLF
        b"5" * 2000,  # an endless chunk-size line
        b"%x\r\n" % (MAX_BODY_BUFFER + 1),  # larger than the buffer
    ],
)
def test_malformed_or_huge_chunked_bodies_go_to_a_thread(body: bytes) -> None:
    with pytest.raises(ValueError):
        chunked(POST + b"Transfer-Encoding: chunked\r\n\r\n" + body)
