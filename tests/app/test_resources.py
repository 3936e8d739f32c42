"""Dereferencing: every IRI of the graph answers 303 by Accept, every data document parses and holds
the resource's triples, and the headers (Vary, Link, CORS, ETag/304, Cache-Control) are right."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, FOAF, VOID

from blackjanuary.config import Settings
from blackjanuary.publish.manifest import read_manifest
from blackjanuary.rdf.formats import RDF_GRAPH_FORMATS, TURTLE, Format
from blackjanuary.rdf.iris import Iris

pytestmark = pytest.mark.every_backend  # app and client once per backend (tests/conftest.py)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _dump(settings: Settings, extension: str) -> Path:
    manifest = read_manifest(settings.dist)
    return settings.dist / next(f.name for f in manifest.files if f.name.endswith("." + extension))


@pytest.fixture(scope="module")
def union(built_settings: Settings) -> Graph:
    graph = Graph()
    graph.parse(_dump(built_settings, "nt"), format="nt")
    return graph


@pytest.fixture(scope="module")
def quads(built_settings: Settings) -> Dataset:
    dataset = Dataset()
    dataset.parse(_dump(built_settings, "nq"), format="nquads")
    return dataset


def _resources(union: Graph, base: str) -> list[str]:
    """Every live resource of ours (retired ones, with ``dcterms:isReplacedBy``, answer 301 instead)."""
    ours = Iris(base)
    return sorted(
        {
            str(s)
            for s in union.subjects()
            if isinstance(s, URIRef) and ours.ref_of(str(s)) and (s, DCTERMS.isReplacedBy, None) not in union
        }
    )


def test_retired_resources_answer_301_to_their_successor(
    client: FlaskClient, union: Graph, built_settings: Settings
) -> None:
    """A key never changes once published: a replaced statement or entity redirects permanently."""
    ours = Iris(built_settings.base_iri)
    retired = sorted(union.subject_objects(DCTERMS.isReplacedBy))
    assert retired, "the data retires at least one key (see graph/claims.ttl)"
    for old, new in retired:
        old_ref, new_ref = ours.ref_of(str(old)), ours.ref_of(str(new))
        assert old_ref is not None and new_ref is not None
        assert (new, None, None) in union, f"{old} is replaced by {new}, which is not in the data"
        for prefix, ext in (("id", ""), ("page", ""), ("data", ".ttl")):
            response = client.get(f"/{prefix}/{old_ref.suffix}{ext}")
            assert response.status_code == 301, (old, prefix)
            expected = f"/id/{new_ref.suffix}" if prefix == "id" else f"/{prefix}/{new_ref.suffix}{ext}"
            assert response.headers["Location"] == expected, (old, prefix)


def test_graph_has_things_and_statements(union: Graph, built_settings: Settings) -> None:
    found = _resources(union, built_settings.base_iri)
    assert any("/id/statement/" in iri for iri in found)
    assert any("/id/statement/" not in iri for iri in found)


def test_every_resource_answers_303_by_accept(
    client: FlaskClient, union: Graph, built_settings: Settings
) -> None:
    """For every entity: /id/ → 303 to the page for a browser, to /data/….{ext} for each RDF type."""
    ours = Iris(built_settings.base_iri)
    for iri in _resources(union, built_settings.base_iri):
        suffix = ours.ref_of(iri).suffix  # type: ignore[union-attr]
        response = client.get(f"/id/{suffix}", headers={"Accept": BROWSER})
        assert response.status_code == 303, iri
        assert response.headers["Location"] == f"/page/{suffix}"
        assert "Accept" in response.headers["Vary"]
        for fmt in RDF_GRAPH_FORMATS:
            response = client.get(f"/id/{suffix}", headers={"Accept": fmt.media_type})
            assert response.status_code == 303, (iri, fmt.name)
            assert response.headers["Location"] == f"/data/{suffix}.{fmt.extension}"


@pytest.mark.whole_site
@pytest.mark.parametrize("fmt", RDF_GRAPH_FORMATS, ids=lambda f: f.extension)
def test_every_data_document_holds_its_triples(
    client: FlaskClient, union: Graph, built_settings: Settings, fmt: Format
) -> None:
    """For every entity and format: /data/{key}.{ext} parses to a graph holding the entity's triples."""
    ours = Iris(built_settings.base_iri)
    for iri in _resources(union, built_settings.base_iri):
        suffix = ours.ref_of(iri).suffix  # type: ignore[union-attr]
        own = set(union.triples((URIRef(iri), None, None)))
        assert own, iri
        response = client.get(f"/data/{suffix}.{fmt.extension}")
        assert response.status_code == 200, (iri, fmt.name)
        assert response.mimetype == fmt.media_type
        parsed = Graph().parse(data=response.data, format=fmt.rdflib_name)
        missing = [t for t in own if t not in parsed]
        assert not missing, (iri, fmt.name, missing[:3])
        doc = URIRef(built_settings.base_iri + f"data/{suffix}.{fmt.extension}")
        assert (doc, FOAF.primaryTopic, URIRef(iri)) in parsed
        assert (doc, VOID.inDataset, URIRef(built_settings.base_iri + "dataset")) in parsed


@pytest.mark.whole_site
@pytest.mark.parametrize("accept", [BROWSER, "text/turtle"], ids=["html", "turtle"])
def test_every_iri_of_ours_in_the_dumps_resolves(
    client: FlaskClient, quads: Dataset, built_settings: Settings, accept: str
) -> None:
    """Every IRI under the base (subjects, predicates, objects, graph names) answers in HTML and in RDF."""
    base = built_settings.base_iri
    found: set[str] = set()
    for s, p, o, g in quads.quads():
        for term in (s, p, o, g):
            if isinstance(term, URIRef) and str(term).startswith(base):
                found.add(str(term).split("#", 1)[0])
    assert found
    for iri in sorted(found):
        response = client.get("/" + iri[len(base) :], headers={"Accept": accept}, follow_redirects=True)
        assert response.status_code == 200, (iri, accept, response.status_code)
        if accept == "text/turtle":
            assert response.mimetype == "text/turtle", iri
        else:
            assert response.mimetype == "text/html", iri


def test_data_document_has_provenance_and_labels(
    client: FlaskClient, union: Graph, built_settings: Settings
) -> None:
    from rdflib.namespace import PROV, RDF, RDFS

    statement = next(s for s in union.subjects(PROV.wasDerivedFrom, None) if "/id/statement/" in str(s))
    subject = union.value(statement, RDF.subject)
    ours = Iris(built_settings.base_iri)
    response = client.get(f"/data/{ours.ref_of(str(subject)).suffix}.ttl")  # type: ignore[union-attr]
    doc = Graph().parse(data=response.data, format="turtle")
    quote = union.value(statement, PROV.wasDerivedFrom)
    assert (statement, RDF.subject, subject) in doc
    assert (statement, PROV.wasDerivedFrom, quote) in doc
    assert set(union.triples((quote, None, None))) <= set(doc)
    for obj in union.objects(subject, None):
        if isinstance(obj, URIRef) and (obj, RDFS.label, None) in union:
            assert (obj, RDFS.label, None) in doc, obj


def test_negotiated_data_and_406(client: FlaskClient) -> None:
    response = client.get("/data/baku", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Content-Location"] == "/data/baku.jsonld"
    assert "Accept" in response.headers["Vary"]
    response = client.get("/data/baku", headers={"Accept": "*/*"})
    assert response.mimetype == TURTLE.media_type
    for path in ("/id/baku", "/data/baku"):
        response = client.get(path, headers={"Accept": "image/png"})
        assert response.status_code == 406
        assert "text/turtle" in response.get_data(as_text=True)
    explicit = client.get("/data/baku.ttl")
    assert "Accept" not in explicit.vary  # a suffix URL is not negotiated (Accept-Encoding aside)
    assert client.get("/data/baku.xyz").status_code == 404


def test_headers(client: FlaskClient) -> None:
    response = client.get("/data/baku.ttl", headers={"Origin": "https://example.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "Link" in exposed and "ETag" in exposed
    assert "max-age" in response.headers["Cache-Control"]
    link = response.headers["Link"]
    for fmt in RDF_GRAPH_FORMATS:
        if fmt is not TURTLE:
            assert f'</data/baku.{fmt.extension}>; rel="alternate"; type="{fmt.media_type}"' in link
    assert '</page/baku>; rel="alternate"; type="text/html"' in link
    etag = response.headers["ETag"]
    again = client.get("/data/baku.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    page = client.get("/page/baku")
    assert 'rel="describedby"' in page.headers["Link"]
    assert "Accept-Language" in page.headers["Vary"]
    assert client.get("/page/baku", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    see_other = client.get("/id/baku", headers={"Accept": "text/turtle"})
    assert 'rel="describedby"' in see_other.headers["Link"]
    preflight = client.options(
        "/data/baku.ttl", headers={"Origin": "https://e.org", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 204


def test_unknown_key_suggests(client: FlaskClient) -> None:
    response = client.get("/id/bakuu", headers={"Accept": BROWSER})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert 'href="/page/baku"' in text
    plain = client.get("/id/bakuu", headers={"Accept": "text/turtle"})
    assert plain.status_code == 404
    assert "/page/baku" in plain.get_data(as_text=True)
    assert client.get("/id/Not_A_Key", headers={"Accept": BROWSER}).status_code == 404
    assert client.get("/page/no-such-thing-here").status_code == 404
    assert client.get("/data/no-such-thing-here.ttl").status_code == 404


def test_rdf_carries_canonical_iris_on_any_host(client: FlaskClient, built_settings: Settings) -> None:
    response = client.get("/data/baku.nt", base_url="http://localhost:5000")
    assert f"<{built_settings.base_iri}id/baku>".encode() in response.data
    assert b"localhost" not in response.data
