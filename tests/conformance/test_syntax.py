"""The RDF syntax suites: round trips through our writers, negative tests through our Turtle loader."""

from __future__ import annotations

import logging

import pytest

from .suites import SYNTAX_SUITES, Entry, Suite, syntax_tests
from .syntax import KNOWN_FAILURES, is_negative, is_positive, run_entry

CASES = [
    (suite, e) for suite in SYNTAX_SUITES for e in syntax_tests(suite) if is_positive(e) or is_negative(e)
]


@pytest.fixture(autouse=True)
def _quiet_rdflib() -> None:
    """rdflib logs a traceback for every ill-typed literal (``"flargh"^^xsd:integer``) it reads."""
    logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


@pytest.mark.parametrize(("suite", "entry"), CASES, ids=[f"{s.name}/{e.short_id}" for s, e in CASES])
def test_syntax(suite: Suite, entry: Entry) -> None:
    outcomes = list(run_entry(suite, entry))
    assert outcomes
    failed = [f"{o.check}: {o.reason}" for o in outcomes if o.status == "fail"]
    known = KNOWN_FAILURES.get(entry.short_id)
    if known is not None:
        assert failed, f"listed as a known failure ({known}) but passes now: remove it from KNOWN_FAILURES"
        pytest.xfail(known)
    assert not failed, "\n".join(failed)
    assert all(o.status != "skip" for o in outcomes), [o.reason for o in outcomes]
