"""W3C SPARQL 1.0 and 1.1 query evaluation through our endpoint, in every result format.

The bar (issue 16): the HTTP layer loses nothing. Every test pyoxigraph passes in process, our
endpoint passes in every format it serves for that query form; where pyoxigraph fails (an engine
deviation, listed in docs/conformance.md) the endpoint is expected to give the engine's answer,
so nothing here hides a difference that only HTTP introduces.
"""

from __future__ import annotations

import pytest

from .query_eval import run_http, run_pyoxigraph
from .suites import Entry, query_tests

TESTS = query_tests()
pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)  # rdflib's JSON-LD reader


@pytest.mark.parametrize("entry", TESTS, ids=[f"{e.suite}/{e.short_id}" for e in TESTS])
def test_endpoint_loses_nothing(entry: Entry) -> None:
    engine = run_pyoxigraph(entry)
    outcomes = list(run_http(entry))
    assert outcomes, "no format was tried"
    if engine.status == "skip":
        assert all(o.status == "skip" for o in outcomes)
        pytest.skip(engine.reason)
    if engine.status == "pass":
        failed = [f"{o.engine}: {o.reason}" for o in outcomes if o.status != "pass"]
        assert not failed, "pyoxigraph passes in process, the endpoint does not:\n" + "\n".join(failed)
    else:
        errors = [o for o in outcomes if o.reason.startswith("HTTP 5")]
        assert not errors, [o.reason for o in errors]


def test_the_suites_are_all_there() -> None:
    """The vendored manifests still list what the report counts (a lost folder would shrink it silently)."""
    by_suite = {s: sum(1 for e in TESTS if e.suite == s) for s in ("sparql10", "sparql11")}
    assert by_suite == {"sparql10": 243, "sparql11": 183}
