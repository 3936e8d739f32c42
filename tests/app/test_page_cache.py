"""The rendered-page cache: kept per request shape, bounded in bytes, never serving a wrong variant."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from blackjanuary.config import Settings
from blackjanuary.web.app import create_app
from blackjanuary.web.page_cache import CACHE_KEY, Kept, PageCache, PageCacheMiddleware, mark

HTML = {"Accept": "text/html", "Accept-Encoding": "gzip"}


@pytest.fixture()
def app(built_settings: Settings) -> Flask:
    return create_app(built_settings)


def test_a_repeated_page_is_the_same_bytes_from_the_cache(app: Flask) -> None:
    client = app.test_client()
    cache: PageCache = app.extensions[CACHE_KEY]
    first = client.get("/page/baku", headers=HTML)
    second = client.get("/page/baku", headers=HTML)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    assert second.headers["Content-Encoding"] == "gzip"
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert cache.hits >= 1 and len(cache) == 1


def test_language_format_and_encoding_each_get_their_own_entry(app: Flask) -> None:
    client = app.test_client(use_cookies=False)  # the language cookie ?lang= sets would outrank the rest
    cache: PageCache = app.extensions[CACHE_KEY]
    variants: list[tuple[str, dict[str, str]]] = [
        ("/page/baku", {"Accept": "text/html", "Accept-Language": "ru"}),
        ("/page/baku", {"Accept": "text/html", "Accept-Language": "de"}),
        ("/page/baku?lang=az", {"Accept": "text/html"}),
        ("/page/baku", {"Accept": "text/html", "Cookie": "lang=ru"}),
        ("/data/baku", {"Accept": "text/turtle"}),
        ("/data/baku", {"Accept": "application/ld+json"}),
    ]
    for _ in range(2):
        bodies = [client.get(path, headers=headers) for path, headers in variants]
    assert [b.headers.get("Content-Language") for b in bodies[:3]] == ["ru", "de", "az"]
    assert "Баку" in bodies[0].get_data(as_text=True) and "<h1>Baku</h1>" in bodies[1].get_data(as_text=True)
    assert bodies[4].mimetype == "text/turtle" and bodies[5].mimetype == "application/ld+json"
    assert len(cache) == len(variants)


def test_errors_the_endpoint_and_conditional_requests(app: Flask) -> None:
    client = app.test_client()
    cache: PageCache = app.extensions[CACHE_KEY]
    for _ in range(2):
        assert client.get("/page/no-such-key", headers=HTML).status_code == 404
        client.get("/sparql?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
        client.post("/page/baku", headers=HTML)
    assert len(cache) == 0
    kept = client.get("/page/baku", headers=HTML)
    again = client.get("/page/baku", headers={**HTML, "If-None-Match": kept.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == kept.headers["ETag"] and not again.data
    other = client.get("/page/baku", headers={**HTML, "If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == kept.data


def test_the_cache_is_bounded_in_bytes() -> None:
    cache = PageCache(max_bytes=20_000)
    for n in range(100):
        assert cache.put(
            ("v", f"/page/{n}"), Kept("200 OK", (("Content-Type", "text/html"),), b"x" * 1000, None)
        )
        assert cache.bytes <= 20_000
    assert 10 <= len(cache) < 20
    assert cache.get(("v", "/page/99")) is not None and cache.get(("v", "/page/0")) is None
    assert not cache.put(("v", "/big"), Kept("200 OK", (), b"x" * 3000, None))  # over an eighth of the bound


def test_zero_bytes_turns_it_off(built_settings: Settings) -> None:
    app = create_app(built_settings.replace(page_cache_bytes=0))
    client = app.test_client()
    assert client.get("/page/baku", headers=HTML).data == client.get("/page/baku", headers=HTML).data
    assert len(app.extensions[CACHE_KEY]) == 0


def test_a_new_build_version_is_a_new_key() -> None:
    version = ["1.0"]
    calls: list[str] = []

    def page(environ: dict[str, object], start_response: Callable[..., object]) -> list[bytes]:
        calls.append(version[0])
        mark(environ, 200, "text/html", False)
        start_response("200 OK", [("Content-Type", "text/html"), ("ETag", f'"{version[0]}"')])
        return [f"build {version[0]}".encode()]

    cache = PageCache(100_000)
    app = PageCacheMiddleware(page, cache, lambda: version[0])
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    assert app(dict(environ), lambda *a: None) == [b"build 1.0"]
    assert app(dict(environ), lambda *a: None) == [b"build 1.0"] and calls == ["1.0"]
    version[0] = "2.0"
    assert app(dict(environ), lambda *a: None) == [b"build 2.0"] and calls == ["1.0", "2.0"]
