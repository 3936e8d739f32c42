"""docs/wikidata.md: the identifier values for a Wikidata property, checked against the real graph."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Dataset, URIRef

from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.publish.sources import load
from blackjanuary.rdf.vocab import Ours

DOC = Path(__file__).resolve().parents[2] / "docs" / "wikidata.md"


def doc_value(prop: str) -> str:
    match = re.search(rf"^\| {prop} [^|]*\| `(.+)` \|$", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert match, f"{prop} row missing in {DOC}"
    return match.group(1)


@pytest.fixture(scope="module")
def graph_iris(project_settings: Settings) -> tuple[list[str], list[str]]:
    """(thing IRIs, statement IRIs) of the real graph under the canonical base."""
    dataset: Dataset = load(project_settings.replace(base_iri=CANONICAL_BASE_IRI))
    ours = Ours(CANONICAL_BASE_IRI)
    subjects = {
        str(s) for s in dataset.subjects() if isinstance(s, URIRef) and str(s).startswith(str(ours.ID))
    }
    statements = sorted(s for s in subjects if s.startswith(str(ours.STATEMENT)))
    things = sorted(s for s in subjects if s not in statements and "#" not in s)
    assert things and statements
    return things, statements


def test_p1793_matches_every_key_and_nothing_else(graph_iris: tuple[list[str], list[str]]) -> None:
    pattern = re.compile(doc_value("P1793"))
    things, statements = graph_iris
    for iri in things + statements:
        key = iri.rsplit("/", 1)[1]
        assert pattern.fullmatch(key), key
    for bad in ("Baku", "baku-", "-baku", "ba--ku", "bakı", "baku/x", "statement/baku", ""):
        assert not pattern.fullmatch(bad), bad


def test_p1921_expands_to_the_graph_iris(graph_iris: tuple[list[str], list[str]]) -> None:
    template = doc_value("P1921")
    assert template == f"{CANONICAL_BASE_IRI}id/$1"
    for iri in graph_iris[0]:
        key = iri[len(CANONICAL_BASE_IRI + "id/") :]
        assert "/" not in key
        assert template.replace("$1", key) == iri


def test_p1630_is_the_page_of_each_thing(graph_iris: tuple[list[str], list[str]]) -> None:
    template = doc_value("P1630")
    assert template == f"{CANONICAL_BASE_IRI}page/$1"
    pattern = re.compile(doc_value("P8966"))
    for iri in graph_iris[0]:
        key = iri.rsplit("/", 1)[1]
        for url in (
            template.replace("$1", key),
            doc_value("P1921").replace("$1", key),
            f"{CANONICAL_BASE_IRI}data/{key}.ttl",
            iri.replace("https://", "http://"),
        ):
            found = pattern.match(url)
            assert found and found.group(1) == key, url


def test_p8966_ignores_statements_and_other_sites(graph_iris: tuple[list[str], list[str]]) -> None:
    pattern = re.compile(doc_value("P8966"))
    for iri in graph_iris[1][:20]:
        assert not pattern.match(iri), iri
    assert not pattern.match("https://example.org/blackjanuary/id/baku")
    assert "wd" not in doc_value("P8966").replace("w3id", "")


def test_doc_formatter_pages_are_served(app_for: object, graph_iris: tuple[list[str], list[str]]) -> None:
    app = app_for("embedded")  # type: ignore[operator]
    client = app.test_client()
    template = doc_value("P1630").replace(CANONICAL_BASE_IRI, "/")
    for iri in graph_iris[0][:10]:
        key = iri.rsplit("/", 1)[1]
        assert client.get(template.replace("$1", key), headers={"Accept": "text/html"}).status_code == 200
        assert client.get(f"/id/{key}", headers={"Accept": "text/turtle"}).status_code == 303
