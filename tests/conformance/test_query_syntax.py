"""SPARQL 1.1 query syntax tests through the endpoint: valid queries accepted, invalid ones a 400."""

from __future__ import annotations

import pytest

from .query_syntax import run_syntax_entry, syntax_entries
from .suites import Entry

ENTRIES = syntax_entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.short_id for e in ENTRIES])
def test_query_syntax(entry: Entry) -> None:
    engine, http = run_syntax_entry(entry)
    assert engine.status == "pass", engine.reason
    assert http.status in ("pass", "n/a"), http.reason


def test_a_query_calling_an_unknown_function_is_a_400_not_a_500() -> None:
    """syntax-query test_4 (``<http://example/function>(…)``) made the endpoint answer 500."""
    (entry,) = [e for e in ENTRIES if e.short_id.endswith("#test_4")]
    _, http = run_syntax_entry(entry)
    assert http.status == "n/a"
    assert "extension function" in http.reason
