"""The matching core: names in four languages, spelling variants, ids, types, properties, ambiguity."""

from __future__ import annotations

import doctest

import pytest
from rdflib import Dataset, URIRef

from blackjanuary.config import Settings
from blackjanuary.publish.entities import LANGUAGES
from blackjanuary.rdf.vocab import Ours
from blackjanuary.reconcile import normalize
from blackjanuary.reconcile.index import (
    MATCH_MARGIN,
    MATCH_THRESHOLD,
    MatchQuery,
    NameIndex,
    PropertyCondition,
)
from blackjanuary.reconcile.service import index_from_graph
from support.reference_data import named_rows

SCHEMA = "http://schema.org/"


@pytest.fixture(scope="module")
def index(dataset: Dataset, project_settings: Settings) -> NameIndex:
    return index_from_graph(dataset, Ours(project_settings.base_iri), version="test")


def top(index: NameIndex, text: str, **kwargs: object) -> tuple[str | None, bool]:
    found = index.match(MatchQuery(text=text, **kwargs))  # type: ignore[arg-type]
    return (found[0].entity.key, found[0].match) if found else (None, False)


def test_normalize_doctests() -> None:
    assert doctest.testmod(normalize).failed == 0


@pytest.mark.parametrize("row", named_rows(), ids=lambda r: r["key"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_reference_names_in_every_language_match_their_thing(
    index: NameIndex, row: dict[str, str], lang: str
) -> None:
    assert top(index, row[f"label_{lang}"]) == (row["key"], True)


def test_every_label_and_variant_of_the_graph_finds_its_thing(index: NameIndex) -> None:
    for entity in index.entities:
        for text, kind in entity.names():
            if kind == "label":
                assert top(index, text) == (entity.key, True), (entity.key, text)
            else:  # a variant may be shared (e.g. a short form); it must still rank its thing first or tied
                found = index.match(MatchQuery(text=text))
                best = found[0].score
                assert entity.key in {c.entity.key for c in found if c.score == best}, (entity.key, text)


@pytest.mark.parametrize("spelling", ["Baki", "Bakı", "Баку", "BAKU", "baku "])
def test_baku_spellings(index: NameIndex, spelling: str) -> None:
    assert top(index, spelling) == ("baku", True)


@pytest.mark.parametrize(
    "spelling",
    [
        "Gorbatschow",
        "Gorbachev",
        "Горбачёв",
        "Qorbaçov",
        "Michail Gorbatschow",
        "Mikhail Gorbachev",
        "Mixail Qorbaçov",
        "Михаил Горбачёв",
    ],
)
def test_gorbachev_spellings(index: NameIndex, spelling: str) -> None:
    assert top(index, spelling) == ("mikhail-gorbachev", True)


def test_key_iri_and_qid_return_the_thing_with_score_100(index: NameIndex) -> None:
    baku = index.by_key["baku"]
    for query in ("baku", baku.iri, "bjid:baku", baku.qid):
        found = index.match(MatchQuery(text=query))
        assert [(c.entity.key, c.score, c.match) for c in found] == [("baku", 100.0, True)]
        assert found[0].features[0].id == "id_match"


def test_type_constraint_filters(index: NameIndex) -> None:
    assert top(index, "Baku", types=(SCHEMA + "City",)) == ("baku", True)
    assert all(
        c.entity.key != "baku" for c in index.match(MatchQuery(text="Baku", types=(SCHEMA + "Country",)))
    )
    for candidate in index.match(MatchQuery(text="Sowjet", types=("schema:Organization",))):
        assert SCHEMA + "Organization" in candidate.entity.types


def test_property_condition_alone_selects_exactly_the_things_with_that_value(
    index: NameIndex, dataset: Dataset
) -> None:
    baku = URIRef(index.by_key["baku"].iri)
    location = URIRef(SCHEMA + "location")
    expected = {
        str(s)
        for s in dataset.subjects(location, baku)
        if str(s).startswith(str(index.ours.ID)) and str(s)[len(str(index.ours.ID)) :] in index.by_key
    }
    assert expected, "the graph locates something in Baku"
    condition = PropertyCondition(SCHEMA + "location", ("baku",))
    found = index.match(MatchQuery(properties=(condition,), limit=100))
    assert {c.entity.iri for c in found} == expected
    assert all(c.score == 100.0 for c in found)


def test_required_property_condition_removes_candidates_without_it(index: NameIndex) -> None:
    condition = PropertyCondition(SCHEMA + "location", ("baku",), required=True)
    found = index.match(MatchQuery(text="Januar", properties=(condition,), limit=100))
    assert found
    for candidate in found:
        assert index.condition_met(candidate.entity, condition)


def test_an_ambiguous_word_is_never_an_automatic_match(index: NameIndex) -> None:
    found = index.match(MatchQuery(text="Soviet"))
    assert len(found) > 1
    assert not any(c.match for c in found)
    assert found[0].score - found[1].score < MATCH_MARGIN


def test_match_flag_follows_threshold_and_margin(index: NameIndex) -> None:
    for text in ("Baku", "Soviet", "Botschafter", "Karabach", "Gorbachev leadership", "Januar 1990"):
        found = index.match(MatchQuery(text=text))
        for position, candidate in enumerate(found):
            runner_up = found[1].score if len(found) > 1 else 0.0
            expected = (
                position == 0
                and candidate.score >= MATCH_THRESHOLD
                and candidate.score - runner_up >= MATCH_MARGIN
            )
            assert candidate.match is expected, (text, candidate.entity.key)


def test_scores_are_bounded_sorted_and_explained(index: NameIndex) -> None:
    found = index.match(MatchQuery(text="Armenien", limit=50))
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert all({f.id for f in c.features} >= {"name_exact", "name_folded", "name_similarity"} for c in found)


def test_unknown_name_gives_no_confident_candidate(index: NameIndex) -> None:
    assert not any(c.match for c in index.match(MatchQuery(text="Zxqvwy Plorf")))


def test_suggest_by_prefix_and_by_id(index: NameIndex) -> None:
    assert "mikhail-gorbachev" in [e.key for e in index.suggest_entities("gorb")]
    assert "mikhail-gorbachev" in [e.key for e in index.suggest_entities("Горб")]
    assert index.suggest_entities("baku")[0].key == "baku"
    assert len(index.suggest_entities("")) == len(index.entities)
