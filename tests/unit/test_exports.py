"""Exports: QuickStatements parsed back by a strict grammar, the Mix'n'match TSV, the Wikibase graph."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from blackjanuary.cli.main import cli
from blackjanuary.config import Settings
from blackjanuary.publish.exports import EXPORT_FILES, render_exports, write_exports
from blackjanuary.publish.exports.facts import Fact, read_facts, verified_qids
from blackjanuary.publish.exports.quickstatements import plan, render_csv, render_v1, time_value
from blackjanuary.publish.exports.wikibase_rdf import WikibaseSpace, wikibase_graph
from blackjanuary.publish.exports.wikidata_map import WIKIDATA_PROPERTIES
from blackjanuary.publish.sources import load
from blackjanuary.rdf.vocab import WD, WGS84, WIKIBASE, Ours

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "graph" / "reference" / "wikidata.tsv"
SCHEMA = "http://schema.org/"


def verified_reference_qids() -> set[str]:
    with REFERENCE.open(encoding="utf-8") as handle:
        return {r["qid"] for r in csv.DictReader(handle, delimiter="\t") if r["qid_status"] == "verified"}


# A strict parser for the QuickStatements subset we write (digest §4) ------------------------------
ITEM = re.compile(r"^Q[1-9]\d*$")
PROP = re.compile(r"^P[1-9]\d*$")
VALUE_FORMS = {
    "item": ITEM,
    "time": re.compile(r"^[+-]\d{4,}-(0\d|1[0-2])-([0-2]\d|3[01])T00:00:00Z/(9|10|11)$"),
    "quantity": re.compile(r"^[+-]?\d+(\.\d+)?$"),
    "string": re.compile(r'^"[^"\t\n]*"$'),
    "monolingual": re.compile(r'^[a-z]{2,3}:"[^"\t\n]+"$'),
    "coordinate": re.compile(r"^@-?\d+(\.\d+)?/-?\d+(\.\d+)?$"),
}


class QsSyntaxError(ValueError):
    pass


def value_kind(value: str) -> str:
    for kind, pattern in VALUE_FORMS.items():
        if pattern.match(value):
            if kind == "time":
                _check_precision(value)
            return kind
    raise QsSyntaxError(f"not a QuickStatements value: {value!r}")


def _check_precision(value: str) -> None:
    date, precision = value[1:].split("T")[0], int(value.rsplit("/", 1)[1])
    _, month, day = date.rsplit("-", 2)
    if (
        precision == 9
        and (month, day) != ("00", "00")
        or precision == 10
        and (month == "00" or day != "00")
        or precision == 11
        and "00" in (month, day)
    ):
        raise QsSyntaxError(f"date {value!r} does not fit its precision")


@dataclass(frozen=True)
class ParsedStatement:
    subject: str
    pid: str
    value: str
    qualifiers: tuple[tuple[str, str], ...]
    references: tuple[tuple[tuple[str, str], ...], ...]


def parse_v1_line(line: str) -> ParsedStatement:
    cells = line.split("\t")
    if len(cells) < 3 or len(cells) % 2 == 0:
        raise QsSyntaxError(f"a statement needs subject, property, value and pairs: {line!r}")
    subject, pid, value = cells[:3]
    if not ITEM.match(subject) or not PROP.match(pid):
        raise QsSyntaxError(f"bad subject or property in {line!r}")
    value_kind(value)
    qualifiers: list[tuple[str, str]] = []
    references: list[list[tuple[str, str]]] = []
    for key, val in zip(cells[3::2], cells[4::2], strict=True):
        value_kind(val)
        if PROP.match(key):
            if references:
                raise QsSyntaxError("a qualifier after a reference")
            qualifiers.append((key, val))
        elif re.match(r"^!?S[1-9]\d*$", key):
            if key.startswith("!") or not references:
                references.append([])
            references[-1].append(("P" + key.lstrip("!S"), val))
        else:
            raise QsSyntaxError(f"unknown column {key!r}")
    return ParsedStatement(subject, pid, value, tuple(qualifiers), tuple(tuple(r) for r in references))


def parse_csv(text: str) -> list[ParsedStatement]:
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    if header[0] != "qid":
        raise QsSyntaxError("the CSV header must start with qid")
    for column in header[1:]:
        if not re.match(
            r"^(P|qalP?|S|s)[1-9]\d*$",
            column.replace("qal", "qalP", 1) if column.startswith("qal") else column,
        ):
            raise QsSyntaxError(f"unknown CSV column {column!r}")
    out = []
    for row in body:
        if len(row) != len(header) or not ITEM.match(row[0]):
            raise QsSyntaxError(f"bad CSV row {row!r}")
        current: list[ParsedStatement] = []
        for column, cell in zip(header[1:], row[1:], strict=True):
            if cell == "":
                continue
            value_kind(cell)
            if column.startswith("P"):
                current.append(ParsedStatement(row[0], column, cell, (), ()))
            elif not current:
                raise QsSyntaxError(f"{column} without a statement to its left")
            elif column.startswith("qal"):
                last = current[-1]
                current[-1] = ParsedStatement(
                    last.subject,
                    last.pid,
                    last.value,
                    (*last.qualifiers, ("P" + column[3:], cell)),
                    last.references,
                )
            else:
                last = current[-1]
                refs = list(last.references)
                if column.startswith("S"):
                    refs.append(())
                refs[-1] = (*refs[-1], ("P" + column[1:], cell))
                current[-1] = ParsedStatement(
                    last.subject, last.pid, last.value, last.qualifiers, tuple(refs)
                )
        out += current
    return out


@pytest.mark.parametrize(
    "line",
    [
        "Q1\tP31",
        "Q1\tP31\tQ5\tP580",
        "X1\tP31\tQ5",
        "Q1\tP31\tfoo",
        "Q1\tP31\t+1990-01-00T00:00:00Z/11",
        "Q1\tP31\t+1990-00-00T00:00:00Z/10",
        'Q1\tP31\tQ5\tS854\t"u"\tP580\tQ5',
        'Q1\tP31\ten:"a"b"',
    ],
)
def test_strict_parser_rejects_malformed_lines(line: str) -> None:
    with pytest.raises(QsSyntaxError):
        parse_v1_line(line)


# Fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def facts(dataset: Dataset, project_settings: Settings) -> list[Fact]:
    return read_facts(dataset, Ours(project_settings.base_iri))


@pytest.fixture(scope="module")
def exported(project_settings: Settings, dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    written = write_exports(project_settings, dataset, out)
    assert sorted(p.name for p in written) == sorted(EXPORT_FILES)
    return out


# QuickStatements ---------------------------------------------------------------------------------
def test_exports_are_deterministic(project_settings: Settings, dataset: Dataset, exported: Path) -> None:
    again = render_exports(project_settings, dataset).files
    for name in EXPORT_FILES:
        assert (exported / name).read_text(encoding="utf-8") == again[name], name


def test_real_quickstatements_are_well_formed_and_use_only_verified_items(
    exported: Path, facts: list[Fact], dataset: Dataset
) -> None:
    verified = verified_reference_qids()
    lines = (exported / "quickstatements.v1.txt").read_text(encoding="utf-8").splitlines()
    parsed = [parse_v1_line(line) for line in lines]
    parsed_csv = parse_csv((exported / "quickstatements.csv").read_text(encoding="utf-8"))
    assert parsed_csv == parsed
    for statement in parsed:
        assert statement.subject in verified
        for value in [statement.value, *(v for _, v in statement.qualifiers)]:
            assert not ITEM.match(value) or value in verified
    report = (exported / "needs-an-item.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|.*\|.*\|.*\|.*\|$", report, flags=re.MULTILINE)
    assert len(parsed) + len(listed) == len(facts)
    assert set(listed) <= {f.key for f in facts}
    linked = {str(s) for s in dataset.subjects(SKOS.exactMatch, None)}
    without = re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| [^|]+ \|$", report, flags=re.MULTILINE)
    assert without and not any(Ours().ID[k] in linked for k in without)


def test_serializer_round_trip_on_statements_with_verified_items(
    facts: list[Fact], dataset: Dataset, project_settings: Settings
) -> None:
    """Synthetic input for the writer: real mapped facts moved onto a thing that has a verified item."""
    qids = verified_qids(dataset)
    subject = next(iter(sorted(qids)))
    samples = []
    for fact in facts:
        if str(fact.predicate) in WIKIDATA_PROPERTIES and (
            not isinstance(fact.object, URIRef) or fact.object in qids
        ):
            samples.append(Fact(fact.iri, fact.key, subject, fact.predicate, fact.object, (), fact.quotes))
    assert samples, "the graph has facts with mapped properties"
    statements, skipped = plan(samples, qids, project_settings.base_iri, "2026-01-15")
    assert statements and not skipped
    parsed = [parse_v1_line(line) for line in render_v1(statements).splitlines()]
    assert parse_csv(render_csv(statements)) == parsed
    for statement, back in zip(statements, parsed, strict=True):
        assert (back.subject, back.pid, back.value) == (statement.subject, statement.pid, statement.value)
        assert back.references == statement.references
        for reference, quote in zip(back.references, statement.fact.quotes, strict=True):
            assert dict(reference) == {
                "P854": f'"{statement.fact.iri}"',
                "P1683": f'de:"{" ".join(quote.exact.split())}"',
                "P813": "+2026-01-15T00:00:00Z/11",
            }


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (Literal("1990-01-20", datatype=XSD.date), "+1990-01-20T00:00:00Z/11"),
        (Literal("1990-01", datatype=XSD.gYearMonth), "+1990-01-00T00:00:00Z/10"),
        (Literal("1991", datatype=XSD.gYear), "+1991-00-00T00:00:00Z/9"),
    ],
)
def test_time_precision(literal: Literal, expected: str) -> None:
    assert time_value(literal) == expected
    assert value_kind(expected) == "time"


# Mix'n'match -------------------------------------------------------------------------------------
def test_mixnmatch_catalog(exported: Path, dataset: Dataset, project_settings: Settings) -> None:
    ours = Ours(project_settings.base_iri)
    rows = list(csv.DictReader((exported / "mixnmatch.tsv").open(encoding="utf-8"), delimiter="\t"))
    header = (exported / "mixnmatch.tsv").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert header == ["id", "name", "desc", "url", "type", "q", "P625"]
    verified = verified_reference_qids()
    assert len({r["id"] for r in rows}) == len(rows) > 0
    for row in rows:
        iri = ours.ID[row["id"]]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", row["id"]) and row["name"]
        assert row["url"] == f"{project_settings.base_iri}page/{row['id']}"
        assert row["type"] == ""
        links = {
            str(o)[len(str(WD)) :]
            for o in dataset.objects(iri, SKOS.exactMatch)
            if str(o).startswith(str(WD))
        }
        assert row["q"] == (links.pop() if links else "")
        assert not row["q"] or row["q"] in verified
        lat, lon = dataset.value(iri, WGS84.lat), dataset.value(iri, WGS84.long)
        if lat is None:
            assert row["P625"] == ""
        else:
            assert tuple(map(float, row["P625"].split("/"))) == (float(lat), float(lon))
    assert any(r["P625"] for r in rows) and any(r["q"] for r in rows)


# Wikibase graph and its example queries ------------------------------------------------------------
@pytest.fixture(scope="module")
def wikibase_store(dataset: Dataset, project_settings: Settings) -> ox.Store:
    store = ox.Store()
    store.load(dataset.serialize(format="nquads").encode(), format=ox.RdfFormat.N_QUADS)
    graph = wikibase_graph(dataset, project_settings)
    store.load(
        graph.serialize(format="nt").encode(),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(project_settings.base_iri + "graph/wikibase"),
    )
    return store


def run(store: ox.Store, name: str) -> list[dict[str, str]]:
    text = (ROOT / "graph" / "queries" / name).read_text(encoding="utf-8")
    assert text.startswith("# ")
    results = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: _text(row[n]) for n in names if row[n] is not None} for row in results]


def _text(term: object) -> str:
    return term.value if hasattr(term, "value") else str(term)  # type: ignore[attr-defined]


def test_wikibase_graph_shape(dataset: Dataset, project_settings: Settings, facts: list[Fact]) -> None:
    graph = wikibase_graph(dataset, project_settings)
    assert graph.serialize(format="nt") == wikibase_graph(dataset, project_settings).serialize(format="nt")
    space = WikibaseSpace(Ours(project_settings.base_iri))
    for fact in facts:
        st, slug = URIRef(fact.iri), space.slug(fact.predicate)
        assert (fact.subject, space.P[slug], st) in graph
        assert (st, WIKIBASE.rank, WIKIBASE.NormalRank) in graph and (
            st,
            RDF.type,
            WIKIBASE.BestRank,
        ) in graph
        assert (fact.subject, space.WDT[slug], fact.object) in graph
        assert (fact.predicate, WIKIBASE.directClaim, space.WDT[slug]) in graph
        assert len(list(graph.objects(st, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))) == len(
            fact.quotes
        )


def test_query_statements_with_quotes(wikibase_store: ox.Store, facts: list[Fact]) -> None:
    rows = run(wikibase_store, "wikibase-statements-with-quotes.rq")
    got = {(r["item"], r["property"], r["value"], r["quote"]) for r in rows}
    assert got == {
        (str(f.subject), str(f.predicate), str(f.object), q.exact) for f in facts for q in f.quotes
    }


def test_query_event_dates(wikibase_store: ox.Store, facts: list[Fact]) -> None:
    rows = run(wikibase_store, "wikibase-event-dates.rq")
    assert {(r["event"], r["start"]) for r in rows} == {
        (str(f.subject), str(f.object)) for f in facts if str(f.predicate) == SCHEMA + "startDate"
    }
    assert rows and all("eventLabel" in r for r in rows)


def test_query_qualifiers(wikibase_store: ox.Store, facts: list[Fact]) -> None:
    rows = run(wikibase_store, "wikibase-qualifiers.rq")
    assert {(r["statement"], r["qualifier"], r["qualifierValue"]) for r in rows} == {
        (f.iri, str(p), str(v)) for f in facts for p, v in f.qualifiers
    }


def test_query_properties(wikibase_store: ox.Store, facts: list[Fact]) -> None:
    rows = run(wikibase_store, "wikibase-properties.rq")
    counts = {r["property"]: int(r["statements"]) for r in rows}
    for predicate in {str(f.predicate) for f in facts}:
        assert counts[predicate] == sum(1 for f in facts if str(f.predicate) == predicate)
    mapped = {r["property"]: r["wikidata"] for r in rows if "wikidata" in r}
    assert mapped == {p: str(WD[q]) for p, q in WIKIDATA_PROPERTIES.items() if p in counts}


def test_query_wikidata_items(wikibase_store: ox.Store, facts: list[Fact], dataset: Dataset) -> None:
    rows = run(wikibase_store, "wikibase-wikidata-items.rq")
    qids = verified_qids(dataset)
    assert {(r["item"], r["wikidata"], r["property"], r["value"]) for r in rows} == {
        (str(f.subject), str(WD[qids[f.subject]]), str(f.predicate), str(f.object))
        for f in facts
        if f.subject in qids
    }


# CLI ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["mixnmatch"], "mixnmatch.tsv"),
        (["quickstatements"], "quickstatements.v1.txt"),
        (["quickstatements", "--format", "csv"], "quickstatements.csv"),
        (["wikibase"], "wikibase.ttl"),
    ],
)
def test_cli_export(args: list[str], name: str, exported: Path, tmp_path: Path) -> None:
    target = tmp_path / name
    result = CliRunner().invoke(cli, ["--root", str(ROOT), "export", *args, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == (exported / name).read_text(encoding="utf-8")


def test_another_base_iri_keeps_the_shape_and_the_wikidata_mapping(project_settings: Settings) -> None:
    settings = project_settings.replace(base_iri="http://127.0.0.1:8080/")
    dataset = load(settings)
    graph = wikibase_graph(dataset, settings)
    space = WikibaseSpace(Ours(settings.base_iri))
    killed = URIRef(settings.base_iri + "ontology#killedCount")
    assert (killed, WIKIBASE.directClaim, space.WDT["killedCount"]) in graph
    assert (killed, SKOS.exactMatch, WD["P1120"]) in graph
    canonical = "https://w3id.org/blackjanuary/"
    assert not any(str(term).startswith(canonical) for triple in graph for term in triple)
    rows = render_exports(settings, dataset).files["mixnmatch.tsv"].splitlines()[1:]
    assert rows and all("\thttp://127.0.0.1:8080/page/" in row for row in rows)


def test_export_refuses_data_that_fails_the_gate(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from blackjanuary.cli.main import cli

    root = Path(__file__).resolve().parents[2]
    for name in ("ontology", "graph", "shapes"):
        shutil.copytree(root / name, tmp_path / name)
    events = tmp_path / "graph" / "events.ttl"
    events.write_text(
        events.read_text(encoding="utf-8").replace("bj:killedCount 150", "bj:killedCount -150"),
        encoding="utf-8",
    )
    source = root / "graph" / "source" / "black-january-1990.de.txt"
    result = CliRunner().invoke(
        cli, ["--root", str(tmp_path), "--source-text", str(source), "export", "mixnmatch"]
    )
    assert result.exit_code == 1, result.output
    assert "nothing is exported" in result.output
    assert "alley-of-martyrs" not in result.output
