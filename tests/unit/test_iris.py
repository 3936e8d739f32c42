"""IRIs ↔ paths: the table of what ``iris.py`` maps where (datasette's test_routes idea)."""

from __future__ import annotations

import doctest

import pytest

from blackjanuary.rdf import iris as iris_module
from blackjanuary.rdf.iris import (
    Iris,
    Ref,
    char_fragment,
    data_path,
    id_path,
    is_key,
    page_path,
    parse_char_fragment,
    parse_data_name,
    source_path,
)

BASE = "https://w3id.org/blackjanuary/"


def test_doctests() -> None:
    result = doctest.testmod(iris_module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("baku", True),
        ("black-january", True),
        ("day-of-national-mourning", True),
        ("a1-2b", True),
        ("Baku", False),
        ("-baku", False),
        ("baku-", False),
        ("ba--ku", False),
        ("baku.ttl", False),
        ("", False),
        ("../etc", False),
        ("baku/x", False),
    ],
)
def test_key_pattern(key: str, ok: bool) -> None:
    assert is_key(key) is ok


@pytest.mark.parametrize(
    ("ref", "iri", "id_", "page", "data"),
    [
        (Ref("baku"), BASE + "id/baku", "/id/baku", "/page/baku", "/data/baku.ttl"),
        (
            Ref("baku-population", statement=True),
            BASE + "id/statement/baku-population",
            "/id/statement/baku-population",
            "/page/statement/baku-population",
            "/data/statement/baku-population.ttl",
        ),
    ],
)
def test_ref_paths(ref: Ref, iri: str, id_: str, page: str, data: str) -> None:
    ours = Iris(BASE)
    assert ours.of(ref) == iri
    assert ours.ref_of(iri) == ref
    assert id_path(ref) == id_
    assert page_path(ref) == page
    assert data_path(ref, "ttl") == data
    assert data_path(ref) == data.removesuffix(".ttl")


@pytest.mark.parametrize(
    ("iri", "link"),
    [
        (BASE + "id/baku", "/page/baku"),
        (BASE + "id/statement/x-y", "/page/statement/x-y"),
        (BASE + "source/black-january-1990.de#char=3,9", "/source/black-january-1990.de#char=3,9"),
        (BASE + "ontology#killedCount", "/ontology#killedCount"),
        (BASE + "shapes#ThingShape", "/shapes#ThingShape"),
        (BASE + "dataset", "/dataset"),
        (BASE + ".well-known/genid/shapes/abc", "/.well-known/genid/shapes/abc"),
        ("http://www.wikidata.org/entity/Q9248", None),
        ("https://w3id.org/blackjanuary-other/id/baku", None),
    ],
)
def test_link(iri: str, link: str | None) -> None:
    assert Iris(BASE).link(iri) == link


def test_other_base_maps_the_same_paths() -> None:
    local = Iris("http://localhost:8080/")
    assert local.thing("baku") == "http://localhost:8080/id/baku"
    assert local.link("http://localhost:8080/id/baku") == "/page/baku"
    assert local.ref_of(BASE + "id/baku") is None
    with pytest.raises(ValueError, match="must end with '/'"):
        Iris("http://localhost:8080")


def test_ref_of_rejects_non_keys() -> None:
    ours = Iris(BASE)
    assert ours.ref_of(BASE + "id/Not_A_Key") is None
    assert ours.ref_of(BASE + "id/statement/") is None
    assert ours.ref_of(BASE + "ontology#Event") is None


def test_fragments_and_names() -> None:
    assert char_fragment(12, 40) == "char=12,40"
    assert parse_char_fragment("char=12,40") == (12, 40)
    assert parse_char_fragment("char=12") is None
    assert source_path("char=1,2") == "/source/black-january-1990.de#char=1,2"
    assert parse_data_name("baku") == ("baku", None)
    assert parse_data_name("baku.rdf") == ("baku", "rdf")
    assert Iris(BASE).document("/data/baku.ttl") == BASE + "data/baku.ttl"
    assert Iris(BASE).source_fragment(1, 5) == BASE + "source/black-january-1990.de#char=1,5"
