"""The SHACL shapes in shapes/: a small conforming world, and one violating addition per rule.

Each violating fixture (tests/fixtures/shapes/violating/<case>.ttl) is added to the conforming world,
and the test asserts the exact set of (focus node, result path, source shape) that the validation reports.
The default engine (pyshacl-turbo) is checked against plain pySHACL ("pyshacl", the reference) on every
fixture, on the conforming world and on synthetic data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF, SH

from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.errors import DataLoadError
from blackjanuary.publish.shacl.gate import ValidationReport, run_shacl, validate
from blackjanuary.publish.sources import parse_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
CONFORMING = FIXTURES / "conforming.ttl"

B = CANONICAL_BASE_IRI
PREFIXES = {
    "bjsh:": B + "shapes#",
    "bj:": B + "ontology#",
    "bjst:": B + "id/statement/",
    "bjid:": B + "id/",
    "bjsrc:": B + "source/",
    "rdf:": str(RDF),
    "rdfs:": "http://www.w3.org/2000/01/rdf-schema#",
    "schema:": "http://schema.org/",
    "skos:": "http://www.w3.org/2004/02/skos/core#",
    "wgs84:": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "geo:": "http://www.opengis.net/ont/geosparql#",
    "oa:": "http://www.w3.org/ns/oa#",
    "prov:": "http://www.w3.org/ns/prov#",
    "dcterms:": "http://purl.org/dc/terms/",
}
SRC = "bjsrc:fixture.de#char="
OA = "http://www.w3.org/ns/oa#"


def iri(short: str | None) -> str | None:
    if short is None:
        return None
    for prefix, namespace in PREFIXES.items():
        if short.startswith(prefix):
            return namespace + short[len(prefix) :]
    return short


NAMED_THING_MISSING = {
    ("bjid:nowhere", "rdf:type", "bjsh:NamedThingTypeShape"),
    ("bjid:nowhere", "rdfs:label", "bjsh:LabelUniqueLangShape"),
    ("bjid:nowhere", "schema:description", "bjsh:DescriptionUniqueLangShape"),
}

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
    "description-missing-de": {
        ("bjid:no-german-description", "schema:description", "bjsh:DescriptionDeShape")
    },
    "description-missing-en": {
        ("bjid:no-english-description", "schema:description", "bjsh:DescriptionEnShape")
    },
    "description-two-en": {
        ("bjid:two-english-descriptions", "schema:description", "bjsh:DescriptionUniqueLangShape")
    },
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
    "quote-offsets-wrong": {(SRC + "89,112", "oa:hasSelector", "bjsh:QuoteNodeShape")},
    "quote-fragment-mismatch": {(SRC + "1,24", "oa:hasSelector", "bjsh:QuoteNodeShape")},
    "quote-outside-sentence": {(SRC + "0,5", "dcterms:isPartOf", "bjsh:QuoteNodeShape")},
    "quote-orphan": {(SRC + "3,9", "dcterms:isPartOf", "bjsh:QuoteNodeShape")},
    "quote-start-after-end": {(SRC + "111,88", "oa:hasSelector", "bjsh:QuoteNodeShape")},
    "quote-without-exact": {(SRC + "95,98", f"({OA}hasSelector/{OA}exact)", "bjsh:QuoteNodeShape")},
    "segment-typed-as-selector": {
        (SRC + "74,79", "rdf:type", "bjsh:SegmentShape"),
        (SRC + "74,79", "oa:exact", "bjsh:SegmentShape"),
    },
    "fragment-selector-not-rfc5147": {
        ("bjsrc:fixture-selector", "dcterms:conformsTo", "bjsh:FragmentSelectorShape")
    },
    "past-claim-without-time": {
        ("bjst:baku-claimed-by-timeless", "bj:atTimeOf", "bjsh:TimeBoundStatementShape")
    },
    "alt-label-without-source": {("bjid:baku", "skos:altLabel", "bjsh:AltLabelSourceShape")},
    "count-invalid": {
        ("bjid:negative-count", "bj:killedCount", "bjsh:CountShape"),
        ("bjid:negative-count", "bj:arrestedCount", "bjsh:CountShape"),
    },
    "dataset-without-license": {(B + "other-dataset", "dcterms:license", "bjsh:DatasetShape")},
    "source-without-text": {("bjsrc:empty", "schema:text", "bjsh:SourceTextShape")},
}
"""What each violating fixture must report, and nothing else. Messages are checked where they carry data."""

MESSAGE_FRAGMENTS = {
    "quote-offsets-wrong": 'which reads "indestens 150 Menschen."',
    "direct-triple-missing": "direct triple is missing",
    "end-before-start": "1990-01-19 is before schema:startDate 1990-01-20",
    "quote-fragment-mismatch": "must both be char=88,111",
    "segment-typed-as-selector": "is a text segment, not a selector",
    "alt-label-without-source": "The alternative label Baky has no source",
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
    named = {
        str(s)
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }
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
        (base + "id/Bad_Key", base + "shapes#OwnIriShape", _declaring_line(fixture_project))
    ]


def test_report_names_the_file_and_line_of_the_focus_node(fixture_project: Path) -> None:
    report = validate(Settings(root=fixture_project))
    (violation,) = report.violations
    assert violation.location == _declaring_line(fixture_project)
    body = json.loads(report.to_json())
    assert body["conforms"] is False and body["violation_count"] == 1
    assert body["violations"] == [
        {
            "focus_node": B + "id/Bad_Key",
            "path": None,
            "message": violation.message,
            "severity": "Violation",
            "shape": B + "shapes#OwnIriShape",
            "value": B + "id/Bad_Key",
            "location": violation.location,
        }
    ]
    turtle = Graph().parse(data=report.to_turtle(), format="turtle")
    assert set(turtle.objects(None, SH.focusNode)) == {URIRef(B + "id/Bad_Key")}


def _declaring_line(root: Path) -> str:
    """The line of graph/bad.ttl that starts the subject's description (found independently here)."""
    lines = (root / "graph" / "bad.ttl").read_text().splitlines()
    (number,) = [n for n, line in enumerate(lines, start=1) if line.startswith("bjid:Bad_Key ")]
    return f"graph/bad.ttl:{number}"


# --- the default engine against the pySHACL reference ---------------------------------------------------


def _same_report(data: Graph | pyoxigraph.Store, shapes: Graph) -> ValidationReport:
    """Both engines on the same data; asserts the same results and returns the default engine's report."""
    default = run_shacl(data, shapes)
    reference = run_shacl(data, shapes, engine="pyshacl")

    def key(report: ValidationReport) -> set[tuple[str | None, ...]]:
        return {(v.focus_node, v.path, v.shape, v.severity) for v in report.violations}

    assert key(default) == key(reference)
    assert {v.message for v in default.violations} == {v.message for v in reference.violations}
    assert default.conforms == reference.conforms
    assert len(default.violations) == len(reference.violations)
    return default


@pytest.mark.parametrize("case", [*sorted(EXPECTED), None])
def test_default_engine_reports_what_pyshacl_reports(case: str | None, shapes: Graph) -> None:
    data = world(FIXTURES / "violating" / f"{case}.ttl") if case else world()
    report = _same_report(data, shapes)
    assert report.conforms is (case is None)


@pytest.mark.parametrize(
    ("case", "quote"),
    [("quote-offsets-wrong", "89,112"), ("quote-orphan", "3,9"), ("quote-without-exact", "95,98")],
)
def test_statement_from_a_failing_quote_fails_through_sh_node(case: str, quote: str, shapes: Graph) -> None:
    """sh:node bjsh:QuoteNodeShape: a SPARQL failure of the quote is also a failure of the statement."""
    statement = iri("bjst:fixture-massacre-killed-count")
    data = world(FIXTURES / "violating" / f"{case}.ttl")
    data.add((URIRef(str(statement)), PROV.wasDerivedFrom, URIRef(str(iri(SRC + quote)))))
    report = _same_report(data, shapes)
    expected = (statement, iri("prov:wasDerivedFrom"), iri("bjsh:StatementShape"))
    assert expected in {(v.focus_node, v.path, v.shape) for v in report.violations}


def test_default_engine_matches_pyshacl_on_synthetic_data(shapes: Graph) -> None:
    """Graphs shaped like ours (bench/generate.py), with their many quotes outside any source text."""
    from bench.generate import Generator

    lines = "".join(f"{s} {p} {o} .\n" for s, p, o in Generator(700, seed=7).triples())
    store = pyoxigraph.Store()
    store.load(lines.encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    report = _same_report(store, shapes)
    assert len(report.violations) > 10


def test_shapes_beyond_ours_report_the_same(shapes: Graph) -> None:
    """A rule someone may add: no sh:message (the engine's own message), sh:hasValue, sh:in, sh:qualified…"""
    extra = Graph().parse(
        format="turtle",
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <http://schema.org/> .
        @prefix ex: <https://example.org/> .
        ex:PlaceNameShape a sh:NodeShape ; sh:targetClass schema:Place ;
            sh:property [ sh:path schema:name ; sh:minCount 1 ] ;
            sh:property [ sh:path schema:containedInPlace ; sh:hasValue ex:nowhere ;
                          sh:message "contained in nowhere"@en ] ;
            sh:property [ sh:path schema:location ; sh:in ( ex:here ) ; sh:message "not here"@en ] .""",
    )
    report = _same_report(world(), shapes + extra)
    assert {v.shape for v in report.violations} == {"https://example.org/PlaceNameShape"}
    assert {v.message for v in report.violations} >= {"contained in nowhere"}


@pytest.mark.parametrize("engine", ["pyshacl-turbo", "pyshacl"])
def test_unusable_shapes_are_a_load_error(engine: str, shapes: Graph) -> None:
    """A SPARQL constraint that does not parse: DataLoadError (the CLI's exit 2), naming shapes/."""
    broken = Graph().parse(
        format="turtle",
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <http://schema.org/> .
        <https://example.org/S> a sh:NodeShape ; sh:targetClass schema:Place ;
            sh:sparql [ a sh:SPARQLConstraint ; sh:message "m"@en ;
                        sh:select "SELECT $this WHERE { $this ?p }" ] .""",
    )
    with pytest.raises(DataLoadError, match="shapes/: the SHACL shapes cannot be used: .*expected"):
        run_shacl(world(), shapes + broken, engine=engine)  # type: ignore[arg-type]


def test_unknown_engine_is_refused(shapes: Graph) -> None:
    with pytest.raises(ValueError, match="unknown SHACL engine"):
        run_shacl(world(), shapes, engine="rdf4j")  # type: ignore[arg-type]


WARNING_SHAPE = """
    @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix schema: <http://schema.org/> .
    @prefix ex: <https://example.org/> .
    ex:PlaceWarningShape a sh:NodeShape ; sh:targetClass schema:Place ; sh:severity sh:Warning ;
        sh:sparql [ a sh:SPARQLConstraint ; sh:message "{$this} has no {?missing}"@en ;
            sh:select '''SELECT $this ?missing WHERE {
                FILTER NOT EXISTS { $this <http://schema.org/url> ?u }
                BIND (<http://schema.org/url> AS ?missing) }''' ] .
"""
NAME_PROPERTY = '[ sh:path schema:name ; sh:minCount 1 ; sh:message "no schema:name"@en ]'


def test_a_warning_is_reported_but_conforms(shapes: Graph) -> None:
    """A node shape of severity sh:Warning: its results are Warnings, and the data still conforms."""
    report = _same_report(world(), shapes + Graph().parse(format="turtle", data=WARNING_SHAPE))
    assert report.conforms and report.violations
    assert {v.severity for v in report.violations} == {"Warning"}
    assert any(v.message.endswith("has no http://schema.org/url") for v in report.violations)


def test_only_a_violation_breaks_conformance(shapes: Graph) -> None:
    """A property shape of a Warning node shape keeps the default severity (sh:Violation), and its result
    fails the gate with either engine (pySHACL's allow_warnings alone would excuse it by its parent)."""
    data = WARNING_SHAPE.replace("sh:Warning ;", f"sh:Warning ; sh:property {NAME_PROPERTY} ;")
    report = _same_report(world(), shapes + Graph().parse(format="turtle", data=data))
    assert not report.conforms
    assert {v.severity for v in report.violations} == {"Warning", "Violation"}


@pytest.mark.parametrize("engine", ["pyshacl-turbo", "pyshacl"])
def test_cli_engine_option_reports_the_same(engine: str) -> None:
    """``validate --engine`` on the real project: both engines conform, with the same JSON report."""
    from click.testing import CliRunner

    from blackjanuary.cli.main import cli

    source_text = ROOT / "graph" / "source" / "black-january-1990.de.txt"
    result = CliRunner().invoke(
        cli,
        [
            "--root",
            str(ROOT),
            "--source-text",
            str(source_text),
            "validate",
            "--engine",
            engine,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"conforms": True, "violation_count": 0, "violations": []}


# --- the real data, broken in one place (issue 13): the gate rejects it --------------------------------

QUOTE_0_24 = "<" + B + "source/black-january-1990.de#char=0,24> a bj:Quote, oa:SpecificResource ;"
CLAIM_NOTE = '    bj:qualifierNote "beansprucht wurde (damals)"@de, "was claimed (at the time)"@en ;\n'
CLAIM_TIME = "    bj:atTimeOf bjid:mass-demonstrations-in-azerbaijan ;\n"
BROKEN = {
    "segment-typed-as-selector": (
        "source.ttl",
        QUOTE_0_24,
        QUOTE_0_24.replace("oa:SpecificResource ;", "oa:SpecificResource, oa:TextQuoteSelector ;"),
        ("source/black-january-1990.de#char=0,24", "rdf:type", "bjsh:SegmentShape"),
    ),
    "past-claim-without-time": (
        "claims.ttl",
        "    rdf:predicate bj:claimedBy ;\n    rdf:object bjid:armenia ;\n" + CLAIM_NOTE + CLAIM_TIME,
        "    rdf:predicate bj:claimedBy ;\n    rdf:object bjid:armenia ;\n",
        ("bjst:nagorno-karabakh-claimed-by", "bj:atTimeOf", "bjsh:TimeBoundStatementShape"),
    ),
    "alt-label-without-source": (
        "places.ttl",
        "    skos:exactMatch wd:Q9248 ;\n",
        '    skos:exactMatch wd:Q9248 ;\n    skos:altLabel "Baky"@en ;\n',
        ("bjid:baku", "skos:altLabel", "bjsh:AltLabelSourceShape"),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_copy_of_the_real_data_is_rejected(case: str, tmp_path: Path) -> None:
    """A copy of the project whose graph has one distortion of data 1.1.0 back: validation fails on it."""
    for part in ("graph", "shapes", "ontology"):
        shutil.copytree(ROOT / part, tmp_path / part)
    file, old, new, (focus, path, shape) = BROKEN[case]
    target = tmp_path / "graph" / file
    text = target.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{file} no longer holds the passage this test breaks"
    target.write_text(text.replace(old, new), encoding="utf-8")
    report = validate(Settings(root=tmp_path))
    assert not report.conforms
    focus_iri = B + focus if focus.startswith("source/") else iri(focus)
    assert (focus_iri, iri(path), iri(shape)) in {(v.focus_node, v.path, v.shape) for v in report.violations}
