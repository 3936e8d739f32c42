"""Shared fixtures: one validated build per test session (into a temporary dist/), then apps on it.

Modules add fixtures of their own in their own files; only fixtures used by several areas live here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rdflib import Dataset, Graph

from blackjanuary.config import Settings
from blackjanuary.publish.build import build
from blackjanuary.publish.sources import graph_of, load
from blackjanuary.store.loading import load_store, push_endpoint
from blackjanuary.web.app import create_app
from support.oxigraph import OxigraphServer
from support.processes import ServeProcess
from support.servers import AppServer, ServerProcess
from support.synthetic import write_synthetic_dist
from support.variants import BACKEND_VARIANTS, SITE_VARIANTS
from support.virtuoso import DBA_PASSWORD, VirtuosoServer

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
SOURCE_TEXT = ROOT / "graph" / "source" / "black-january-1990.de.txt"


@pytest.fixture(scope="session")
def source_text() -> str:
    return SOURCE_TEXT.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The real project files, untouched; nothing may be written through these settings."""
    return Settings(root=ROOT, source_text=SOURCE_TEXT)


@pytest.fixture(scope="module")
def dataset(project_settings: Settings) -> Dataset:
    """The project's files loaded into their named graphs (ontology, data, shapes, meta), once per module."""
    return load(project_settings)


@pytest.fixture(scope="module")
def data(dataset: Dataset, project_settings: Settings) -> Graph:
    """The data graph of :func:`dataset`."""
    return graph_of(dataset, "data", project_settings)


@pytest.fixture(scope="module")
def ontology(dataset: Dataset, project_settings: Settings) -> Graph:
    """The ontology graph of :func:`dataset`."""
    return graph_of(dataset, "ontology", project_settings)


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Settings:
    """Settings whose dist/ holds a fresh, validated build of the real data (built once per session)."""
    dist = tmp_path_factory.mktemp("dist")
    settings = project_settings.replace(dist_dir=dist)
    build(settings)
    return settings


# Backends (issue 5): the HTTP tests run on the embedded, persistent and remote stores ------------------
# Issue 15 adds a fourth variant, "virtuoso": the remote backend in front of Debian's Virtuoso 7.2 (one
# server per dist and session, loaded with `blackjanuary load --endpoint`); skipped where it is missing.
# `backend_variant(settings, backend)` turns any settings with a built dist/ into settings for that backend:
# "persistent" loads the dist into an Oxigraph directory (`blackjanuary load --store`), "remote" starts a
# real `oxigraph serve` on a free loopback port and pushes the dist into it with the Graph Store Protocol.
# Each is made once per dist and session (per xdist worker), only when asked for, and always stopped.
# To run a module's tests on every backend, parametrize its app fixture, e.g.
#     @pytest.fixture(scope="module", params=BACKENDS)
#     def app(request, backend_variant, built_settings):
#         return create_app(backend_variant(built_settings, request.param))


@pytest.fixture(scope="session")
def backend_variant(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Settings, str], Settings]]:
    made: dict[tuple[Path, str], Settings] = {}
    servers: list[ServerProcess] = []

    def variant(settings: Settings, backend: str) -> Settings:
        key = (settings.dist, backend)
        if key not in made:
            if backend == "persistent":
                path = tmp_path_factory.mktemp("store") / "store"
                load_store(settings.dist, path)
                made[key] = settings.replace(backend="persistent", store_path=path)
            elif backend == "remote":
                server = OxigraphServer(tmp_path_factory.mktemp("oxigraph"))
                servers.append(server)
                server.start()
                push_endpoint(settings.dist, server.query_url)
                made[key] = settings.replace(backend="remote", endpoint_url=server.query_url)
            elif backend == "virtuoso":
                virtuoso = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
                servers.append(virtuoso)
                VIRTUOSO_SERVERS[settings.dist] = virtuoso
                virtuoso.start()
                push_endpoint(settings.dist, virtuoso.query_url, user="dba", password=DBA_PASSWORD)
                made[key] = settings.replace(backend="remote", endpoint_url=virtuoso.query_url)
            else:
                made[key] = settings.replace(backend="embedded")
        return made[key]

    yield variant
    for server in servers:
        server.stop()


VIRTUOSO_SERVERS: dict[Path, VirtuosoServer] = {}
"""The Virtuoso server holding each dist (made by ``backend_variant``)."""


@pytest.fixture(scope="session")
def virtuoso_server(request: pytest.FixtureRequest) -> VirtuosoServer:
    """The session's Virtuoso holding the real build (for tests that look at it directly, or stop it)."""
    built = request.getfixturevalue("built_settings")
    settings_for("virtuoso", request)
    return VIRTUOSO_SERVERS[built.dist]


def settings_for(backend: str, request: pytest.FixtureRequest) -> Settings:
    """The session's real build served by ``backend``."""
    variant = request.getfixturevalue("backend_variant")
    return variant(request.getfixturevalue("built_settings"), backend)


@pytest.fixture(scope="session")
def persistent_store_path(request: pytest.FixtureRequest) -> Path:
    """The Oxigraph store directory holding the session's build."""
    path = settings_for("persistent", request).store_path
    assert path is not None
    return path


@pytest.fixture(scope="session")
def oxigraph_server_url(request: pytest.FixtureRequest) -> str:
    """The query URL of the real ``oxigraph serve`` holding the session's build."""
    url = settings_for("remote", request).endpoint_url
    assert url is not None
    return url


@pytest.fixture(params=BACKEND_VARIANTS)
def backend_settings(request: pytest.FixtureRequest) -> Settings:
    return settings_for(request.param, request)


@pytest.fixture(scope="session")
def app_for(request: pytest.FixtureRequest) -> Callable[[str], Flask]:
    """Factory: the app on the session's build served by ``backend`` (one per backend and session)."""
    apps: dict[str, Flask] = {}

    def get(backend: str) -> Flask:
        if backend not in apps:
            apps[backend] = create_app(settings_for(backend, request))
        return apps[backend]

    return get


@pytest.fixture(params=BACKEND_VARIANTS)
def backend_app(request: pytest.FixtureRequest, app_for: Callable[[str], Flask]) -> Flask:
    return app_for(request.param)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked ``every_backend`` get their ``app`` (and so ``client``) once per backend variant."""
    if "app" in metafunc.fixturenames and metafunc.definition.get_closest_marker("every_backend"):
        metafunc.parametrize("app", SITE_VARIANTS, indirect=True, scope="module")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A ``whole_site`` test (a walk over every page or resource) runs on the embedded store in
    ``make test`` and on the other backends in ``make soak``: the pages are the same bytes on every
    backend, which tests/live/test_backends.py checks on a sample of them in ``make test``."""
    for item in items:
        params = getattr(item, "callspec", None)
        backend = params.params.get("app", "embedded") if params is not None else "embedded"
        if item.get_closest_marker("whole_site") and backend != "embedded":
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest, app_for: Callable[[str], Flask]) -> Flask:
    """The app on the session's real build: the embedded store, or, in a module marked
    ``every_backend``, each of embedded, persistent, remote (a real oxigraph serve) and Virtuoso. A
    module whose tests need other data or settings defines its own ``app``."""
    return app_for(getattr(request, "param", "embedded"))


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A test client of the module's ``app``."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server_for(app_for: Callable[[str], Flask]) -> Iterator[Callable[[str], str]]:
    """Factory: the base URL (``http://127.0.0.1:PORT``) of the app on ``backend``, over real HTTP."""
    servers: dict[str, AppServer] = {}

    def get(backend: str) -> str:
        if backend not in servers:
            servers[backend] = AppServer(app_for(backend)).start()
        return servers[backend].url

    yield get
    for server in servers.values():
        server.stop()


# The SPARQL endpoint (issue 3): a small synthetic build with known contents, and real server processes --


@pytest.fixture(scope="session")
def sparql_settings(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Settings:
    """Settings on a synthetic conforming build (see :func:`write_synthetic_dist`)."""
    dist = tmp_path_factory.mktemp("sparql-dist")
    write_synthetic_dist(dist)
    return project_settings.replace(dist_dir=dist)


@pytest.fixture(scope="session")
def live_server(built_settings: Settings) -> Iterator[str]:
    """Base URL of ``blackjanuary serve`` (a real subprocess, gunicorn) on the session's build."""
    server = ServeProcess(built_settings, args=("--no-build",)).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sparql_server(sparql_settings: Settings) -> Iterator[str]:
    """Base URL of ``blackjanuary serve`` on the synthetic build, with a 1 s query timeout."""
    env = {"BLACKJANUARY_QUERY_TIMEOUT": "1", "BLACKJANUARY_MAX_RESULTS": "5000"}
    server = ServeProcess(sparql_settings, env=env, args=("--no-build",)).start()
    try:
        yield server.url
    finally:
        server.stop()
