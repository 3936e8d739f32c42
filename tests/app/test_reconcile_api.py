"""Both reconciliation API versions through the Flask test client, every answer checked against the
official JSON Schemas of its version (vendored in tests/fixtures/reconciliation-schemas/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft7Validator
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDFS
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from blackjanuary.config import Settings
from blackjanuary.reconcile.service import MAX_BATCH
from support.reference_data import named_rows

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "reconciliation-schemas"
SWAGGER = "http://swagger.io/v2/schema.json"
LANGS = ("de", "en", "az", "ru")
SCHEMA_ORG = "http://schema.org/"


def registry_for(version: str) -> Registry:
    """Every schema of ``version`` under its ``$id`` and its bare file name, plus an offline Swagger stub."""
    registry: Registry = Registry()
    for path in sorted((SCHEMAS / version).glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = DRAFT7.create_resource(contents)
        registry = registry.with_resource(path.name, resource)
        if "$id" in contents:
            registry = registry.with_resource(contents["$id"], resource)
    stub = {"definitions": {"securityDefinitions": {"additionalProperties": {"type": "object"}}}}
    return registry.with_resource(SWAGGER, Resource.from_contents(stub, default_specification=DRAFT7))


REGISTRIES = {v: registry_for(v) for v in ("0.2", "1.0-draft")}


def check(version: str, schema: str, instance: Any) -> None:
    contents = json.loads((SCHEMAS / version / f"{schema}.json").read_text(encoding="utf-8"))
    validator = Draft7Validator(contents, registry=REGISTRIES[version])
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, f"{version}/{schema}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_schema_harness_rejects_invalid_documents() -> None:
    with pytest.raises(AssertionError):
        check("0.2", "manifest", {"name": "no versions"})
    with pytest.raises(AssertionError):
        check("1.0-draft", "reconciliation-result-batch", {"results": [{"candidates": [{"id": "x"}]}]})


def graph_label(dataset: Dataset, key: str, lang: str, base: str) -> str:
    labels = [
        o
        for o in dataset.objects(URIRef(f"{base}id/{key}"), RDFS.label)
        if isinstance(o, Literal) and o.language == lang
    ]
    assert len(labels) == 1
    return str(labels[0])


def match02(client: FlaskClient, queries: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = client.post("/reconcile", data={"queries": json.dumps(queries)}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    check("0.2", "reconciliation-result-batch", body)
    return body


def match1(client: FlaskClient, queries: list[dict[str, Any]], **headers: str) -> dict[str, Any]:
    response = client.post("/reconcile/v1/match", json={"queries": queries}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    check("1.0-draft", "reconciliation-result-batch", body)
    return body


# Manifests ------------------------------------------------------------------------------------------
def test_manifest_02(client: FlaskClient, built_settings: Settings) -> None:
    response = client.get("/reconcile")
    assert response.status_code == 200
    body = response.get_json()
    check("0.2", "manifest", body)
    assert body["identifierSpace"] == built_settings.base_iri + "id/"
    assert body["view"]["url"].endswith("/id/{{id}}")
    assert {t["id"] for t in body["defaultTypes"]} >= {SCHEMA_ORG + "City", SCHEMA_ORG + "Country"}
    for service in ("entity", "type", "property"):
        path = body["suggest"][service]["service_path"]
        assert client.get("/reconcile" + path + "?prefix=a").status_code == 200
    flyout = body["suggest"]["entity"]["flyout_service_path"].replace("${id}", "baku")
    assert client.get("/reconcile" + flyout).get_json()["id"] == "baku"
    assert client.get("/reconcile/").get_json() == body


def test_manifest_1(client: FlaskClient) -> None:
    body = client.get("/reconcile/v1").get_json()
    check("1.0-draft", "manifest", body)
    assert body["versions"] == ["1.0-draft"]
    assert body["view"]["url"].endswith("/id/{id}")
    assert body["suggest"] == {"entity": True, "property": True, "type": True}


# Matching in every language, both versions -------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_names_in_each_language_reconcile_02(client: FlaskClient, lang: str) -> None:
    rows = named_rows()
    body = match02(client, {f"q{i}": {"query": r[f"label_{lang}"]} for i, r in enumerate(rows)})
    for i, row in enumerate(rows):
        best = body[f"q{i}"]["result"][0]
        assert (best["id"], best["match"]) == (row["key"], True)


@pytest.mark.parametrize("lang", LANGS)
def test_names_in_each_language_reconcile_1(client: FlaskClient, lang: str) -> None:
    rows = named_rows()
    queries = [{"conditions": [{"matchType": "name", "propertyValue": r[f"label_{lang}"]}]} for r in rows]
    body = match1(client, queries)
    assert len(body["results"]) == len(rows)
    for row, result in zip(rows, body["results"], strict=True):
        assert (result["candidates"][0]["id"], result["candidates"][0]["match"]) == (row["key"], True)


def test_get_queries_parameter_is_accepted(client: FlaskClient) -> None:
    response = client.get("/reconcile", query_string={"queries": json.dumps({"a": {"query": "Bakı"}})})
    body = response.get_json()
    check("0.2", "reconciliation-result-batch", body)
    assert body["a"]["result"][0]["id"] == "baku"


def test_variants_types_and_ids(client: FlaskClient) -> None:
    body = match02(
        client,
        {
            "v1": {"query": "Gorbatschow"},
            "v2": {"query": "Горбачёв"},
            "v3": {"query": "Baki"},
            "t1": {"query": "Baku", "type": SCHEMA_ORG + "Country"},
            "t2": {"query": "Baku", "type": [SCHEMA_ORG + "City"]},
            "i1": {"query": "Q9248"},
            "i2": {"query": "https://w3id.org/blackjanuary/id/baku"},
        },
    )
    assert [body[k]["result"][0]["id"] for k in ("v1", "v2", "v3")] == ["mikhail-gorbachev"] * 2 + ["baku"]
    assert "baku" not in [c["id"] for c in body["t1"]["result"]]
    assert body["t2"]["result"][0]["id"] == "baku"
    for key in ("i1", "i2"):
        assert [(c["id"], c["score"], c["match"]) for c in body[key]["result"]] == [("baku", 100.0, True)]


def test_property_conditions_both_versions(
    client: FlaskClient, dataset: Dataset, built_settings: Settings
) -> None:
    base = built_settings.base_iri
    expected = {
        str(s)[len(base + "id/") :]
        for s in dataset.subjects(URIRef(SCHEMA_ORG + "location"), URIRef(base + "id/baku"))
    }
    body = match02(
        client,
        {
            "p": {
                "properties": [{"pid": "schema:location", "v": {"id": "baku", "name": "Baku"}}],
                "limit": 100,
            }
        },
    )
    assert {c["id"] for c in body["p"]["result"]} == expected
    condition = {
        "matchType": "property",
        "propertyId": SCHEMA_ORG + "location",
        "propertyValue": "baku",
        "required": True,
    }
    body1 = match1(
        client, [{"conditions": [{"matchType": "name", "propertyValue": "Januar"}, condition], "limit": 100}]
    )
    found = body1["results"][0]["candidates"]
    assert found and {c["id"] for c in found} <= expected
    assert all(
        {"id": "property_match", "name": f["name"], "value": 100.0} in c["features"]
        for c in found
        for f in c["features"]
        if f["id"] == "property_match"
    )


def test_features_explain_scores(client: FlaskClient) -> None:
    body = match1(client, [{"conditions": [{"matchType": "name", "propertyValue": "Bakı"}]}])
    best = body["results"][0]["candidates"][0]
    features = {f["id"]: f["value"] for f in best["features"]}
    assert features["name_exact"] is True and features["name_folded"] is True
    assert 0 <= best["score"] <= 100


# Accept-Language -----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_accept_language_picks_the_name_language(
    client: FlaskClient, dataset: Dataset, built_settings: Settings, lang: str
) -> None:
    header = f"{lang}, en;q=0.5"
    body = match02(client, {"q": {"query": "mikhail-gorbachev"}}, **{"Accept-Language": header})
    assert body["q"]["result"][0]["name"] == graph_label(
        dataset, "mikhail-gorbachev", lang, built_settings.base_iri
    )
    body1 = match1(
        client,
        [{"conditions": [{"matchType": "id", "propertyValue": "baku"}]}],
        **{"Accept-Language": header},
    )
    assert body1["results"][0]["candidates"][0]["name"] == graph_label(
        dataset, "baku", lang, built_settings.base_iri
    )
    response = client.get(
        "/reconcile/suggest/entity?prefix=soviet-union", headers={"Accept-Language": header}
    )
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]
    assert response.get_json()["result"][0]["name"] == graph_label(
        dataset, "soviet-union", lang, built_settings.base_iri
    )


def test_query_lang_overrides_header_in_1(
    client: FlaskClient, dataset: Dataset, built_settings: Settings
) -> None:
    body = match1(
        client,
        [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}], "lang": "ru"}],
        **{"Accept-Language": "de"},
    )
    assert body["results"][0]["candidates"][0]["name"] == graph_label(
        dataset, "baku", "ru", built_settings.base_iri
    )


# Suggest, preview, extend ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "schema"),
    [
        ("entity", "suggest-entities-response"),
        ("type", "suggest-types-response"),
        ("property", "suggest-properties-response"),
    ],
)
def test_suggest_both_versions(client: FlaskClient, kind: str, schema: str) -> None:
    for version, root in (("0.2", "/reconcile"), ("1.0-draft", "/reconcile/v1")):
        for prefix in ("", "lo", "Gorb", "Баку"):
            response = client.get(f"{root}/suggest/{kind}", query_string={"prefix": prefix})
            assert response.status_code == 200
            check(version, schema, response.get_json())
    entities = client.get("/reconcile/v1/suggest/entity?prefix=Gorb&limit=50").get_json()["result"]
    assert "mikhail-gorbachev" in [e["id"] for e in entities]
    assert client.get("/reconcile/suggest/entity?prefix=baku").get_json()["result"][0]["id"] == "baku"
    types = client.get("/reconcile/v1/suggest/type?prefix=cit").get_json()["result"]
    assert SCHEMA_ORG + "City" in [t["id"] for t in types]
    props = client.get("/reconcile/suggest/property?prefix=loc").get_json()["result"]
    assert SCHEMA_ORG + "location" in [p["id"] for p in props]


def test_suggest_paging(client: FlaskClient) -> None:
    everything = client.get("/reconcile/v1/suggest/entity?prefix=&limit=1000").get_json()["result"]
    page = client.get("/reconcile/v1/suggest/entity?prefix=&limit=5&offset=5").get_json()["result"]
    assert page == everything[5:10]
    cursor = client.get("/reconcile/suggest/entity?prefix=&cursor=10").get_json()["result"]
    assert [e["id"] for e in cursor] == [e["id"] for e in everything[10:20]]


def test_preview_both_versions(client: FlaskClient, dataset: Dataset, built_settings: Settings) -> None:
    manifest = client.get("/reconcile").get_json()
    url = manifest["preview"]["url"].replace("{{id}}", "baku").replace(built_settings.base_iri, "/")
    for path in (url, "/reconcile/v1/preview?id=baku"):
        response = client.get(path, headers={"Accept-Language": "az"})
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert graph_label(dataset, "baku", "az", built_settings.base_iri) in response.get_data(as_text=True)
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert client.get("/reconcile/v1/preview?id=no-such-thing").status_code == 404
    assert client.get("/reconcile/preview").status_code == 400


def test_extend_both_versions(client: FlaskClient, dataset: Dataset, built_settings: Settings) -> None:
    base = built_settings.base_iri
    expected = sorted(
        str(o)[len(base + "id/") :]
        for o in dataset.objects(URIRef(base + "id/black-january"), URIRef(SCHEMA_ORG + "location"))
    )
    request = {
        "ids": ["black-january", "baku"],
        "properties": [
            {"id": "schema:location"},
            {"id": SCHEMA_ORG + "startDate"},
            {"id": "rdfs:label", "settings": {"limit": 1}},
        ],
    }
    response = client.post(
        "/reconcile", data={"extend": json.dumps(request)}, headers={"Accept-Language": "de"}
    )
    body = response.get_json()
    check("0.2", "data-extension-response", body)
    assert sorted(v["id"] for v in body["rows"]["black-january"]["schema:location"]) == expected
    assert body["rows"]["black-january"]["rdfs:label"] == [
        {"str": graph_label(dataset, "black-january", "de", base)}
    ]
    assert all(
        "date" in v for v in body["rows"]["black-january"][SCHEMA_ORG + "startDate"] if not v.get("str")
    )
    response1 = client.post("/reconcile/v1/extend", json=request)
    body1 = response1.get_json()
    check("1.0-draft", "data-extension-response", body1)
    rows = {r["id"]: {p["id"]: p["values"] for p in r["properties"]} for r in body1["rows"]}
    assert sorted(v["id"] for v in rows["black-january"]["schema:location"]) == expected


def test_propose_properties_both_versions(client: FlaskClient) -> None:
    body = client.get("/reconcile/propose_properties", query_string={"type": SCHEMA_ORG + "Event"}).get_json()
    check("0.2", "data-extension-property-proposal", body)
    assert SCHEMA_ORG + "location" in [p["id"] for p in body["properties"]]
    body1 = client.get(
        "/reconcile/v1/extend/propose", query_string={"type": SCHEMA_ORG + "Event", "limit": 3}
    ).get_json()
    check("1.0-draft", "data-extension-property-proposal", body1)
    assert len(body1["properties"]) == 3 and body1["limit"] == 3
    for path in ("/reconcile/v1/extend/propose", "/reconcile/propose_properties"):
        blank = client.get(path, query_string={"type": "\x1e"})  # found by the fuzzer (on 1.0-draft)
        assert blank.status_code == 200 and blank.get_json()["properties"], path


# CORS, limits and errors --------------------------------------------------------------------------
def test_cors_on_every_route_and_json_preflight(client: FlaskClient) -> None:
    for path in (
        "/reconcile",
        "/reconcile/v1",
        "/reconcile/suggest/entity?prefix=b",
        "/reconcile/v1/preview?id=baku",
        "/reconcile/v1/extend/propose",
        "/reconcile/propose_properties",
    ):
        assert (
            client.get(path, headers={"Origin": "https://example.org"}).headers["Access-Control-Allow-Origin"]
            == "*"
        ), path
    preflight = client.options(
        "/reconcile/v1/match",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept-language",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    posted = client.post(
        "/reconcile/v1/match",
        json={"queries": [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}]}]},
        headers={"Origin": "https://example.org"},
    )
    assert posted.headers["Access-Control-Allow-Origin"] == "*"


def test_batch_limit_is_413(client: FlaskClient) -> None:
    too_many = MAX_BATCH + 1
    response = client.post(
        "/reconcile", data={"queries": json.dumps({f"q{i}": {"query": "Baku"} for i in range(too_many)})}
    )
    assert response.status_code == 413 and str(MAX_BATCH) in response.get_json()["error"]
    response1 = client.post(
        "/reconcile/v1/match",
        json={"queries": [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}]}] * too_many},
    )
    assert response1.status_code == 413
    extend = client.post("/reconcile/v1/extend", json={"ids": ["baku"] * too_many, "properties": []})
    assert extend.status_code == 413
    ok = client.post(
        "/reconcile", data={"queries": json.dumps({f"q{i}": {"query": "Baku"} for i in range(MAX_BATCH)})}
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/reconcile", {"data": {"queries": "{not json"}}, 400),
        ("post", "/reconcile", {"data": {"queries": "[1, 2]"}}, 400),
        ("post", "/reconcile", {"data": {"queries": json.dumps({"q": {"query": "x", "bogus": 1}})}}, 400),
        ("post", "/reconcile", {"data": {"queries": json.dumps({"q": {"query": ""}})}}, 400),
        (
            "post",
            "/reconcile",
            {"data": {"queries": json.dumps({"q": {"query": "x", "limit": "many"}})}},
            400,
        ),
        (
            "post",
            "/reconcile",
            {"data": {"extend": json.dumps({"ids": ["no-such-thing"], "properties": []})}},
            404,
        ),
        ("post", "/reconcile/v1/match", {"data": {"queries": "[]"}}, 415),
        ("post", "/reconcile/v1/match", {"json": {"queries": [{"conditions": []}]}}, 400),
        (
            "post",
            "/reconcile/v1/match",
            {"json": {"queries": [{"conditions": [{"matchType": "fuzzy", "propertyValue": "x"}]}]}},
            400,
        ),
        ("post", "/reconcile/v1/extend", {"json": {"ids": "baku"}}, 400),
        ("get", "/reconcile/v1/suggest/entity?prefix=a&limit=-1", {}, 400),
        ("get", "/reconcile/flyout/entity", {}, 400),
    ],
)
def test_client_mistakes_are_4xx_with_a_message(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == status and body["error"]


@pytest.mark.parametrize(
    "query",
    [
        {"q0": {"query": "Baku", "properties": 5}},
        {"q0": {"query": "Baku", "properties": True}},
        {"q0": {"query": "Baku", "limit": 1e400}},
    ],
)
def test_malformed_v02_queries_are_400_not_500(client: FlaskClient, query: dict[str, object]) -> None:
    response = client.post("/reconcile", data={"queries": json.dumps(query)})
    assert response.status_code == 400, response.get_data(as_text=True)


def test_an_infinite_limit_in_v1_is_400(client: FlaskClient) -> None:
    body = {"queries": [{"conditions": [{"matchType": "name", "propertyValue": "Baku"}], "limit": 1e400}]}
    response = client.post("/reconcile/v1/match", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
