"""The README's command for running the app under a plain gunicorn (not `blackjanuary serve`) works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from blackjanuary.config import Settings
from support.servers import free_port, wait_until_up

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_documented_gunicorn_command_serves_the_build(built_settings: Settings) -> None:
    line = next(li for li in README.splitlines() if li.startswith("gunicorn "))
    args = line.split()[1:]
    port = free_port()
    bind = args.index("--bind")
    args[bind + 1] = f"127.0.0.1:{port}"
    args[-1] = args[-1].strip("'")
    env = {
        **os.environ,
        "BLACKJANUARY_ROOT": str(built_settings.root),
        "BLACKJANUARY_DIST_DIR": str(built_settings.dist),
        "BLACKJANUARY_SOURCE_TEXT": str(built_settings.source_text_path),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/sparql", process=process)
        answer = requests.get(
            base + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        page = requests.get(
            base + "/id/baku", headers={"Accept": "text/html"}, allow_redirects=False, timeout=10
        )
        assert page.status_code == 303 and page.headers["Location"].endswith("/page/baku")
    finally:
        process.terminate()
        process.wait(timeout=30)
