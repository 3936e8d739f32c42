"""The SHACL shapes in shapes/: a small conforming world, and one violating addition per rule.

Each violating fixture (tests/fixtures/shapes/violating/<case>.ttl) is added to the conforming world,
and the test asserts the exact set of (focus node, result path, source shape) that pyshacl reports.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.dataset import parse_file
from blackjanuary.validation import run_shacl, validate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
CONFORMING = FIXTURES / "conforming.ttl"

B = CANONICAL_BASE_IRI
PREFIXES = {
    "bjsh:": B + "shapes#", "bj:": B + "ontology#", "bjst:": B + "id/statement/", "bjid:": B + "id/",
    "bjsrc:": B + "source/",
    "rdf:": str(RDF), "rdfs:": "http://www.w3.org/2000/01/rdf-schema#", "schema:": "http://schema.org/",
    "skos:": "http://www.w3.org/2004/02/skos/core#", "wgs84:": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "geo:": "http://www.opengis.net/ont/geosparql#", "oa:": "http://www.w3.org/ns/oa#",
    "prov:": "http://www.w3.org/ns/prov#", "dcterms:": "http://purl.org/dc/terms/",
}
SRC = "bjsrc:fixture.de#char="


def iri(short: str | None) -> str | None:
    if short is None:
        return None
    for prefix, namespace in PREFIXES.items():
        if short.startswith(prefix):
            return namespace + short[len(prefix):]
    return short


NAMED_THING_MISSING = {("bjid:nowhere", "rdf:type", "bjsh:NamedThingTypeShape"),
                       ("bjid:nowhere", "rdfs:label", "bjsh:LabelUniqueLangShape"),
                       ("bjid:nowhere", "schema:description", "bjsh:DescriptionUniqueLangShape")}

EXPECTED: dict[str, set[tuple[str, str | None, str]]] = {
    "own-iri-key": {("bjid:Bad_Key", None, "bjsh:OwnIriShape")},
    "iri-nested-path": {("bjid:places/id/baku", None, "bjsh:OwnIriShape")},
    "statement-iri-key": {("bjst:fixture-massacre-", None, "bjsh:OwnIriShape")},
    "label-missing-de": {("bjid:no-german", "rdfs:label", "bjsh:LabelDeShape")},
    "label-missing-en": {("bjid:no-english", "rdfs:label", "bjsh:LabelEnShape")},
    "label-missing-az": {("bjid:no-azerbaijani", "rdfs:label", "bjsh:LabelAzShape")},
    "label-missing-ru": {("bjid:no-russian", "rdfs:label", "bjsh:LabelRuShape")},
    "label-two-de": {("bjid:two-german", "rdfs:label", "bjsh:LabelUniqueLangShape")},
    "label-plain": {("bjid:plain-label", "rdfs:label", "bjsh:LabelUniqueLangShape")},
    "description-missing-de": {("bjid:no-german-description", "schema:description",
                                "bjsh:DescriptionDeShape")},
    "description-missing-en": {("bjid:no-english-description", "schema:description",
                                "bjsh:DescriptionEnShape")},
    "description-two-en": {("bjid:two-english-descriptions", "schema:description",
                            "bjsh:DescriptionUniqueLangShape")},
    "type-missing": {("bjid:untyped", "rdf:type", "bjsh:NamedThingTypeShape")},
    "dangling-reference": NAMED_THING_MISSING,
    "wikidata-page": {("bjid:wrong-wikidata", "skos:exactMatch", "bjsh:WikidataLinkShape")},
    "latitude-out-of-range": {("bjid:north-of-the-pole", "wgs84:lat", "bjsh:CoordinatesShape")},
    "longitude-not-decimal": {("bjid:string-longitude", "wgs84:long", "bjsh:CoordinatesShape")},
    "wkt-malformed": {("bjid:bad-geometry", "geo:asWKT", "bjsh:GeometryShape")},
    "date-datatype": {("bjid:string-date", "schema:startDate", "bjsh:DateShape")},
    "date-ill-formed": {("bjid:impossible-date", "schema:startDate", "bjsh:DateShape")},
    "end-before-start": {("bjid:backwards", "schema:endDate", "bjsh:DateOrderShape")},
    "commemoration-before-event": {("bjid:early-mourning", "schema:startDate", "bjsh:CommemorationShape")},
    "statement-missing-subject": {("bjst:no-subject", "rdf:subject", "bjsh:StatementShape")},
    "statement-two-predicates": {("bjst:two-predicates", "rdf:predicate", "bjsh:StatementShape")},
    "statement-not-from-quote": {("bjst:whole-text", "prov:wasDerivedFrom", "bjsh:StatementShape")},
    "statement-without-source": {("bjst:unsourced", "prov:wasDerivedFrom", "bjsh:StatementShape")},
    "direct-triple-missing": {("bjst:no-direct-triple", "rdf:object", "bjsh:StatementShape")},
    "quote-offsets-wrong": {(SRC + "89,112", "oa:exact", "bjsh:QuoteNodeShape")},
    "quote-fragment-mismatch": {(SRC + "1,24", "oa:start", "bjsh:QuoteNodeShape")},
    "quote-outside-sentence": {(SRC + "0,5", "dcterms:isPartOf", "bjsh:QuoteNodeShape")},
    "quote-orphan": {(SRC + "3,9", "dcterms:isPartOf", "bjsh:QuoteNodeShape")},
    "quote-start-after-end": {(SRC + "111,88", "oa:start", "bjsh:QuoteNodeShape"),
                              (SRC + "111,88", "oa:exact", "bjsh:QuoteNodeShape")},
    "quote-without-exact": {(SRC + "95,98", "oa:exact", "bjsh:QuoteNodeShape")},
    "count-invalid": {("bjid:negative-count", "bj:killedCount", "bjsh:CountShape"),
                      ("bjid:negative-count", "bj:arrestedCount", "bjsh:CountShape")},
    "dataset-without-license": {(B + "other-dataset", "dcterms:license", "bjsh:DatasetShape")},
    "source-without-text": {("bjsrc:empty", "schema:text", "bjsh:SourceTextShape")},
}
"""What each violating fixture must report, and nothing else. Messages are checked where they carry data."""

MESSAGE_FRAGMENTS = {
    "quote-offsets-wrong": "which reads \"indestens 150 Menschen.\"",
    "direct-triple-missing": "direct triple is missing",
    "end-before-start": "1990-01-19 is before schema:startDate 1990-01-20",
    "quote-fragment-mismatch": "#char=88,111",
    "own-iri-key": 'The key "Bad_Key" of',
}


@pytest.fixture(scope="session")
def shapes() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        graph += parse_file(path)
    return graph


def world(*extra: Path) -> Graph:
    graph = parse_file(CONFORMING)
    for path in extra:
        graph += parse_file(path)
    return graph


def test_every_case_has_a_fixture_and_an_expectation() -> None:
    files = {p.stem for p in (FIXTURES / "violating").glob("*.ttl")}
    assert files == set(EXPECTED)


def test_every_named_shape_has_a_violating_case(shapes: Graph) -> None:
    named = {str(s) for kind in (SH.NodeShape, SH.PropertyShape) for s in shapes.subjects(RDF.type, kind)
             if isinstance(s, URIRef)}
    # QuoteNodeShape is also reached through sh:node; NamedThingShape reports through its property shapes.
    covered = {iri(shape) for expected in EXPECTED.values() for _, _, shape in expected}
    assert named - covered == {iri("bjsh:NamedThingShape")}


def test_every_shape_is_labelled_for_humans(shapes: Graph) -> None:
    from rdflib.namespace import RDFS

    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, kind):
            if isinstance(shape, URIRef):
                has_name = (shape, RDFS.label, None) in shapes or (shape, SH.name, None) in shapes
                assert has_name, f"{shape} has neither rdfs:label nor sh:name"
    for constraint in shapes.subjects(SH.select, None):
        if (constraint, RDF.type, SH.SPARQLConstraint) in shapes:
            assert (constraint, SH.message, None) in shapes, f"{constraint} has no sh:message"


def test_conforming_world_conforms(shapes: Graph) -> None:
    report = run_shacl(world(), shapes)
    assert report.violations == ()
    assert report.conforms


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_violating_fixture_reports_exactly_its_violation(case: str, shapes: Graph) -> None:
    report = run_shacl(world(FIXTURES / "violating" / f"{case}.ttl"), shapes)
    assert not report.conforms
    got = {(v.focus_node, v.path, v.shape) for v in report.violations}
    assert got == {(iri(f), iri(p), iri(s)) for f, p, s in EXPECTED[case]}
    assert all(v.severity == "Violation" and v.message for v in report.violations)
    if case in MESSAGE_FRAGMENTS:
        assert any(MESSAGE_FRAGMENTS[case] in v.message for v in report.violations), report.violations


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory whose graph/ holds the conforming world and one violation, with real shapes."""
    root = tmp_path_factory.mktemp("shapes-project")
    (root / "graph").mkdir()
    (root / "ontology").mkdir()
    shutil.copytree(ROOT / "shapes", root / "shapes")
    shutil.copy(CONFORMING, root / "graph" / "world.ttl")
    shutil.copy(FIXTURES / "violating" / "own-iri-key.ttl", root / "graph" / "bad.ttl")
    return root


def test_other_base_iri_is_checked_the_same_way(fixture_project: Path) -> None:
    """The shapes are written with the canonical base; a deployment base rewrites IRIs and SPARQL alike."""
    base = "http://localhost:8080/bj/"
    report = validate(Settings(root=fixture_project, base_iri=base))
    assert [(v.focus_node, v.shape, v.location) for v in report.violations] == [
        (base + "id/Bad_Key", base + "shapes#OwnIriShape", _declaring_line(fixture_project))]


def test_report_names_the_file_and_line_of_the_focus_node(fixture_project: Path) -> None:
    report = validate(Settings(root=fixture_project))
    (violation,) = report.violations
    assert violation.location == _declaring_line(fixture_project)
    body = json.loads(report.to_json())
    assert body["conforms"] is False and body["violation_count"] == 1
    assert body["violations"] == [{
        "focus_node": B + "id/Bad_Key", "path": None, "message": violation.message, "severity": "Violation",
        "shape": B + "shapes#OwnIriShape", "value": B + "id/Bad_Key", "location": violation.location}]
    turtle = Graph().parse(data=report.to_turtle(), format="turtle")
    assert set(turtle.objects(None, SH.focusNode)) == {URIRef(B + "id/Bad_Key")}


def _declaring_line(root: Path) -> str:
    """The line of graph/bad.ttl that starts the subject's description (found independently here)."""
    lines = (root / "graph" / "bad.ttl").read_text().splitlines()
    (number,) = [n for n, line in enumerate(lines, start=1) if line.startswith("bjid:Bad_Key ")]
    return f"graph/bad.ttl:{number}"
