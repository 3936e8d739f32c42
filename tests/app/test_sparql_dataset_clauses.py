"""FROM / FROM NAMED in the query define its dataset (over our graphs only), on every backend (and on
Virtuoso, whose default graph also holds its system graphs)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from support.variants import BACKEND_VARIANTS

BASE = "https://w3id.org/blackjanuary/"
COUNT = "SELECT (COUNT(*) AS ?n) {from} WHERE {{ ?s ?p ?o }}"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(params=BACKEND_VARIANTS)
def client(request: pytest.FixtureRequest, app_for: object) -> FlaskClient:
    return app_for(request.param).test_client()  # type: ignore[operator]


def count(client: FlaskClient, query: str) -> int:
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_from_narrows_the_default_graph_to_that_graph(client: FlaskClient) -> None:
    union = count(client, COUNT.format(**{"from": ""}))
    data = count(client, COUNT.format(**{"from": f"FROM <{BASE}graph/data>"}))
    ontology = count(client, COUNT.format(**{"from": f"FROM <{BASE}graph/ontology>"}))
    assert 0 < data < union and 0 < ontology < union
    prefixed = count(client, f"PREFIX g: <{BASE}graph/> " + COUNT.format(**{"from": "FROM g:data"}))
    assert prefixed == data


@pytest.mark.parametrize(
    "clause",
    [
        "PREFIX e: <http://evil.example/> SELECT * FROM e:g WHERE { ?s ?p ?o }",
        "SELECT * FROM undeclared:g WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://evil.example/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_a_graph_that_is_not_ours_is_refused(client: FlaskClient, clause: str) -> None:
    response = client.get("/sparql", query_string={"query": clause}, headers=JSON)
    assert response.status_code == 400
    assert "not a graph of this dataset" in response.get_data(as_text=True)
