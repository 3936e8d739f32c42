"""Schemathesis over the OpenAPI description, against a live ``blackjanuary serve`` (gunicorn) process.

Every operation of ``/openapi.json`` gets generated requests — valid and deliberately invalid
parameters, bodies and headers (schemathesis' positive and negative modes). The bar: zero 5xx, and
responses that conform to the description (status codes, content types, JSON schemas). The quick run
uses a few examples per operation; ``make soak`` runs the ``slow`` variant with many more
(``BLACKJANUARY_FUZZ_EXAMPLES`` / ``BLACKJANUARY_FUZZ_SOAK_EXAMPLES`` override both).

The operations are driven through hypothesis directly (``APIOperation.as_strategy``): schemathesis'
own pytest plugin does not run under pytest 9.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from blackjanuary.config import Settings
from blackjanuary.web.openapi import app_routes, load_spec, render_markdown, spec_routes

QUICK_EXAMPLES = int(os.environ.get("BLACKJANUARY_FUZZ_EXAMPLES", "6"))
SOAK_EXAMPLES = int(os.environ.get("BLACKJANUARY_FUZZ_SOAK_EXAMPLES", "200"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMA = schemathesis.openapi.from_dict(load_spec())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def cases(operation: schemathesis.APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation with nothing to negate has positive cases only
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    return st.one_of(strategies)


def fuzz(operation: schemathesis.APIOperation, base_url: str, examples: int, *, derandomize: bool) -> int:
    """Run ``examples`` generated requests of ``operation``; every one must pass every check."""
    calls = 0

    @given(case=cases(operation))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=derandomize,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        nonlocal calls
        with requests.Session() as session:
            response = case.call_and_validate(base_url=base_url, session=session, checks=CHECKS, timeout=30)
        calls += 1
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code)

    run()
    log = os.environ.get("BLACKJANUARY_RELIABILITY_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"fuzz {operation.label}: {calls} requests, 0 failures\n")
    return calls


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_operation_conforms_and_never_5xx(operation: schemathesis.APIOperation, live_server: str) -> None:
    assert fuzz(operation, live_server, QUICK_EXAMPLES, derandomize=True) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_operation_soak(operation: schemathesis.APIOperation, live_server: str) -> None:
    assert fuzz(operation, live_server, SOAK_EXAMPLES, derandomize=False) >= 1


# The description itself -----------------------------------------------------------------------------
def test_description_covers_every_route_and_nothing_else(sparql_settings: Settings) -> None:
    from blackjanuary.web.app import create_app

    app = create_app(sparql_settings)
    assert app_routes(app) == spec_routes(load_spec())


def test_served_description_is_the_shipped_one(live_server: str) -> None:
    response = requests.get(live_server + "/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    served = response.json()
    assert served["servers"][0]["url"] == live_server
    assert served["paths"] == load_spec()["paths"]


def test_docs_api_md_is_generated_from_the_description() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(load_spec()), (
        "docs/api.md is stale: run `python -m blackjanuary.web.openapi > docs/api.md`"
    )
