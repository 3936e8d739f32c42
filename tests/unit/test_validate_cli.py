"""``blackjanuary validate``: exit codes 0 / 1 / 2, the readable table and the machine-readable reports.

Every broken case runs on a temporary copy of the project (ontology/, graph/, shapes/); the real
files are only read.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from blackjanuary.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SOURCE_TEXT = ROOT / "graph" / "source" / "black-january-1990.de.txt"
EVENT = "black-january"
EVENT_IRI = "https://w3id.org/blackjanuary/id/" + EVENT


def run(root: Path, *args: str, source_text: Path = SOURCE_TEXT) -> Result:
    args_before = ["--root", str(root), "--source-text", str(source_text)]
    return CliRunner().invoke(cli, [*args_before, "validate", *args])


def copy_project(target: Path) -> Path:
    for name in ("ontology", "graph", "shapes"):
        shutil.copytree(ROOT / name, target / name)
    return target


def declaring_line(root: Path, prefixed: str) -> str:
    """The first graph file and line that starts with ``prefixed`` (searched independently of the code)."""
    for path in sorted((root / "graph").glob("*.ttl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith(prefixed + " "):
                return f"graph/{path.name}:{number}"
    raise AssertionError(f"{prefixed} is not declared in graph/")


@pytest.fixture(scope="module")
def broken_datum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy whose one extra file gives the Black January event an end date before its start."""
    root = copy_project(tmp_path_factory.mktemp("broken-datum"))
    (root / "graph" / "zz-broken.ttl").write_text(
        "@prefix bjid: <https://w3id.org/blackjanuary/id/> .\n"
        "@prefix schema: <http://schema.org/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        f'bjid:{EVENT} schema:endDate "1989-01-01"^^xsd:date .\n',
        encoding="utf-8",
    )
    return root


def test_real_data_conforms() -> None:
    result = run(ROOT)
    assert result.exit_code == 0, result.output
    assert "conforms" in result.stdout


def test_real_data_json_report() -> None:
    result = run(ROOT, "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body == {"conforms": True, "violation_count": 0, "violations": []}


def test_violating_datum_exits_1_and_names_focus_node_path_and_line(broken_datum: Path) -> None:
    result = run(broken_datum)
    assert result.exit_code == 1, result.output
    out = result.stdout
    where = declaring_line(broken_datum, f"bjid:{EVENT}")
    table_rows = [line for line in out.splitlines() if line.startswith(where)]
    assert table_rows, out
    assert all(f"bjid:{EVENT} schema:endDate" in row for row in table_rows), table_rows
    assert "is before schema:startDate" in out  # the end-before-start rule
    assert "does not conform" in out


def test_violating_datum_turtle_report(broken_datum: Path) -> None:
    result = run(broken_datum, "--format", "turtle")
    assert result.exit_code == 1, result.output
    report = Graph().parse(data=result.stdout, format="turtle")
    assert (None, SH.conforms, Literal(False)) in report
    focus_nodes = set(report.objects(None, SH.focusNode))
    assert focus_nodes == {URIRef(EVENT_IRI)}


def test_syntax_error_exits_2_with_file_line_and_column(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    places = root / "graph" / "places.ttl"
    lines = places.read_text(encoding="utf-8").splitlines()
    lines.append('bjid:nowhere rdfs:label "an unterminated label ;')
    lines.append("")
    places.write_text("\n".join(lines), encoding="utf-8")
    result = run(root)
    assert result.exit_code == 2, result.output
    assert str(places) in result.stderr
    assert f"line {len(lines) - 1}, column " in result.stderr


def test_missing_graph_directory_exits_2(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    shutil.rmtree(root / "graph")
    result = run(root)
    assert result.exit_code == 2, result.output
    assert f"{root / 'graph'}: directory not found" in result.stderr


def test_missing_shapes_exits_2(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    shutil.rmtree(root / "shapes")
    result = run(root)
    assert result.exit_code == 2, result.output
    assert "shapes" in result.stderr


def test_source_text_that_differs_from_the_graph_exits_2(tmp_path: Path) -> None:
    other = tmp_path / SOURCE_TEXT.name
    other.write_text(SOURCE_TEXT.read_text(encoding="utf-8").replace("Baku", "Bakü", 1), encoding="utf-8")
    result = run(ROOT, source_text=other)
    assert result.exit_code == 2, result.output
    assert "differs" in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = run(ROOT, "--format", "xml")
    assert result.exit_code == 2
    assert "xml" in result.output
