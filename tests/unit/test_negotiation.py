"""Content negotiation is a pure function: a table of Accept headers and the choice they must give."""

from __future__ import annotations

import pytest

from blackjanuary.rdf.formats import (
    HTML,
    JSON,
    JSONLD,
    NTRIPLES,
    RDF_FORMATS,
    RDFXML,
    RESULT_FORMATS,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    TURTLE,
)
from blackjanuary.rdf.negotiation import format_quality, negotiate, page_by_default, prefers_html, rank


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        (None, RESULT_FORMATS, SPARQL_JSON),  # no header: server's first
        ("", RDF_FORMATS, TURTLE),
        ("*/*", RDF_FORMATS, TURTLE),
        ("application/sparql-results+xml", RESULT_FORMATS, SPARQL_XML),
        ("text/csv;q=0.5, text/tab-separated-values", RESULT_FORMATS, SPARQL_TSV),
        ("text/*", RESULT_FORMATS, SPARQL_CSV),  # wildcard subtype, server order
        ("application/json", RESULT_FORMATS, SPARQL_JSON),  # alias of SPARQL JSON
        ("application/xml", RESULT_FORMATS, SPARQL_XML),  # alias of SPARQL XML
        ("text/plain", RDF_FORMATS, NTRIPLES),  # alias of N-Triples
        ("application/ld+json;q=0.9, text/turtle;q=0.9", RDF_FORMATS, TURTLE),  # tie: server order
        ("application/ld+json;q=0.9, text/turtle;q=0.8", RDF_FORMATS, JSONLD),
        # specificity: the exact range's q (0.1) beats the wildcard's for turtle, so RDF/XML wins
        ("text/turtle;q=0.1, */*;q=0.5", (TURTLE, RDFXML), RDFXML),
        ("text/*;q=0.9, text/turtle;q=0", (TURTLE, NTRIPLES, SPARQL_CSV), SPARQL_CSV),
        ("application/rdf+xml; charset=utf-8", RDF_FORMATS, RDFXML),  # parameters ignored
        ("TEXT/TURTLE", RDF_FORMATS, TURTLE),  # case-insensitive
    ],
)
def test_negotiate_picks(accept: str | None, offers: tuple, expected: object) -> None:
    assert negotiate(accept, offers) is expected


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0", "application/*;q=0, text/html"])
def test_negotiate_none_when_nothing_acceptable(accept: str) -> None:
    assert negotiate(accept, (JSONLD, SPARQL_JSON)) is None


def test_rank_orders_by_quality_then_server_order() -> None:
    ranked = rank("text/csv;q=0.2, application/sparql-results+xml;q=0.8, */*;q=0.5", RESULT_FORMATS)
    assert ranked == [SPARQL_XML, SPARQL_JSON, SPARQL_TSV, SPARQL_CSV]


def test_rank_drops_refused_formats() -> None:
    assert rank("*/*, text/csv;q=0", RESULT_FORMATS) == [SPARQL_JSON, SPARQL_XML, SPARQL_TSV]


def test_format_quality_uses_aliases() -> None:
    assert format_quality("application/json;q=0.3", SPARQL_JSON) == pytest.approx(0.3)
    assert format_quality("text/html", SPARQL_JSON) == 0


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser
        ("*/*", False),  # curl
        (None, False),
        ("text/turtle, text/html;q=0.5", False),
        ("text/*", True),
    ],
)
def test_prefers_html(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept, RDF_FORMATS) is expected


def test_html_and_json_documents_negotiate() -> None:
    assert negotiate("application/json", (HTML, JSON)) is JSON


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser
        ("*/*", True),  # curl: no preference stated, so the page
        (None, True),
        ("application/*", False),
        ("text/turtle;q=0.1, */*", False),
        ("*/*, text/html;q=0", False),
        ("text/turtle, text/html;q=0.5", False),
    ],
)
def test_page_by_default(accept: str | None, expected: bool) -> None:
    assert page_by_default(accept, RDF_FORMATS) is expected
