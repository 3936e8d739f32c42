"""Competency questions: the SPARQL files in graph/queries/ run on Oxigraph over the whole dataset
(the union of its named graphs) and must give exactly the answers the source text supports.

The web UI offers the same files as example queries, so the test and the examples cannot drift.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from blackjanuary.config import Settings
from blackjanuary.publish.sources import graph_of, load
from blackjanuary.rdf.vocab import NAMED_GRAPHS

QUERIES = Path(__file__).resolve().parents[2] / "graph" / "queries"
ID = "https://w3id.org/blackjanuary/id/"
BJ = "https://w3id.org/blackjanuary/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SHORT = {XSD: "xsd:", BJ: "bj:", ID: "bjid:"}

S2 = (
    "Der Einmarsch sowjetischer Armeeeinheiten in Baku in der Nacht vom 19. auf den 20. Januar 1990 zur "
    "Unterdrückung von antisowjetischen Großdemonstrationen, die unter anderem gegen die Bevormundung durch "
    "die Führung der ehemaligen UdSSR gerichtet war, führte zu einer Tragödie."
)
S3 = (
    "Innerhalb von wenigen Stunden massakrierten die sowjetischen Truppen 150 unbewaffnete Zivilisten und "
    "errichteten große Zerstörungen in der Stadt."
)
S4 = "Über 700 Menschen wurden verletzt, 840 weitere festgenommen."
VISIT_DATE = "2024^^xsd:gYear"
ANNIVERSARY_DAY = "2024-01-20^^xsd:date"
DERIVED_1991 = (
    "Derived: the source says one and a half years after January 1990 (sentences 2 and 10) "
    "and prints no date; that is 1991.@en"
)

EXPECTED: dict[str, list[tuple[str, ...]]] = {
    "01-entry-into-baku": [
        (
            "bjid:soviet-army-entry-into-baku",
            "Entry of Soviet army units into Baku@en",
            "1990-01-19^^xsd:date",
            "1990-01-20^^xsd:date",
            "in der Nacht vom 19. auf den 20. Januar 1990",
        )
    ],
    "02-casualty-figures": [
        ("bjid:black-january-massacre", "150^^xsd:integer", "700^^xsd:integer", "840^^xsd:integer")
    ],
    "03-figure-sources": [
        (
            "bj:killedCount",
            "150^^xsd:integer",
            "3^^xsd:integer",
            S3.split(" und ")[0],
            S3,
        ),
        ("bj:injuredMoreThan", "700^^xsd:integer", "4^^xsd:integer", "Über 700 Menschen wurden verletzt", S4),
        ("bj:arrestedCount", "840^^xsd:integer", "4^^xsd:integer", "840 weitere festgenommen", S4),
    ],
    "04-soviet-leadership": [
        (
            "bjid:gorbachev-leadership",
            "Soviet leadership under Mikhail Gorbachev@en",
            "bjid:mikhail-gorbachev",
            "Mikhail Gorbachev@en",
        )
    ],
    "05-armenian-claim": [
        (
            "bjid:nagorno-karabakh",
            "Nagorno-Karabakh@en",
            "Autonome Republik@de",
            "bjid:mass-demonstrations-in-azerbaijan",
        )
    ],
    "06-ambassadors-visit": [
        ("bjid:georgia", "Georgia@en", VISIT_DATE, ANNIVERSARY_DAY, "34^^xsd:integer"),
        ("bjid:germany", "Germany@en", VISIT_DATE, ANNIVERSARY_DAY, "34^^xsd:integer"),
        ("bjid:israel", "Israel@en", VISIT_DATE, ANNIVERSARY_DAY, "34^^xsd:integer"),
        ("bjid:turkey", "Turkey@en", VISIT_DATE, ANNIVERSARY_DAY, "34^^xsd:integer"),
        ("bjid:united-kingdom", "United Kingdom@en", VISIT_DATE, ANNIVERSARY_DAY, "34^^xsd:integer"),
        ("bjid:united-states", "United States of America@en", VISIT_DATE, ANNIVERSARY_DAY, "34^^xsd:integer"),
    ],
    "07-commemorated-on-20-january": [
        (
            "bjid:day-of-national-mourning",
            "Day of National Mourning@en",
            "bjid:black-january",
            "Black January@en",
        ),
        (
            "bjid:day-of-national-mourning",
            "Day of National Mourning@en",
            "bjid:dead-of-the-independence-movement",
            "Dead of the independence movement@en",
        ),
    ],
    "08-independence": [
        (
            "bjid:independence-of-azerbaijan-1991",
            "1.5^^xsd:decimal",
            "bjid:black-january",
            "70^^xsd:integer",
            "1991^^xsd:gYear",
            DERIVED_1991,
        )
    ],
}


def short(iri: str) -> str:
    for namespace, prefix in SHORT.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri


def term(value: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if isinstance(value, ox.Literal):
        if value.language:
            return f"{value.value}@{value.language}"
        if value.datatype.value == XSD + "string":
            return value.value
        return f"{value.value}^^{short(value.datatype.value)}"
    if isinstance(value, ox.NamedNode):
        return short(value.value)
    raise AssertionError(f"unexpected term in a result: {value!r}")


@pytest.fixture(scope="module")
def store(project_settings: Settings) -> ox.Store:
    dataset = load(project_settings)
    store = ox.Store()
    for name in NAMED_GRAPHS:
        graph = graph_of(dataset, name, project_settings)
        store.load(
            graph.serialize(format="nt", encoding="utf-8"),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(str(graph.identifier)),
        )
    return store


def competency_files() -> list[Path]:
    """The competency questions: ``NN-name.rq``; other example queries in the folder belong to other areas."""
    return sorted(QUERIES.glob("[0-9][0-9]-*.rq"))


def test_every_competency_question_has_a_title_and_an_expected_answer() -> None:
    files = competency_files()
    assert {f.stem for f in files} == set(EXPECTED)
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# ") and len(first) > 10, f"{path.name}: first line must be a '# title'"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_competency_question(store: ox.Store, name: str) -> None:
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    solutions = store.query(text, use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions)
    variables = solutions.variables
    rows = sorted(tuple(term(solution[v]) for v in variables) for solution in solutions)
    assert rows == sorted(EXPECTED[name])


def test_figure_quotes_lie_in_their_sentences(store: ox.Store) -> None:
    """The quote of each figure is part of the sentence reported with it, and sentence 2 dates the entry."""
    solutions = store.query(
        (QUERIES / "03-figure-sources.rq").read_text(encoding="utf-8"), use_default_graph_as_union=True
    )
    assert isinstance(solutions, ox.QuerySolutions)
    for solution in solutions:
        assert term(solution["quote"]) in term(solution["sentence"])
    assert "in der Nacht vom 19. auf den 20. Januar 1990" in S2
