"""Reconciliation bounded (issue 11) and answered, never silently (issue 10).

The attacks: one 847 KB batch (50 queries of 3,000 words) kept a thread busy for 7.5 minutes; two
600 KB queries took 112 s; 100,000 nested ``[`` gave a 500 (RecursionError). Now every size is capped
before matching (413 naming the cap), matching is linear in the query (the old quadratic word cover
is kept here as the reference the new one must equal), a deadline stops what is left (503 with
Retry-After), and JSON is refused by depth before it is parsed (400 with line and column).
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from blackjanuary.config import Settings
from blackjanuary.reconcile.jsonbody import loads, nesting_error
from blackjanuary.reconcile.limits import ReconcileLimits
from blackjanuary.reconcile.normalize import fold
from blackjanuary.reconcile.scoring import Words, cover, word_match
from blackjanuary.web.app import create_app

CITY = "http://schema.org/City"


def post02(client: FlaskClient, queries: Any) -> Any:
    return client.post(
        "/reconcile", data={"queries": queries if isinstance(queries, str) else json.dumps(queries)}
    )


def words(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return " ".join(
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 7))) for _ in range(n)
    )


# Deep and malformed JSON: 400 saying what and where ------------------------------------------------------

DEEP = {
    "100,000 [": "[" * 100_000,
    "60,000 {": '{"a":' * 60_000,  # 300 KB: under the form-field size cap, over the depth cap
    "brackets then junk": "[" * 50_000 + "x",
    "deep inside a query": json.dumps({"q0": {"query": "Baku"}})[:-1]
    + ', "q1": '
    + "[" * 5_000
    + "]" * 5_000
    + "}",
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_json_is_400_with_where_on_every_json_input(client: FlaskClient, text: str) -> None:
    answers = [
        post02(client, text),
        client.post("/reconcile", data={"extend": text}),
        client.get("/reconcile", query_string={"queries": text[:6_000]}),
        client.post("/reconcile/v1/match", data=text, content_type="application/json"),
        client.post("/reconcile/v1/extend", data=text, content_type="application/json"),
        client.post("/reconcile", data=text, content_type="application/json"),
    ]
    for response in answers:
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        error = response.get_json()["error"]
        assert "nests deeper than 32 levels" in error and "line 1, column" in error


def test_brackets_in_strings_do_not_count() -> None:
    assert nesting_error(json.dumps({"q0": {"query": "[" * 1_000 + '"{' * 500}}), 4) is None
    assert loads('["\\"[[[[", {"a": "]]]]"}]', "x", max_depth=2) == ['"[[[[', {"a": "]]]]"}]


def test_the_depth_error_names_line_and_column() -> None:
    with pytest.raises(Exception, match=r"level 3 opens at line 2, column 3"):
        loads('{"a":\n [[1]]}', "body", max_depth=2)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{not json", "line 1 column 2"),
        ('{"q0": {"query": "Baku"}', "line 1 column"),
        ("9" * 5_000, "not valid JSON"),  # an integer over Python's digit limit
        ('{"q0": {"query": "\\ud800"}} trailing', "Extra data"),
    ],
)
def test_malformed_json_is_400_with_where(client: FlaskClient, text: str, fragment: str) -> None:
    response = post02(client, text)
    assert response.status_code == 400 and fragment in response.get_json()["error"]


# Caps: 413 naming the cap ---------------------------------------------------------------------------------

LIMITS = ReconcileLimits()


@pytest.mark.parametrize(
    "queries, fragment",
    [
        ({"q0": {"query": "x" * (LIMITS.max_query_chars + 1)}}, f"at most {LIMITS.max_query_chars}"),
        ({"q0": {"query": "a " * (LIMITS.max_query_words + 1)}}, f"at most {LIMITS.max_query_words}"),
        (
            {"q0": {"query": "Baku", "properties": [{"pid": "p", "v": "x"}] * (LIMITS.max_properties + 1)}},
            "property conditions",
        ),
        (
            {"q0": {"query": "Baku", "properties": [{"pid": "p", "v": ["x"] * (LIMITS.max_values + 1)}]}},
            "values",
        ),
        ({"q0": {"query": "Baku", "properties": [{"pid": "p", "v": "v" * 3_000}]}}, "characters long"),
        ({f"q{i}": {"query": "Baku"} for i in range(LIMITS.max_batch + 1)}, f"at most {LIMITS.max_batch}"),
        ({f"q{i}": {"query": words(250, i)} for i in range(45)}, "together"),
    ],
    ids=["text", "words", "properties", "values", "value length", "batch", "batch characters"],
)
def test_oversized_parts_are_413_naming_the_cap(client: FlaskClient, queries: Any, fragment: str) -> None:
    response = post02(client, queries)
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert fragment in response.get_json()["error"]


def test_v1_and_extend_and_suggest_have_the_same_caps(client: FlaskClient) -> None:
    long_name = [{"conditions": [{"matchType": "name", "propertyValue": "x" * 3_000}]}]
    assert client.post("/reconcile/v1/match", json={"queries": long_name}).status_code == 413
    many = [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}] * 60}]
    assert client.post("/reconcile/v1/match", json={"queries": many}).status_code == 413
    props = [{"id": f"p{n}"} for n in range(60)]
    assert client.post("/reconcile/v1/extend", json={"ids": ["baku"], "properties": props}).status_code == 413
    assert client.get("/reconcile/suggest/entity", query_string={"prefix": "b" * 3_000}).status_code == 413
    assert client.get("/reconcile/v1/suggest/type", query_string={"prefix": "b" * 3_000}).status_code == 413


def test_a_full_batch_at_the_caps_is_answered(client: FlaskClient) -> None:
    """What took minutes before: 25 queries of 2,000 characters (50,000 together), each at the caps."""
    batch = {f"q{i}": {"query": words(400, i)[: LIMITS.max_query_chars]} for i in range(25)}
    assert sum(len(q["query"]) for q in batch.values()) <= LIMITS.max_batch_chars
    response = post02(client, batch)
    assert response.status_code == 200
    assert set(response.get_json()) == set(batch)


def test_past_the_deadline_is_503_with_retry_after(built_settings: Settings) -> None:
    app = create_app(built_settings.replace(reconcile_timeout=1e-9))
    response = app.test_client().post("/reconcile", data={"queries": json.dumps({"q0": {"query": "Bakı"}})})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "took longer than" in response.get_json()["error"]


# The optimisation is exact --------------------------------------------------------------------------------


def quadratic_cover(query: str, name: str) -> tuple[float, float]:
    """The word cover as it was: every query word against every name word."""
    q_words, n_words = fold(query).split(), fold(name).split()
    if not q_words or not n_words:
        return 0.0, 0.0
    q_hit = sum(max(word_match(q, n) for n in n_words) for q in q_words)
    n_hit = sum(max(word_match(q, n) for q in q_words) for n in n_words)
    return q_hit / len(q_words), n_hit / len(n_words)


NAMEISH = st.lists(
    st.sampled_from(
        [
            "Baku",
            "Bakı",
            "Баку",
            "Gorbatschow",
            "Gorbachev",
            "Горбачёв",
            "Qorbaçov",
            "Märtyrer",
            "Maertyrer",
            "Michail",
            "Mikhail",
            "Mixail",
            "Schah",
            "shah",
            "x",
            "Chodschaly",
            "Khojaly",
            "Xocalı",
            "und",
            "the",
        ]
    )
    | st.text(alphabet="abcçdeəfgğhxıijkqlmnoöprsştuüvyzАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ ", max_size=12),
    max_size=8,
).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(NAMEISH, NAMEISH)
def test_the_linear_cover_equals_the_quadratic_one(query: str, name: str) -> None:
    fast = cover(Words.of(fold(query)), Words.of(fold(name)))
    assert fast == pytest.approx(quadratic_cover(query, name))


# Types and the JSON-body POST (issue 10) --------------------------------------------------------------------


@pytest.mark.parametrize("type_", [CITY, "schema:City", "City", "city", ["City"]])
def test_a_type_by_id_curie_or_manifest_name_is_honoured(client: FlaskClient, type_: Any) -> None:
    response = post02(client, {"q0": {"query": "Baku", "type": type_}})
    assert response.status_code == 200
    results = response.get_json()["q0"]["result"]
    assert results and results[0]["id"] == "baku"
    assert all(CITY in [t["id"] for t in r["type"]] for r in results)
    v1 = client.post(
        "/reconcile/v1/match",
        json={"queries": [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}], "type": type_}]},
    )
    if isinstance(type_, str):
        assert v1.status_code == 200 and v1.get_json()["results"][0]["candidates"][0]["id"] == "baku"


def test_every_type_the_manifest_lists_is_accepted_by_id_and_name(client: FlaskClient) -> None:
    for version in ("/reconcile", "/reconcile/v1"):
        for listed in client.get(version).get_json()["defaultTypes"]:
            for term in (listed["id"], listed["name"]):
                response = post02(client, {"q0": {"query": "Baku", "type": term}})
                assert response.status_code == 200, (term, response.get_json())


def test_an_unknown_type_is_400_naming_the_valid_ones(client: FlaskClient) -> None:
    response = post02(client, {"q0": {"query": "Baku", "type": "Town"}})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "'Town'" in error and CITY in error and "(City)" in error
    v1 = client.post(
        "/reconcile/v1/match",
        json={"queries": [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}], "type": "Town"}]},
    )
    assert v1.status_code == 400 and CITY in v1.get_json()["error"]
    assert client.get("/reconcile/propose_properties?type=Town").status_code == 400
    assert client.get("/reconcile/v1/extend/propose?type=City").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"q0": {"query": "Baku"}},
        {"queries": {"q0": {"query": "Baku"}}},
    ],
    ids=["bare batch", "under queries"],
)
def test_a_json_body_post_to_reconcile_is_answered_as_a_batch(client: FlaskClient, body: Any) -> None:
    response = client.post("/reconcile", json=body)
    assert response.status_code == 200
    assert response.get_json()["q0"]["result"][0]["id"] == "baku"


def test_a_json_body_extension_request_is_answered(client: FlaskClient) -> None:
    response = client.post("/reconcile", json={"ids": ["baku"], "properties": [{"id": "rdfs:label"}]})
    assert response.status_code == 200 and "baku" in response.get_json()["rows"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": [1, 2]},
        {"json": {"something": "else"}},
        {"json": {}},
        {"data": "", "content_type": "application/x-www-form-urlencoded"},
        {"data": "hello", "content_type": "text/plain"},
    ],
    ids=["list", "unknown object", "empty object", "empty form", "text"],
)
def test_a_post_that_is_neither_is_400_not_the_manifest(client: FlaskClient, kwargs: dict[str, Any]) -> None:
    response = client.post("/reconcile", **kwargs)
    assert response.status_code == 400
    body = response.get_json()
    assert "versions" not in body and "queries" in body["error"] + body.get("hint", "")
