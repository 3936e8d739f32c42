"""Shared fixtures: one validated build per test session (into a temporary dist/), then apps on it.

Modules add fixtures of their own in their own files; only fixtures used by several areas live here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from blackjanuary.config import BACKENDS, Settings

if TYPE_CHECKING:
    from flask import Flask

    from blackjanuary.testing_virtuoso import VirtuosoServer

ROOT = Path(__file__).resolve().parent.parent
SOURCE_TEXT = ROOT / "graph" / "source" / "black-january-1990.de.txt"

SITE_PATHS = [
    "/",
    "/entities",
    "/page/baku",
    "/data/baku",
    "/id/baku",
    "/downloads",
    "/ontology",
    "/shapes",
    "/source/black-january-1990.de",
    "/void",
    "/void.ttl",
    "/fragments",
    "/sparql",
    "/reconcile",
    "/reconcile/v1",
    "/reconcile/suggest/entity",
    "/reconcile/v1/suggest/entity",
    "/reconcile/v1/extend/propose",
    "/reconcile/preview",
    "/reconcile/propose_properties",
    "/openapi.json",
    "/examples/nope",
    "/page/no-such-key",
]
"""GET paths across every blueprint (two of them unknown), for tests that throw odd input at all of them."""


@pytest.fixture(scope="session")
def source_text() -> str:
    return SOURCE_TEXT.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The real project files, untouched; nothing may be written through these settings."""
    return Settings(root=ROOT, source_text=SOURCE_TEXT)


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Settings:
    """Settings whose dist/ holds a fresh, validated build of the real data (built once per session)."""
    from blackjanuary.build import build

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


def _virtuoso_installed() -> bool:
    from blackjanuary.testing_virtuoso import virtuoso_available

    return virtuoso_available()


VIRTUOSO = pytest.param(
    "virtuoso",
    marks=pytest.mark.skipif(
        not _virtuoso_installed(),
        reason="Virtuoso is not installed (apt-get install -y virtuoso-opensource; `make test` does it)",
    ),
)
BACKEND_VARIANTS = (*BACKENDS, VIRTUOSO)
"""Parameters for fixtures that run on every backend variant: the three backends plus Virtuoso."""
SITE_VARIANTS = (*BACKENDS, pytest.param("virtuoso", marks=[*VIRTUOSO.marks, pytest.mark.slow]))
"""The whole-site suites (crawls of every page) on Virtuoso cost minutes, each page being three
Virtuoso queries of 10–100 ms: they run in `make soak`; `make test` compares a sample of pages with
the embedded store's byte for byte (tests/test_backends.py) and runs the protocol suites there."""
VARIANT_NAMES = (*BACKENDS, "virtuoso")


@pytest.fixture(scope="session")
def backend_variant(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Settings, str], Settings]]:
    from blackjanuary.loading import load_store, push_endpoint
    from blackjanuary.testing import OxigraphServer
    from blackjanuary.testing_virtuoso import DBA_PASSWORD, VirtuosoServer

    made: dict[tuple[Path, str], Settings] = {}
    servers: list[OxigraphServer | VirtuosoServer] = []

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
    from blackjanuary.web import create_app

    apps: dict[str, Flask] = {}

    def get(backend: str) -> Flask:
        if backend not in apps:
            apps[backend] = create_app(settings_for(backend, request))
        return apps[backend]

    return get


@pytest.fixture(params=BACKEND_VARIANTS)
def backend_app(request: pytest.FixtureRequest, app_for: Callable[[str], Flask]) -> Flask:
    return app_for(request.param)


@pytest.fixture(scope="module", params=SITE_VARIANTS)
def site_app(request: pytest.FixtureRequest, app_for: Callable[[str], Flask]) -> Flask:
    """The app on the session's real build, once per backend: the linked-data suites (dereferencing,
    pages, downloads, VoID) run against embedded, persistent, remote (a real oxigraph serve) and remote
    on Virtuoso alike."""
    return app_for(request.param)


@pytest.fixture(scope="session")
def live_server_for(app_for: Callable[[str], Flask]) -> Iterator[Callable[[str], str]]:
    """Factory: the base URL (``http://127.0.0.1:PORT``) of the app on ``backend``, over real HTTP."""
    from blackjanuary.testing import AppServer

    servers: dict[str, AppServer] = {}

    def get(backend: str) -> str:
        if backend not in servers:
            servers[backend] = AppServer(app_for(backend)).start()
        return servers[backend].url

    yield get
    for server in servers.values():
        server.stop()


# The SPARQL endpoint (issue 3): a small synthetic build with known contents, and real server processes --

SYNTHETIC_THINGS = 400
SYNTHETIC_PLACES = 10


def write_synthetic_dist(dist: Path, base: str = "https://w3id.org/blackjanuary/") -> dict[str, int]:
    """A conforming build of generated data (things with labels, ranks and places): its dist/ files.

    Returns the triple count per named graph. Known contents let the protocol tests compute expected
    answers from the data they wrote, independently of the real (evolving) knowledge graph.
    """
    import hashlib

    from blackjanuary.manifest import DistFile, Manifest

    schema, rdfs, xsd = (
        "http://schema.org/",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2001/XMLSchema#",
    )
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    graphs = {name: base + "graph/" + name for name in ("data", "ontology", "shapes", "meta")}
    lines: list[str] = []
    counts = dict.fromkeys(graphs.values(), 0)

    def quad(s: str, p: str, o: str, graph: str) -> None:
        lines.append(f"{s} <{p}> {o} <{graphs[graph]}> .")
        counts[graphs[graph]] += 1

    for i in range(SYNTHETIC_PLACES):
        place = f"<{base}id/place-{i}>"
        quad(place, rdf_type, f"<{schema}Place>", "data")
        quad(place, rdfs + "label", f'"Place {i}"@en', "data")
    for i in range(SYNTHETIC_THINGS):
        thing = f"<{base}id/thing-{i}>"
        quad(thing, rdf_type, f"<{schema}Thing>", "data")
        quad(thing, rdfs + "label", f'"Thing {i}"@en', "data")
        quad(thing, rdfs + "label", f'"Ding {i}"@de', "data")
        quad(thing, base + "ontology#rank", f'"{i}"^^<{xsd}integer>', "data")
        quad(thing, schema + "location", f"<{base}id/place-{i % SYNTHETIC_PLACES}>", "data")
    quad(f"<{base}ontology#rank>", rdf_type, "<http://www.w3.org/2002/07/owl#DatatypeProperty>", "ontology")
    quad(f"<{base}ontology#rank>", rdfs + "label", '"rank"@en', "ontology")
    quad(f"<{base}shapes#ThingShape>", rdf_type, "<http://www.w3.org/ns/shacl#NodeShape>", "shapes")
    quad(f"<{base}dataset>", rdf_type, "<http://rdfs.org/ns/void#Dataset>", "meta")
    version = "0.0.1-test"
    data = ("\n".join(lines) + "\n").encode("utf-8")
    dist.mkdir(parents=True, exist_ok=True)
    name = f"blackjanuary-{version}.nq"
    (dist / name).write_bytes(data)
    entry = DistFile(
        name=name,
        format="nquads",
        media_type="application/n-quads",
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        triples=len(lines),
        compressed=False,
        graphs=True,
    )
    manifest = Manifest(
        dataset=base + "dataset",
        version=version,
        base_iri=base,
        conforms=True,
        input_sha256="synthetic",
        graphs=counts,
        triples=len(lines),
        files=(entry,),
    )
    (dist / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return counts


@pytest.fixture(scope="session")
def sparql_settings(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Settings:
    """Settings on a synthetic conforming build (see :func:`write_synthetic_dist`)."""
    dist = tmp_path_factory.mktemp("sparql-dist")
    write_synthetic_dist(dist)
    return project_settings.replace(dist_dir=dist)


def free_port() -> int:
    from blackjanuary.testing import free_port as loopback_port

    return loopback_port()


class ServeProcess:
    """``python -m blackjanuary serve`` as a real subprocess on a free loopback port; always stopped."""

    def __init__(
        self,
        settings: Settings,
        *,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        workers: int = 2,
    ) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env or {}
        self.args = args
        self.workers = workers
        self.process: object = None

    def start(self, timeout: float = 60.0) -> ServeProcess:
        import os
        import subprocess
        import sys
        import time

        import requests

        env = {**os.environ, **self.env}
        command = [sys.executable, "-m", "blackjanuary", "--root", str(self.settings.root)]
        if self.settings.source_text is not None:
            command += ["--source-text", str(self.settings.source_text)]
        command += [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--dist",
            str(self.settings.dist),
            *self.args,
        ]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.process = process
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                err = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"serve exited with {process.returncode}: {err[-2000:]}")
            try:
                if requests.get(self.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=2).ok:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy booting
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"serve did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        import subprocess

        process = self.process
        if isinstance(process, subprocess.Popen) and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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


def worker_pids(master: int) -> set[int]:
    """The PIDs of ``master``'s child processes (gunicorn's workers), from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.add(int(entry.name))
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of one process, in MiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")
