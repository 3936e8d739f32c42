"""The installed package publishes on its own: a wheel in a fresh venv, run from a directory that holds
no checkout, serves the dataset it carries (``blackjanuary serve``, ``build``, ``validate``).

The venv gets the wheel only; the dependencies come from this test run's environment through a plain
path line (a ``.pth`` entry, whose own ``.pth`` files are not processed, so the editable install of the
checkout stays out of sight).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from support.servers import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the checkout's files as a clone has them: setuptools builds in ``build/`` and
    keeps what an earlier build left there (modules since deleted), so it builds from a copy of the
    files git tracks or would track, not from the working tree."""
    wheels = tmp_path_factory.mktemp("wheels")
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        cwd=wheels,
    )
    return next(wheels.glob("blackjanuary-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("installed")
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)  # ensurepip: offline, from the interpreter's wheels
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True
    )
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(target) / "zz-test-dependencies.pth").write_text(
        "\n".join(p for p in site.getsitepackages() if "site-packages" in p) + "\n", encoding="utf-8"
    )
    work = tmp / "elsewhere"
    work.mkdir()
    env = {
        "PATH": f"{env_dir / 'bin'}:{os.environ.get('PATH', '')}",
        "HOME": str(tmp / "home"),
        "XDG_CACHE_HOME": str(tmp / "cache"),
        "PYTHONNOUSERSITE": "1",
    }
    yield work, env


def run(installed: tuple[Path, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    work, env = installed
    return subprocess.run(
        ["blackjanuary", *args], cwd=work, env=env, capture_output=True, text=True, timeout=240
    )


def test_the_wheel_ships_the_product_only(wheel: Path) -> None:
    """The test and benchmark servers (tests/support/) and the tests themselves stay in the checkout."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "blackjanuary/web/app.py" in names
    tops = {name.split("/")[0] for name in names}
    assert all(top == "blackjanuary" or top.endswith(".dist-info") for top in tops), tops
    assert not [name for name in names if name.startswith("blackjanuary/testing/")]


def test_the_wheel_carries_its_data_and_says_both_versions(installed: tuple[Path, dict[str, str]]) -> None:
    result = run(installed, "--version")
    assert result.returncode == 0, result.stderr
    assert "blackjanuary " in result.stdout and "(data " in result.stdout
    assert "bundled" in result.stdout, result.stdout  # not the checkout this test runs from
    assert str(ROOT) not in result.stdout


def test_validate_and_build_from_any_directory(installed: tuple[Path, dict[str, str]]) -> None:
    validated = run(installed, "validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    built = run(installed, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    _, env = installed
    assert list((Path(env["XDG_CACHE_HOME"]) / "blackjanuary" / "dist").glob("*.nq*"))


def test_serve_answers_sparql_iris_and_downloads(installed: tuple[Path, dict[str, str]]) -> None:
    work, env = installed
    port = free_port()
    process = subprocess.Popen(
        ["blackjanuary", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", timeout=180, process=process)
        ask = requests.get(
            url + "/sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert ask.status_code == 200 and ask.json()["boolean"] is True
        iri = requests.get(
            url + "/id/baku", headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=30
        )
        assert iri.status_code == 303 and iri.headers["Location"].endswith("/data/baku.ttl")
        downloads = requests.get(url + "/downloads", timeout=30)
        assert downloads.status_code == 200 and ".nq" in downloads.text
    finally:
        process.terminate()
        process.wait(timeout=30)
