"""Defects the W3C suites led to, each pinned by its own case (the suite cases themselves run in the
parametrized tests: dataset/*, protocol query_content_type_construct, turtle-syntax-blank-label …)."""

from __future__ import annotations

import pyoxigraph as ox

from .query_eval import _empty_app


def test_construct_with_a_digit_led_blank_node_is_valid_rdf_xml() -> None:
    """functions/bnode01 showed Oxigraph's BNODE(str) labels the node with the string itself; as a
    CONSTRUCT answer in RDF/XML that label became rdf:nodeID="0b", which no RDF/XML parser accepts."""
    client = _empty_app().test_client()
    query = (
        "CONSTRUCT { ?b <http://example.org/p> ?b2 } "
        'WHERE { BIND(BNODE("0b") AS ?b) BIND(BNODE("1") AS ?b2) }'
    )
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/rdf+xml"})
    assert response.status_code == 200
    triples = list(ox.parse(response.get_data(), format=ox.RdfFormat.RDF_XML))
    assert len(triples) == 1
    assert isinstance(triples[0].subject, ox.BlankNode) and isinstance(triples[0].object, ox.BlankNode)
    assert triples[0].subject != triples[0].object


def test_relative_iris_resolve_against_the_endpoint() -> None:
    """Protocol query_content_type_construct: ``CONSTRUCT { <s> <p> 1 } WHERE {}`` was a 400."""
    client = _empty_app().test_client()
    response = client.post(
        "/sparql",
        data=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        content_type="application/sparql-query",
        headers={"Accept": "application/n-triples"},
    )
    assert response.status_code == 200
    assert response.get_data().startswith(
        b"<https://w3id.org/blackjanuary/s> <https://w3id.org/blackjanuary/p> "
    )
