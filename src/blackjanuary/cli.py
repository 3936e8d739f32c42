"""The command line: ``blackjanuary build | validate | stats | serve | load | export | query``.

A thin shell over plain functions. Exit codes follow pySHACL: 0 ok, 1 the data does not conform,
2 the input cannot be loaded or the configuration is wrong.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from blackjanuary import __version__
from blackjanuary.config import BACKENDS, Settings
from blackjanuary.errors import BuildError

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INVALID, EXIT_UNLOADABLE = 0, 1, 2


class CliContext:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


pass_ctx = click.make_pass_decorator(CliContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="blackjanuary")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), envvar="BLACKJANUARY_ROOT",
              help="Project directory holding ontology/, graph/ and shapes/ (default: found from cwd).")
@click.option("--base-iri", envvar="BLACKJANUARY_BASE_IRI",
              help="Base IRI of the published things (default https://w3id.org/blackjanuary/).")
@click.option("--source-text", type=click.Path(dir_okay=False, path_type=Path), envvar="BLACKJANUARY_SOURCE_TEXT",
              help="The German source text the quotes are checked against.")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, base_iri: str | None, source_text: Path | None,
        verbose: int) -> None:
    """Build, validate and publish the Black January knowledge graph."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.from_env(root=root, base_iri=base_iri, source_text=source_text)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    ctx.obj = CliContext(settings)


def fail(message: str, code: int = EXIT_UNLOADABLE) -> None:
    """Print a user error (what, where, how to fix) and exit with ``code``."""
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except BuildError as exc:  # raised outside a command's own handling
        fail(str(exc))


__all__ = ["cli", "main", "pass_ctx", "fail", "BACKENDS", "EXIT_OK", "EXIT_INVALID", "EXIT_UNLOADABLE"]
