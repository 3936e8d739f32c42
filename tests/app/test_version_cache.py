"""What a build version needs once (property names, places, the landing page's counts) is kept per
application, per version and bounded in bytes (``web/version_cache.py``), on the web layer's one LRU."""

from __future__ import annotations

from rdflib import Literal

from blackjanuary.config import Settings
from blackjanuary.web.app import create_app
from blackjanuary.web.page_cache import PageCache
from blackjanuary.web.result_cache import BoundedLRU, ResultCache
from blackjanuary.web.version_cache import CACHE_KEY, VersionCache

HTML = {"Accept": "text/html"}


def test_every_cache_of_the_web_layer_is_the_same_bounded_lru() -> None:
    assert issubclass(ResultCache, BoundedLRU) and issubclass(PageCache, BoundedLRU)
    assert issubclass(VersionCache, BoundedLRU)


def test_values_are_bounded_in_bytes_and_keyed_by_version() -> None:
    cache = VersionCache(max_bytes=50_000)
    for n in range(200):
        cache.get_or_compute(
            "1", f"labels-{n}", lambda: {f"p{i}": [Literal("x" * 20, lang="en")] for i in range(20)}
        )
        assert cache.stored_bytes <= 50_000
    assert 10 <= len(cache) < 200
    assert cache.get(("1", "labels-199")) is not None and cache.get(("1", "labels-0")) is None
    assert cache.get_or_compute("2", "labels-199", lambda: {"new": []}) == {"new": []}
    too_big = ["x" * 30_000]
    assert cache.get_or_compute("1", "big", lambda: too_big) is too_big and cache.get(("1", "big")) is None


def test_each_app_keeps_its_own_and_fills_it_once(built_settings: Settings) -> None:
    first, second = create_app(built_settings), create_app(built_settings)
    assert first.test_client().get("/page/baku", headers=HTML).status_code == 200
    kept: VersionCache = first.extensions[CACHE_KEY]
    version = first.extensions["blackjanuary.store"].info.version
    assert kept.get((version, "property-labels")) and kept.get((version, "places"))
    assert CACHE_KEY not in second.extensions  # no module-global state shared between apps
    assert second.test_client().get("/page/alley-of-martyrs", headers=HTML).status_code == 200
    assert second.extensions[CACHE_KEY] is not kept


def test_zero_bytes_turns_it_off(built_settings: Settings) -> None:
    app = create_app(built_settings.replace(version_cache_bytes=0, page_cache_bytes=0))
    client = app.test_client()
    assert client.get("/page/baku", headers=HTML).data == client.get("/page/baku", headers=HTML).data
    assert len(app.extensions[CACHE_KEY]) == 0
