"""Fair scheduling (issue 11): /sparql and reconciliation have capped capacity, one client has a cap on
/sparql, and a request over a cap is answered at once with 503, Retry-After and a message.

The live test is the issue's scenario on a real ``blackjanuary serve`` (gunicorn, two workers): twenty
concurrent uninterruptible cartesian ``COUNT(*)`` queries from one client, and meanwhile a cheap
uncached ``ASK {}`` and ``/page/baku`` from another. The bound that holds on any machine is an
ordering: the cheap requests are answered while the runaways are still running.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
import requests
from flask import Flask

from blackjanuary.config import Settings
from blackjanuary.web.admission import (
    RECONCILE,
    REFUSAL_KEY,
    SPARQL,
    Admission,
    client_address,
    request_kind,
)
from blackjanuary.web.app import create_app

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""Cartesian and blocking: COUNT must see every row, and the engine cannot be interrupted."""


# The rules ---------------------------------------------------------------------------------------------


def test_one_client_cannot_take_every_sparql_slot() -> None:
    admission = Admission(sparql_slots=4, client_slots=2, reconcile_slots=2)
    held = [admission.enter(SPARQL, "attacker") for _ in range(2)]
    refused = admission.enter(SPARQL, "attacker")
    assert refused.message is not None and "attacker" in refused.message and "per client" in refused.message
    others = [admission.enter(SPARQL, f"user{n}") for n in range(2)]
    assert all(t.message is None for t in held + others)
    full = admission.enter(SPARQL, "user9")
    assert full.message is not None and "limit of 4 SPARQL queries" in full.message
    held[0].release()
    held[0].release()  # idempotent: one slot back, not two
    assert admission.running(SPARQL) == 3
    assert admission.enter(SPARQL, "user9").message is None
    assert admission.enter(SPARQL, "user10").message is not None


def test_reconciliation_has_its_own_slots() -> None:
    admission = Admission(sparql_slots=1, client_slots=1, reconcile_slots=1)
    assert admission.enter(SPARQL, "a").message is None
    batch = admission.enter(RECONCILE, "a")
    assert batch.message is None  # a full /sparql does not block reconciliation …
    assert admission.enter(RECONCILE, "b").message is not None  # … which has its own cap
    batch.release()
    assert admission.enter(RECONCILE, "b").message is None


@pytest.mark.parametrize(
    "method, path, query_string, kind",
    [
        ("GET", "/sparql", "query=ASK%7B%7D", SPARQL),
        ("GET", "/sparql", "format=json&query=ASK%7B%7D", SPARQL),
        ("POST", "/sparql", "", SPARQL),
        ("GET", "/sparql", "update=CLEAR%20ALL", SPARQL),
        ("GET", "/sparql", "", None),  # the service description or the query UI
        ("GET", "/sparql/ui-config.json", "", None),
        ("GET", "/reconcile", "queries=%7B%7D", RECONCILE),
        ("POST", "/reconcile", "", RECONCILE),
        ("POST", "/reconcile/v1/match", "", RECONCILE),
        ("POST", "/reconcile/v1/extend", "", RECONCILE),
        ("GET", "/reconcile", "", None),  # the manifest
        ("GET", "/reconcile/suggest/entity", "prefix=bak", None),
        ("GET", "/page/baku", "query=x", None),
        ("OPTIONS", "/sparql", "", None),
    ],
)
def test_request_kinds(method: str, path: str, query_string: str, kind: str | None) -> None:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query_string}
    assert request_kind(environ) == kind


def test_the_client_behind_a_trusted_proxy_is_the_forwarded_address() -> None:
    direct = {"REMOTE_ADDR": "198.51.100.5", "HTTP_X_FORWARDED_FOR": "10.9.9.9"}
    assert client_address(direct, ["10.0.0.1"]) == "198.51.100.5"  # not a trusted proxy: header ignored
    proxied = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "forged, 203.0.113.7, 10.0.0.2"}
    assert client_address(proxied, ["10.0.0.1", "10.0.0.2"]) == "203.0.113.7"
    assert client_address({"REMOTE_ADDR": "10.0.0.1"}, ["10.0.0.1"]) == "10.0.0.1"


# The answer when full ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admitted_app(built_settings: Settings) -> Flask:
    settings = built_settings.replace(sparql_concurrency=1, sparql_client_concurrency=1, cache_size=0)
    return create_app(settings, admission_control=True)


def test_a_refused_query_is_503_with_retry_after_and_a_message(admitted_app: Flask) -> None:
    client = admitted_app.test_client()
    environ = {REFUSAL_KEY: "the server runs its limit of 1 SPARQL query at once; retry in a moment."}
    response = client.get("/sparql?query=ASK%7B%7D", environ_overrides=environ)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert "limit of 1 SPARQL query" in body["error"] and body["hint"]
    page = client.get("/sparql?query=ASK%7B%7D", environ_overrides=environ, headers={"Accept": "text/html"})
    assert page.status_code == 503 and "limit of 1 SPARQL query" in page.get_data(as_text=True)


def test_slots_come_back_when_responses_end(admitted_app: Flask) -> None:
    from blackjanuary.web.current import ADMISSION_KEY

    client = admitted_app.test_client()
    admission: Admission = admitted_app.extensions[ADMISSION_KEY]
    for n in range(5):  # one slot, one per client: each query needs the previous one's slot
        response = client.get("/sparql?query=" + quote(f"ASK {{}} # {n}"))
        assert response.status_code == 200 and response.get_json()["boolean"] is True
    response = client.post(
        "/sparql", data="SELECT * { ?s ?p ?o } LIMIT 1", content_type="application/sparql-query"
    )
    assert response.status_code == 200
    response.close()
    assert admission.running(SPARQL) == 0
    failing = client.get("/sparql?query=" + quote("SELEKT nothing"))
    assert failing.status_code == 400 and failing.get_json()["error"]  # read: the WSGI body is done
    assert admission.running(SPARQL) == 0


# Live: the scenario ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_server(built_settings: Settings) -> Iterator[str]:
    from support.processes import ServeProcess

    env = {"BLACKJANUARY_QUERY_TIMEOUT": "4", "BLACKJANUARY_CACHE_SIZE": "0"}
    server = ServeProcess(built_settings, args=("--no-build",), env=env).start()
    try:
        yield server.url
    finally:
        server.stop()


def post_from(url: str, source: str, query: str, timeout: float) -> tuple[int, dict[str, str], bytes, float]:
    """POST ``query`` to ``/sparql`` from the loopback address ``source``; (status, headers, body, end)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=timeout, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST",
            "/sparql",
            body=query.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, time.monotonic()
    finally:
        connection.close()


def test_runaways_from_one_client_do_not_starve_cheap_requests(busy_server: str) -> None:
    outcomes: list[tuple[int, dict[str, str], bytes, float]] = []
    lock = threading.Lock()

    def runaway(n: int) -> None:
        outcome = post_from(busy_server, "127.0.0.2", f"{RUNAWAY} # {n}", timeout=60)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=runaway, args=(n,), daemon=True) for n in range(20)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the runaways are in
    ask = requests.post(
        busy_server + "/sparql",
        data=f"ASK {{}} # {uuid.uuid4()}",  # uncached
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        timeout=30,
    )
    ask_done = time.monotonic()
    page = requests.get(busy_server + "/page/baku", headers={"Accept": "text/html"}, timeout=30)
    page_done = time.monotonic()
    for thread in threads:
        thread.join(timeout=60)
    assert ask.status_code == 200 and ask.json()["boolean"] is True
    assert page.status_code == 200 and "Baku" in page.text

    running = [o for o in outcomes if o[0] != 503 or b"SPARQL quer" not in o[2]]
    refused = [o for o in outcomes if o not in running]
    assert len(outcomes) == 20
    # at most 3 per client per worker ran; the others were refused at once with a reason and Retry-After
    assert 1 <= len(running) <= 6, [(o[0], o[2][:100]) for o in running]
    for _, headers, body, _end in refused:
        assert int(headers["Retry-After"]) > 0
        assert "127.0.0.2" in json.loads(body)["error"] or "limit of" in json.loads(body)["error"]
    # the runaways that ran ended at their deadline (503, timed out), after the cheap requests
    assert all(o[0] == 503 for o in running)
    first_runaway_end = min(o[3] for o in running)
    print(
        f"ask {ask_done - started:.2f} s, page {page_done - started:.2f} s, {len(running)} runaways ran, "
        f"first ended {first_runaway_end - started:.2f} s, {len(refused)} refused"
    )
    assert ask_done < first_runaway_end and page_done < first_runaway_end, (
        f"ask {ask_done - started:.1f} s, page {page_done - started:.1f} s, "
        f"first runaway end {first_runaway_end - started:.1f} s"
    )


def test_reconciliation_floods_are_refused_with_a_reason_and_pages_still_answer(busy_server: str) -> None:
    """Twelve large batches at once: at most two per worker run, the others get 503 at once."""
    words = " ".join(f"wort{n}" for n in range(300))
    batch = json.dumps({f"q{i}": {"query": words[:1_900]} for i in range(25)})
    barrier = threading.Barrier(12)
    outcomes: list[requests.Response] = []
    lock = threading.Lock()

    def flood() -> None:
        barrier.wait()
        response = requests.post(busy_server + "/reconcile", data={"queries": batch}, timeout=60)
        with lock:
            outcomes.append(response)

    threads = [threading.Thread(target=flood, daemon=True) for _ in range(12)]
    for thread in threads:
        thread.start()
    page = requests.get(busy_server + "/page/baku", headers={"Accept": "text/html"}, timeout=30)
    for thread in threads:
        thread.join(timeout=90)
    assert page.status_code == 200
    statuses = sorted(r.status_code for r in outcomes)
    assert len(outcomes) == 12 and set(statuses) <= {200, 503}, statuses
    answered = [r for r in outcomes if r.status_code == 200]
    refused = [r for r in outcomes if r.status_code == 503]
    assert answered and refused, statuses
    for response in refused:
        assert int(response.headers["Retry-After"]) > 0
        assert "reconciliation request" in response.json()["error"]
