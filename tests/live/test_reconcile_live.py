"""The reconciliation service over real HTTP (``blackjanuary serve``, gunicorn), as OpenRefine uses it."""

from __future__ import annotations

import json

import pytest
import requests

from support.reference_data import named_rows

TIMEOUT = 30


@pytest.mark.parametrize("lang", ["de", "en", "az", "ru"])
def test_openrefine_style_batch_in_each_language(live_server: str, lang: str) -> None:
    rows = named_rows()
    queries = {f"q{i}": {"query": r[f"label_{lang}"], "limit": 3} for i, r in enumerate(rows)}
    response = requests.post(
        f"{live_server}/reconcile",
        data={"queries": json.dumps(queries)},
        headers={"Accept-Language": lang},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Language"] == lang
    body = response.json()
    for i, row in enumerate(rows):
        best = body[f"q{i}"]["result"][0]
        assert (best["id"], best["match"]) == (row["key"], True)
        assert best["name"] == row[f"label_{lang}"]  # the graph uses the reference labels (ADR 0001)


def test_manifest_and_json_match_with_preflight(live_server: str) -> None:
    manifest = requests.get(f"{live_server}/reconcile", timeout=TIMEOUT)
    assert manifest.status_code == 200 and manifest.json()["versions"][-1] == "0.2"
    assert manifest.json()["view"]["url"] == f"{live_server}/id/{{{{id}}}}"
    origin = {"Origin": "https://openrefine.example"}
    preflight = requests.options(
        f"{live_server}/reconcile/v1/match",
        timeout=TIMEOUT,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    response = requests.post(
        f"{live_server}/reconcile/v1/match",
        timeout=TIMEOUT,
        headers=origin,
        json={
            "queries": [
                {"conditions": [{"matchType": "name", "propertyValue": "Горбачёв"}]},
                {"conditions": [{"matchType": "name", "propertyValue": "Bakı"}]},
            ]
        },
    )
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert [r["candidates"][0]["id"] for r in response.json()["results"]] == ["mikhail-gorbachev", "baku"]


def test_view_url_of_a_candidate_resolves(live_server: str) -> None:
    template = requests.get(f"{live_server}/reconcile", timeout=TIMEOUT).json()["view"]["url"]
    page = requests.get(template.replace("{{id}}", "baku"), timeout=TIMEOUT, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Baku" in page.text


def test_oversized_batch_is_413_over_http(live_server: str) -> None:
    queries = {f"q{i}": {"query": "Baku"} for i in range(500)}
    response = requests.post(
        f"{live_server}/reconcile", data={"queries": json.dumps(queries)}, timeout=TIMEOUT
    )
    assert response.status_code == 413
    assert response.headers["Access-Control-Allow-Origin"] == "*"
