"""A browser following a query link (/sparql?query=…) gets the query UI with that query, run once first."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blackjanuary.config import Settings
from blackjanuary.web.app import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SELECT = "SELECT ?s WHERE { ?s a <http://schema.org/Thing> } LIMIT 3"


@pytest.fixture(scope="module")
def app(sparql_settings: Settings) -> Iterator[Flask]:
    yield create_app(sparql_settings)


def test_a_query_link_opens_the_ui_with_the_query(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'data-initial-query="{html.escape(SELECT, quote=True)}"' in page
    assert 'id="yasgui"' in page


def test_the_same_link_still_gives_results_to_a_client(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": SELECT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200 and response.mimetype == "application/sparql-results+json"
    assert len(response.get_json()["results"]["bindings"]) == 3


def test_a_bad_query_link_is_an_error_page_not_the_ui(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT WHERE {"}, headers={"Accept": BROWSER})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert 'id="yasgui"' not in response.get_data(as_text=True)


def test_markup_in_a_query_link_stays_inert(client: FlaskClient) -> None:
    query = 'SELECT ("\\"><script>alert(1)</script>" AS ?x) WHERE {}'
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": BROWSER})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
