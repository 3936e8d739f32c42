"""``blackjanuary export mixnmatch | quickstatements | wikibase``: one export to a file or stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from blackjanuary.cli.output import EXIT_INVALID, fail


def _render(obj: Any, *names: str) -> list[str]:
    """The named export files of the current data, rendered once, after the SHACL gate (like a build)."""
    # lazy: `blackjanuary --help` should not load rdflib and pyshacl (see cli/main.py)
    from blackjanuary.cli.output import render_violations
    from blackjanuary.publish.exports import render_exports
    from blackjanuary.publish.shacl.gate import validate
    from blackjanuary.publish.sources import load

    dataset = load(obj.settings)
    report = validate(obj.settings, dataset)
    if not report.conforms:
        click.echo(render_violations(report, obj.settings), err=True)
        fail("the data does not conform to the shapes; nothing is exported.", EXIT_INVALID)
    files = render_exports(obj.settings, dataset).files
    return [files[name] for name in names]


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8", newline="\n")
        click.echo(f"wrote {out}", err=True)


OUT = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)


@click.group()
def export() -> None:
    """Exports for Wikidata-style projects (Mix'n'match, QuickStatements, Wikibase RDF)."""


@export.command()
@OUT
@click.pass_obj
def mixnmatch(obj: Any, out: Path | None) -> None:
    """The Mix'n'match catalog as TSV (id, name, desc, url, type, q, P625)."""
    (catalogue,) = _render(obj, "mixnmatch.tsv")
    _emit(catalogue, out)


@export.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["v1", "csv"]),
    default="v1",
    show_default=True,
    help="QuickStatements V1 commands (TAB separated) or the CSV form.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the 'needs an item' report (Markdown) to this file.",
)
@OUT
@click.pass_obj
def quickstatements(obj: Any, output_format: str, report: Path | None, out: Path | None) -> None:
    """QuickStatements for the facts whose items are verified; the rest goes to the report."""
    commands, needs_an_item = _render(
        obj, "quickstatements.v1.txt" if output_format == "v1" else "quickstatements.csv", "needs-an-item.md"
    )
    _emit(commands, out)
    if report is not None:
        _emit(needs_an_item, report)


@export.command()
@OUT
@click.pass_obj
def wikibase(obj: Any, out: Path | None) -> None:
    """The statements in Wikibase's RDF shape (Turtle), as loaded into {base}graph/wikibase."""
    (statements,) = _render(obj, "wikibase.ttl")
    _emit(statements, out)
