"""``blackjanuary export mixnmatch | quickstatements | wikibase``: one export to a file or stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from blackjanuary.errors import BuildError


def _render(obj: Any, name: str) -> str:
    from blackjanuary.dataset import load
    from blackjanuary.exports import render_exports

    try:
        dataset = load(obj.settings)
    except BuildError as exc:
        from blackjanuary.cli import fail

        fail(str(exc))
        raise  # unreachable: fail() exits
    return render_exports(obj.settings, dataset).files[name]


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8", newline="\n")
        click.echo(f"wrote {out}", err=True)


OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                   help="Write to this file instead of standard output.")


@click.group()
def export() -> None:
    """Exports for Wikidata-style projects (Mix'n'match, QuickStatements, Wikibase RDF)."""


@export.command()
@OUT
@click.pass_obj
def mixnmatch(obj: Any, out: Path | None) -> None:
    """The Mix'n'match catalog as TSV (id, name, desc, url, type, q, P625)."""
    _emit(_render(obj, "mixnmatch.tsv"), out)


@export.command()
@click.option("--format", "output_format", type=click.Choice(["v1", "csv"]), default="v1", show_default=True,
              help="QuickStatements V1 commands (TAB separated) or the CSV form.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the 'needs an item' report (Markdown) to this file.")
@OUT
@click.pass_obj
def quickstatements(obj: Any, output_format: str, report: Path | None, out: Path | None) -> None:
    """QuickStatements for the facts whose items are verified; the rest goes to the report."""
    _emit(_render(obj, "quickstatements.v1.txt" if output_format == "v1" else "quickstatements.csv"), out)
    if report is not None:
        _emit(_render(obj, "needs-an-item.md"), report)


@export.command()
@OUT
@click.pass_obj
def wikibase(obj: Any, out: Path | None) -> None:
    """The statements in Wikibase's RDF shape (Turtle), as loaded into {base}graph/wikibase."""
    _emit(_render(obj, "wikibase.ttl"), out)
