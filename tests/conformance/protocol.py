"""The SPARQL 1.1 Protocol manifest (``sparql11/protocol/manifest.ttl``) as HTTP exchanges.

The manifest's tests are names; the exchanges they stand for are the ones the W3C protocol test
descriptions give (requests against ``/sparql`` over the kasei.us graphs ``data0.rdf`` … ``data3.rdf``).
Those graphs are not in the suite, so a small build holds stand-ins under the same IRIs (each graph
describing itself), served by a real ``blackjanuary serve`` (gunicorn) on a free loopback port. Where
an answer depends on the data, the expected one is computed by pyoxigraph in process over the same
dataset.

The update tests do not apply to a read-only query endpoint: they are listed with that reason, and
each exchange is still sent to check that it is refused (4xx) and leaves the data unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import requests

from support.servers import free_port, stop_process

from .results import Answer, Boolean, compare, from_ox_results, parse_results
from .suites import SPARQL11, read_manifest

KASEI = "http://kasei.us/2009/09/sparql/data/"
DATA = [KASEI + f"data{i}.rdf" for i in range(4)]
DC = "http://purl.org/dc/elements/1.1/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ROOT = Path(__file__).resolve().parents[2]

RESULT_TYPES = {
    "application/sparql-results+xml": "srx",
    "application/sparql-results+json": "srj",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml"}


def protocol_quads() -> list[ox.Quad]:
    """The stand-in graphs: each ``dataN.rdf`` is a foaf:Document describing one person of its own."""
    quads = []
    for n, graph in enumerate(DATA):
        g = ox.NamedNode(graph)
        person = ox.NamedNode(f"{KASEI}person{n}")
        quads += [
            ox.Quad(g, ox.NamedNode(RDF_TYPE), ox.NamedNode(FOAF + "Document"), g),
            ox.Quad(g, ox.NamedNode(DC + "title"), ox.Literal(f"data{n}"), g),
            ox.Quad(g, ox.NamedNode(FOAF + "primaryTopic"), person, g),
            ox.Quad(person, ox.NamedNode(FOAF + "name"), ox.Literal(f"Person {n}"), g),
        ]
    return quads


def write_protocol_dist(dist: Path) -> None:
    """A servable build (N-Quads and its manifest) holding :func:`protocol_quads`."""
    from blackjanuary.publish.manifest import DistFile, Manifest

    quads = protocol_quads()
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    dist.mkdir(parents=True, exist_ok=True)
    name = "w3c-protocol.nq"
    (dist / name).write_bytes(data)
    entry = DistFile(
        name=name,
        format="nquads",
        media_type="application/n-quads",
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        triples=len(quads),
        compressed=False,
        graphs=True,
    )
    counts = {g: sum(1 for q in quads if q.graph_name.value == g) for g in DATA}
    manifest = Manifest(
        dataset=KASEI,
        version="w3c-protocol",
        base_iri="https://w3id.org/blackjanuary/",
        conforms=True,
        input_sha256="w3c-protocol",
        graphs=counts,
        triples=len(quads),
        files=(entry,),
    )
    (dist / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")


@contextmanager
def live_server(dist: Path, timeout: float = 60.0) -> Iterator[str]:
    """``python -m blackjanuary serve`` (gunicorn, one worker) on ``dist``; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "blackjanuary", "--root", str(ROOT), "serve", "--no-build"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--dist", str(dist)]
    process = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"serve exited with {process.returncode}: {err[-2000:]}")
            try:
                requests.get(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not answer on {url} within {timeout} s") from None
                time.sleep(0.1)
        yield url
    finally:
        stop_process(process)


# The exchanges -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request and what the W3C description expects of the response."""

    method: str
    params: list[tuple[str, str]] = field(default_factory=list)
    """Query-string parameters."""
    body: bytes | None = None
    content_type: str | None = None
    accept: str | None = None
    expect_status: str = "2xx"
    """``2xx`` (or 3xx), ``4xx`` or an exact code."""
    expect_types: tuple[str, ...] = ()
    """Acceptable response media types (empty: any)."""
    expect: Callable[[], Answer] | None = None
    """The expected answer (for a 2xx), computed when the exchange runs."""


def form(*pairs: tuple[str, str]) -> bytes:
    return urlencode(list(pairs)).encode("ascii")


FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
RESULTS = ("application/sparql-results+xml", "application/sparql-results+json")


def engine_answer(
    query: str, default: list[str] | None = None, named: list[str] | None = None
) -> Callable[[], Answer]:
    """The answer pyoxigraph gives in process over the stand-in graphs and the given dataset."""

    def run() -> Answer:
        store = ox.Store()
        store.extend(protocol_quads())
        options: dict[str, object] = {}
        if default is not None or named is not None:
            options = {
                "default_graph": [ox.NamedNode(g) for g in default or []],
                "named_graphs": [ox.NamedNode(g) for g in named or []],
            }
        return from_ox_results(store.query(query, **options))  # type: ignore[arg-type]

    return run


def true() -> Answer:
    return Boolean(True)


ASK_D1 = f"ASK {{ <{DATA[1]}> ?p ?o }}"
ASK_D1_D2 = f"ASK {{ <{DATA[1]}> ?p ?o . <{DATA[2]}> ?p ?o }}"
ASK_GRAPH = "ASK { GRAPH ?g { ?s ?p ?o } }"
SELECT_FULL = "SELECT ?g ?x ?s { ?x ?y ?o  GRAPH ?g { ?s ?p ?o } }"
ASK_MULTIPLE = f"ASK FROM <{DATA[1]}> {{ <{DATA[2]}> ?p ?o }}"
SELECT_ONE = "SELECT (1 AS ?value) {}"
UPDATE = f'INSERT DATA {{ <{DATA[0]}> <{DC}title> "changed" }}'

QUERY_EXCHANGES: dict[str, Exchange] = {
    "query_post_form": Exchange("POST", body=form(("query", "ASK {}")), content_type=FORM, expect=true),
    "query_dataset_default_graphs_get": Exchange(
        "GET", [("query", ASK_D1), ("default-graph-uri", DATA[1])], expect=true
    ),
    "query_dataset_default_graphs_post": Exchange(
        "POST",
        [("default-graph-uri", DATA[1]), ("default-graph-uri", DATA[2])],
        body=ASK_D1_D2.encode(),
        content_type=SPARQL_QUERY,
        expect=true,
    ),
    "query_dataset_named_graphs_post": Exchange(
        "POST",
        [("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2])],
        body=ASK_GRAPH.encode(),
        content_type=SPARQL_QUERY,
        expect=true,
    ),
    "query_dataset_named_graphs_get": Exchange(
        "GET", [("query", ASK_GRAPH), ("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2])], expect=true
    ),
    "query_dataset_full": Exchange(
        "POST",
        [("default-graph-uri", DATA[3]), ("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2])],
        body=SELECT_FULL.encode(),
        content_type=SPARQL_QUERY,
        accept="application/sparql-results+xml",
        expect_types=("application/sparql-results+xml",),
        expect=engine_answer(SELECT_FULL, [DATA[3]], [DATA[1], DATA[2]]),
    ),
    "query_multiple_dataset": Exchange(
        "POST",
        [("default-graph-uri", DATA[2])],
        body=ASK_MULTIPLE.encode(),
        content_type=SPARQL_QUERY,
        expect=true,
    ),
    "query_get": Exchange("GET", [("query", "ASK {}")], expect=true),
    "query_content_type_select": Exchange(
        "POST",
        body=SELECT_ONE.encode(),
        content_type=SPARQL_QUERY,
        expect_types=tuple(RESULT_TYPES),
        expect=engine_answer(SELECT_ONE),
    ),
    "query_content_type_ask": Exchange(
        "POST", body=b"ASK {}", content_type=SPARQL_QUERY, expect_types=RESULTS, expect=true
    ),
    "query_content_type_describe": Exchange(
        "POST",
        body=b"DESCRIBE <http://example.org/>",
        content_type=SPARQL_QUERY,
        expect_types=tuple(RDF_TYPES),
    ),
    # Relative IRIs: the service supplies the base (SPARQL 1.1 Protocol: it "MAY be the service endpoint").
    "query_content_type_construct": Exchange(
        "POST",
        body=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        content_type=SPARQL_QUERY,
        expect_types=tuple(RDF_TYPES),
    ),
    "query_post_direct": Exchange("POST", body=b"ASK {}", content_type=SPARQL_QUERY, expect=true),
    "bad_query_method": Exchange("PUT", [("query", "ASK {}")], expect_status="4xx"),
    "bad_multiple_queries": Exchange(
        "GET", [("query", "ASK {}"), ("query", "SELECT * {}")], expect_status="4xx"
    ),
    "bad_query_wrong_media_type": Exchange(
        "POST", body=b"ASK {}", content_type="text/plain", expect_status="4xx"
    ),
    "bad_query_missing_form_type": Exchange("POST", body=form(("query", "ASK {}")), expect_status="4xx"),
    "bad_query_missing_direct_type": Exchange("POST", body=b"ASK {}", expect_status="4xx"),
    "bad_query_non_utf8": Exchange(
        "POST",
        body="ASK {}".encode("utf-16"),
        content_type=SPARQL_QUERY + "; charset=UTF-16",
        expect_status="4xx",
    ),
    "bad_query_syntax": Exchange("GET", [("query", "ASK {")], expect_status="4xx"),
}
"""The exchanges as the W3C protocol test descriptions give them (kasei's sparql11-protocolvalidator,
from which the manifest's names come); the query in ``query_multiple_dataset`` asks about
``data2.rdf``, so only the protocol's dataset (not the query's FROM) makes it true."""

UPDATE_REASON = (
    "an update-service test: this endpoint is read-only (SPARQL Update is refused with 403); "
    "the exchange is sent and must be refused with a 4xx, leaving the data unchanged"
)
UPDATE_EXCHANGES: dict[str, Exchange] = {
    "update_dataset_default_graph": Exchange(
        "POST",
        body=form(("update", UPDATE), ("using-graph-uri", DATA[1])),
        content_type=FORM,
        expect_status="4xx",
    ),
    "update_dataset_default_graphs": Exchange(
        "POST",
        body=form(("update", UPDATE), ("using-graph-uri", DATA[1]), ("using-graph-uri", DATA[2])),
        content_type=FORM,
        expect_status="4xx",
    ),
    "update_dataset_named_graphs": Exchange(
        "POST",
        body=form(("update", UPDATE), ("using-named-graph-uri", DATA[1])),
        content_type=FORM,
        expect_status="4xx",
    ),
    "update_dataset_full": Exchange(
        "POST",
        body=form(("update", UPDATE), ("using-graph-uri", DATA[1]), ("using-named-graph-uri", DATA[2])),
        content_type=FORM,
        expect_status="4xx",
    ),
    "update_post_form": Exchange(
        "POST", body=form(("update", UPDATE)), content_type=FORM, expect_status="4xx"
    ),
    "update_post_direct": Exchange(
        "POST", body=UPDATE.encode(), content_type=SPARQL_UPDATE, expect_status="4xx"
    ),
    "update_base_uri": Exchange(
        "POST", body=b'INSERT DATA { <s> <p> "x" }', content_type=SPARQL_UPDATE, expect_status="4xx"
    ),
    "bad_update_get": Exchange("GET", [("update", UPDATE)], expect_status="4xx"),
    "bad_multiple_updates": Exchange(
        "POST", body=form(("update", UPDATE), ("update", UPDATE)), content_type=FORM, expect_status="4xx"
    ),
    "bad_update_wrong_media_type": Exchange(
        "POST", body=UPDATE.encode(), content_type="text/plain", expect_status="4xx"
    ),
    "bad_update_missing_form_type": Exchange("POST", body=form(("update", UPDATE)), expect_status="4xx"),
    "bad_update_non_utf8": Exchange(
        "POST",
        body=UPDATE.encode("utf-16"),
        content_type=SPARQL_UPDATE + "; charset=UTF-16",
        expect_status="4xx",
    ),
    "bad_update_syntax": Exchange(
        "POST", body=b"INSERT DATA { <s> <p> }", content_type=SPARQL_UPDATE, expect_status="4xx"
    ),
    "bad_update_dataset_conflict": Exchange(
        "POST",
        body=form(
            ("update", f"WITH <{DATA[1]}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"),
            ("using-graph-uri", DATA[2]),
        ),
        content_type=FORM,
        expect_status="4xx",
    ),
}


def manifest_names() -> list[str]:
    """The protocol manifest's test names, in its order."""
    return [e.iri.rsplit("#", 1)[1] for e in read_manifest(SPARQL11, "protocol/manifest.ttl")]


@dataclass(frozen=True)
class ProtocolOutcome:
    test: str
    status: str
    """``pass``, ``fail`` or ``n/a`` (does not apply; the refusal was checked, ``reason`` says how)."""
    reason: str = ""


def _status_ok(expected: str, status: int) -> bool:
    if expected == "2xx":
        return 200 <= status < 400
    if expected == "4xx":
        return 400 <= status < 500
    return status == int(expected)


def send(url: str, exchange: Exchange) -> requests.Response:
    headers = {}
    if exchange.content_type is not None:
        headers["Content-Type"] = exchange.content_type
    if exchange.accept is not None:
        headers["Accept"] = exchange.accept
    request = requests.Request(exchange.method, url + "/sparql", params=exchange.params, headers=headers)
    prepared = request.prepare()
    if exchange.body is not None:
        prepared.body = exchange.body
        prepared.headers["Content-Length"] = str(len(exchange.body))
    with requests.Session() as session:
        return session.send(prepared, timeout=30)


def check(url: str, name: str, exchange: Exchange) -> str | None:
    """``None`` when the response is what the test describes; otherwise what is wrong."""
    response = send(url, exchange)
    if not _status_ok(exchange.expect_status, response.status_code):
        return f"HTTP {response.status_code} (expected {exchange.expect_status}): {response.text[:200]}"
    if exchange.expect_status != "2xx":
        if response.status_code >= 500:
            return f"HTTP {response.status_code}"
        return None
    media = response.headers.get("Content-Type", "").split(";", 1)[0].strip()
    if exchange.expect_types and media not in exchange.expect_types:
        return f"Content-Type {media!r}, expected one of {', '.join(exchange.expect_types)}"
    if exchange.expect is not None:
        if media not in RESULT_TYPES:
            return f"Content-Type {media!r} is not a SPARQL results format"
        got = parse_results(response.content, RESULT_TYPES[media])
        return compare(exchange.expect(), got, ordered=False)
    return None


def run_protocol(url: str) -> list[ProtocolOutcome]:
    """Every test of the protocol manifest against the server at ``url``."""
    outcomes = []
    before = send(
        url, Exchange("GET", [("query", "CONSTRUCT WHERE { ?s ?p ?o }")], accept="application/n-triples")
    )
    for name in manifest_names():
        if name in QUERY_EXCHANGES:
            problem = check(url, name, QUERY_EXCHANGES[name])
            outcomes.append(ProtocolOutcome(name, "fail" if problem else "pass", problem or ""))
        elif name in UPDATE_EXCHANGES:
            problem = check(url, name, UPDATE_EXCHANGES[name])
            reason = UPDATE_REASON if problem is None else f"{UPDATE_REASON}; but: {problem}"
            outcomes.append(ProtocolOutcome(name, "n/a" if problem is None else "fail", reason))
        else:
            outcomes.append(ProtocolOutcome(name, "fail", "no exchange is defined for this test"))
    after = send(
        url, Exchange("GET", [("query", "CONSTRUCT WHERE { ?s ?p ?o }")], accept="application/n-triples")
    )
    if before.content != after.content:
        outcomes.append(ProtocolOutcome("(data unchanged)", "fail", "the update exchanges changed the data"))
    return outcomes
