"""The data in graph/: quotes and sentences match the source text, entities are labelled and linked
as ADR 0001 requires, and every fact is both a direct triple and a statement node with its quote."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from blackjanuary.config import Settings
from blackjanuary.rdf.vocab import CANONICAL, GEO, OA, SEM, WD, WGS84
from support.reference_data import LABELLED_AS_THE_TEXT_FRAMES_IT

ROOT = Path(__file__).resolve().parents[2]
TSV = ROOT / "graph" / "reference" / "wikidata.tsv"
KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LABEL_LANGS = ("de", "en", "az", "ru")
DESCRIPTION_LANGS = ("de", "en", "az", "ru")
"""de and en written by the project; az and ru its translation of them (graph/meta/dataset.ttl says so)."""
BJ, BJID, BJST = CANONICAL.BJ, str(CANONICAL.ID), str(CANONICAL.STATEMENT)
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SDO = Namespace("http://schema.org/")  # ADR 0001; rdflib's SDO is https://schema.org/
SOURCE_IRI = URIRef(str(CANONICAL.SOURCE) + "black-january-1990.de")
NEW_TERMS_1_2 = {
    BJ[name]
    for name in (
        "PoliticalTendency",
        "TimeBoundProperty",
        "atTimeOf",
        "demandedInVain",
        "embassyOf",
        "deadOf",
        "dissolutionOf",
        "anniversaryDay",
    )
}
"""Our terms added in data 1.2.0 (issue 13), labelled in all four languages."""
# Triples that describe or link an entity rather than state a fact of the source text: no statement.
DESCRIPTIVE = {
    RDF.type,
    RDFS.label,
    SKOS.altLabel,
    SDO.description,
    SKOS.exactMatch,
    RDFS.seeAlso,
    WGS84.lat,
    WGS84.long,
    GEO.hasGeometry,
}


@pytest.fixture(scope="module")
def source_bytes(project_settings: Settings) -> bytes:
    return project_settings.source_text_path.read_bytes()


@pytest.fixture(scope="module")
def reference() -> list[dict[str, str]]:
    with TSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def entities(data: Graph) -> set[URIRef]:
    """Every named thing: a typed subject under bjid: that is neither a statement nor a geometry."""
    return {
        s
        for s in data.subjects(RDF.type, None)
        if isinstance(s, URIRef)
        and s.startswith(BJID)
        and not s.startswith(BJST)
        and (s, RDF.type, GEO.Geometry) not in data
    }


def one(graph: Graph, subject: Node, predicate: URIRef) -> Node:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, f"{subject} has {len(values)} values of {predicate}, expected exactly one"
    return values[0]


def selector(data: Graph, segment: Node, cls: URIRef) -> Node:
    """The one selector of class ``cls`` that describes ``segment`` (Web Annotation, ADR 0001)."""
    found = [s for s in data.objects(segment, OA.hasSelector) if (s, RDF.type, cls) in data]
    assert len(found) == 1, f"{segment} has {len(found)} selectors of class {cls}, expected exactly one"
    return found[0]


def spans(data: Graph, cls: URIRef) -> list[tuple[URIRef, int, int, str]]:
    nodes = []
    for node in data.subjects(RDF.type, cls):
        position = selector(data, node, OA.TextPositionSelector)
        start, end = one(data, position, OA.start), one(data, position, OA.end)
        assert isinstance(start, Literal) and start.datatype == XSD.integer, node
        assert isinstance(end, Literal) and end.datatype == XSD.integer, node
        exact = one(data, selector(data, node, OA.TextQuoteSelector), OA.exact)
        nodes.append((node, int(start), int(end), str(exact)))
    return nodes


def test_the_source_text_resource_holds_the_file_byte_for_byte(data: Graph, source_bytes: bytes) -> None:
    text = one(data, SOURCE_IRI, SDO.text)
    assert str(text).encode("utf-8") == source_bytes
    assert (SOURCE_IRI, RDF.type, BJ.SourceText) in data
    assert str(one(data, SOURCE_IRI, DCTERMS.language)) == "de"
    assert str(one(data, SOURCE_IRI, SDO.inLanguage)) == "de"
    assert one(data, SOURCE_IRI, DCTERMS.title)


@pytest.mark.parametrize("cls", ["Quote", "Sentence"])
def test_every_span_matches_the_source_at_its_offsets(data: Graph, source_bytes: bytes, cls: str) -> None:
    text = source_bytes.decode("utf-8")
    found = spans(data, BJ[cls])
    assert found, f"no bj:{cls} nodes"
    for node, start, end, exact in found:
        assert str(node) == f"{SOURCE_IRI}#char={start},{end}", "the IRI must carry the RFC 5147 fragment"
        assert 0 <= start < end <= len(text)
        assert text[start:end] == exact, f"{node}: oa:exact differs from the source at {start},{end}"
        byte_start, byte_end = len(text[:start].encode("utf-8")), len(text[:end].encode("utf-8"))
        assert source_bytes[byte_start:byte_end] == exact.encode("utf-8")


def test_sentences_cover_the_whole_text_in_order(data: Graph, source_bytes: bytes) -> None:
    text = source_bytes.decode("utf-8")
    numbered = sorted(
        (int(one(data, node, BJ.sentenceNumber)), start, end, node)
        for node, start, end, _ in spans(data, BJ.Sentence)
    )
    assert [n for n, *_ in numbered] == list(range(1, len(numbered) + 1))
    assert len(numbered) == 14
    position = 0
    for _, start, end, node in numbered:
        assert text[position:start].strip() == "", f"text between sentences before {node} is not whitespace"
        assert text[start:end] == text[start:end].strip(), f"{node} starts or ends with whitespace"
        assert (node, DCTERMS.isPartOf, SOURCE_IRI) in data
        position = end
    assert text[position:].strip() == ""


def test_every_quote_lies_inside_its_sentence(data: Graph) -> None:
    sentences = {node: (start, end) for node, start, end, _ in spans(data, BJ.Sentence)}
    for node, start, end, _ in spans(data, BJ.Quote):
        sentence = one(data, node, DCTERMS.isPartOf)
        assert sentence in sentences, f"{node} is not part of a bj:Sentence"
        assert sentences[sentence][0] <= start and end <= sentences[sentence][1]


def test_every_entity_has_four_labels_and_four_descriptions(data: Graph) -> None:
    things = entities(data)
    assert len(things) >= 40
    for thing in things:
        for predicate, langs in ((RDFS.label, LABEL_LANGS), (SDO.description, DESCRIPTION_LANGS)):
            values = list(data.objects(thing, predicate))
            found = sorted(v.language or "" for v in values if isinstance(v, Literal))
            assert found == sorted(langs), f"{thing} {predicate}: languages {found}, expected {langs}"


def test_keys_match_the_pattern(data: Graph) -> None:
    for term in {t for triple in data for t in triple if isinstance(t, URIRef) and t.startswith(BJID)}:
        key = term[len(BJST) :] if term.startswith(BJST) else term[len(BJID) :]
        assert KEY.match(key), f"{term}: key {key!r} does not match {KEY.pattern}"


def test_reference_rows_use_their_key_and_labels(data: Graph, reference: list[dict[str, str]]) -> None:
    for row in reference:
        thing = URIRef(BJID + row["key"])
        assert thing in entities(data), f"reference row {row['key']} has no entity"
        labels = set(data.objects(thing, RDFS.label))
        for lang in LABEL_LANGS:
            label = Literal(row[f"label_{lang}"], lang=lang)
            if row["key"] in LABELLED_AS_THE_TEXT_FRAMES_IT:
                assert label not in labels, (thing, lang, LABELLED_AS_THE_TEXT_FRAMES_IT[row["key"]])
            else:
                assert label in labels, (thing, lang)


def test_wikidata_links_are_exactly_the_verified_rows(data: Graph, reference: list[dict[str, str]]) -> None:
    expected = {
        (URIRef(BJID + row["key"]), WD[row["qid"]]) for row in reference if row["qid_status"] == "verified"
    }
    assert expected
    assert set(data.subject_objects(SKOS.exactMatch)) == expected


def test_coordinates_only_for_baku_and_the_alley_as_in_the_reference(
    data: Graph, reference: list[dict[str, str]]
) -> None:
    expected = {}
    for row in reference:
        match = re.search(r"coordinates ([0-9.]+) N, ([0-9.]+) E", row["note"])
        if match:
            expected[URIRef(BJID + row["key"])] = (match.group(1), match.group(2))
    assert set(expected) == {URIRef(BJID + "baku"), URIRef(BJID + "alley-of-martyrs")}
    assert set(data.subjects(WGS84.lat, None)) == set(expected)
    for thing, (lat, long) in expected.items():
        assert one(data, thing, WGS84.lat) == Literal(lat, datatype=XSD.decimal)
        assert one(data, thing, WGS84.long) == Literal(long, datatype=XSD.decimal)
        geometry = one(data, thing, GEO.hasGeometry)
        assert geometry == URIRef(f"{thing}-geometry")
        assert one(data, geometry, GEO.asWKT) == Literal(f"POINT({long} {lat})", datatype=GEO.wktLiteral)


def test_every_statement_repeats_a_direct_triple_and_cites_a_quote(data: Graph) -> None:
    statements = set(data.subjects(RDF.type, BJ.Statement))
    assert len(statements) >= 70
    for statement in statements:
        assert statement.startswith(BJST)
        triple = tuple(one(data, statement, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        assert triple in data, f"{statement}: {triple} is not a direct triple of the data"
        quotes = list(data.objects(statement, PROV.wasDerivedFrom))  # a derived claim may cite several
        assert quotes, f"{statement} cites no quote"
        for quote in quotes:
            assert (quote, RDF.type, BJ.Quote) in data, f"{statement} is derived from {quote}, not a bj:Quote"


def test_every_fact_has_a_statement(data: Graph) -> None:
    stated = {
        tuple(one(data, st, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        for st in data.subjects(RDF.type, BJ.Statement)
    }
    facts = {(s, p, o) for s in entities(data) for p, o in data.predicate_objects(s) if p not in DESCRIPTIVE}
    assert any(p.startswith(str(BJ)) for _, p, _ in facts)
    missing = facts - stated
    assert not missing, f"facts without a statement node: {sorted(missing)[:5]}"


def test_figures_are_the_sources_claims(data: Graph) -> None:
    massacre = URIRef(BJID + "black-january-massacre")
    assert one(data, massacre, BJ.killedCount) == Literal(150)
    assert one(data, massacre, BJ.injuredMoreThan) == Literal(700)
    assert one(data, massacre, BJ.arrestedCount) == Literal(840)
    assert not list(data.subjects(BJ.injuredCount, None))


def test_commemorations_and_events_keep_their_dates_in_order(data: Graph) -> None:
    for event in data.subjects(SDO.endDate, None):
        assert str(one(data, event, SDO.endDate)) >= str(one(data, event, SDO.startDate))
    for commemoration, event in data.subject_objects(BJ.commemorates):
        for start in data.objects(commemoration, SDO.startDate):
            for end in data.objects(event, SDO.endDate):
                assert str(start) > str(end), f"{commemoration} ({start}) is not after {event} ({end})"


def test_every_own_term_used_is_defined_in_the_ontology(data: Graph, ontology: Graph) -> None:
    used = {t for triple in data for t in triple if isinstance(t, URIRef) and t.startswith(str(BJ))}
    assert used
    defined = set(ontology.subjects(RDFS.isDefinedBy, URIRef(str(BJ)[:-1])))
    assert {BJ.Statement, BJ.Quote, BJ.Sentence, BJ.SourceText} <= defined
    for term in used | defined:
        assert (term, RDFS.isDefinedBy, URIRef(str(BJ)[:-1])) in ontology, f"{term} is not in the ontology"
        languages = {label.language for label in ontology.objects(term, RDFS.label)}
        assert {"en", "de"} <= languages <= set(LABEL_LANGS), term
        if term in NEW_TERMS_1_2:
            assert languages == set(LABEL_LANGS), f"{term}: a term of 1.2.0 is labelled in de, en, az and ru"
        assert one(ontology, term, RDFS.comment)
        if (term, RDF.type, OWL.Class) not in ontology:
            assert one(ontology, term, RDFS.domain) and one(ontology, term, RDFS.range), term
    ontology_iri = URIRef(str(BJ)[:-1])
    assert (ontology_iri, RDF.type, OWL.Ontology) in ontology
    for predicate in (OWL.versionIRI, DCTERMS.license, DCTERMS.creator):
        assert one(ontology, ontology_iri, predicate)
    assert not [o for o in ontology.objects(None, SKOS.exactMatch) if str(o).startswith(str(WD))]


def test_events_use_reused_classes(data: Graph) -> None:
    for event in data.subjects(RDF.type, SDO.Event):
        assert (event, RDF.type, SEM.Event) in data, event
