"""Absolute URLs come from the configured public URL, never from the request's Host (issue 11).

The attack: ``Host: evil.example`` was echoed into the reconciliation manifest, the preview links, the
service description's ``sd:endpoint``, ``openapi.json`` and ``ui-config.json`` — harmless until a cache
in front keys without Host and serves those links to everyone.
"""

from __future__ import annotations

import pytest
import requests
from flask import Flask
from rdflib import Graph, URIRef

from blackjanuary.config import Settings
from blackjanuary.rdf.vocab import SD
from blackjanuary.web.app import create_app
from support.processes import ServeProcess
from support.variants import SITE_PATHS

EVIL = "evil.example"
HOSTILE = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "gopher", "Forwarded": f"host={EVIL}"}
DOCUMENTS = [
    *SITE_PATHS,
    "/sparql/ui-config.json",
    "/reconcile/preview?id=baku",
    "/reconcile/flyout/entity?id=baku",
    "/reconcile/v1/preview?id=baku",
    "/reconcile/suggest/type",
    "/data/baku.ttl",
]
ACCEPTS = ["application/json", "text/html", "text/turtle", "*/*"]


def leaks(response_headers: dict[str, str], body: str) -> list[str]:
    found = [f"header {k}: {v}" for k, v in response_headers.items() if EVIL in v]
    if EVIL in body:
        at = body.index(EVIL)
        found.append("body: …" + body[max(0, at - 80) : at + 40])
    return found


@pytest.mark.parametrize("accept", ACCEPTS)
def test_no_document_echoes_the_host_header(app: Flask, accept: str) -> None:
    client = app.test_client()
    problems = []
    for path in DOCUMENTS:
        response = client.get(path, headers={**HOSTILE, "Accept": accept})
        problems += [f"{path}: {p}" for p in leaks(dict(response.headers), response.get_data(as_text=True))]
    assert not problems, problems[:10]


def test_the_configured_public_url_is_used_everywhere(built_settings: Settings) -> None:
    public = "https://kg.example.org/lod/"
    client = create_app(built_settings.replace(public_url=public)).test_client()
    manifest = client.get("/reconcile", headers=HOSTILE).get_json()
    assert manifest["view"]["url"] == public + "id/{{id}}"
    assert manifest["preview"]["url"].startswith(public + "reconcile/preview")
    assert manifest["suggest"]["entity"]["service_url"] == public + "reconcile"
    assert client.get("/reconcile/v1", headers=HOSTILE).get_json()["view"]["url"] == public + "id/{id}"
    preview = client.get("/reconcile/preview?id=baku", headers=HOSTILE).get_data(as_text=True)
    assert f'href="{public}page/baku"' in preview
    graph = Graph().parse(data=client.get("/sparql", headers={**HOSTILE, "Accept": "text/turtle"}).data)
    endpoint = URIRef(public + "sparql")
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert client.get("/openapi.json", headers=HOSTILE).get_json()["servers"][0]["url"] == public.rstrip("/")
    assert client.get("/sparql/ui-config.json", headers=HOSTILE).get_json()["endpoint"] == public + "sparql"


def test_without_a_public_url_the_base_iri_is_used(built_settings: Settings) -> None:
    client = create_app(built_settings.replace(public_url=None)).test_client()
    base = built_settings.base_iri
    assert client.get("/sparql/ui-config.json").get_json()["endpoint"] == base + "sparql"
    assert client.get("/reconcile").get_json()["view"]["url"] == base + "id/{{id}}"


@pytest.mark.parametrize("bad", ["kg.example.org/", "https://kg.example.org", "ftp://kg.example.org/"])
def test_a_malformed_public_url_is_refused(built_settings: Settings, bad: str) -> None:
    with pytest.raises(ValueError, match="public URL"):
        built_settings.replace(public_url=bad)


def test_serve_uses_its_own_address_and_ignores_host(live_server: str) -> None:
    """``blackjanuary serve --host 127.0.0.1 --port P`` writes ``http://127.0.0.1:P/``, whatever Host says."""
    session = requests.Session()
    for path in DOCUMENTS:
        response = session.get(live_server + path, headers=HOSTILE, timeout=30, allow_redirects=False)
        assert not leaks(dict(response.headers), response.text), path
    manifest = session.get(live_server + "/reconcile", headers=HOSTILE, timeout=30).json()
    assert manifest["view"]["url"] == live_server + "/id/{{id}}"
    config = session.get(live_server + "/sparql/ui-config.json", headers=HOSTILE, timeout=30).json()
    assert config["endpoint"] == live_server + "/sparql"


def test_serve_public_url_option(built_settings: Settings) -> None:
    server = ServeProcess(
        built_settings, args=("--no-build", "--public-url", "https://kg.example.org/")
    ).start()
    try:
        manifest = requests.get(server.url + "/reconcile", headers=HOSTILE, timeout=30).json()
        assert manifest["view"]["url"] == "https://kg.example.org/id/{{id}}"
    finally:
        server.stop()
