"""Hypothesis properties: content negotiation, IRI/key parsing, and query parameters through the app.

Pure functions get arbitrary input (any ``Accept`` header, any path segment) and must answer within
their contract; the Flask app gets arbitrary query parameters and headers on every GET route and must
never answer 5xx.
"""

from __future__ import annotations

import os
import string

import pytest
from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from blackjanuary.config import Settings
from blackjanuary.rdf.formats import ALL_FORMATS, HTML, RDF_GRAPH_FORMATS, RESULT_FORMATS, Format
from blackjanuary.rdf.iris import (
    KEY_PATTERN,
    Iris,
    Ref,
    char_fragment,
    data_path,
    id_path,
    is_key,
    page_path,
    parse_char_fragment,
    parse_data_name,
)
from blackjanuary.rdf.negotiation import format_quality, negotiate, prefers_html, rank
from support.variants import SITE_PATHS

EXAMPLES = int(os.environ.get("BLACKJANUARY_PROPERTY_EXAMPLES", "100"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
APP = settings(
    max_examples=max(20, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
BASE = "https://w3id.org/blackjanuary/"

keys = st.from_regex(KEY_PATTERN, fullmatch=True).filter(lambda k: len(k) < 80)
offer_lists = st.lists(st.sampled_from(ALL_FORMATS), min_size=1, max_size=6, unique=True)
media_types = st.sampled_from(
    sorted({f.media_type for f in ALL_FORMATS} | {"*/*", "text/*", "application/*"})
)
qvalues = st.one_of(
    st.none(), st.floats(0, 1).map(lambda q: f"{q:.3f}"), st.text(string.printable.strip(), max_size=6)
)
accept_ranges = st.builds(
    lambda mt, q, extra: mt + (f";q={q}" if q is not None else "") + extra,
    media_types,
    qvalues,
    st.sampled_from(["", ";charset=utf-8", ";level=1", ";;", ";q"]),
)
structured_accept = st.lists(accept_ranges, max_size=8).map(", ".join)
any_header = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters="\x7f"), max_size=300
)
accepts = st.one_of(st.none(), structured_accept, any_header)


# Content negotiation -----------------------------------------------------------------------------------
@FAST
@given(accepts, offer_lists)
def test_negotiate_returns_an_offer_or_none(accept: str | None, offers: list[Format]) -> None:
    chosen = negotiate(accept, offers)
    ranked = rank(accept, offers)
    assert chosen is None or chosen in offers
    assert (chosen is None) == (not ranked)
    if chosen is not None:
        assert chosen is ranked[0]
        assert format_quality(accept, chosen) > 0
    qualities = [format_quality(accept, f) for f in ranked]
    assert qualities == sorted(qualities, reverse=True), "ranked best first"
    refused = [f for f in offers if f not in ranked]
    assert all(format_quality(accept, f) == 0 for f in refused)


@FAST
@given(offer_lists, st.data())
def test_naming_one_type_exactly_gets_it(offers: list[Format], data: st.DataObject) -> None:
    wanted = data.draw(st.sampled_from(offers))
    # two offers answering to one name (SPARQL JSON's alias application/json and plain JSON) are never
    # offered together; when they are, the server's order rightly decides
    assume(not any(wanted.media_type in (f.media_type, *f.aliases) for f in offers if f is not wanted))
    assert negotiate(wanted.media_type, offers) is wanted
    assert negotiate(f"image/x-none;q=1, {wanted.media_type};q=0.5", offers) is wanted


@FAST
@given(offer_lists)
def test_wildcards_and_missing_header_take_the_servers_order(offers: list[Format]) -> None:
    for accept in (None, "", "*/*", "  "):
        assert negotiate(accept, offers) is offers[0]


@FAST
@given(offer_lists, st.data())
def test_q_zero_refuses(offers: list[Format], data: st.DataObject) -> None:
    refused = data.draw(st.sampled_from(offers))
    assert refused not in rank(f"{refused.media_type};q=0, */*;q=0.1", offers)


@FAST
@given(accepts)
def test_prefers_html_is_a_total_predicate(accept: str | None) -> None:
    result = prefers_html(accept, RDF_GRAPH_FORMATS)
    assert isinstance(result, bool)
    if result:
        assert format_quality(accept, HTML) > 0


# IRIs and keys -----------------------------------------------------------------------------------------
@FAST
@given(
    keys,
    st.sampled_from([None, *(f.extension for f in (*RDF_GRAPH_FORMATS, *RESULT_FORMATS))]),
    st.booleans(),
)
def test_key_paths_round_trip(key: str, extension: str | None, statement: bool) -> None:
    ref = Ref(key, statement)
    iris = Iris(BASE)
    assert is_key(key)
    assert iris.ref_of(iris.of(ref)) == ref
    assert iris.link(iris.of(ref)) == page_path(ref)
    path = data_path(ref, extension)
    name = path.rsplit("/", 1)[1]
    assert parse_data_name(name) == (key, extension)
    assert id_path(ref).endswith("/" + key) and page_path(ref).endswith("/" + key)


@FAST
@given(st.text(max_size=200))
def test_arbitrary_text_is_a_key_only_when_it_matches_the_pattern(text: str) -> None:
    assert is_key(text) == bool(KEY_PATTERN.match(text))
    if is_key(text):
        assert text == text.lower() and "." not in text and "/" not in text
    key, extension = parse_data_name(text)
    assert "." not in key
    assert (extension is None) == ("." not in text)


@FAST
@given(st.text(max_size=200))
def test_foreign_or_malformed_iris_are_not_ours(tail: str) -> None:
    iris = Iris(BASE)
    ref = iris.ref_of(BASE + "id/" + tail)
    assert ref is None or (is_key(ref.key) and iris.of(ref) == BASE + "id/" + tail)
    assert iris.ref_of("http://www.wikidata.org/entity/" + tail) is None
    assert iris.link("http://example.org/" + tail) is None


@FAST
@given(st.integers(0, 10**9), st.integers(0, 10**9), st.text(max_size=40))
def test_char_fragments_round_trip(start: int, end: int, junk: str) -> None:
    assert parse_char_fragment(char_fragment(start, end)) == (start, end)
    parsed = parse_char_fragment(junk)
    assert parsed is None or (junk.startswith("char=") and all(n >= 0 for n in parsed))


# Query parameters and headers through the app --------------------------------------------------------
PARAM_NAMES = [
    "lang",
    "offset",
    "in",
    "format",
    "query",
    "prefix",
    "cursor",
    "limit",
    "id",
    "type",
    "queries",
    "extend",
    "default-graph-uri",
    "named-graph-uri",
    "callback",
    "x",
]
values = st.one_of(
    st.text(max_size=60),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        [
            "",
            "-1",
            "1e309",
            "NaN",
            "null",
            "[]",
            "{}",
            "%00",
            "../../etc/passwd",
            "SELECT * WHERE { ?s ?p ?o } LIMIT 1",
            "ASK {}",
            "en",
            "ru",
            "az",
            "de",
            "baku",
            "ttl",
            "json",
            "csv",
            "²",
            "١٢",
            "٣",
            "99999999999999999999999999",
            "18446744073709551616",
            "0x10",
            " 1",
            "+1",
        ]
    ),
)
params = st.lists(st.tuples(st.sampled_from(PARAM_NAMES), values), max_size=6)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120)


@pytest.fixture(scope="module")
def app(built_settings: Settings) -> Flask:
    from blackjanuary.web.app import create_app

    return create_app(built_settings)


@APP
@given(
    path=st.sampled_from(SITE_PATHS),
    query=params,
    accept=st.one_of(st.none(), structured_accept, header_values),
    language=st.one_of(st.none(), header_values),
)
def test_query_parameters_never_cause_a_5xx(
    app: Flask, path: str, query: list[tuple[str, str]], accept: str | None, language: str | None
) -> None:
    headers = {
        name: value
        for name, value in (("Accept", accept), ("Accept-Language", language))
        if value is not None
    }
    response = app.test_client().get(path, query_string=query, headers=headers)
    assert response.status_code < 500, (path, query, headers, response.status_code, response.get_data()[:300])
    if response.status_code >= 400:
        assert response.get_data(), "an error always says what went wrong"


@APP
@given(
    segment=st.text(max_size=80),
    prefix=st.sampled_from(
        [
            "/id/",
            "/page/",
            "/data/",
            "/id/statement/",
            "/data/statement/",
            "/downloads/",
            "/examples/",
            "/ontology/",
            "/graph/",
            "/.well-known/genid/",
        ]
    ),
)
def test_any_path_segment_is_answered_below_500(app: Flask, segment: str, prefix: str) -> None:
    from urllib.parse import quote

    assume(segment not in ("", ".", ".."))
    response = app.test_client().get(prefix + quote(segment, safe=""))
    assert response.status_code < 500, (prefix, segment, response.status_code, response.get_data()[:300])
