"""Virtuoso's departures from SPARQL 1.1, each shown on the real server and then undone by the remote
adapter (src/blackjanuary/store/virtuoso.py; the list is in docs/backends.md).

Every test first asks Virtuoso directly, so that it fails if the quirk is gone (or was never there)
rather than passing for nothing, then asks the app in front of it and compares with the embedded
store byte for byte. The server is the session's (tests/conftest.py, ``backend_variant``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from flask import Flask
from requests.auth import HTTPDigestAuth

from blackjanuary.config import Settings
from blackjanuary.publish.manifest import read_manifest
from blackjanuary.rdf.formats import RESULT_FORMATS, Format
from blackjanuary.store import loading, virtuoso
from blackjanuary.store import virtuoso as virtuoso_store
from blackjanuary.store.loading import LoadError, push_endpoint
from blackjanuary.web.app import create_app
from blackjanuary.web.current import SETTINGS_KEY
from support.virtuoso import DBA_PASSWORD, VirtuosoServer, virtuoso_available

pytestmark = pytest.mark.skipif(
    not virtuoso_available(),
    reason="Virtuoso is not installed (apt-get install -y virtuoso-opensource; `make test` does it)",
)

BASE = "https://w3id.org/blackjanuary/"
SRJ = "application/sparql-results+json"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
WKT_QUERY = "SELECT ?s ?o WHERE { ?s <http://www.opengis.net/ont/geosparql#asWKT> ?o } ORDER BY ?s"
VALUES_IN_UNION = (
    "SELECT ?st WHERE { { ?st <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> "
    f"<{BASE}id/black-january-massacre> }} UNION {{ VALUES ?st {{ <{BASE}id/black-january-massacre> }} }} }}"
    " ORDER BY ?st"
)


@pytest.fixture(scope="module")
def endpoint(virtuoso_server: VirtuosoServer) -> str:
    return virtuoso_server.query_url


@pytest.fixture(scope="module")
def app(app_for: Callable[[str], Flask]) -> Flask:
    return app_for("virtuoso")


@pytest.fixture(scope="module")
def embedded(app_for: Callable[[str], Flask]) -> Flask:
    return app_for("embedded")


def raw(endpoint: str, query: str, accept: str = SRJ, **params: object) -> requests.Response:
    """Virtuoso itself, without the adapter."""
    return requests.post(endpoint, data={"query": query, **params}, headers={"Accept": accept}, timeout=30)


def ours(app: Flask, query: str, accept: str = SRJ) -> tuple[int, bytes]:
    response = app.test_client().get("/sparql?query=" + quote(query), headers={"Accept": accept})
    return response.status_code, response.data


def solutions(app: Flask, query: str) -> list[str]:
    """The app's answer to a SELECT as a sorted list of its solutions."""
    status, body = ours(app, query)
    assert status == 200, body
    return sorted(json.dumps(row, sort_keys=True) for row in json.loads(body)["results"]["bindings"])


def test_the_server_is_virtuoso(endpoint: str) -> None:
    assert virtuoso.is_virtuoso(raw(endpoint, "ASK {}").headers.get("Server"))


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.name)
def test_ask_is_a_boolean_in_every_format(endpoint: str, app: Flask, embedded: Flask, fmt: Format) -> None:
    """Under its default CaseMode Virtuoso answers ASK as a SELECT binding ``__ASK_RETVAL``."""
    query = f"ASK {{ <{BASE}id/baku> ?p ?o }}"
    assert virtuoso.ASK_VARIABLE in raw(endpoint, query, fmt.media_type).text
    status, body = ours(app, query, fmt.media_type)
    assert status == 200
    assert body == ours(embedded, query, fmt.media_type)[1]
    assert b"true" in body and virtuoso.ASK_VARIABLE.encode() not in body


def test_wkt_literals_come_back_as_written(endpoint: str, app: Flask, embedded: Flask) -> None:
    """Virtuoso stores geo:wktLiteral as virtrdf:Geometry with 32-bit float coordinates."""
    direct = raw(endpoint, WKT_QUERY).json()["results"]["bindings"]
    assert direct and all(b["o"]["datatype"] == virtuoso.GEOMETRY for b in direct)
    assert any(len(b["o"]["value"]) > 30 for b in direct)  # 12 decimals per coordinate
    for fmt in RESULT_FORMATS:
        status, body = ours(app, WKT_QUERY, fmt.media_type)
        assert status == 200
        assert body == ours(embedded, WKT_QUERY, fmt.media_type)[1], fmt.name
    construct = "CONSTRUCT WHERE { ?s <http://www.opengis.net/ont/geosparql#asWKT> ?o }"
    status, body = ours(app, construct, "application/n-triples")
    assert status == 200
    assert sorted(body.splitlines()) == sorted(
        ours(embedded, construct, "application/n-triples")[1].splitlines()
    )
    assert virtuoso.WKT_LITERAL.encode() in body and virtuoso.GEOMETRY.encode() not in body


def test_shortest_float32_undoes_virtuosos_coordinates() -> None:
    assert virtuoso.wkt_literal("POINT(49.828330993652 40.356670379639)").value == "POINT(49.82833 40.35667)"
    assert virtuoso.wkt_literal("POINT(0 -1.5)").value == "POINT(0 -1.5)"
    assert virtuoso.wkt_literal("LINESTRING(1000000 0.000000100000)").value == "LINESTRING(1000000 0.0000001)"


def test_default_graph_holds_only_our_graphs(
    endpoint: str, app: Flask, embedded: Flask, built_settings: Settings
) -> None:
    """Virtuoso's default graph is every graph on the server, its system graphs included."""
    from blackjanuary.publish.manifest import read_manifest

    total = sum(read_manifest(built_settings.dist).graphs.values())
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(raw(endpoint, count).json()["results"]["bindings"][0]["n"]["value"]) > total
    assert ours(app, count) == ours(embedded, count)
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    assert ours(app, graphs) == ours(embedded, graphs)
    assert all(
        b["g"]["value"].startswith(BASE) for b in json.loads(ours(app, graphs)[1])["results"]["bindings"]
    )


def test_a_graph_of_others_stays_out_of_ours(
    endpoint: str, embedded: Flask, built_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another dataset on the same server, even one that speaks of our resources, is no part of ours:
    the adapter leaves every graph that is not ours out of the default and the named graphs (with
    Virtuoso's exclusion pragmas, as naming ours made a page 100× slower); a graph whose name cannot
    be written in a query is left out by naming ours the standard way. A graph created after the app
    read the server is left out from its next re-read of the build information on (every 30 s; at once
    here)."""
    from blackjanuary.store import remote

    monkeypatch.setattr(remote, "INFO_TTL", 0.0)
    earlier = create_app(built_settings.replace(backend="remote", endpoint_url=endpoint))
    assert earlier.test_client().get("/data/baku.nt").status_code == 200  # it has read the server
    crud = endpoint.removesuffix("/sparql") + "/sparql-graph-crud-auth"
    auth = HTTPDigestAuth("dba", DBA_PASSWORD)
    baku = f"<{BASE}id/baku>"
    others = {  # the second one's name holds a space: no IRI in a query can name it
        "http://example.org/another-dataset": f'{baku} <{RDFS_LABEL}> "not ours" .',
        "http://example.org/a graph": f'<http://example.org/x> <{RDFS_LABEL}> "not ours either" ; '
        f"<http://schema.org/about> {baku} .",
    }
    queries = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        f"SELECT ?s ?p WHERE {{ {{ {baku} ?p ?s }} UNION {{ ?s ?p {baku} }} }}",
    )
    try:
        for graph, text in others.items():
            put = requests.put(
                crud,
                params={"graph-uri": graph},
                data=text.encode(),
                headers={"Content-Type": "text/turtle"},
                auth=auth,
                timeout=30,
            )
            assert put.status_code in (200, 201, 204), put.text
            everything = raw(endpoint, "SELECT ?l WHERE { ?s ?p ?l FILTER(isLiteral(?l)) }").text
            assert text.split('"')[1] in everything  # Virtuoso's own default graph has it
            fresh = create_app(built_settings.replace(backend="remote", endpoint_url=endpoint))
            for app in (fresh, earlier):
                for query in queries:  # as sets: Virtuoso collates literals its own way in ORDER BY
                    assert solutions(app, query) == solutions(embedded, query), (graph, query)
                data = app.test_client().get("/data/baku.nt")
                assert data.status_code == 200 and b"not ours" not in data.data
                assert data.data == embedded.test_client().get("/data/baku.nt").data
    finally:
        for graph in others:
            requests.delete(crud, params={"graph-uri": graph}, auth=auth, timeout=30)


def test_a_named_graph_under_the_exclusion_pragmas(endpoint: str, app: Flask, embedded: Flask) -> None:
    """Under Virtuoso's graph-exclusion pragmas, ``GRAPH <g> { … }`` finds one solution whatever ``g``
    holds, so a query that names a graph goes out with our graphs named the standard way instead."""
    data = f"{BASE}graph/data"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{data}> {{ ?s ?p ?o }} }}"
    others = ["http://www.w3.org/ns/ldp#"]  # any graph: the answer is wrong whichever is excluded
    pragmas = virtuoso.excluding(others)
    assert pragmas is not None

    def count(response: requests.Response) -> int:
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    assert count(raw(endpoint, pragmas + query)) == 1 < count(raw(endpoint, query))
    assert ours(app, query) == ours(embedded, query)
    assert json.loads(ours(app, query)[1])["results"]["bindings"][0]["n"]["value"] == str(
        count(raw(endpoint, query))
    )


def test_describe_leaves_a_graph_of_others_out(endpoint: str, app: Flask) -> None:
    """A DESCRIBE goes out with our graphs named the standard way, not under the exclusion pragmas: a
    review saw Virtuoso's DESCRIBE under them answer nothing for a resource that a graph of others
    speaks of (on a small dataset; our build does not show it). Either way it describes ours only."""
    crud = endpoint.removesuffix("/sparql") + "/sparql-graph-crud-auth"
    auth = HTTPDigestAuth("dba", DBA_PASSWORD)
    baku, other = f"<{BASE}id/baku>", "http://example.org/speaks-of-baku"
    own = json.loads(ours(app, f"SELECT ?p ?o WHERE {{ {baku} ?p ?o }}")[1])["results"]["bindings"]
    put = requests.put(
        crud,
        params={"graph-uri": other},
        data=f'{baku} <{RDFS_LABEL}> "not ours" .'.encode(),
        headers={"Content-Type": "text/turtle"},
        auth=auth,
        timeout=30,
    )
    assert put.status_code in (200, 201, 204), put.text
    try:
        assert "not ours" in raw(endpoint, f"SELECT ?l WHERE {{ {baku} <{RDFS_LABEL}> ?l }}").text
        fresh = create_app(app.config[SETTINGS_KEY])  # lists the graphs of others anew
        status, body = ours(fresh, f"DESCRIBE {baku}", accept="application/n-triples")
        assert status == 200
        assert "not ours" not in body.decode() and body.decode().count(f"{baku} ") >= len(own) > 10
    finally:
        requests.delete(crud, params={"graph-uri": other}, auth=auth, timeout=30)


def test_values_inside_a_union(endpoint: str, app: Flask, embedded: Flask) -> None:
    """Virtuoso answers nothing at all for a UNION one of whose branches is a VALUES block."""
    assert raw(endpoint, VALUES_IN_UNION).json()["results"]["bindings"] == []
    status, body = ours(app, VALUES_IN_UNION)
    assert status == 200
    assert body == ours(embedded, VALUES_IN_UNION)[1]
    assert len(json.loads(body)["results"]["bindings"]) > 1


def test_wrapping_leaves_strings_iris_and_trailing_values_alone() -> None:
    query = (
        'PREFIX values: <http://x/values#> SELECT * WHERE { ?s values:VALUES "VALUES ?x { 1 }" '
        "{ SELECT ?s WHERE { ?s ?p ?o } VALUES ?s { <http://x/a> } } } VALUES ?s { <http://x/a> }"
    )
    assert virtuoso.wrap_inline_values(query) == query
    nested = "SELECT * { FILTER EXISTS { VALUES (?a ?b) { (1 2) (UNDEF 3) } } }"
    assert virtuoso.wrap_inline_values(nested) == (
        "SELECT * { FILTER EXISTS { { SELECT * WHERE { VALUES (?a ?b) { (1 2) (UNDEF 3) } } } } }"
    )


def test_truncated_results_are_refused(endpoint: str, app: Flask) -> None:
    """Past ResultSetMaxRows Virtuoso stops and still answers 200, flagged only in a header."""
    query = "SELECT ?a ?b WHERE { ?a ?p ?o . ?b ?q ?r }"
    direct = raw(endpoint, query, "text/csv")
    assert direct.status_code == 200 and virtuoso.MAX_ROWS_HEADER in direct.headers
    status, body = ours(app, query, "text/csv")
    assert status == 400
    assert b"ResultSetMaxRows" in body and b"LIMIT" in body


def test_a_query_virtuoso_will_not_run_is_a_400_that_says_why(endpoint: str, app: Flask) -> None:
    """Valid SPARQL 1.1 that Virtuoso refuses: HTTP 500 and a plain-text ``Virtuoso 37000 Error``."""
    query = "SELECT * WHERE { ?s <http://example.org/p>+ ?o }"
    direct = raw(endpoint, query)
    assert direct.status_code == 500 and virtuoso.error_state(direct.text) is not None
    status, body = ours(app, query)
    assert status == 400
    assert b"Virtuoso" in body and b"transitive" in body


def test_a_query_virtuoso_deems_too_costly_is_a_timeout(endpoint: str, built_settings: Settings) -> None:
    """Past MaxQueryCostEstimationTime Virtuoso refuses in advance: HTTP 500, SQL state 42000 (the
    class of its compile errors). The adapter reads it as a timeout (503), not a client error. Whether
    Virtuoso estimates or starts running depends on its statistics, so the adapter is handed the
    server's real answer here; through the app, the execution limit is tested in make soak."""
    from blackjanuary.errors import QueryTimeout

    query = (  # a five-way product
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o "
        "FILTER(STRLEN(CONCAT(STR(?c), STR(?f), STR(?i), STR(?l), STR(?o))) < 0) }"
    )
    direct = raw(endpoint, query)
    assert direct.status_code == 500 and "estimated execution time" in direct.text
    assert virtuoso.error_state(direct.text)[0] == "42000"  # type: ignore[index]
    with pytest.raises(QueryTimeout, match="estimated execution time"):
        virtuoso.raise_for_error(direct.status_code, direct.text, endpoint)


@pytest.mark.slow
def test_a_query_past_the_execution_limit_is_a_timeout(endpoint: str, app: Flask) -> None:
    """Past MaxQueryExecutionTime (5 s on the tests' server) Virtuoso answers HTTP 500 ``S1T00``."""
    query = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f FILTER(STRLEN(CONCAT(STR(?c), STR(?f))) < 0) } LIMIT 9"
    direct = raw(endpoint, query)
    assert direct.status_code == 500 and "S1T00" in direct.text
    slow_app = create_app(app.config[SETTINGS_KEY].replace(query_timeout=30.0, remote_timeout=30.0))
    response = slow_app.test_client().get("/sparql?query=" + quote(query), headers={"Accept": SRJ})
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "timed out" in response.get_data(as_text=True)  # Virtuoso's limit, not our own timeout


def test_load_needs_credentials_and_says_so(built_settings: Settings, endpoint: str) -> None:
    with pytest.raises(LoadError, match="digest authentication"):
        push_endpoint(built_settings.dist, endpoint)
    with pytest.raises(LoadError, match="HTTP 401"):
        push_endpoint(built_settings.dist, endpoint, user="dba", password="not-" + DBA_PASSWORD)


def test_cli_load_into_virtuoso(
    built_settings: Settings, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`blackjanuary load --endpoint …/sparql --user dba`, the password from the environment."""
    from click.testing import CliRunner

    from blackjanuary.cli.main import cli

    monkeypatch.setenv("BLACKJANUARY_ENDPOINT_PASSWORD", DBA_PASSWORD)
    args = ["load", "--dist", str(built_settings.dist), "--endpoint", endpoint, "--user", "dba"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "sparql-graph-crud-auth" in done.output and "loaded version" in done.output
    monkeypatch.delenv("BLACKJANUARY_ENDPOINT_PASSWORD")
    refused = CliRunner().invoke(cli, args[:-2])
    assert refused.exit_code == 2
    assert "digest authentication" in refused.output


def test_load_sends_a_large_graph_in_batches(
    built_settings: Settings, endpoint: str, app: Flask, embedded: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A graph goes to Virtuoso in batches (one large PUT once stalled it): the first replaces the
    graph, the others add to it, and every triple arrives (the loader counts them back, and every
    graph's count through the app is the embedded store's)."""
    sent: list[str] = []
    send = requests.request

    def spy(method: str, url: str, **kwargs: object) -> requests.Response:
        sent.append(method)
        return send(method, url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(virtuoso_store, "BATCH_LINES", 1_000)
    monkeypatch.setattr(loading.requests, "request", spy)
    push_endpoint(built_settings.dist, endpoint, user="dba", password=DBA_PASSWORD)
    graphs = read_manifest(built_settings.dist).graphs
    batches = sum(max(1, -(-n // 1_000)) for n in graphs.values())
    assert max(graphs.values()) > 2_000  # the data graph takes several batches
    assert (sent.count("PUT"), sent.count("POST")) == (len(graphs), batches - len(graphs))
    count = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    assert ours(app, count) == ours(embedded, count)


def test_load_refuses_wkt_that_virtuoso_cannot_keep(tmp_path: Path, endpoint: str) -> None:
    """A coordinate with more digits than a 32-bit float holds would be published altered."""
    from support.synthetic import write_synthetic_dist

    base = "http://example.org/wkt-check/"
    dist = tmp_path / "dist"
    write_synthetic_dist(dist, base=base)
    _add_quad(
        dist,
        f"<{base}id/place-0> <http://www.opengis.net/ont/geosparql#asWKT> "
        f'"POINT(49.8283312345 40.35667)"^^<{virtuoso.WKT_LITERAL}> <{base}graph/data> .',
    )
    with pytest.raises(LoadError, match="32-bit floats"):
        push_endpoint(dist, endpoint, user="dba", password=DBA_PASSWORD)


def _add_quad(dist: Path, line: str) -> None:
    """Append one quad to a synthetic build and keep its manifest true (size, hash, counts)."""
    import dataclasses
    import hashlib

    from blackjanuary.publish.manifest import read_manifest

    manifest = read_manifest(dist)
    entry = manifest.files[0]
    path = dist / entry.name
    data = path.read_bytes() + line.encode() + b"\n"
    path.write_bytes(data)
    graph = line.rsplit("<", 1)[1].split(">")[0]
    graphs = dict(manifest.graphs)
    graphs[graph] += 1
    entry = dataclasses.replace(
        entry, bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), triples=entry.triples + 1
    )
    manifest = dataclasses.replace(manifest, graphs=graphs, triples=manifest.triples + 1, files=(entry,))
    (dist / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")


# Failure modes, as for the Oxigraph server (tests/live/test_backends.py) -----------------------------------
def test_hung_virtuoso_is_503_then_recovers(
    virtuoso_server: VirtuosoServer, built_settings: Settings
) -> None:
    """SIGSTOP keeps Virtuoso's sockets open and answers nothing; SIGCONT brings it back."""
    server = virtuoso_server
    app = create_app(_settings(built_settings, server, remote_timeout=1.0))
    client = app.test_client()
    assert client.get("/page/baku", headers={"Accept": "text/html"}).status_code == 200
    server.pause()
    try:
        for path in ("/sparql?query=" + quote("ASK { ?s ?p ?o } # hung"), "/data/baku.ttl?hung"):
            started = time.monotonic()
            response = client.get(path)
            assert response.status_code == 503, response.data[:300]
            assert response.headers["Retry-After"].isdigit()
            assert time.monotonic() - started < 1.0 + 1.5
    finally:
        server.resume()
    assert client.get("/sparql?query=" + quote("ASK { ?s ?p ?o } # resumed")).status_code == 200


def test_stopped_virtuoso_is_503_then_recovers(
    virtuoso_server: VirtuosoServer, built_settings: Settings
) -> None:
    """Stopped (a clean shutdown) and started again on the same ports, data kept: no app restart."""
    server = virtuoso_server
    app = create_app(_settings(built_settings, server, remote_timeout=2.0))
    client = app.test_client()
    assert client.get("/page/baku", headers={"Accept": "text/html"}).status_code == 200
    server.stop()
    try:
        # the rendered page is kept per build version (ADR 0009); what needs the engine is a 503
        assert client.get("/page/baku", headers={"Accept": "text/html"}).status_code == 200
        for path in ("/sparql?query=" + quote("ASK { ?s ?p ?o } # down"), "/page/baku?lang=ru"):
            started = time.monotonic()
            response = client.get(path, headers={"Accept": "text/html" if "page" in path else "*/*"})
            assert response.status_code == 503, response.data[:300]
            assert response.headers["Retry-After"].isdigit()
            assert time.monotonic() - started < 2.0
    finally:
        server.start()
    assert client.get("/sparql?query=" + quote("ASK { ?s ?p ?o } # back")).status_code == 200
    assert client.get("/page/baku", headers={"Accept": "text/html"}).status_code == 200


def _settings(built_settings: Settings, server: VirtuosoServer, *, remote_timeout: float) -> Settings:
    return built_settings.replace(
        backend="remote", endpoint_url=server.query_url, remote_timeout=remote_timeout
    )


def test_doctests() -> None:
    import doctest

    from blackjanuary.store import loading

    for module in (virtuoso, loading):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
