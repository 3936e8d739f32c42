"""Plain-text rendering of a validation report for the terminal (used by ``build``)."""

from __future__ import annotations

from blackjanuary.config import Settings
from blackjanuary.validation_report import ValidationReport, display_prefixes, shorten
from blackjanuary.vocab import Ours


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
