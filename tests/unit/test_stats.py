"""``blackjanuary stats`` agrees with SPARQL counts over the same sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset

from blackjanuary.cli.main import cli
from blackjanuary.config import Settings
from blackjanuary.publish.sources import load
from blackjanuary.publish.stats import DESCRIPTIVE, compute, render_text
from blackjanuary.rdf.vocab import Ours

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
MINI_SETTINGS = Settings(root=MINI, source_text=MINI / "black-january-1990.de.txt")


def count(dataset: Dataset | ox.Store, query: str) -> int:
    """The query's one number, by Oxigraph (rdflib's engine took ~40 s for these on the real data)."""
    if isinstance(dataset, Dataset):
        store = ox.Store()
        store.load(dataset.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS)
        dataset = store
    rows = list(dataset.query(query))  # type: ignore[arg-type]
    return int(rows[0][0].value) if rows else 0


@pytest.fixture(params=["mini", "real"])
def settings(request: pytest.FixtureRequest) -> Settings:
    if request.param == "mini":
        return MINI_SETTINGS
    return request.getfixturevalue("project_settings")


def test_stats_match_sparql(settings: Settings) -> None:
    ours = Ours(settings.base_iri)
    dataset = load(settings)
    stats = compute(settings, dataset)
    store = ox.Store()
    store.load(dataset.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS)
    data = f"<{ours.graph('data')}>"
    for graph, n in stats.graphs.items():
        assert n == count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    for cls, n in stats.classes.items():
        query = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH {data} {{ ?s a <{cls}> }} }}"
        assert n == count(store, query)
    for lang, n in stats.labels.items():
        label = "<http://www.w3.org/2000/01/rdf-schema#label>"
        query = (
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {data} {{ ?s {label} ?l "
            f"FILTER(LANG(?l) = '{lang}') }} }}"
        )
        assert n == count(store, query)
    statement = f"<{ours.BJ.Statement}>"
    prov = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
    assert stats.statements == count(
        store, f"SELECT (COUNT(DISTINCT ?st) AS ?n) WHERE {{ GRAPH {data} {{ ?st a {statement} }} }}"
    )
    assert stats.statements_with_provenance == count(
        store,
        f"SELECT (COUNT(DISTINCT ?st) AS ?n) WHERE {{ GRAPH {data} {{ ?st a {statement} ; {prov} ?src }} }}",
    )
    assert stats.statements_with_provenance + stats.statements_without_provenance == stats.statements
    excluded = ", ".join(f"<{p}>" for p in sorted(DESCRIPTIVE))
    unbacked = f"""
        SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {data} {{
          ?s ?p ?o
          FILTER(STRSTARTS(STR(?s), "{ours.ID}") && !STRSTARTS(STR(?s), "{ours.STATEMENT}"))
          FILTER(?p NOT IN ({excluded}))
          FILTER NOT EXISTS {{ ?st a {statement} ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?s ;
                 <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?p ;
                 <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?o }}
        }} }}"""
    assert stats.facts_without_statement == count(store, unbacked) == len(stats.unbacked_facts)
    assert stats.wikidata_links == count(
        store,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {data} {{ ?s <http://www.w3.org/2004/02/skos/core#exactMatch>"
        " ?o FILTER STRSTARTS(STR(?o), 'http://www.wikidata.org/entity/') } }",
    )


def test_mini_numbers() -> None:
    stats = compute(MINI_SETTINGS)
    assert stats.statements == 2
    assert (stats.statements_with_provenance, stats.statements_without_provenance) == (1, 1)
    assert (stats.facts, stats.facts_without_statement, stats.wikidata_links) == (2, 0, 1)
    assert stats.labels == {"az": 1, "de": 4, "en": 2, "ru": 1}


def test_a_fact_without_statement_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    data = root / "graph" / "data.ttl"
    data.write_text(data.read_text(encoding="utf-8") + "\nbjid:baku bj:killedCount 1 .\n", encoding="utf-8")
    stats = compute(Settings(root=root))
    assert stats.facts_without_statement == 1
    assert stats.unbacked_facts == (
        (
            "<https://w3id.org/blackjanuary/id/baku>",
            "<https://w3id.org/blackjanuary/ontology#killedCount>",
            '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        ),
    )


def test_cli_stats_json_and_text() -> None:
    args = ["--root", str(MINI), "--source-text", str(MINI_SETTINGS.source_text_path), "stats"]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(compute(MINI_SETTINGS).to_json())
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0
    assert text.output.strip() == render_text(compute(MINI_SETTINGS), Ours()).strip()
    assert "Wikidata links (skos:exactMatch): 1" in text.output


def test_cli_stats_unloadable_exits_2(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(MINI, root)
    (root / "graph" / "data.ttl").write_text("this is not turtle", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(root), "stats"])
    assert result.exit_code == 2
    assert "data.ttl" in result.output
