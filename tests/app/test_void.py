"""The dataset description (``/void.ttl``, ``/.well-known/void``) against VoID/DCAT shapes of our own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, SKOS, VOID

from blackjanuary.config import Settings
from blackjanuary.rdf.vocab import SPDX

pytestmark = pytest.mark.every_backend  # app and client once per backend (tests/conftest.py)

SHAPES = Path(__file__).resolve().parents[1] / "fixtures" / "void-dcat-shapes.ttl"


@pytest.fixture(scope="module")
def void(app: Flask) -> Graph:
    response = app.test_client().get("/void.ttl")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    return Graph().parse(data=response.data, format="turtle")


def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def test_void_conforms_to_the_void_dcat_shapes(void: Graph) -> None:
    conforms, _, text = validate(void, shacl_graph=shapes(), advanced=True)
    assert conforms, text


def test_the_shapes_catch_a_missing_checksum(void: Graph) -> None:
    broken = Graph()
    broken += void
    distribution = next(iter(broken.subjects(RDF.type, DCAT.Distribution)))
    broken.remove((distribution, SPDX.checksum, None))
    conforms, _, text = validate(broken, shacl_graph=shapes(), advanced=True)
    assert not conforms
    assert "checksum" in text


def test_distributions_match_the_served_files(
    void: Graph, client: FlaskClient, built_settings: Settings
) -> None:
    base = built_settings.base_iri
    distributions = list(void.subjects(RDF.type, DCAT.Distribution))
    assert distributions
    for distribution in distributions:
        url = str(void.value(distribution, DCAT.downloadURL))
        assert url.startswith(base + "downloads/")
        response = client.get("/" + url[len(base) :])
        assert response.status_code == 200, url
        assert int(void.value(distribution, DCAT.byteSize)) == len(response.data)
        checksum = void.value(distribution, SPDX.checksum)
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(response.data).hexdigest()


def test_linkset_counts_the_wikidata_links(void: Graph, built_settings: Settings) -> None:
    from blackjanuary.publish.manifest import read_manifest

    manifest = read_manifest(built_settings.dist)
    union = Graph().parse(
        built_settings.dist / next(f.name for f in manifest.files if f.name.endswith(".nt")), format="nt"
    )
    links = sum(
        1
        for _, _, o in union.triples((None, SKOS.exactMatch, None))
        if str(o).startswith("http://www.wikidata.org/entity/")
    )
    linksets = list(void.subjects(RDF.type, VOID.Linkset))
    assert linksets
    assert any(void.value(ls, VOID.triples) == Literal(links) for ls in linksets)
    dataset = URIRef(built_settings.base_iri + "dataset")
    assert (dataset, VOID.triples, Literal(manifest.triples)) in void


def test_well_known_and_other_formats(client: FlaskClient) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/void.ttl")
    turtle = Graph().parse(data=client.get("/void.ttl").data, format="turtle")
    for ext, name in (("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")):
        other = client.get(f"/void.{ext}")
        assert other.status_code == 200
        assert len(Graph().parse(data=other.data, format=name)) == len(turtle)
    negotiated = client.get("/void", headers={"Accept": "application/n-triples"})
    assert negotiated.mimetype == "application/n-triples"
    assert "Accept" in negotiated.headers["Vary"]
    assert client.get("/void.xyz").status_code == 404
    assert client.get("/dataset", headers={"Accept": "text/turtle"}).headers["Location"] == "/void.ttl"
