"""The SPARQL 1.1 Protocol manifest against a live ``blackjanuary serve`` (gunicorn, real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .protocol import (
    QUERY_EXCHANGES,
    UPDATE_EXCHANGES,
    Exchange,
    check,
    live_server,
    manifest_names,
    run_protocol,
    send,
)

NAMES = manifest_names()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from .protocol import write_protocol_dist

    dist: Path = tmp_path_factory.mktemp("w3c-protocol") / "dist"
    write_protocol_dist(dist)
    with live_server(dist) as url:
        yield url


def test_every_manifest_test_has_an_exchange() -> None:
    assert set(NAMES) == set(QUERY_EXCHANGES) | set(UPDATE_EXCHANGES)
    assert len(NAMES) == 34


@pytest.mark.parametrize("name", [n for n in NAMES if n in QUERY_EXCHANGES])
def test_query_exchange(server: str, name: str) -> None:
    assert check(server, name, QUERY_EXCHANGES[name]) is None


@pytest.mark.parametrize("name", [n for n in NAMES if n in UPDATE_EXCHANGES])
def test_update_exchange_is_refused(server: str, name: str) -> None:
    """Update tests do not apply to a read-only endpoint; each must still be refused with a 4xx."""
    assert check(server, name, UPDATE_EXCHANGES[name]) is None


def test_updates_leave_the_data_unchanged(server: str) -> None:
    dump = Exchange("GET", [("query", "CONSTRUCT WHERE { ?s ?p ?o }")], accept="application/n-triples")
    before = send(server, dump).content
    outcomes = run_protocol(server)
    assert [o for o in outcomes if o.status == "fail"] == []
    assert send(server, dump).content == before
