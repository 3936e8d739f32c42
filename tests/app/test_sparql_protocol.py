"""The SPARQL 1.1 Protocol at /sparql through the Flask test client, on the synthetic build."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID

from blackjanuary.config import Settings
from blackjanuary.rdf.formats import RDF_FORMATS, RESULT_FORMATS
from blackjanuary.rdf.vocab import SD
from blackjanuary.web.app import create_app
from blackjanuary.web.endpoint import example_titles
from support.synthetic import BASE, GRAPH_DATA, GRAPHS, THING_COUNT

SELECT_THINGS = "SELECT ?s WHERE { ?s a <http://schema.org/Thing> }"
COUNT_THINGS = "SELECT (COUNT(?s) AS ?n) WHERE { ?s a <http://schema.org/Thing> }"
CONSTRUCT_ONE = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ BIND(<{BASE}id/thing-7> AS ?s) ?s ?p ?o }}"


@pytest.fixture(scope="module")
def app(sparql_settings: Settings) -> Iterator[Flask]:
    application = create_app(sparql_settings)
    yield application


def count_of(response: object) -> int:
    data = json.loads(response.data)  # type: ignore[attr-defined]
    return int(data["results"]["bindings"][0]["n"]["value"])


# The three ways to send a query -------------------------------------------------------------------------


def test_get_post_form_and_post_body_give_the_same_answer(client: FlaskClient) -> None:
    by_get = client.get("/sparql", query_string={"query": COUNT_THINGS})
    by_form = client.post("/sparql", data={"query": COUNT_THINGS})
    by_body = client.post(
        "/sparql", data=COUNT_THINGS.encode(), content_type="application/sparql-query; charset=utf-8"
    )
    assert [r.status_code for r in (by_get, by_form, by_body)] == [200, 200, 200]
    assert count_of(by_get) == count_of(by_form) == count_of(by_body) == THING_COUNT


def test_default_graph_is_the_union_of_the_named_graphs(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert count_of(response) == sum(GRAPHS.values())


def test_default_graph_uri_restricts_the_default_graph(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    ontology = BASE + "graph/ontology"
    response = client.get("/sparql", query_string={"query": query, "default-graph-uri": ontology})
    assert count_of(response) == GRAPHS[ontology]
    two = client.post("/sparql", data={"query": query, "default-graph-uri": [ontology, GRAPH_DATA]})
    assert count_of(two) == GRAPHS[ontology] + GRAPHS[GRAPH_DATA]


def test_named_graph_uri_limits_the_graphs_graph_sees(client: FlaskClient) -> None:
    query = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"
    response = client.get("/sparql", query_string={"query": query, "named-graph-uri": GRAPH_DATA})
    values = [b["g"]["value"] for b in response.get_json(force=True)["results"]["bindings"]]
    assert values == [GRAPH_DATA]
    every = client.get("/sparql", query_string={"query": query})
    assert len(every.get_json(force=True)["results"]["bindings"]) == len(GRAPHS)


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_unknown_graph_is_refused_with_the_list_of_graphs(client: FlaskClient, param: str) -> None:
    response = client.get("/sparql", query_string={"query": COUNT_THINGS, param: "http://example.org/remote"})
    assert response.status_code == 400
    message = response.get_json()["error"]
    assert "http://example.org/remote" in message
    assert all(g in message for g in GRAPHS)


def test_from_a_graph_that_is_not_ours_is_refused(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": "SELECT * FROM <http://127.0.0.1:9/remote.ttl> WHERE { ?s ?p ?o }"}
    )
    assert response.status_code == 400
    assert "not a graph of this dataset" in response.get_json()["error"]


# Results by content negotiation and by format= ----------------------------------------------------------


def parse_select(media_type: str, body: bytes) -> set[str]:
    """The ?s values of a one-column SELECT result, read with a parser for each format."""
    text = body.decode("utf-8")
    if media_type == "application/sparql-results+json":
        return {b["s"]["value"] for b in json.loads(text)["results"]["bindings"]}
    if media_type == "application/sparql-results+xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        root = ElementTree.fromstring(body)
        return {e.text or "" for e in root.iter(ns + "uri")}
    if media_type == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["s"]
        return {r[0] for r in rows[1:]}
    lines = text.splitlines()
    assert lines[0] == "?s"
    return {line.strip("<>") for line in lines[1:]}


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_select_in_every_result_format_by_accept(client: FlaskClient, fmt: object) -> None:
    response = client.get(
        "/sparql", query_string={"query": SELECT_THINGS}, headers={"Accept": fmt.media_type}
    )
    assert response.status_code == 200
    assert response.mimetype == fmt.media_type
    expected = {f"{BASE}id/thing-{i}" for i in range(THING_COUNT)}
    assert parse_select(fmt.media_type, response.data) == expected


@pytest.mark.parametrize(
    ("param", "media_type"),
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
    ],
)
def test_format_parameter_overrides_accept(client: FlaskClient, param: str, media_type: str) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": SELECT_THINGS, "format": param},
        headers={"Accept": "application/sparql-results+xml;q=0.1"},
    )
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_q_values_and_wildcards_choose_the_result_format(client: FlaskClient) -> None:
    accept = "text/csv;q=0.4, application/sparql-results+xml;q=0.9, */*;q=0.1"
    assert (
        client.get("/sparql", query_string={"query": SELECT_THINGS}, headers={"Accept": accept}).mimetype
        == "application/sparql-results+xml"
    )
    assert (
        client.get("/sparql", query_string={"query": SELECT_THINGS}, headers={"Accept": "text/*"}).mimetype
        == "text/csv"
    )
    assert (
        client.get("/sparql", query_string={"query": SELECT_THINGS}, headers={"Accept": "*/*"}).mimetype
        == "application/sparql-results+json"
    )


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_ask_in_every_result_format(client: FlaskClient, fmt: object) -> None:
    yes = client.get(
        "/sparql",
        query_string={"query": f"ASK {{ <{BASE}id/thing-1> ?p ?o }}"},
        headers={"Accept": fmt.media_type},
    )
    no = client.get(
        "/sparql",
        query_string={"query": f"ASK {{ <{BASE}id/nothing> ?p ?o }}"},
        headers={"Accept": fmt.media_type},
    )
    assert yes.status_code == no.status_code == 200
    assert "true" in yes.get_data(as_text=True) and "false" in no.get_data(as_text=True)
    if fmt.name == "json":
        assert yes.get_json(force=True)["boolean"] is True


def expected_thing_7() -> Graph:
    graph = Graph()
    thing = URIRef(f"{BASE}id/thing-7")
    graph.add((thing, RDF.type, URIRef("http://schema.org/Thing")))
    graph.add((thing, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Thing 7", lang="en")))
    graph.add((thing, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Ding 7", lang="de")))
    graph.add((thing, URIRef(BASE + "ontology#rank"), Literal(7)))
    graph.add((thing, URIRef("http://schema.org/location"), URIRef(f"{BASE}id/place-7")))
    return graph


@pytest.mark.parametrize("fmt", RDF_FORMATS, ids=lambda f: f.name)
def test_construct_in_every_rdf_format(client: FlaskClient, fmt: object) -> None:
    from rdflib.compare import isomorphic

    response = client.get(
        "/sparql", query_string={"query": CONSTRUCT_ONE}, headers={"Accept": fmt.media_type}
    )
    assert response.status_code == 200
    assert response.mimetype == fmt.media_type
    if fmt.kind == "dataset":
        dataset = Dataset()
        dataset.parse(data=response.data, format=fmt.rdflib_name)
        graph = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
    else:
        graph = Graph().parse(data=response.data, format=fmt.rdflib_name)
    assert isomorphic(graph, expected_thing_7())


def test_describe_is_a_graph_result(client: FlaskClient) -> None:
    response = client.get(
        "/sparql", query_string={"query": f"DESCRIBE <{BASE}id/thing-7>"}, headers={"Accept": "*/*"}
    )
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    assert (URIRef(f"{BASE}id/thing-7"), RDF.type, URIRef("http://schema.org/Thing")) in graph


def test_406_lists_what_is_offered(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT_THINGS}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.get_json(force=True)["error"]
    graph_wrong = client.get("/sparql", query_string={"query": CONSTRUCT_ONE}, headers={"Accept": "text/csv"})
    assert graph_wrong.status_code == 406
    assert "text/turtle" in graph_wrong.get_data(as_text=True)
    unknown = client.get("/sparql", query_string={"query": SELECT_THINGS, "format": "yaml"})
    assert unknown.status_code == 406


# Client errors -------------------------------------------------------------------------------------------


def test_malformed_query_is_400_with_the_parser_position(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert response.status_code == 400
    assert re.search(r"\b3:\d+\b", response.get_json()["error"])  # line 3, some column


def test_two_queries_is_400(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": [COUNT_THINGS, COUNT_THINGS]})
    assert response.status_code == 400
    both = client.post(
        "/sparql?query=ASK%7B%7D", data=COUNT_THINGS.encode(), content_type="application/sparql-query"
    )
    assert both.status_code == 400


def test_empty_query_is_400(client: FlaskClient) -> None:
    assert client.get("/sparql", query_string={"query": "  "}).status_code == 400


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405_with_allow(client: FlaskClient, method: str) -> None:
    response = client.open("/sparql", method=method, data="x")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_unsupported_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"{}", content_type="application/json")
    assert response.status_code == 415
    assert "application/sparql-query" in response.get_json()["hint"]


def test_body_that_is_not_utf8_is_400(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"ASK {} \xff", content_type="application/sparql-query")
    assert response.status_code == 400


def test_errors_render_for_browsers_and_text_clients(client: FlaskClient) -> None:
    html = client.get("/sparql", query_string={"query": "SELECT"}, headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.status_code == 400 and html.mimetype == "text/html"
    assert "does not parse" in html.get_data(as_text=True)
    text = client.get("/sparql", query_string={"query": "SELECT"}, headers={"Accept": "text/plain, text/csv"})
    assert text.status_code == 400 and text.mimetype == "text/plain"


# The service description and the query UI ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", RDF_FORMATS, ids=lambda f: f.name)
def test_service_description_in_every_rdf_format(client: FlaskClient, fmt: object) -> None:
    response = client.get("/sparql", headers={"Accept": fmt.media_type})
    assert response.status_code == 200 and response.mimetype == fmt.media_type
    dataset = Dataset()
    dataset.parse(data=response.data, format=fmt.rdflib_name)
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    service = URIRef(client.application.config["BLACKJANUARY"].base_iri + "sparql")  # the public URL
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.resultFormat, URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON")) in graph
    counts = {}
    for named in graph.objects(None, SD.namedGraph):
        inner = graph.value(named, SD.graph)
        counts[str(graph.value(named, SD.name))] = int(graph.value(inner, VOID.triples))
    assert counts == GRAPHS


def test_browser_gets_the_query_ui_without_inline_script(client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    script_src = response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in script_src
    for header in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
        assert header in response.headers
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_ui_config_lists_prefixes_and_the_competency_questions(
    client: FlaskClient, sparql_settings: Settings
) -> None:
    config = client.get("/sparql/ui-config.json").get_json()
    assert config["prefixes"]["bjid"] == BASE + "id/"
    files = sorted((sparql_settings.graph_dir / "queries").glob("*.rq"))
    assert [e["id"] for e in config["examples"]] == [f.stem for f in files]
    for example, path in zip(config["examples"], files, strict=True):
        titles, body = example_titles(path.read_text(encoding="utf-8"), path.stem)
        assert body in example["query"]  # the query as written, after its titles in four languages
        assert example["title"] == titles["en"] and example["query"].startswith(f"# {titles['en']}\n")


def test_example_queries_run(client: FlaskClient) -> None:
    for example in client.get("/sparql/ui-config.json").get_json()["examples"]:
        response = client.post("/sparql", data={"query": example["query"]})
        assert response.status_code == 200, (example["id"], response.get_data(as_text=True)[:500])


# HTTP: CORS, Vary, ETag, gzip, cache ---------------------------------------------------------------------


def test_cors_preflight_and_headers(client: FlaskClient) -> None:
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    plain = client.get(
        "/sparql", query_string={"query": COUNT_THINGS}, headers={"Origin": "https://example.org"}
    )
    assert plain.headers["Access-Control-Allow-Origin"] == "*"


def test_vary_etag_and_304(client: FlaskClient, app: Flask) -> None:
    version = app.extensions["blackjanuary.store"].info.version
    response = client.get("/sparql", query_string={"query": COUNT_THINGS})
    assert "Accept" in response.headers["Vary"]
    etag = response.headers["ETag"]
    assert version in etag and "json" in etag
    again = client.get("/sparql", query_string={"query": COUNT_THINGS}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(
        "/sparql", query_string={"query": COUNT_THINGS}, headers={"If-None-Match": etag, "Accept": "text/csv"}
    )
    assert other.status_code == 200 and other.headers["ETag"] != etag
    sd = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert (
        client.get(
            "/sparql", headers={"Accept": "text/turtle", "If-None-Match": sd.headers["ETag"]}
        ).status_code
        == 304
    )


def test_gzip_for_large_bodies_when_accepted(client: FlaskClient) -> None:
    plain = client.get("/sparql", query_string={"query": SELECT_THINGS})
    zipped = client.get("/sparql", query_string={"query": SELECT_THINGS}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    small = client.get("/sparql", query_string={"query": COUNT_THINGS}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


def test_cache_serves_identical_results_and_can_be_turned_off(sparql_settings: Settings, app: Flask) -> None:
    cached_client = app.test_client()
    first = cached_client.get("/sparql", query_string={"query": SELECT_THINGS + " LIMIT 3"})
    second = cached_client.get("/sparql", query_string={"query": SELECT_THINGS + " LIMIT 3"})
    assert first.data == second.data
    cache = app.extensions["blackjanuary.sparql_cache"]
    assert cache.hits >= 1
    uncached = create_app(sparql_settings.replace(cache_size=0), store=app.extensions["blackjanuary.store"])
    client = uncached.test_client()
    assert client.get("/sparql", query_string={"query": SELECT_THINGS + " LIMIT 3"}).data == first.data
    assert uncached.extensions["blackjanuary.sparql_cache"].hits == 0


def test_large_results_stream(sparql_settings: Settings, app: Flask) -> None:
    query = "SELECT * WHERE { ?a ?b ?c . ?d <http://schema.org/location> ?f }"  # ~800,000 rows, capped
    streaming = create_app(
        sparql_settings.replace(max_results=3000, cache_size=0), store=app.extensions["blackjanuary.store"]
    )
    settings_store = streaming.extensions["blackjanuary.store"]
    assert settings_store is app.extensions["blackjanuary.store"]
    response = streaming.test_client().get(
        "/sparql",
        query_string={"query": query + " LIMIT 2500"},
        headers={"Accept": "text/tab-separated-values"},
    )
    assert response.status_code == 200
    assert response.is_streamed or len(response.data) > 0
    assert len(response.get_data(as_text=True).splitlines()) == 2501


def test_repeated_get_is_replayed_exactly(sparql_settings: Settings, app: Flask) -> None:
    client = app.test_client()
    query = {"query": SELECT_THINGS + " LIMIT 5"}
    first = client.get("/sparql", query_string=query, headers={"Accept": "text/csv"})
    cache = app.extensions["blackjanuary.sparql_cache"]
    hits = cache.hits
    second = client.get("/sparql", query_string=query, headers={"Accept": "text/csv"})
    assert cache.hits == hits + 1
    assert second.data == first.data and second.status_code == 200
    assert sorted(second.headers.items()) == sorted(first.headers.items())
    conditional = client.get(
        "/sparql", query_string=query, headers={"Accept": "text/csv", "If-None-Match": first.headers["ETag"]}
    )
    assert conditional.status_code == 304
    head = client.head("/sparql", query_string=query, headers={"Accept": "text/csv"})
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == first.headers["ETag"]


def test_errors_are_never_replayed_as_cached(app: Flask) -> None:
    client = app.test_client()
    for _ in range(2):
        assert client.get("/sparql", query_string={"query": "SELECT ?x {"}).status_code == 400
