"""Query evaluation: each W3C test run by pyoxigraph in-process and through our endpoint over HTTP.

In process, the test's dataset is built as the suite describes it (``qt:data`` merged into the
default graph, each ``qt:graphData`` a named graph named by its IRI) and the query is evaluated with
its own IRI as base.

Over HTTP, an app on the embedded backend holds every file the tests name, each as a named graph
under the file's IRI (one app for all tests: building a Flask app costs ~0.1 s). The query goes to
``POST /sparql`` as a form, with a ``BASE`` declaration for its IRI (the protocol has no base
parameter) and the test's dataset given by the protocol's ``default-graph-uri`` /
``named-graph-uri`` (unless the query names its own with FROM); a test without data talks to an
app on an empty store. Each answer is requested in every format the endpoint serves for the query
form and parsed back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pyoxigraph as ox
from flask import Flask
from rdflib import Graph

from blackjanuary.config import Settings
from blackjanuary.rdf.formats import RDF_FORMATS, RESULT_FORMATS, Format
from blackjanuary.store.embedded import EmbeddedStore
from blackjanuary.web.app import create_app

from .results import (
    Answer,
    GraphAnswer,
    Solutions,
    as_csv,
    compare,
    from_ox_results,
    is_ordered,
    parse_results,
    read_expected,
)
from .suites import Entry, local_path

ROOT = Path(__file__).resolve().parents[2]

PARSE_BACK = {"json": "srj", "xml": "srx", "csv": "csv", "tsv": "tsv"}
"""Our result formats → the reader for the answer (CSV is read in its lossy form)."""


@dataclass(frozen=True)
class Outcome:
    """One test in one engine or format: ``pass``, ``fail`` or ``skip``, and why (for fail/skip)."""

    test: str
    engine: str
    """``pyoxigraph`` (in process) or ``http:<format>`` (our endpoint)."""
    status: str
    reason: str = ""


SKIPPED = {
    "Withdrawn": "withdrawn by the working group (dawgt:Withdrawn)",
}


def skip_reason(entry: Entry) -> str | None:
    if entry.approval in SKIPPED:
        return SKIPPED[entry.approval]
    return None


def query_text(entry: Entry) -> str:
    assert entry.query is not None
    return local_path(entry.query).read_bytes().decode("utf-8")


_FROM = re.compile(r"\bFROM\s+(NAMED\s+)?<([^>]*)>", re.IGNORECASE)
_COMMENTS = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"')


def from_clauses(entry: Entry) -> list[str]:
    """The graph IRIs the query names in FROM / FROM NAMED, resolved against the query's IRI."""
    assert entry.query is not None
    text = _COMMENTS.sub(" ", query_text(entry))
    return [urljoin(entry.query, m.group(2)) for m in _FROM.finditer(text)]


def graph_files(entry: Entry) -> list[str]:
    """Every data file the test needs, by IRI: its data, its named graphs and the query's FROM graphs."""
    found: list[str] = []
    for iri in (*entry.data, *entry.graph_data, *from_clauses(entry)):
        if iri not in found and local_path(iri).is_file():
            found.append(iri)
    return found


def _load(store: ox.Store, iri: str, graph: ox.NamedNode | ox.DefaultGraph) -> None:
    path = local_path(iri)
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    assert fmt is not None, path
    if isinstance(graph, ox.NamedNode):
        store.add_graph(graph)  # an empty file is still a graph of the dataset
    store.load(path=str(path), format=fmt, base_iri=iri, to_graph=graph)


def expected(entry: Entry) -> Answer:
    assert entry.result is not None
    return read_expected(local_path(entry.result), entry.result)


def _csv_only(entry: Entry) -> bool:
    return entry.result is not None and entry.result.endswith(".csv")


def _judge(entry: Entry, want: Answer, got: Answer) -> str | None:
    ordered = is_ordered(query_text(entry))
    if _csv_only(entry):
        return compare(want, as_csv(got), ordered=ordered, lax=entry.lax)
    return compare(want, got, ordered=ordered, lax=entry.lax)


# In process ------------------------------------------------------------------------------------------


def run_pyoxigraph(entry: Entry) -> Outcome:
    reason = skip_reason(entry)
    if reason:
        return Outcome(entry.short_id, "pyoxigraph", "skip", reason)
    store = ox.Store()
    try:
        for iri in entry.data:
            _load(store, iri, ox.DefaultGraph())
        for iri in set(entry.graph_data) | (set(from_clauses(entry)) - set(entry.data)):
            if local_path(iri).is_file():
                _load(store, iri, ox.NamedNode(iri))
        got = from_ox_results(store.query(query_text(entry), base_iri=entry.query))
    except (SyntaxError, ValueError, OSError) as exc:
        return Outcome(entry.short_id, "pyoxigraph", "fail", f"error: {exc}")
    problem = _judge(entry, expected(entry), got)
    return Outcome(entry.short_id, "pyoxigraph", "fail" if problem else "pass", problem or "")


# Over HTTP -------------------------------------------------------------------------------------------


@cache
def _settings() -> Settings:
    return Settings(root=ROOT)  # the defaults, result cache included, as served


def _app(files: tuple[str, ...]) -> Flask:
    store = ox.Store()
    for iri in files:
        _load(store, iri, ox.NamedNode(iri))
    embedded = EmbeddedStore(store, version=f"w3c-{len(files)}", settings=_settings())
    return create_app(_settings(), store=embedded)


@cache
def _shared_app() -> Flask:
    """One app holding every data file of every query test, each a named graph under its IRI."""
    from .suites import query_tests

    files = sorted({iri for entry in query_tests() for iri in graph_files(entry)})
    return _app(tuple(files))


@cache
def _empty_app() -> Flask:
    return _app(())


def app_for(entry: Entry) -> Flask:
    """The app a test talks to: the shared one (its dataset chosen by the protocol), or an empty one
    for a test without data (with no dataset in the request, the default graph is the store's union)."""
    return _shared_app() if graph_files(entry) else _empty_app()


def protocol_form(entry: Entry) -> list[tuple[str, str]]:
    """The form fields: the query (with its base) and the dataset, unless the query names its own."""
    fields = [("query", f"BASE <{entry.query}>\n" + query_text(entry))]
    if not from_clauses(entry):
        fields += [("default-graph-uri", iri) for iri in entry.data]
        fields += [("named-graph-uri", iri) for iri in entry.graph_data]
    return fields


def formats_for(want: Answer) -> tuple[Format, ...]:
    return RDF_FORMATS if isinstance(want, GraphAnswer) else RESULT_FORMATS


def parse_answer(fmt: Format, body: bytes) -> Answer:
    """An answer read back: results by their readers, graphs by rdflib (TriG and N-Quads by
    pyoxigraph, as rdflib's dataset readers are deprecated), every quad's triple kept."""
    if fmt.name in PARSE_BACK:
        return parse_results(body, PARSE_BACK[fmt.name])
    assert fmt.rdflib_name is not None
    if fmt.kind == "dataset":
        quads = ox.parse(body, format=ox.RdfFormat.TRIG if fmt.name == "trig" else ox.RdfFormat.N_QUADS)
        return from_ox_results(q.triple for q in quads)
    graph = Graph()
    graph.parse(data=body, format=fmt.rdflib_name)
    return GraphAnswer(graph)


def run_http(entry: Entry) -> Iterator[Outcome]:
    """The test through ``POST /sparql`` once per format we serve for its query form."""
    want = expected(entry)
    formats = formats_for(want)
    reason = skip_reason(entry)
    if reason:
        for fmt in formats:
            yield Outcome(entry.short_id, "http:" + fmt.name, "skip", reason)
        return
    client = app_for(entry).test_client()
    form = protocol_form(entry)
    for fmt in formats:
        engine = "http:" + fmt.name
        response = client.post(
            "/sparql",
            data=urlencode(form),
            content_type="application/x-www-form-urlencoded",
            headers={"Accept": fmt.media_type},
        )
        body = response.get_data()
        if response.status_code != 200:
            text = body.decode("utf-8", "replace").strip().replace("\n", " ")[:300]
            yield Outcome(entry.short_id, engine, "fail", f"HTTP {response.status_code}: {text}")
            continue
        if response.mimetype != fmt.media_type:
            yield Outcome(entry.short_id, engine, "fail", f"Content-Type {response.content_type}")
            continue
        try:
            got = parse_answer(fmt, body)
        except Exception as exc:  # noqa: BLE001 — any parser's complaint is the finding
            yield Outcome(entry.short_id, engine, "fail", f"the answer does not parse: {exc}")
            continue
        target = as_csv(want) if fmt.name == "csv" and isinstance(want, Solutions) else want
        ordered = is_ordered(query_text(entry))
        if fmt.name == "csv":
            problem = compare(target, got, ordered=ordered, lax=entry.lax)
        else:
            problem = _judge(entry, want, got)
        yield Outcome(entry.short_id, engine, "fail" if problem else "pass", problem or "")
