"""What a description holds: a resource's facts, asked in two steps (its own triples, statements and
labels; then the provenance of the quotes those name), must hold the same provenance however the
quotes are reached."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from flask import Flask
from rdflib import BNode, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF

from blackjanuary.config import Settings
from blackjanuary.query.describe import facts, provenance, quotes_in
from blackjanuary.query.service import QueryService
from blackjanuary.store.embedded import EmbeddedStore

pytestmark = pytest.mark.every_backend  # app once per backend (tests/conftest.py)

OA = "http://www.w3.org/ns/oa#"
DCTERMS = "http://purl.org/dc/terms/"


def test_quotes_named_or_found_through_the_statements_give_the_same_provenance(app: Flask) -> None:
    """The quotes are named in the query (``VALUES``); should one be a blank node, the provenance is
    found through the statements instead. Both ways give the same triples for every resource of the
    build that has statements or is a statement (a blank node added to the quotes forces the second way)."""
    store = app.extensions["blackjanuary.queries"]
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ {{ ?st <{RDF.subject}> ?s }} UNION {{ ?s <{PROV.wasDerivedFrom}> ?q }} "
        "FILTER(isIRI(?s)) }"
    )
    subjects = sorted(str(row["s"]) for row in rows)
    assert len(subjects) > 100  # the things the statements are about, and the statements themselves
    compared = 0
    for iri in subjects:
        quotes = quotes_in(facts(store, iri), URIRef(iri))
        assert quotes, f"{iri} is or has statements, so it has quotes"
        named = provenance(store, iri, quotes)
        through_statements = provenance(store, iri, [*quotes, BNode()])
        assert len(named) > 0
        assert isomorphic(named, through_statements), iri
        compared += 1
    assert compared == len(subjects)


def test_a_quote_that_is_a_blank_node_still_has_its_provenance(built_settings: Settings) -> None:
    """A quote without an IRI cannot be named in a query; its text, selector and sentence still come."""
    ex = "https://w3id.org/blackjanuary/id/"
    thing, statement = ox.NamedNode(ex + "thing"), ox.NamedNode(ex + "statement/thing-label")
    quote, selector = ox.BlankNode(), ox.BlankNode()
    sentence = ox.NamedNode("https://w3id.org/blackjanuary/source/text.de#char=0,40")
    graph = ox.NamedNode("https://w3id.org/blackjanuary/graph/data")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    triples: list[
        tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]
    ] = [
        (thing, label, ox.Literal("Ding", language="de")),
        (statement, ox.NamedNode(str(RDF.subject)), thing),
        (statement, ox.NamedNode(str(PROV.wasDerivedFrom)), quote),
        (quote, ox.NamedNode(DCTERMS + "isPartOf"), sentence),
        (quote, ox.NamedNode(OA + "hasSelector"), selector),
        (selector, ox.NamedNode(OA + "exact"), ox.Literal("Ding")),
        (sentence, ox.NamedNode("http://schema.org/text"), ox.Literal("Ein Ding, im ganzen Satz.")),
        (sentence, label, ox.Literal("Satz 1", language="de")),
    ]
    store = ox.Store()
    for s, p, o in triples:
        store.add(ox.Quad(s, p, o, graph))
    service = QueryService(EmbeddedStore(store, version="test", settings=built_settings), built_settings)
    found = facts(service, thing.value)
    exacts = [str(o) for o in found.objects(None, URIRef(OA + "exact"))]
    assert exacts == ["Ding"]
    assert (None, URIRef(DCTERMS + "isPartOf"), URIRef(sentence.value)) in found
    assert (URIRef(sentence.value), None, None) in found  # the sentence's label …
    assert not list(found.objects(URIRef(sentence.value), URIRef("http://schema.org/text")))  # … not its text
