"""What the command line prints: exit codes, user errors, a validation report as plain text."""

from __future__ import annotations

import sys

import click

from blackjanuary.config import Settings
from blackjanuary.publish.shacl.report import ValidationReport, display_prefixes, shorten
from blackjanuary.rdf.vocab import Ours

EXIT_OK, EXIT_INVALID, EXIT_UNLOADABLE = 0, 1, 2
"""pySHACL's exit codes: 0 ok, 1 the data does not conform, 2 the input cannot be loaded or configured."""


def fail(message: str, code: int = EXIT_UNLOADABLE) -> None:
    """Print a user error (what, where, how to fix) and exit with ``code``."""
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def render_violations(report: ValidationReport, settings: Settings, *, limit: int = 200) -> str:
    """One block per violation: where (file:line), the focus node and path, and the message."""
    prefixes = display_prefixes(Ours(settings.base_iri))
    lines = [f"{len(report.violations)} SHACL result(s):"]
    for v in report.violations[:limit]:
        where = v.location or "(location unknown)"
        path = shorten(v.path, prefixes) if v.path else "-"
        lines.append(f"{where}: {v.severity}: {shorten(v.focus_node, prefixes)} {path}")
        lines.append(f"    {v.message}" + (f" (value: {v.value})" if v.value else ""))
        if v.shape:
            lines.append(f"    shape: {shorten(v.shape, prefixes)}")
    if len(report.violations) > limit:
        lines.append(f"… {len(report.violations) - limit} more; run `blackjanuary validate --format json`.")
    return "\n".join(lines)
