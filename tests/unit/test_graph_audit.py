"""The readings of data 1.2.0 (issue 13, a sentence-by-sentence audit of 1.1.0): each test would have
caught the distortion it names, and the modelling of text segments, alternative labels and embassies."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from blackjanuary.rdf.vocab import CANONICAL, OA, SEM

ROOT = Path(__file__).resolve().parents[2]
BJ, BJID, BJST = CANONICAL.BJ, Namespace(str(CANONICAL.ID)), Namespace(str(CANONICAL.STATEMENT))
SDO = Namespace("http://schema.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SOURCE = URIRef(str(CANONICAL.SOURCE) + "black-january-1990.de")
RFC5147 = URIRef("http://tools.ietf.org/rfc/rfc5147")
SELECTOR_CLASSES = {OA.Selector, OA.TextQuoteSelector, OA.TextPositionSelector, OA.FragmentSelector}
COUNTRIES = ("germany", "georgia", "israel", "united-kingdom", "united-states", "turkey")


@pytest.fixture(scope="module")
def text() -> str:
    return (ROOT / "graph" / "source" / "black-january-1990.de.txt").read_bytes().decode("utf-8")


def statements(data: Graph, subject: URIRef, predicate: URIRef) -> list[Node]:
    return [st for st in data.subjects(RDF.subject, subject) if (st, RDF.predicate, predicate) in data]


def one_statement(data: Graph, subject: URIRef, predicate: URIRef) -> Node:
    found = statements(data, subject, predicate)
    assert len(found) == 1, (subject, predicate, found)
    return found[0]


def cited(data: Graph, statement: Node, text: str) -> list[str]:
    """The exact text of every quote the statement cites, read from the source by its fragment."""
    out = []
    for quote in data.objects(statement, PROV.wasDerivedFrom):
        start, end = (int(n) for n in str(quote).rpartition("#char=")[2].split(","))
        out.append(text[start:end])
    return out


def derivation(data: Graph, statement: Node) -> str:
    return " ".join(str(d) for d in data.objects(statement, BJ.derivation))


# --- text segments: Web Annotation -------------------------------------------------------------------


def test_segments_are_specific_resources_described_by_three_selectors(data: Graph, text: str) -> None:
    segments = set(data.subjects(RDF.type, BJ.Quote)) | set(data.subjects(RDF.type, BJ.Sentence))
    assert len(segments) > 80
    for segment in segments:
        fragment = str(segment).rpartition("#")[2]
        assert (segment, RDF.type, OA.SpecificResource) in data
        assert not SELECTOR_CLASSES & set(data.objects(segment, RDF.type)), (
            f"{segment} is typed as a selector"
        )
        for p in (OA.exact, OA.start, OA.end, RDF.value):
            assert (segment, p, None) not in data, f"{segment} carries {p} itself, not on a selector"
        assert list(data.objects(segment, OA.hasSource)) == [SOURCE]
        by_class = {
            cls: s for s in data.objects(segment, OA.hasSelector) for cls in data.objects(s, RDF.type)
        }
        assert set(by_class) == {OA.FragmentSelector, OA.TextPositionSelector, OA.TextQuoteSelector}
        fragment_selector = by_class[OA.FragmentSelector]
        assert list(data.objects(fragment_selector, DCTERMS.conformsTo)) == [RFC5147]
        assert data.value(fragment_selector, RDF.value) == Literal(fragment)
        start = int(data.value(by_class[OA.TextPositionSelector], OA.start))  # type: ignore[arg-type]
        end = int(data.value(by_class[OA.TextPositionSelector], OA.end))  # type: ignore[arg-type]
        assert fragment == f"char={start},{end}"
        assert str(data.value(by_class[OA.TextQuoteSelector], OA.exact)) == text[start:end]


def test_no_selector_is_a_cited_thing(data: Graph) -> None:
    for quote in data.objects(None, PROV.wasDerivedFrom):
        assert (quote, RDF.type, BJ.Quote) in data
        assert not SELECTOR_CLASSES & set(data.objects(quote, RDF.type))


# --- the distortions ---------------------------------------------------------------------------------


def test_late_summer_1989_is_a_year_month_bound_with_its_reading(data: Graph, text: str) -> None:
    demos = BJID["mass-demonstrations-in-azerbaijan"]
    (bound,) = data.objects(demos, SEM.hasLatestBeginTimeStamp)
    assert bound == Literal("1989-09", datatype=XSD.gYearMonth)
    st = one_statement(data, demos, SEM.hasLatestBeginTimeStamp)
    assert "spätestens seit dem Spätsommer 1989" in cited(data, st, text)
    assert "Spätsommer" in derivation(data, st) and "September 1989" in derivation(data, st)


def test_past_claims_say_when_they_held(data: Graph, ontology: Graph) -> None:
    time_bound = set(ontology.subjects(RDF.type, BJ.TimeBoundProperty))
    assert {BJ.claimedBy, BJ.administrativeStatus, BJ.ambassadorOf} <= time_bound
    checked = 0
    for st in data.subjects(RDF.type, BJ.Statement):
        if data.value(st, RDF.predicate) in time_bound:
            assert data.value(st, BJ.atTimeOf) is not None, f"{st} has no bj:atTimeOf"
            checked += 1
    assert checked >= 8
    claim = one_statement(data, BJID["nagorno-karabakh"], BJ.claimedBy)
    assert data.value(claim, BJ.atTimeOf) == BJID["mass-demonstrations-in-azerbaijan"]
    assert "past tense" in derivation(data, claim)
    contained = one_statement(data, BJID["nagorno-karabakh"], SDO.containedInPlace)
    assert data.value(contained, BJ.atTimeOf) == BJID["mass-demonstrations-in-azerbaijan"]


def test_in_vain_says_what_the_text_says(data: Graph) -> None:
    assert not list(data.triples((None, SDO.actionStatus, None)))
    assert not list(data.triples((None, None, SDO.PotentialActionStatus)))
    demos, action = (
        BJID["mass-demonstrations-in-azerbaijan"],
        BJID["decisive-action-against-armenian-separatism"],
    )
    assert (demos, BJ.demandedInVain, action) in data
    st = one_statement(data, demos, BJ.demandedInVain)
    notes = " ".join(str(n) for n in data.objects(st, BJ.qualifierNote))
    assert "vergeblich" in notes and "in vain" in notes
    for literal in data.objects(None, None):
        if isinstance(literal, Literal):
            assert "never carried out" not in str(literal) and "nie ausgeführt" not in str(literal)
    retired = BJST["decisive-action-against-armenian-separatism-status"]
    assert data.value(retired, DCTERMS.isReplacedBy) == st


REFERENCE = {"de": "Referenz", "en": "reference", "az": "istinad", "ru": "справочн"}
"""How each language's description says "context from the reference" (az, ru: the project's translation)."""
OCTOBER_18 = {"de": "18. Oktober", "en": "18 October", "az": "18 oktyabr", "ru": "18 октября"}


def test_the_1991_independence_is_labelled_as_the_text_frames_it(data: Graph) -> None:
    event = BJID["independence-of-azerbaijan-1991"]
    labels = {label.language: str(label) for label in data.objects(event, RDFS.label)}  # type: ignore[union-attr]
    assert labels == {
        "de": "Wiedererlangung der Unabhängigkeit Aserbaidschans",
        "en": "Azerbaijan regaining its independence",
        "az": "Azərbaycanın müstəqilliyini bərpa etməsi",
        "ru": "Восстановление независимости Азербайджана",
    }
    for label in labels.values():
        assert not re.search(r"(?i)\bact\b|akt|акт", label), label
    languages = set()
    for description in data.objects(event, SDO.description):
        text, lang = str(description), description.language  # type: ignore[union-attr]
        languages.add(lang)
        assert "18" in text and REFERENCE[lang] in text, text
        before, found, _ = text.partition(OCTOBER_18[lang])
        assert found and REFERENCE[lang] in before, "the act is attributed to the reference first"
    assert languages == set(REFERENCE)


def test_the_visit_is_dated_to_its_occasion_not_a_day(data: Graph, text: str) -> None:
    visit = BJID["ambassadors-visit-alley-of-martyrs-2024"]
    assert list(data.objects(visit, SDO.startDate)) == [Literal("2024", datatype=XSD.gYear)]
    assert list(data.objects(visit, BJ.anniversaryDay)) == [Literal("2024-01-20", datatype=XSD.date)]
    start = one_statement(data, visit, SDO.startDate)
    assert "occasion" in derivation(data, start) and "Zum 34. Jahrestag" in cited(data, start, text)
    day = one_statement(data, visit, BJ.anniversaryDay)
    assert "not a claim that the visit took place on that day" in derivation(data, day)
    assert "Jedes Jahr am 20. Januar" in cited(data, day, text)


def test_the_former_ussr_implies_its_dissolution(data: Graph, text: str) -> None:
    dissolution, ussr = BJID["dissolution-of-the-soviet-union"], BJID["soviet-union"]
    assert (dissolution, BJ.dissolutionOf, ussr) in data
    assert (dissolution, BJ.after, BJID["black-january"]) in data
    for predicate in (BJ.dissolutionOf, BJ.after):
        st = one_statement(data, dissolution, predicate)
        quotes = cited(data, st, text)
        assert "der ehemaligen UdSSR" in quotes and "der ehemaligen Sowjetunion" in quotes
        assert derivation(data, st).startswith("Implied:")
    for description in data.objects(dissolution, SDO.description):
        assert REFERENCE[description.language] in str(description), description  # type: ignore[union-attr]


# --- the smaller points ------------------------------------------------------------------------------


def test_the_tragedy_the_entry_led_to_is_read_explicitly(data: Graph) -> None:
    st = one_statement(data, BJID["soviet-army-entry-into-baku"], BJ.ledTo)
    assert "massacre" in derivation(data, st) and "Diese Tragödie" in derivation(data, st)


def test_day_of_national_mourning_statements_cite_sentence_13(data: Graph, text: str) -> None:
    mourning = BJID["day-of-national-mourning"]
    found = 0
    for st in data.subjects(RDF.subject, mourning):
        if data.value(st, BJ.derivation) is not None and "sentence 13" in derivation(data, st):
            quotes = cited(data, st, text)
            assert any("Nationaltrauer" in q or q.startswith("Diese Tragödie") for q in quotes), st
            found += 1
    assert found >= 3


def test_the_visit_keeps_among_others(data: Graph) -> None:
    visit = BJID["ambassadors-visit-alley-of-martyrs-2024"]
    descriptions = {d.language: str(d) for d in data.objects(visit, SDO.description)}  # type: ignore[union-attr]
    assert "unter anderem" in descriptions["de"] and "among others" in descriptions["en"]


def test_every_alternative_label_is_sourced(data: Graph, text: str) -> None:
    dropped = {
        ("Januar-Ereignisse", "de"),
        ("Opfer des 20. Januar", "de"),
        ("20 January tragedy", "en"),
        ("victims of Black January", "en"),
        ("Martyrs' Lane", "en"),
        ("Baki", "en"),
        ("Baky", "en"),
    }
    pairs = list(data.subject_objects(SKOS.altLabel))
    assert len(pairs) > 30
    for thing, label in pairs:
        assert isinstance(label, Literal)
        assert (str(label), label.language) not in dropped
        assert label not in set(data.objects(thing, RDFS.label)), f"{thing}: {label!r} repeats its label"
        sources = [
            st
            for st in statements(data, thing, SKOS.altLabel)  # type: ignore[arg-type]
            if data.value(st, RDF.object) == label
        ]
        assert len(sources) == 1, (thing, label)
        (quote,) = cited(data, sources[0], text)
        if label.language == "de" and data.value(sources[0], BJ.derivation) is None:
            assert quote == str(label), "a German variant without a derivation is the text's exact wording"


def test_labels_the_audit_found_machine_made_are_fixed(data: Graph) -> None:
    everything = {str(o) for o in data.objects(None, RDFS.label)}
    for bad in (
        "Mixail Qorbaçovun rəhbərliyi altında sovet rəhbərliyi",
        "İstiqlal hərəkatının həlak olanları",
        "Бездействие советского руководства в Нагорном Карабахе",
        "Погибшие участники движения за независимость",
    ):
        assert bad not in everything
    assert "Mixail Qorbaçovun başçılıq etdiyi sovet rəhbərliyi" in everything


# --- vocabulary used per its definition --------------------------------------------------------------


def test_no_group_is_a_member_and_no_tendency_an_actor(data: Graph) -> None:
    assert not list(data.triples((None, SDO.memberOf, None)))
    separatism = BJID["armenian-separatism"]
    assert set(data.objects(separatism, RDF.type)) == {BJ.PoliticalTendency}
    dead = BJID["dead-of-the-independence-movement"]
    assert (dead, BJ.deadOf, BJID["azerbaijani-independence-movement"]) in data
    retired = BJST["dead-of-the-independence-movement-member-of"]
    assert data.value(retired, DCTERMS.isReplacedBy) == one_statement(data, dead, BJ.deadOf)


# --- the embassies ---------------------------------------------------------------------------------------


def test_one_embassy_per_ambassadors_country(data: Graph, text: str) -> None:
    with (ROOT / "graph" / "reference" / "wikidata.tsv").open(encoding="utf-8", newline="") as handle:
        keys = {row["key"] for row in csv.DictReader(handle, delimiter="\t")}
    embassies = set(data.subjects(BJ.embassyOf, None))
    assert len(embassies) == len(COUNTRIES)
    for country in COUNTRIES:
        embassy = BJID[f"embassy-of-{country}-in-azerbaijan"]
        assert embassy in embassies
        assert (embassy, BJ.embassyOf, BJID[country]) in data
        assert (embassy, BJ.headedBy, BJID[f"ambassador-of-{country}"]) in data
        assert (embassy, SDO.location, BJID["azerbaijan"]) in data
        assert (embassy, SKOS.exactMatch, None) not in data
        assert f"embassy-of-{country}-in-azerbaijan" not in keys
        languages = {label.language for label in data.objects(embassy, RDFS.label)}  # type: ignore[union-attr]
        assert languages == {"de", "en", "az", "ru"}
        for predicate in (BJ.embassyOf, BJ.headedBy, SDO.location):
            st = one_statement(data, embassy, predicate)
            assert derivation(data, st).startswith("Implied:"), st
            assert any(q.startswith("die Botschafter von Deutschland") for q in cited(data, st, text))
