"""The reference deployment of docs/deploy.md, started on loopback and checked end to end: Debian's
nginx with the committed deploy/nginx.conf in front of two ``blackjanuary serve`` processes that
share one remote engine (a real ``oxigraph serve``).

``make test`` checks that the committed configuration is valid nginx (``nginx -t``); the whole
topology (four server processes) runs in ``make soak``.
"""

from __future__ import annotations

import gzip
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from blackjanuary.config import Settings
from blackjanuary.publish.manifest import read_manifest
from support.oxigraph import OxigraphServer
from support.processes import ServeProcess
from support.servers import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is not installed (apt-get install -y nginx; `make test` does it)"
)


def loopback_config(directory: Path, port: int, upstreams: tuple[int, int]) -> Path:
    """deploy/nginx.conf with the lines marked ``test:`` pointed at ``directory`` and loopback ports."""
    text = CONFIG.read_text(encoding="utf-8")
    replacements = {
        "/run/nginx-blackjanuary.pid": f"{directory}/nginx.pid",
        "/var/log/nginx/": f"{directory}/",
        "/var/cache/nginx/": f"{directory}/cache/",
        "client_header_timeout 10s;": "client_header_timeout 2s;",
        "client_body_timeout 10s;": "client_body_timeout 2s;",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{upstreams[1]} ",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}; update tests/live/test_deploy.py"
        text = text.replace(old, new)
    (directory / "cache").mkdir(parents=True, exist_ok=True)
    # the master runs as whoever runs the tests; its workers must reach the temporary directory
    text = "user root;\n" + text if _is_root() else text
    path = directory / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def nginx(config: Path, *args: str) -> list[str]:
    return [NGINX, "-c", str(config), "-p", str(config.parent), "-e", str(config.parent / "error.log"), *args]


def test_the_committed_config_is_valid_nginx(tmp_path: Path) -> None:
    config = loopback_config(tmp_path, free_port(), (free_port(), free_port()))
    checked = subprocess.run(nginx(config, "-t"), capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@dataclass
class Topology:
    url: str
    apps: list[ServeProcess]
    engine: OxigraphServer
    directory: Path


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory, built_settings: Settings) -> Iterator[Topology]:
    from blackjanuary.store.loading import push_endpoint

    directory = tmp_path_factory.mktemp("deploy")
    engine = OxigraphServer(directory / "engine", extra_args=("--union-default-graph",)).start()
    apps: list[ServeProcess] = []
    process: subprocess.Popen[bytes] | None = None
    try:
        push_endpoint(built_settings.dist, engine.query_url)
        for _ in range(2):
            args = ("--no-build", "--endpoint", engine.query_url)
            apps.append(ServeProcess(built_settings, args=args, workers=1).start())
        port = free_port()
        config = loopback_config(directory / "nginx", port, (apps[0].port, apps[1].port))
        process = subprocess.Popen(nginx(config, "-g", "daemon off;"), stderr=subprocess.PIPE)
        wait_until_up(f"http://127.0.0.1:{port}/", process=process, timeout=30)
        yield Topology(f"http://127.0.0.1:{port}", apps, engine, directory / "nginx")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        for app in apps:
            app.stop()
        engine.stop()


@pytest.mark.slow
def test_pages_through_the_proxy_are_the_apps_bytes_and_cached(topology: Topology) -> None:
    direct = requests.get(topology.apps[0].url + "/page/baku", headers={"Accept": "text/html"}, timeout=30)
    first = requests.get(topology.url + "/page/baku", headers={"Accept": "text/html"}, timeout=30)
    second = requests.get(topology.url + "/page/baku", headers={"Accept": "text/html"}, timeout=30)
    assert first.status_code == second.status_code == 200
    assert first.content == direct.content == second.content
    assert first.headers["X-Cache-Status"] == "MISS"
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.headers["ETag"] == direct.headers["ETag"]
    # per Accept: the Turtle of the same IRI is its own cache entry
    turtle = requests.get(topology.url + "/id/baku", headers={"Accept": "text/turtle"}, timeout=30)
    assert turtle.status_code == 200 and turtle.headers["Content-Type"].startswith("text/turtle")


@pytest.mark.slow
def test_sparql_through_the_proxy_reaches_both_apps(topology: Topology, built_settings: Settings) -> None:
    total = sum(read_manifest(built_settings.dist).graphs.values())
    for i in range(6):  # distinct queries: the app caches whole answers, nginx does not cache /sparql
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} # {i}"
        get = requests.get(
            topology.url + "/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
        )
        post = requests.post(topology.url + "/sparql", data={"query": query}, timeout=30)
        assert get.status_code == post.status_code == 200
        assert get.text.split()[1] == str(total)
        assert "X-Cache-Status" not in get.headers or get.headers["X-Cache-Status"] != "HIT"
    log = (topology.directory / "blackjanuary-access.log").read_text()
    used = {f"127.0.0.1:{app.port}" for app in topology.apps if f"upstream=127.0.0.1:{app.port}" in log}
    assert len(used) == 2, log[-2000:]


@pytest.mark.slow
def test_a_dump_is_served_once_then_from_the_cache(topology: Topology, built_settings: Settings) -> None:
    manifest = read_manifest(built_settings.dist)
    name = f"blackjanuary-{manifest.version}.nt.gz"
    first = requests.get(f"{topology.url}/downloads/{name}", timeout=30)
    second = requests.get(f"{topology.url}/downloads/{name}", timeout=30)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == (built_settings.dist / name).read_bytes()
    assert gzip.decompress(second.content)
    assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == ("MISS", "HIT")
    assert "immutable" in second.headers["Cache-Control"]
    latest = requests.get(f"{topology.url}/downloads/latest.nt.gz", allow_redirects=False, timeout=30)
    assert latest.status_code == 302 and latest.headers["Location"].endswith(name)
    assert "X-Cache-Status" not in latest.headers or latest.headers["X-Cache-Status"] != "HIT"


@pytest.mark.slow
def test_nginx_cuts_slow_clients_and_big_bodies(topology: Topology) -> None:
    host, port = topology.url.removeprefix("http://").split(":")
    slow = socket.create_connection((host, int(port)), timeout=10)
    try:
        slow.sendall(b"GET /page/baku HTTP/1.1\r\nHost: localhost\r\n")  # and never the blank line
        started = time.monotonic()
        # meanwhile a normal client is served at once
        fast = requests.get(topology.url + "/page/baku", headers={"Accept": "text/html"}, timeout=10)
        assert fast.status_code == 200
        answer = b""
        while chunk := slow.recv(4096):
            answer += chunk
        waited = time.monotonic() - started
    finally:
        slow.close()
    assert 1.0 < waited < 8.0, waited  # client_header_timeout (2 s here), not the app's limits
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
    big = requests.post(
        topology.url + "/sparql",
        data=b"query=" + b"x" * 2_000_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert big.status_code == 413


@pytest.mark.slow
def test_one_app_down_the_other_serves(topology: Topology) -> None:
    topology.apps[0].stop()
    try:
        for i in range(4):
            response = requests.get(
                topology.url + "/sparql",
                params={"query": f"ASK {{ ?s ?p ?o }} # failover {i}"},
                headers={"Accept": "application/sparql-results+json"},
                timeout=30,
            )
            assert response.status_code == 200, response.text[:300]
    finally:
        topology.apps[0].start()
