"""The response cache is bounded in bytes (issue 11): every stored copy counted, gzip and keys included.

The attack: many distinct GETs with large results (or large query texts) each leave a copy behind;
1,300 of them took two workers from 90 MB to 900 MB. Now ``BLACKJANUARY_CACHE_BYTES`` bounds what one
worker keeps, whatever the mix of entries.
"""

from __future__ import annotations

import gzip
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from blackjanuary.config import Settings
from blackjanuary.store.embedded import EmbeddedStore
from blackjanuary.web.app import create_app
from blackjanuary.web.result_cache import (
    CACHE_KEY,
    ENTRY_OVERHEAD,
    MAX_ENTRY_BYTES,
    CachedResult,
    ResultCache,
    data_bytes,
)


def result(size: int) -> CachedResult:
    return CachedResult(b"x" * size, "text/csv", "csv", "SELECT")


def test_every_copy_is_counted_body_and_key() -> None:
    cache = ResultCache(capacity=100, max_bytes=1_000_000)
    key = ("SELECT * { ?s ?p ?o } # " + "ü" * 1_000, ("csv",), (), ())
    cache.put(key, result(5_000))
    # the key's text in UTF-8 bytes (ü is two), the body, the names, the overhead
    assert cache.stored_bytes == data_bytes(key) + 5_000 + len("text/csv") + len("csv") + ENTRY_OVERHEAD
    assert data_bytes(key) > 2_000


def test_the_byte_budget_holds_whatever_the_mix() -> None:
    cache = ResultCache(capacity=1_000, max_bytes=200_000)
    for n in range(500):
        cache.put(f"query {n}", result(n * 37 % 9_000 + n % 3 * 500))
        assert cache.stored_bytes <= 200_000
    assert 0 < len(cache) < 500
    assert cache.get("query 499") is not None  # the newest are kept …
    assert cache.get("query 0") is None  # … the oldest evicted


def test_the_entry_count_still_bounds_small_entries() -> None:
    cache = ResultCache(capacity=10, max_bytes=1_000_000)
    for n in range(100):
        cache.put(n, result(10))
    assert len(cache) == 10


def test_an_entry_over_the_cap_or_the_budget_is_not_kept() -> None:
    cache = ResultCache(capacity=10, max_bytes=50_000)
    cache.put("big", result(60_000))
    assert cache.get("big") is None and len(cache) == 0
    roomy = ResultCache(capacity=10, max_bytes=10 * MAX_ENTRY_BYTES)
    roomy.put("huge", result(MAX_ENTRY_BYTES))  # with its key and overhead it is over the cap
    assert roomy.get("huge") is None


def test_recently_used_entries_survive_eviction() -> None:
    cache = ResultCache(capacity=100, max_bytes=30_000)
    cache.put("keep", result(5_000))
    for n in range(20):
        cache.get("keep")
        cache.put(n, result(5_000))
    assert cache.get("keep") is not None


@pytest.mark.parametrize("capacity, budget", [(0, 1_000_000), (100, 0)])
def test_zero_turns_it_off(capacity: int, budget: int) -> None:
    cache = ResultCache(capacity=capacity, max_bytes=budget)
    cache.put("q", result(10))
    assert cache.get("q") is None and cache.stored_bytes == 0


def test_distinct_gets_through_the_app_stay_within_the_budget(sparql_settings: Settings) -> None:
    """Distinct large results and large query texts, plain and gzipped, replayed from the cache."""
    budget = 400_000
    store = EmbeddedStore.from_dist(sparql_settings)
    app = create_app(sparql_settings.replace(cache_bytes=budget, cache_size=1024), store=store)
    client: FlaskClient = app.test_client()
    cache: ResultCache = app.extensions[CACHE_KEY]
    padding = "#" + "p" * 6_000 + "\n"  # a large key: the query text itself is stored
    for n in range(150):
        query = f"{padding if n % 2 else ''}SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {200 + n}"
        headers = {"Accept": "text/csv", "Accept-Encoding": "gzip" if n % 3 else "identity"}
        response = client.get("/sparql?query=" + quote(query), headers=headers)
        assert response.status_code == 200
        body = (
            gzip.decompress(response.data)
            if response.headers.get("Content-Encoding") == "gzip"
            else response.data
        )
        assert body.count(b"\n") == 200 + n + 1
        assert cache.stored_bytes <= budget
    assert len(cache) > 0
    hits = cache.hits
    last = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 348"  # n = 148: kept, the newest but one
    again = client.get(
        "/sparql?query=" + quote(last), headers={"Accept": "text/csv", "Accept-Encoding": "gzip"}
    )
    assert again.status_code == 200 and cache.hits > hits


@pytest.mark.slow
def test_distinct_large_gets_leave_the_server_rss_bounded(built_settings: Settings) -> None:
    """The issue's attack on a real server: hundreds of distinct GETs with large results, plain and
    gzipped. Before, each left two copies behind (900 MB for 1,300); now each worker keeps at most its
    byte budget, and RSS growth stays within both budgets plus allocator slack."""
    import os
    import time

    import requests
    from bench.soak import server_rss

    from support.processes import ServeProcess

    budget = int(os.environ.get("BLACKJANUARY_SOAK_CACHE_BYTES", "8000000"))  # 10**12: entries only
    env = {"BLACKJANUARY_CACHE_BYTES": str(budget)}
    server = ServeProcess(built_settings, args=("--no-build",), env=env).start()
    try:
        pid = server.process.pid  # type: ignore[attr-defined]
        session = requests.Session()
        warm = "SELECT * WHERE { ?s ?p ?o } LIMIT 10"
        session.get(server.url + "/sparql", params={"query": warm}, timeout=60)
        before = server_rss(pid)
        sent = 0
        started = time.monotonic()
        for n in range(400):
            # ~230 KB: under the engine's 256 k commit threshold, so each result is whole and cacheable
            query = f"SELECT * WHERE {{ ?s ?p ?o }} OFFSET {n} LIMIT 1500"
            encoding = "gzip" if n % 2 else "identity"
            response = session.get(
                server.url + "/sparql",
                params={"query": query},
                headers={"Accept": "text/csv", "Accept-Encoding": encoding},
                timeout=60,
            )
            assert response.status_code == 200
            sent += len(response.content)
        after = server_rss(pid)
        growth = after - before
        print(
            f"cache soak: 400 distinct GETs, {sent / 2**20:.0f} MiB of results in "
            f"{time.monotonic() - started:.0f} s; RSS {before / 2**20:.0f} → {after / 2**20:.0f} MiB "
            f"(+{growth / 2**20:.0f} MiB; budget 2 × {budget / 2**20:.1f} MiB)"
        )
        assert growth < 2 * budget + 64 * 2**20
    finally:
        server.stop()
