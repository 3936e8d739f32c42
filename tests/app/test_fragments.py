"""Triple Pattern Fragments (``/fragments``) on every backend: data, metadata, controls, paging, formats,
caching and bad input, checked against the SPARQL endpoint on the real build."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.every_backend  # app and client once per backend (tests/conftest.py)

PUBLIC = "https://w3id.org/blackjanuary/"
"""The public URL of the test client's app (no BLACKJANUARY_PUBLIC_URL: the base IRI)."""

HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
BAKU = "https://w3id.org/blackjanuary/id/baku"
PRIMARY_TOPIC = "http://xmlns.com/foaf/0.1/primaryTopic"


def q(value: str) -> str:
    return quote(value, safe="")


class Fragment:
    """A fragment fetched as N-Quads: its data (default graph) and its metadata graph."""

    def __init__(self, client: FlaskClient, url: str) -> None:
        response = client.get(url, headers={"Accept": "application/n-quads"})
        assert response.status_code == 200, response.data
        assert response.mimetype == "application/n-quads"
        self.response = response
        self.url = PUBLIC + url.lstrip("/") if url.startswith("/") else url
        quads = list(ox.parse(response.data, format=ox.RdfFormat.N_QUADS))
        self.data = {q.triple for q in quads if isinstance(q.graph_name, ox.DefaultGraph)}
        self.meta = {q.triple for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}
        graphs = {q.graph_name for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}
        assert graphs == {ox.NamedNode(self.url + "#metadata")}

    def values(self, subject: str, predicate: str) -> list[str]:
        return sorted(
            t.object.value for t in self.meta if t.subject.value == subject and t.predicate.value == predicate
        )

    def count(self) -> int:
        (total,) = self.values(self.url, HYDRA + "totalItems")
        assert self.values(self.url, VOID + "triples") == [total]
        return int(total)

    def next(self) -> str | None:
        found = self.values(self.url, HYDRA + "next")
        return found[0] if found else None


def sparql(client: FlaskClient, query: str) -> list[dict[str, dict[str, str]]]:
    response = client.post(
        "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.data
    return json.loads(response.data)["results"]["bindings"]


def local(url: str) -> str:
    assert url.startswith(PUBLIC), url  # controls name the public URL
    parts = urlsplit("/" + url[len(PUBLIC) :])
    return parts.path + ("?" + parts.query if parts.query else "")


def test_a_fragment_carries_data_count_and_the_hydra_search_form(client: FlaskClient) -> None:
    fragment = Fragment(client, f"/fragments?subject={q(BAKU)}")
    assert fragment.data and all(t.subject == ox.NamedNode(BAKU) for t in fragment.data)
    assert fragment.count() == len(fragment.data)
    assert fragment.next() is None
    assert (
        ox.Triple(
            ox.NamedNode(fragment.url + "#metadata"), ox.NamedNode(PRIMARY_TOPIC), ox.NamedNode(fragment.url)
        )
        in fragment.meta
    )
    dataset = PUBLIC + "fragments#dataset"
    assert fragment.values(dataset, VOID + "subset") == [fragment.url]
    assert fragment.values(dataset, RDF + "type") == sorted([HYDRA + "Collection", VOID + "Dataset"])
    (form,) = fragment.values(dataset, HYDRA + "search")
    assert fragment.values(form, HYDRA + "template") == [PUBLIC + "fragments{?subject,predicate,object}"]
    assert fragment.values(form, HYDRA + "variableRepresentation") == [HYDRA + "ExplicitRepresentation"]
    mappings = {
        fragment.values(m, HYDRA + "variable")[0]: fragment.values(m, HYDRA + "property")[0]
        for m in fragment.values(form, HYDRA + "mapping")
    }
    assert mappings == {"subject": RDF + "subject", "predicate": RDF + "predicate", "object": RDF + "object"}


def test_the_same_triples_as_the_sparql_endpoint(client: FlaskClient) -> None:
    rows = sparql(client, f"SELECT DISTINCT ?p ?o WHERE {{ <{BAKU}> ?p ?o }}")
    fragment = Fragment(client, f"/fragments?subject={q(BAKU)}")
    assert {(t.predicate.value, t.object.value) for t in fragment.data} == {
        (r["p"]["value"], r["o"]["value"]) for r in rows
    }


def test_paging_walks_every_match_once_and_the_count_is_exact(client: FlaskClient) -> None:
    (row,) = sparql(
        client, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ ?s <{RDFS_LABEL}> ?o }} }}"
    )
    expected = int(row["n"]["value"])
    assert expected > 200  # three pages at least
    url: str | None = f"/fragments?predicate={q(RDFS_LABEL)}"
    seen: list[ox.Triple] = []
    pages = 0
    while url is not None:
        fragment = Fragment(client, url)
        assert fragment.count() == expected
        assert len(fragment.data) <= 100
        if pages:
            assert fragment.values(fragment.url, HYDRA + "previous")
        seen += fragment.data
        pages += 1
        following = fragment.next()
        url = local(following) if following else None
    assert pages == -(-expected // 100)
    assert len(seen) == len(set(seen)) == expected
    assert all(t.predicate.value == RDFS_LABEL for t in seen)


def test_the_last_page_is_its_own_count(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page that is not full ends the fragment, so its matches are counted from it (one lookup, not
    two); a page past the end asks for the count, and says it (it once said its own offset, 200)."""
    from blackjanuary.query.service import QueryService

    counted: list[object] = []
    count_pattern = QueryService.count_pattern

    def spy(self: QueryService, pattern: object, **options: object) -> int:
        counted.append(pattern)
        return count_pattern(self, pattern, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(QueryService, "count_pattern", spy)
    (row,) = sparql(
        client, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?p ?o WHERE {{ <{BAKU}> ?p ?o }} }}"
    )
    fragment = Fragment(client, f"/fragments?subject={q(BAKU)}&page=1")
    assert 0 < len(fragment.data) == fragment.count() == int(row["n"]["value"]) < 100
    assert fragment.next() is None and not counted
    past = Fragment(client, f"/fragments?subject={q(BAKU)}&page=3")
    assert not past.data and past.count() == fragment.count() and len(counted) == 1


def test_a_page_past_the_end_is_empty_and_links_back(client: FlaskClient) -> None:
    fragment = Fragment(client, f"/fragments?subject={q(BAKU)}&page=7")
    assert not fragment.data
    assert fragment.next() is None
    assert fragment.values(fragment.url, HYDRA + "previous")


@pytest.mark.parametrize(
    ("value", "subject"),
    [
        ('"Baku"@de', BAKU),
        ('"Baku"@DE', BAKU),
        ('"40.39528"^^http://www.w3.org/2001/XMLSchema#decimal', BAKU),
        ('"40.39528"^^<http://www.w3.org/2001/XMLSchema#decimal>', BAKU),
        ('"40.39528"^^xsd:decimal', BAKU),
    ],
)
def test_object_literals_in_the_explicit_representation(
    client: FlaskClient, value: str, subject: str
) -> None:
    fragment = Fragment(client, f"/fragments?object={q(value)}")
    assert ox.NamedNode(subject) in {t.subject for t in fragment.data}


def test_a_plain_literal_that_matches_nothing_is_an_empty_fragment(client: FlaskClient) -> None:
    fragment = Fragment(client, "/fragments?object=" + q('"Baku"'))
    assert not fragment.data
    assert fragment.count() == 0


def test_a_fully_bound_pattern(client: FlaskClient) -> None:
    url = f"/fragments?subject={q(BAKU)}&predicate={q(RDFS_LABEL)}&object=" + q('"Baku"@de')
    fragment = Fragment(client, url)
    assert len(fragment.data) == 1
    assert fragment.count() == 1


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("subject=not%20an%20iri", "subject"),
        ("subject=%22Baku%22", "literal"),
        ("predicate=%22label%22%40en", "literal"),
        ("object=%22unterminated", "literal"),
        ("object=%22x%22%40not%20a%20tag", "object"),
        ("object=%22x%22%5E%5Enot%20an%20iri", "object"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=%C2%B2", "page"),
        ("page=99999999999", "page"),
        ("subject=" + "a" * 5000, "longer"),
    ],
)
def test_bad_parameters_are_400_with_a_message(client: FlaskClient, query: str, words: str) -> None:
    response = client.get(f"/fragments?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.get_json()
    assert words in body["error"] and body["hint"]


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("application/trig", "application/trig", ox.RdfFormat.TRIG),
        ("application/n-quads", "application/n-quads", ox.RdfFormat.N_QUADS),
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("*/*", "application/trig", ox.RdfFormat.TRIG),
    ],
)
def test_every_rdf_format_holds_data_and_metadata(
    client: FlaskClient, accept: str, media_type: str, fmt: ox.RdfFormat
) -> None:
    response = client.get(f"/fragments?subject={q(BAKU)}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    statements = list(ox.parse(response.data, format=fmt))
    triples = {s if isinstance(s, ox.Triple) else s.triple for s in statements}
    assert (
        ox.Triple(ox.NamedNode(BAKU), ox.NamedNode(RDFS_LABEL), ox.Literal("Baku", language="de")) in triples
    )
    assert any(t.predicate.value == HYDRA + "totalItems" for t in triples)
    assert any(t.predicate.value == HYDRA + "template" for t in triples)


@pytest.mark.parametrize(
    "url",
    [
        f"/fragments?subject={q(BAKU)}",  # one page
        f"/fragments?predicate={q(RDFS_LABEL)}&page=2",  # a middle page: previous and next
        "/fragments?object=%22no%20such%20label%22",  # nothing
    ],
)
def test_every_rdf_format_holds_the_same_statements(client: FlaskClient, url: str) -> None:
    """Each format is put together from the writing of its parts (data, metadata, controls): parsed, the
    graph-aware ones give the same quads as N-Quads, and Turtle and N-Triples the same triples, less the
    metadata graph's ``foaf:primaryTopic`` (they have no graph for it to be about)."""

    def parsed(media_type: str, fmt: ox.RdfFormat) -> set[ox.Quad]:
        response = client.get(url, headers={"Accept": media_type})
        assert response.status_code == 200 and response.mimetype == media_type
        return set(ox.parse(response.data, format=fmt))

    quads = parsed("application/n-quads", ox.RdfFormat.N_QUADS)
    assert len(quads) > 25  # the controls and the metadata, at least
    assert parsed("application/trig", ox.RdfFormat.TRIG) == quads
    assert parsed("application/ld+json", ox.RdfFormat.JSON_LD) == quads
    in_one_graph = {quad.triple for quad in quads if quad.predicate.value != PRIMARY_TOPIC}
    for media_type, fmt in (
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ):
        assert {quad.triple for quad in parsed(media_type, fmt)} == in_one_graph


def test_html_view_has_the_search_form_and_the_triples(client: FlaskClient) -> None:
    response = client.get(f"/fragments?subject={q(BAKU)}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.data.decode()
    assert '<form class="fragment-search" method="get" action="/fragments">' in page
    assert f'value="{BAKU}"' in page
    assert "Bakı" in page and "Content-Security-Policy" in response.headers


def test_unacceptable_format_is_406(client: FlaskClient) -> None:
    assert client.get("/fragments", headers={"Accept": "image/png"}).status_code == 406


def test_fragments_are_cacheable_per_version(client: FlaskClient) -> None:
    url = f"/fragments?subject={q(BAKU)}"
    first = client.get(url, headers={"Accept": "text/turtle"})
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    etag = first.headers["ETag"]
    version = json.loads(client.get("/downloads", headers={"Accept": "application/json"}).data)["version"]
    assert etag.strip('"').startswith(version + "-tpf-")
    again = client.get(url, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    other = client.get(url + "&page=2", headers={"Accept": "text/turtle"})
    assert other.headers["ETag"] != etag
    nt = client.get(url, headers={"Accept": "application/n-triples"})
    assert nt.headers["ETag"] != etag


@pytest.mark.parametrize("host", ['bad host"<>', "ex{ample}.org", "evil.example", "127.0.0.1:1"])
def test_the_host_header_never_decides_the_controls(client: FlaskClient, host: str) -> None:
    """The controls start with the public URL (here the base IRI: the test client configures none)."""
    response = client.get(f"/fragments?subject={q(BAKU)}", headers={"Accept": "text/turtle", "Host": host})
    assert response.status_code == 200
    assert (
        b'hydra:template "https://w3id.org/blackjanuary/fragments{?subject,predicate,object}"'
        in response.data
    )


def test_the_void_description_links_the_fragments(client: FlaskClient) -> None:
    void = {t for t in ox.parse(client.get("/void.ttl").data, format=ox.RdfFormat.TURTLE)}
    dataset = ox.NamedNode("https://w3id.org/blackjanuary/dataset")
    (lookup,) = [
        t.object for t in void if t.subject == dataset and t.predicate.value == VOID + "uriLookupEndpoint"
    ]
    assert lookup.value == "https://w3id.org/blackjanuary/fragments?subject="
    (form,) = [t.object for t in void if t.subject == dataset and t.predicate.value == HYDRA + "search"]
    templates = [
        t.object.value for t in void if t.subject == form and t.predicate.value == HYDRA + "template"
    ]
    assert templates == ["https://w3id.org/blackjanuary/fragments{?subject,predicate,object}"]
    # the lookup works as VoID says: the endpoint followed by the encoded IRI
    fragment = Fragment(client, lookup.value.removeprefix("https://w3id.org/blackjanuary") + q(BAKU))
    assert fragment.data and fragment.count() == len(fragment.data)


@pytest.mark.parametrize(("cap", "large_cap", "exact"), [(50, 100_000, True), (50, 100, False)])
def test_large_counts_are_counted_once_up_to_a_cap(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, cap: int, large_cap: int, exact: bool
) -> None:
    from blackjanuary.web import fragments, page_cache

    (row,) = sparql(
        client, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ ?s <{RDF}type> ?o }} }}"
    )
    expected = int(row["n"]["value"])
    assert expected > large_cap or exact
    monkeypatch.setattr(fragments, "COUNT_CAP", cap)
    monkeypatch.setattr(fragments, "LARGE_COUNT_CAP", large_cap)
    app.extensions.pop("blackjanuary.fragments.counts", None)
    app.extensions[page_cache.CACHE_KEY].clear()  # the rendered fragments of the other cap
    try:
        html = client.get(
            f"/fragments?predicate={q(RDF + 'type')}", headers={"Accept": "text/html"}
        ).data.decode()
        fragment = Fragment(client, f"/fragments?predicate={q(RDF + 'type')}")
    finally:
        app.extensions.pop("blackjanuary.fragments.counts", None)
    if exact:
        assert fragment.count() == expected
        assert f"Matching triples: {expected:,}" in html
    else:
        assert fragment.count() == large_cap + 1
        assert f"Matching triples: about {large_cap + 1:,}" in html


_TERMS = st.one_of(
    st.text(max_size=60),
    st.builds(lambda s: f'"{s}"', st.text(max_size=20)),
    st.builds(lambda s, t: f'"{s}"@{t}', st.text(max_size=10), st.text(max_size=12)),
    st.builds(lambda s, t: f'"{s}"^^{t}', st.text(max_size=10), st.text(max_size=30)),
    st.builds(lambda s: f"http://{s}", st.text(max_size=30)),
    st.sampled_from([BAKU, RDFS_LABEL, '"Baku"@de', "?x", "_:b", "<" + BAKU + ">", "<>", '""', '"']),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=_TERMS, predicate=_TERMS, obj=_TERMS, page=st.one_of(st.none(), st.text(max_size=8)))
def test_any_parameters_give_a_fragment_or_a_400(
    client: FlaskClient, subject: str, predicate: str, obj: str, page: str | None
) -> None:
    query = {"subject": subject, "predicate": predicate, "object": obj}
    if page is not None:
        query["page"] = page
    response = client.get("/fragments", query_string=query, headers={"Accept": "application/n-quads"})
    assert response.status_code in (200, 400), (query, response.status_code, response.data[:300])
    if response.status_code == 400:
        assert response.get_json()["error"]
    else:
        assert list(ox.parse(response.data, format=ox.RdfFormat.N_QUADS))


def test_the_landing_page_links_the_fragments(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept": "text/html"}).data.decode()
    assert '<a href="/fragments">Triple Pattern Fragments</a>' in page


def test_the_whole_dataset_fragment_estimates_its_count_and_pages_on(client: FlaskClient) -> None:
    fragment = Fragment(client, "/fragments")
    assert len(fragment.data) == 100
    assert fragment.count() >= 3000  # the per-graph counts the store holds (an estimate)
    assert fragment.next() is not None


def test_a_one_page_fragment_has_the_same_bytes_on_every_backend(app_for: Callable[[str], Flask]) -> None:
    url = f"/fragments?subject={q(BAKU)}"
    bodies = {
        backend: app_for(backend).test_client().get(url, headers={"Accept": "application/trig"}).data
        for backend in ("embedded", "persistent", "remote")
    }
    assert bodies["embedded"] == bodies["persistent"] == bodies["remote"]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ("Subjekt", "Passende Tripel: ")),
        ("az", ("Subyekt", "Uyğun üçlüklər: ")),
        ("ru", ("Субъект", "Подходящих триплетов: ")),
    ],
)
def test_the_fragment_page_speaks_the_reader_s_language(
    client: FlaskClient, lang: str, words: tuple[str, ...]
) -> None:
    html = client.get(f"/fragments?lang={lang}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'<html lang="{lang}"' in html
    for word in words:
        assert word in html
    assert "matching triple" not in html and "next page" not in html
