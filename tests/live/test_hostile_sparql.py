"""Malformed and adversarial SPARQL against a live server: each bounded, the server responsive throughout.

A real ``blackjanuary serve`` process (gunicorn, 2 workers) on the real build, with a 2 s query
timeout, gets random mutations of valid queries, deeply nested groups (5,000 and 50,000 ``{``),
nested expressions, enormous literals, 10,000 UNIONs, regex bombs, long property paths and cartesian
products — by GET, form POST and direct POST. Every answer must be a 2xx, a 4xx with a message, or a
503 with ``Retry-After``; never another 5xx, never a dropped connection before the status line. After
each one a cheap query must be answered quickly, and a canary thread keeps asking during the whole run.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from blackjanuary.config import Settings
from support.processes import ServeProcess

TIMEOUT_S = 1  # the server's per-query timeout in this module
CHEAP = "SELECT ?s WHERE { ?s a ?t } LIMIT 1"
CHEAP_DEADLINE_S = 10.0  # a cheap query is answered within this, even on a busy machine; a starved one
# waited for every runaway ahead of it (>15 s before issue 11); the speed itself is measured by make soak
MUTATIONS = int(os.environ.get("BLACKJANUARY_SPARQL_MUTATIONS", "100"))
SOAK_MUTATIONS = int(os.environ.get("BLACKJANUARY_SPARQL_SOAK_MUTATIONS", "3000"))
PREFIXES = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX schema: <http://schema.org/> "
    "PREFIX bj: <https://w3id.org/blackjanuary/ontology#> "
)
VALID = [
    PREFIXES + "SELECT ?s ?l WHERE { ?s rdfs:label ?l FILTER(LANG(?l) = 'en') } ORDER BY ?l LIMIT 20",
    PREFIXES + "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n)",
    PREFIXES + 'ASK { ?s rdfs:label "Baku"@en }',
    PREFIXES + "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s rdfs:label ?l } LIMIT 10",
    "DESCRIBE <https://w3id.org/blackjanuary/id/baku>",
    PREFIXES + "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } OPTIONAL { ?o rdfs:label ?ol } } LIMIT 50",
    PREFIXES + "SELECT ?s WHERE { { ?s a schema:Place } UNION { ?s a schema:Event } MINUS { ?s bj:x ?y } } "
    "LIMIT 5",
    PREFIXES + "SELECT (GROUP_CONCAT(?l; separator='|') AS ?all) WHERE { ?s rdfs:label ?l } LIMIT 1",
    PREFIXES + "SELECT * WHERE { VALUES ?k { 'a' 'b' } BIND(CONCAT(?k, STR(NOW())) AS ?c) }",
    PREFIXES + "SELECT ?s WHERE { ?s rdfs:label ?l FILTER(REGEX(?l, '^B', 'i')) } LIMIT 10",
]
TOKENS = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ".",
    ";",
    ",",
    "?x",
    "<http://e/x>",
    '"',
    "'",
    "#",
    "\\",
    "UNION",
    "OPTIONAL",
    "SERVICE <http://127.0.0.1:9/>",
    "FILTER(",
    "SELECT",
    "*",
    "LIMIT -1",
    "OFFSET 99999999999999",
    "INSERT DATA { <a:b> <a:b> <a:b> }",
    "LOAD <http://127.0.0.1:9/>",
    "\x00",
    "\u202e",
    "😀",
    "^^",
    "@",
    "GRAPH",
    "BIND(",
    "AS",
    "VALUES",
    "/",
    "|",
    "+",
    "*",
    "?",
    "!",
    "^",
    "1e999",
    '"""',
    "'''",
]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    aborted_streams: int = 0
    slowest_cheap_s: float = 0.0
    canary_answers: int = 0
    canary_failures: list[str] = field(default_factory=list)


@dataclass
class Listener:
    """A loopback TCP listener that records every connection: no query may ever reach it."""

    url: str
    seen: list[bytes] = field(default_factory=list)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    found = Listener(f"http://127.0.0.1:{server.getsockname()[1]}")
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(1)
            try:
                found.seen.append(conn.recv(4096) or b"(connected)")
            except OSError:
                found.seen.append(b"(connected)")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=2)
    server.close()


@dataclass
class Server:
    url: str
    process: ServeProcess
    stderr: list[str]

    def workers(self) -> set[int]:
        """The pids of the gunicorn workers (children of the master)."""
        pid = self.process.process.pid  # type: ignore[attr-defined]
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return {int(p) for p in children.read().split()}


def start_server(settings: Settings, env: dict[str, str]) -> Server:
    """``blackjanuary serve`` with ``env``; its stderr is drained into a list (the arbiter's log)."""
    process = ServeProcess(settings, env=env, args=("--no-build",)).start()
    lines: list[str] = []
    stream = process.process.stderr  # type: ignore[attr-defined]

    def drain() -> None:
        for line in iter(stream.readline, b""):
            lines.append(line.decode("utf-8", "replace"))

    threading.Thread(target=drain, daemon=True).start()
    return Server(process.url, process, lines)


@pytest.fixture(scope="module")
def live(built_settings: Settings, listener: Listener) -> Iterator[Server]:
    env = {
        "BLACKJANUARY_QUERY_TIMEOUT": str(TIMEOUT_S),
        "BLACKJANUARY_ALLOWED_SERVICE_ENDPOINTS": listener.url + "/allowed",
    }
    server = start_server(built_settings, env)
    try:
        yield server
    finally:
        server.process.stop()
    signals = [line for line in server.stderr if "was sent" in line]
    assert not signals, signals  # no worker ever died of a signal


@pytest.fixture(scope="module")
def server(live: Server) -> str:
    return live.url


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


@pytest.fixture
def canary(server: str, tally: Tally) -> Iterator[None]:
    """A thread asking the cheap query every 0.2 s while the test runs; each answer 200 within the deadline.
    The tally is the module's; only this test's failures fail this test."""
    stop = threading.Event()
    earlier = len(tally.canary_failures)

    def ask() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    response = session.get(
                        server + "/sparql",
                        params={"query": CHEAP},
                        headers={"Accept": "application/sparql-results+json"},
                        timeout=CHEAP_DEADLINE_S,
                    )
                    took = time.monotonic() - started
                    if response.status_code != 200:
                        tally.canary_failures.append(f"status {response.status_code}")
                    tally.canary_answers += 1
                    tally.slowest_cheap_s = max(tally.slowest_cheap_s, took)
                except requests.RequestException as exc:
                    tally.canary_failures.append(repr(exc))
                stop.wait(0.2)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)
    assert not tally.canary_failures[earlier:], tally.canary_failures[earlier:][:5]


def send(server: str, query: str, how: str, tally: Tally, *, accept: str = "*/*") -> int:
    """Send ``query`` one way; check the answer is bounded and well-formed; return the status."""
    url = server + "/sparql"
    headers = {"Accept": accept}
    started = time.monotonic()
    raw = query.encode("utf-8", "surrogatepass")  # lone surrogates travel as the invalid UTF-8 they are
    if how == "get":
        response = requests.get(url, params={"query": raw}, headers=headers, timeout=30, stream=True)
    elif how == "form":
        response = requests.post(url, data={"query": raw}, headers=headers, timeout=30, stream=True)
    else:
        response = requests.post(
            url,
            data=raw,
            timeout=30,
            stream=True,
            headers={**headers, "Content-Type": "application/sparql-query"},
        )
    status = response.status_code
    try:
        body = response.raw.read(2_000_000, decode_content=True)
    except (requests.RequestException, OSError, Exception) as exc:  # noqa: BLE001 - see below
        # A result that outgrows the timeout after its first chunk is aborted, never completed as if
        # it were whole (docs/adr/0002); the status line was already a 200.
        assert status == 200, (status, exc)
        tally.aborted_streams += 1
        body = b""
    finally:
        response.close()
    took = time.monotonic() - started
    tally.statuses[status] += 1
    assert status < 500 or status == 503, (how, status, body[:300], query[:200])
    if status >= 400:
        assert body, f"{status} without a message"
    if status == 503:
        assert response.headers.get("Retry-After", "").isdigit(), response.headers
    assert took < TIMEOUT_S + 10, f"{how} took {took:.1f} s"
    return status


def cheap_is_quick(server: str, tally: Tally) -> None:
    started = time.monotonic()
    response = requests.get(
        server + "/sparql",
        params={"query": CHEAP},
        timeout=CHEAP_DEADLINE_S,
        headers={"Accept": "application/sparql-results+json"},
    )
    took = time.monotonic() - started
    tally.slowest_cheap_s = max(tally.slowest_cheap_s, took)
    assert response.status_code == 200 and response.json()["results"]["bindings"], response.text[:200]


def nested(depth: int, open_: str, close: str, inner: str) -> str:
    return open_ * depth + inner + close * depth


HOSTILE: dict[str, str] = {
    "5,000 nested groups": "SELECT * WHERE " + nested(5_000, "{ ", " }", "?s ?p ?o"),
    "50,000 nested groups": "SELECT * WHERE " + nested(50_000, "{", "}", "?s ?p ?o"),
    "50,000 unbalanced {": "SELECT * WHERE " + "{" * 50_000,
    "50,000 nested parentheses": "SELECT * WHERE { ?s ?p ?o FILTER(" + nested(50_000, "(", ")", "1") + ") }",
    "20,000 nested blank nodes": "SELECT * WHERE { ?s ?p " + nested(20_000, "[ <p:p> ", " ]", "?o") + " }",
    "5,000 nested OPTIONALs": "SELECT * WHERE { ?s ?p ?o "
    + "OPTIONAL { ?s ?p ?o " * 5_000
    + "}" * 5_000
    + " }",
    "5,000 nested subqueries": "SELECT * WHERE " + "{ SELECT * WHERE " * 5_000 + "{ ?s ?p ?o }" + "}" * 5_000,
    "10,000 nested function calls": "SELECT (" + nested(10_000, "STR(", ")", "1") + " AS ?x) {}",
    "10,000 additions": "SELECT (" + " + ".join(["1"] * 10_000) + " AS ?x) {}",
    "10,000 &&": "SELECT * WHERE { FILTER(" + " && ".join(["true"] * 10_000) + ") }",
    "3,000 BINDs": "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(3_000)) + " }",
    "3,000 MINUSes": "SELECT * WHERE { ?s ?p ?o " + " ".join(["MINUS { ?s ?p ?o }"] * 3_000) + " }",
    "10,000 FILTERs": "SELECT * WHERE { ?s ?p ?o " + " ".join(["FILTER(?o)"] * 10_000) + " }",
    "10,000 unary nots": "SELECT * WHERE { FILTER(" + "!" * 10_000 + "true) }",
    "300 joined triple patterns": "SELECT * WHERE { "
    + " . ".join(f"?s{i} ?p{i} ?s{i + 1}" for i in range(300))
    + " }",
    "10,000 UNIONs": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " }",
    "10,000 UNIONs, limited": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " } LIMIT 3",
    "enormous literal (900 kB)": 'SELECT * WHERE { ?s ?p "' + "a" * 900_000 + '" }',
    "enormous IRI (900 kB)": "SELECT * WHERE { <http://e/" + "a" * 900_000 + "> ?p ?o }",
    "enormous comment (900 kB)": "SELECT * WHERE { ?s ?p ?o } LIMIT 1 #" + "x" * 900_000,
    "100,000 VALUES rows": "SELECT * WHERE { VALUES ?x { "
    + " ".join(f"{i}" for i in range(100_000))
    + " } }",
    "10,000 projected variables": "SELECT "
    + " ".join(f"?v{i}" for i in range(10_000))
    + " WHERE { ?s ?p ?o }",
    "20,000-step property path": "SELECT * WHERE { ?s " + "/".join(["<p:p>"] * 20_000) + " ?o }",
    "nested path closures": "SELECT * WHERE { ?s " + nested(2_000, "(", ")*", "<p:p>|!<p:q>") + " ?o }",
    "regex bomb": 'SELECT * WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "^(a+)+$")) }',
    "regex bomb on a long string": 'SELECT * WHERE { BIND(CONCAT("' + "a" * 5_000 + '", "!") AS ?x) '
    'FILTER(REGEX(?x, "^(a|aa)+$")) }',
    "huge regex pattern": 'SELECT * WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "'
    + "(a?)" * 5_000
    + "a" * 5_000
    + '")) }',
    "invalid regex": 'SELECT * WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "(((")) }',
    "REPLACE bomb": 'SELECT (REPLACE(STR(?o), "(x*)*y", "z") AS ?r) WHERE { ?s ?p ?o }',
    "cartesian product (3-way)": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "cartesian product COUNT (4-way)": "SELECT (COUNT(*) AS ?n) "
    "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    "cartesian GROUP_CONCAT": "SELECT (GROUP_CONCAT(STR(?c)) AS ?x) WHERE { ?a ?b ?c . ?d ?e ?f }",
    "ORDER BY RAND over a product": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY RAND() LIMIT 1",
    "DESCRIBE everything": "DESCRIBE ?s WHERE { ?s ?p ?o }",
    "CONSTRUCT a product": "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }",
    "string explosion": "SELECT (STRLEN(CONCAT(" + ", ".join(['"' + "x" * 1000 + '"'] * 500) + ")) AS ?n) {}",
    "recursive path over everything": "SELECT (COUNT(*) AS ?n) WHERE { ?s (<p:p>|!<p:q>)* ?o }",
    "SERVICE to loopback": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "LOAD": "LOAD <http://127.0.0.1:9/x.ttl>",
    "update smuggled": "SELECT * {} ; DELETE WHERE { ?s ?p ?o }",
    "NUL bytes": "SELECT * WHERE { ?s ?p ?o }\x00\x00 LIMIT 1",
    "lone surrogate": 'SELECT * WHERE { ?s ?p "\ud800" }',
    "two MB query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 2_000_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_query_is_bounded_and_the_server_stays_responsive(
    server: str, tally: Tally, canary: None, name: str
) -> None:
    query = HOSTILE[name]
    statuses = set()
    for how in ("form", "direct") if len(query) > 4_000 else ("get", "form", "direct"):
        statuses.add(send(server, query, how, tally))
        cheap_is_quick(server, tally)
    if "two MB" in name:
        assert statuses == {413}
    if "nested" in name and "50,000" in name:
        assert statuses == {400}


def mutate(query: str, rng: random.Random) -> str:
    chars = list(query)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(5)
        pos = rng.randrange(len(chars) + 1)
        if op == 0 and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op == 1:
            chars[pos:pos] = list(rng.choice(TOKENS))
        elif op == 2 and chars:
            end = min(len(chars), pos + rng.randint(1, 40))
            chars[pos:pos] = chars[pos:end] * rng.randint(2, 50)
        elif op == 3 and chars:
            chars[min(pos, len(chars) - 1)] = chr(
                rng.randint(0, 0x10FFFF) if rng.random() < 0.2 else rng.randint(32, 126)
            )
        else:
            other = rng.choice(VALID)
            start = rng.randrange(len(other))
            chars[pos:pos] = list(other[start : start + rng.randint(1, 60)])
    return "".join(chars).replace("\ud800", "")


def run_mutations(server: str, tally: Tally, count: int, seed: int) -> Counter[int]:
    rng = random.Random(seed)
    seen: Counter[int] = Counter()
    for i in range(count):
        query = mutate(rng.choice(VALID), rng)
        query = "".join(c for c in query if not 0xD800 <= ord(c) <= 0xDFFF)
        how = rng.choice(("get", "form", "direct")) if len(query) < 2_000 else "direct"
        accept = rng.choice(
            ("*/*", "application/sparql-results+json", "text/csv", "text/turtle", "image/png")
        )
        seen[send(server, query, how, tally, accept=accept)] += 1
        if i % 25 == 0:
            cheap_is_quick(server, tally)
    cheap_is_quick(server, tally)
    return seen


def test_random_mutations_of_valid_queries(server: str, tally: Tally, canary: None) -> None:
    seen = run_mutations(server, tally, MUTATIONS, seed=7)
    assert sum(seen.values()) == MUTATIONS
    assert seen[400] > 0 and seen[200] > 0, seen  # the mutations are neither all broken nor all harmless


@pytest.mark.slow
def test_random_mutations_soak(server: str, tally: Tally, canary: None) -> None:
    seen = run_mutations(server, tally, SOAK_MUTATIONS, seed=int(time.time()))
    assert sum(seen.values()) == SOAK_MUTATIONS


def test_valid_queries_still_answer_after_the_barrage(server: str, tally: Tally) -> None:
    for query in VALID:
        response = requests.post(
            server + "/sparql",
            data={"query": query},
            timeout=10,
            headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"},
        )
        assert response.status_code == 200, (query, response.text[:300])
    report = os.environ.get("BLACKJANUARY_RELIABILITY_LOG")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(
                f"hostile_sparql statuses={dict(tally.statuses)} aborted_streams={tally.aborted_streams} "
                f"canary_answers={tally.canary_answers} slowest_cheap_s={tally.slowest_cheap_s:.3f}\n"
            )


# Issue 11: the lexer bypass, its payloads, SSRF past the guard, memory --------------------------------------


def bypass(target: str, then: str = "") -> str:
    """The issue's exact bypass: ``ex:a\\#`` read as a comment hid what follows on the line."""
    return (
        r"PREFIX ex: <http://e/> SELECT ?leak WHERE { BIND(ex:a\# AS ?x) "
        f"SERVICE <{target}> {{ ?leak ?p ?o {then}}} }}"
    )


ISSUE_PAYLOADS = {
    "450,000 !": "FILTER(" + "!" * 450_000 + "true) ",
    "400,000 {": "{" * 400_000,
    "450,000 (": "FILTER(" + "(" * 450_000 + "1" + ")" * 450_000 + ") ",
    "450,000 +": "FILTER(1" + "+1" * 450_000 + ") ",
}
DOUBLING = (
    'SELECT (STRLEN(?b27) AS ?n) WHERE { BIND("ab" AS ?b0) '
    + " ".join(f"BIND(CONCAT(?b{i},?b{i}) AS ?b{i + 1})" for i in range(27))
    + " }"
)


def test_the_issue_payloads_are_400_and_no_worker_dies(
    live: Server, listener: Listener, tally: Tally
) -> None:
    before = live.workers()
    for name, then in ISSUE_PAYLOADS.items():
        query = bypass(listener.url + "/internal", then)
        assert len(query.encode()) < 1_000_000, name
        assert send(live.url, query, "direct", tally) == 400, name  # a < 1 MB POST
        cheap_is_quick(live.url, tally)
    assert len(DOUBLING.encode()) < 1_000
    assert send(live.url, DOUBLING, "get", tally) == 400
    for how in ("get", "form", "direct"):
        assert send(live.url, bypass(listener.url + "/internal"), how, tally) == 403
    glued = f"PREFIX a: <{listener.url}/> SELECT * WHERE {{ SERVICEa:x {{ ?s ?p ?o }} }}"
    assert send(live.url, glued, "get", tally) == 403
    time.sleep(0.5)
    assert listener.seen == []
    # No worker died: one that is gone was recycled by its watchdog (a runaway of an earlier test, 503'd).
    gone = before - live.workers()
    assert all(any(f"recycling worker {pid}" in line for line in live.stderr) for pid in gone), gone
    assert not [line for line in live.stderr if "was sent" in line]


def test_an_allow_listed_service_is_502_and_the_engine_still_opens_no_connection(
    live: Server, listener: Listener
) -> None:
    """The guard lets this one through (it is allow-listed); the engine threads' seccomp filter does not."""
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}/allowed> {{ ?s ?p ?o }} }}"
    response = requests.get(live.url + "/sparql", params={"query": query}, timeout=10)
    assert response.status_code == 502, response.text[:300]
    assert "SERVICE" in response.json()["error"]
    silent = requests.get(
        live.url + "/sparql", params={"query": query.replace("SERVICE", "SERVICE SILENT")}, timeout=10
    )
    assert silent.status_code == 200
    time.sleep(0.5)
    assert listener.seen == []


MEMORY_HOG = "SELECT (GROUP_CONCAT(STR(?c)) AS ?x) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def worker_rss(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total = max(total, int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
        except OSError:
            continue
    return total


def test_a_query_over_its_memory_budget_is_503_and_its_worker_is_replaced_cleanly(
    built_settings: Settings,
) -> None:
    """A blocking GROUP_CONCAT over a 3-way product grows without end: stopped at the budget (503, long
    before its 30 s deadline), its worker replaced gracefully, cheap queries answered throughout."""
    budget = 96 << 20
    env = {
        "BLACKJANUARY_QUERY_TIMEOUT": "30",
        "BLACKJANUARY_QUERY_MEMORY_BUDGET": str(budget),
        "BLACKJANUARY_CACHE_SIZE": "0",
        "BLACKJANUARY_WORKER_MEMORY_LIMIT": "0",  # the automatic address-space limit (the default)
    }
    server = start_server(built_settings, env)
    failures: list[str] = []
    peak = [0]
    stop = threading.Event()
    try:
        before = server.workers()
        baseline = worker_rss(before)
        for pid in before:  # the OS's last line is in place (set once the worker has built its app)
            line = ""
            for _ in range(100):
                with open(f"/proc/{pid}/limits", encoding="ascii") as limits:
                    line = next(x for x in limits if x.startswith("Max address space"))
                if line.split()[3] != "unlimited":
                    break
                time.sleep(0.1)
            assert line.split()[3] != "unlimited", line
        baseline = worker_rss(before)

        def watch() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], worker_rss(server.workers()))
                try:
                    answer = requests.get(server.url + "/sparql", params={"query": CHEAP}, timeout=3)
                    if answer.status_code != 200:
                        failures.append(f"status {answer.status_code}")
                except requests.RequestException as exc:
                    failures.append(repr(exc))
                stop.wait(0.1)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        response = requests.get(server.url + "/sparql", params={"query": MEMORY_HOG}, timeout=60)
        took = time.monotonic() - started
        assert response.status_code == 503, response.text[:300]
        assert "memory" in response.json()["error"] and response.headers["Retry-After"].isdigit()
        assert took < 25, took  # the budget, not the 30 s deadline, stopped it
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len(server.workers()) != 2 or server.workers() == before):
            time.sleep(0.2)
        assert len(server.workers()) == 2 and server.workers() != before  # replaced, not killed
        time.sleep(1)
        stop.set()
        watcher.join(timeout=10)
        assert not failures, failures[:5]
        growth = peak[0] - baseline
        report = os.environ.get("BLACKJANUARY_RELIABILITY_LOG")
        if report:
            with open(report, "a", encoding="utf-8") as out:
                out.write(
                    f"memory_budget budget={budget >> 20}MiB took={took:.1f}s peak_growth={growth >> 20}MiB\n"
                )
        # The budget plus what the engine adds during the grace and the graceful stop (it grows by
        # 35-130 MB/s here); without the budget it would grow until the 30 s deadline and beyond.
        assert growth < 1 << 30, growth >> 20
    finally:
        stop.set()
        server.process.stop()
    died = [line for line in server.stderr if "was sent" in line]
    assert not died, died


@pytest.mark.slow
def test_the_issue_payloads_repeated_do_not_disturb_the_pages(live: Server, listener: Listener) -> None:
    """The issue: two clients repeating the crash payload for 20 s failed 47 % of /page/baku requests."""
    seconds = float(os.environ.get("BLACKJANUARY_PAYLOAD_SOAK_SECONDS", "20"))
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    pages: Counter[str] = Counter()

    def attack(n: int) -> None:
        payloads = [bypass(listener.url + "/internal", then) for then in ISSUE_PAYLOADS.values()]
        with requests.Session() as session:
            while not stop.is_set():
                response = session.post(
                    live.url + "/sparql",
                    data=payloads[n % len(payloads)].encode(),
                    headers={"Content-Type": "application/sparql-query"},
                    timeout=30,
                )
                statuses[response.status_code] += 1
                n += 1

    attackers = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(2)]
    for thread in attackers:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            page = requests.get(live.url + "/page/baku", timeout=5)
            pages["ok" if page.status_code == 200 else f"status {page.status_code}"] += 1
        except requests.RequestException as exc:
            pages[type(exc).__name__] += 1
    stop.set()
    for thread in attackers:
        thread.join(timeout=30)
    report = os.environ.get("BLACKJANUARY_RELIABILITY_LOG")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(f"payload soak {seconds:g}s attacks={dict(statuses)} pages={dict(pages)}\n")
    assert set(statuses) == {400}, statuses
    assert set(pages) == {"ok"}, pages
    assert listener.seen == []
    assert not [line for line in live.stderr if "was sent" in line]


def test_workers_have_an_address_space_limit_by_default(live: Server) -> None:
    """The OS's last line is on without configuration (ADR 0010): this module's server sets no
    ``BLACKJANUARY_WORKER_MEMORY_LIMIT``, and each worker runs under a finite RLIMIT_AS."""
    workers = live.workers()
    assert workers
    for pid in workers:
        line = ""
        for _ in range(300):  # set once the worker has built its app: one may still be loading
            with open(f"/proc/{pid}/limits", encoding="ascii") as limits:
                line = next(x for x in limits if x.startswith("Max address space"))
            if line.split()[3] != "unlimited":
                break
            time.sleep(0.1)
        assert line.split()[3] != "unlimited" and int(line.split()[3]) > 2**31, line
