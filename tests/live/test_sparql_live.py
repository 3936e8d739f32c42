"""The endpoint over real HTTP: a ``blackjanuary serve`` subprocess (gunicorn) and real clients."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from blackjanuary.cli.main import cli
from blackjanuary.config import Settings
from support.synthetic import BASE, GRAPHS, THING_COUNT

COUNT_THINGS = "SELECT (COUNT(?s) AS ?n) WHERE { ?s a <http://schema.org/Thing> }"
LABEL_QUERY = f"SELECT ?label {{ <{BASE}id/thing-3> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
CONSTRUCT_3 = f"CONSTRUCT WHERE {{ <{BASE}id/thing-3> ?p ?o }}"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 8e9 rows: never finishes


def endpoint(base: str) -> str:
    return base + "/sparql"


# Real clients --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("return_format", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_result_format(sparql_server: str, return_format: str) -> None:
    client = SPARQLWrapper(endpoint(sparql_server), returnFormat=return_format)
    client.setQuery(LABEL_QUERY)
    result = client.query()
    converted = result.convert()
    if return_format == JSON:
        labels = {b["label"]["value"] for b in converted["results"]["bindings"]}
    elif return_format == XML:
        labels = {n.firstChild.data for n in converted.getElementsByTagName("literal")}
    else:
        text = converted.decode("utf-8") if isinstance(converted, bytes) else converted
        labels = {line.split("@")[0].strip('"') for line in text.splitlines()[1:]}
    assert labels == {"Thing 3", "Ding 3"}


@pytest.mark.parametrize("return_format", [TURTLE, N3, RDFXML, XML, JSONLD])
def test_sparqlwrapper_construct_in_every_rdf_format(sparql_server: str, return_format: str) -> None:
    client = SPARQLWrapper(endpoint(sparql_server), returnFormat=return_format)
    client.setQuery(CONSTRUCT_3)
    converted = client.query().convert()
    graph = (
        converted
        if isinstance(converted, Graph)
        else Graph().parse(
            data=converted,
            format={TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}.get(return_format, "xml"),
        )
    )
    assert (
        URIRef(f"{BASE}id/thing-3"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
        Literal("Thing 3", lang="en"),
    ) in graph
    assert len(graph) == 5


def test_sparqlwrapper_ask_and_post(sparql_server: str) -> None:
    client = SPARQLWrapper(endpoint(sparql_server), returnFormat=JSON)
    client.setMethod("POST")
    client.setQuery(f"ASK {{ <{BASE}id/thing-3> ?p ?o }}")
    assert client.query().convert()["boolean"] is True


def test_rdflib_sparqlstore(sparql_server: str) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint(sparql_server), returnFormat="json")
    graph = Graph(store=store)
    rows = list(graph.query(COUNT_THINGS))
    assert int(rows[0][0]) == THING_COUNT
    triples = list(graph.triples((URIRef(f"{BASE}id/thing-3"), None, None)))
    assert len(triples) == 5
    store.close()


# Raw requests: the core protocol set over HTTP -----------------------------------------------------------


def test_raw_get_post_and_body(sparql_server: str) -> None:
    url = endpoint(sparql_server)
    accept = {"Accept": "application/sparql-results+json"}
    by_get = requests.get(url, params={"query": COUNT_THINGS}, headers=accept, timeout=10)
    by_form = requests.post(url, data={"query": COUNT_THINGS}, headers=accept, timeout=10)
    by_body = requests.post(
        url,
        data=COUNT_THINGS.encode(),
        timeout=10,
        headers={**accept, "Content-Type": "application/sparql-query"},
    )
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200
        assert int(response.json()["results"]["bindings"][0]["n"]["value"]) == THING_COUNT


def test_raw_errors(sparql_server: str) -> None:
    url = endpoint(sparql_server)
    assert requests.get(url, params={"query": "SELECT * {"}, timeout=10).status_code == 400
    assert requests.get(url, params={"query": [COUNT_THINGS, COUNT_THINGS]}, timeout=10).status_code == 400
    assert requests.put(url, data="x", timeout=10).status_code == 405
    assert (
        requests.post(url, data=b"{}", headers={"Content-Type": "application/json"}, timeout=10).status_code
        == 415
    )
    assert (
        requests.get(
            url, params={"query": COUNT_THINGS}, headers={"Accept": "image/png"}, timeout=10
        ).status_code
        == 406
    )
    assert requests.get(url, params={"update": "CLEAR ALL"}, timeout=10).status_code == 403
    assert (
        requests.post(
            url, data=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"}, timeout=10
        ).status_code
        == 403
    )
    assert (
        requests.post(
            url, data=b"x" * 1_100_000, headers={"Content-Type": "application/sparql-query"}, timeout=10
        ).status_code
        == 413
    )
    after = requests.get(url, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, timeout=10)
    assert int(after.json()["results"]["bindings"][0]["n"]["value"]) == sum(GRAPHS.values())


def test_raw_http_features(sparql_server: str) -> None:
    url = endpoint(sparql_server)
    query = {"query": "SELECT ?s { ?s a <http://schema.org/Thing> }"}
    first = requests.get(url, params=query, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert first.headers["Content-Encoding"] == "gzip" and "Accept" in first.headers["Vary"]
    assert len(first.json()["results"]["bindings"]) == THING_COUNT
    raw = requests.get(url, params=query, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10)
    assert len(gzip.decompress(raw.raw.read())) > len(raw.headers["Content-Length"])
    etag = first.headers["ETag"]
    again = requests.get(
        url, params=query, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}, timeout=10
    )
    assert again.status_code == 304
    preflight = requests.options(
        url, headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    sd = requests.get(url, headers={"Accept": "text/turtle"}, timeout=10)
    graph = Graph().parse(data=sd.text, format="turtle")
    assert (URIRef(url), None, None) in graph
    ui = requests.get(url, headers={"Accept": "text/html"}, timeout=10)
    assert ui.status_code == 200 and "yasgui" in ui.text.lower()
    assert requests.get(sparql_server + "/static/yasgui/yasgui.min.js", timeout=10).status_code == 200


# Safety over HTTP ----------------------------------------------------------------------------------------


def test_timeout_is_503_while_other_requests_are_answered(sparql_server: str) -> None:
    url = endpoint(sparql_server)
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        response = requests.post(url, data={"query": RUNAWAY}, timeout=30)
        outcome["status"] = response.status_code
        outcome["retry"] = response.headers.get("Retry-After")
        outcome["took"] = time.monotonic() - started
        outcome["body"] = response.text

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    quick_times = []
    while thread.is_alive():
        started = time.monotonic()
        quick = requests.get(url, params={"query": COUNT_THINGS, "x": str(started)}, timeout=10)
        quick_times.append(time.monotonic() - started)
        assert quick.status_code == 200
        time.sleep(0.05)
    thread.join()
    assert outcome["status"] == 503 and outcome["retry"]
    assert "1 s limit" in str(outcome["body"])
    assert float(outcome["took"]) < 3  # type: ignore[arg-type]
    assert quick_times and max(quick_times) < 1.0
    for _ in range(5):  # and afterwards, still answering (also while the stuck worker is recycled)
        assert requests.get(url, params={"query": COUNT_THINGS}, timeout=10).status_code == 200


@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_deep_nesting_cannot_crash_the_server(sparql_server: str, how: str) -> None:
    url = endpoint(sparql_server)
    query = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000
    if how == "get":
        too_long = requests.get(url, params={"query": query}, timeout=10)
        assert too_long.status_code == 414  # gunicorn refuses the request line before the app sees it
        query = "SELECT * WHERE " + "{" * 1000 + "?s ?p ?o" + "}" * 1000  # fits in a request line
        response = requests.get(url, params={"query": query}, timeout=10)
    elif how == "form":
        response = requests.post(url, data={"query": query}, timeout=10)
    else:
        response = requests.post(
            url, data=query.encode(), timeout=10, headers={"Content-Type": "application/sparql-query"}
        )
    assert response.status_code == 400 and "levels deep" in response.json()["error"]
    assert requests.get(url, params={"query": COUNT_THINGS}, timeout=10).status_code == 200


def test_no_request_leaves_the_server(sparql_server: str) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    target = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        for query in (
            f"SELECT * {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * {{ SERVICE SILENT <{target}/sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{target}/g> {{ ?s ?p ?o }}",
            f"LOAD <{target}/g>",
        ):
            response = requests.post(endpoint(sparql_server), data={"query": query}, timeout=10)
            assert response.status_code in (400, 403)
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_result_cap_over_http(sparql_server: str) -> None:
    query = "SELECT ?l { ?t <http://schema.org/location> ?l . ?u <http://schema.org/location> ?m }"
    small_rows = requests.get(endpoint(sparql_server), params={"query": query, "format": "csv"}, timeout=10)
    assert small_rows.status_code == 400 and "5000" in small_rows.json()["error"]
    # Rows big enough that the first 256 kB were already sent when the cap is hit: the response is
    # cut off (chunked encoding never completed), never a 200 that looks whole.
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(
            endpoint(sparql_server), params={"query": "SELECT * { ?s ?p ?o . ?t ?q ?r }"}, timeout=10
        )


# serve refuses data it must not publish -------------------------------------------------------------------


def test_serve_refuses_a_build_that_does_not_conform(tmp_path: Path, sparql_settings: Settings) -> None:
    import json
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(sparql_settings.dist, dist)
    manifest = json.loads((dist / "manifest.json").read_text())
    manifest["conforms"] = False
    (dist / "manifest.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(
        cli, ["--root", str(sparql_settings.root), "serve", "--dist", str(dist), "--no-build", "--port", "1"]
    )
    assert result.exit_code == 2
    assert "does not conform" in result.output


def test_serve_refuses_a_missing_build(tmp_path: Path, sparql_settings: Settings) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--root",
            str(sparql_settings.root),
            "serve",
            "--dist",
            str(tmp_path / "nothing"),
            "--no-build",
            "--port",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert "blackjanuary build" in result.output


def test_live_server_on_the_real_build(live_server: str) -> None:
    """The shared fixture: the real, validated build answers its service description and a query."""
    sd = requests.get(endpoint(live_server), headers={"Accept": "text/turtle"}, timeout=10)
    assert sd.status_code == 200
    count = requests.get(
        endpoint(live_server), params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, timeout=10
    )
    assert int(count.json()["results"]["bindings"][0]["n"]["value"]) > 0


def test_competency_questions_answer_on_the_real_build(live_server: str) -> None:
    """Every example query of the UI (graph/queries/*.rq) runs on the real build and finds something."""
    config = requests.get(endpoint(live_server) + "/ui-config.json", timeout=10).json()
    assert config["examples"]
    for example in config["examples"]:
        response = requests.post(
            endpoint(live_server),
            data={"query": example["query"]},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert response.status_code == 200, (example["id"], response.text[:300])
        body = response.json()
        found = body.get("boolean", None) if "boolean" in body else len(body["results"]["bindings"])
        assert found, f"{example['id']} ({example['title']}) returns nothing on the real build"
