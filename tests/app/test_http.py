"""The HTTP layer the libraries carry (ADR http-libraries): compression, conditional requests, CORS,
the route map's ``Allow``, one error renderer for werkzeug's exceptions and ours, and the 406 that
lists what would work."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from blackjanuary.config import Settings
from blackjanuary.web.app import create_app
from blackjanuary.web.http import SIMPLE_CORS_HEADERS
from blackjanuary.web.page_cache import CACHE_KEY, PageCache

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture(scope="module")
def app(built_settings: Settings) -> Flask:
    return create_app(built_settings)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client(use_cookies=False)


@pytest.mark.parametrize("path", ["/page/baku", "/data/baku.ttl"])
def test_the_clients_coding_is_used_and_undone_gives_the_same_bytes(client: FlaskClient, path: str) -> None:
    plain = client.get(path, headers={"Accept": BROWSER, "Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for sent, coding in [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("br;q=0.5, gzip", "gzip")]:
        response = client.get(path, headers={"Accept": BROWSER, "Accept-Encoding": sent})
        assert response.headers["Content-Encoding"] == coding, sent
        assert DECODE[coding](response.data) == plain.data
        assert "Accept-Encoding" in response.vary
        assert response.headers["ETag"] != plain.headers["ETag"]  # a coding is its own representation
        assert len(response.data) < len(plain.data)


@pytest.mark.parametrize("coding", ["identity", "gzip", "br"])
def test_the_tag_that_was_sent_is_answered_304(client: FlaskClient, coding: str) -> None:
    headers = {"Accept": BROWSER, "Accept-Encoding": coding}
    for _ in range(2):  # the first from the application, the second from the page cache
        first = client.get("/page/baku", headers=headers)
        tag = first.headers["ETag"]
        assert tag.startswith("W/") is (coding == "gzip")  # gzip output carries a time: not byte-stable
        for named in (tag, "W/" + tag.removeprefix("W/"), f'"other", {tag}', "*"):
            again = client.get("/page/baku", headers={**headers, "If-None-Match": named})
            assert again.status_code == 304 and again.data == b"", named
            assert again.headers["ETag"] == tag and "Accept-Encoding" in again.vary
        head = client.head("/page/baku", headers={**headers, "If-None-Match": tag})
        assert head.status_code == 304
        other = client.get("/page/baku", headers={**headers, "If-None-Match": '"other"'})
        undo = DECODE.get(coding, bytes)
        assert other.status_code == 200 and undo(other.data) == undo(first.data)
    assert "Date" not in first.headers  # the WSGI server writes it, once


def test_cached_pages_keep_each_coding_and_count_its_bytes(built_settings: Settings) -> None:
    app = create_app(built_settings)
    cache: PageCache = app.extensions[CACHE_KEY]
    client = app.test_client(use_cookies=False)
    sizes = {}
    for coding in ("identity", "gzip", "br"):
        for _ in range(2):
            response = client.get("/page/baku", headers={"Accept": BROWSER, "Accept-Encoding": coding})
        sizes[coding] = len(response.data)
    assert len(cache) == 3 and cache.hits == 3
    assert sizes["br"] < sizes["identity"] and sizes["gzip"] < sizes["identity"]
    assert sum(sizes.values()) < cache.bytes <= cache.max_bytes


def test_small_bodies_downloads_and_compressed_files_are_sent_as_they_are(
    client: FlaskClient, built_settings: Settings
) -> None:
    small = client.get("/sparql?query=ASK%7B%7D", headers={"Accept-Encoding": "br, gzip"})
    assert small.status_code == 200 and "Content-Encoding" not in small.headers
    listing = client.get("/downloads", headers={"Accept": "application/json"}).get_json()
    names = [f["name"] for f in listing["files"]]
    for name in (next(n for n in names if n.endswith(".nt")), next(n for n in names if n.endswith(".gz"))):
        response = client.get(f"/downloads/{name}", headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200 and "Content-Encoding" not in response.headers, name
        assert response.data == (built_settings.dist / name).read_bytes()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/page/baku", {"GET", "HEAD", "OPTIONS"}),
        ("/sparql", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/reconcile", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
def test_allow_comes_from_the_route_map(client: FlaskClient, path: str, allowed: set[str]) -> None:
    wrong = client.open(path, method="PUT", data="x", headers={"Accept": "application/json"})
    assert wrong.status_code == 405
    assert set(wrong.allow) == allowed
    body = wrong.get_json()
    assert body["ok"] is False and body["status"] == 405
    options = client.options(path)
    assert options.status_code == 204 and set(options.allow) == allowed
    preflight = client.options(
        path,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Content-Type, Accept-Language",
        },
    )
    assert preflight.status_code == 204 and set(preflight.allow) == allowed
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert preflight.headers["Access-Control-Max-Age"] == "86400"
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_every_response_carries_cors_and_no_credentials(client: FlaskClient) -> None:
    for path in ("/page/baku", "/data/baku.ttl", "/no/such/thing", "/sparql?query=ASK%7B%7D"):
        response = client.get(path, headers={"Origin": "https://example.org"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"ETag", "Link", "Location", "Retry-After", "Vary"} <= exposed
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def cors_headers(response: TestResponse) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.items() if k.startswith("Access-Control-")]


def test_the_cors_headers_written_once_are_flask_cors_own(client: FlaskClient) -> None:
    """An answer that is no preflight gets SIMPLE_CORS_HEADERS without flask-cors's work; flask-cors
    still answers OPTIONS and a Private Network request, and gives the same two headers there."""
    simple = client.get("/data/baku.ttl", headers={"Origin": "https://example.org"})
    assert cors_headers(simple) == list(SIMPLE_CORS_HEADERS)
    by_flask_cors = client.options("/data/baku.ttl", headers={"Origin": "https://example.org"})
    assert cors_headers(by_flask_cors) == list(SIMPLE_CORS_HEADERS)
    # (a 404: an answer the page cache keeps would be replayed without looking at this header)
    private = client.get("/no/such/thing", headers={"Access-Control-Request-Private-Network": "true"})
    assert cors_headers(private)[:2] == list(SIMPLE_CORS_HEADERS)
    assert private.headers["Access-Control-Allow-Private-Network"] == "false"


def test_an_answer_without_a_coding_asked_still_varies_on_it(client: FlaskClient) -> None:
    """flask-compress's hook runs only when the request names a coding; the ``Vary`` is the same."""
    for path in ("/data/baku.ttl", "/sparql?query=ASK%7B%7D", "/page/baku"):
        plain = client.get(path)
        coded = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert plain.headers["Vary"] == coded.headers["Vary"], path
        assert "Accept-Encoding" in plain.headers["Vary"] and "Content-Encoding" not in plain.headers


def test_werkzeug_errors_render_like_ours(client: FlaskClient) -> None:
    as_json = client.get("/no/such/thing", headers={"Accept": "application/json"})
    assert as_json.status_code == 404
    assert as_json.get_json()["ok"] is False and as_json.get_json()["status"] == 404
    as_text = client.get("/no/such/thing", headers={"Accept": "text/plain"})
    assert as_text.get_data(as_text=True).startswith("404 Not Found: ")
    as_page = client.get("/no/such/thing?lang=de", headers={"Accept": BROWSER})
    assert as_page.mimetype == "text/html" and as_page.headers["Content-Language"] == "de"
    assert "<h1>404 · " in as_page.get_data(as_text=True)
    ours = client.get("/page/bakuu", headers={"Accept": "application/json"})  # a PublisherError
    assert set(ours.get_json()) == set(as_json.get_json()) | {"hint"}


@pytest.mark.parametrize(
    ("path", "accept", "expected"),
    [
        ("/data/baku", "image/png", {"type": "text/turtle", "url": "/data/baku.ttl"}),
        ("/id/baku", "image/png", {"type": "text/html", "url": "/page/baku"}),
        ("/void", "image/png", {"type": "application/ld+json", "url": "/void.jsonld"}),
        ("/downloads", "image/png", {"type": "application/json", "url": None}),
    ],
)
def test_406_lists_what_would_work(client: FlaskClient, path: str, accept: str, expected: dict) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 406
    body = response.get_json(force=True)
    assert expected in body["offered"]
    assert f"none matches Accept: {accept}" in body["error"]
    if expected["url"]:
        assert expected["url"] in body["error"] and "URL" in body["hint"]
