"""Faults: corrupt inputs, a crash in the middle of ``build`` and ``load --store``, a full disk, and a
gunicorn worker killed under load. The bar: the previously published dist/ and store stay intact
(every file's SHA-256 unchanged, ``SHA256SUMS`` verifies) and served; the next run recovers.

The remote backend's faults (down, slow, garbage → 503 with Retry-After, recovery without restart) are
tested with a real ``oxigraph serve`` in tests/live/test_backends.py and are not repeated here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from blackjanuary.config import Settings

QUICK_KILLS = int(os.environ.get("BLACKJANUARY_FAULT_KILLS", "3"))
SOAK_KILLS = int(os.environ.get("BLACKJANUARY_FAULT_SOAK_KILLS", "25"))


def cli(settings: Settings, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "blackjanuary",
        "--root",
        str(settings.root),
        "--source-text",
        str(settings.source_text_path),
        *args,
    ]


def fingerprint(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under ``directory`` (relative names)."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def sums_verify(dist: Path) -> None:
    """``sha256sum -c SHA256SUMS``, in Python: every listed file present with its checksum."""
    lines = (dist / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    assert lines
    for line in lines:
        digest, name = line.split(maxsplit=1)
        name = name.lstrip("*")
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name


def served_downloads_match(settings: Settings) -> None:
    """The app on ``settings`` serves every file of the manifest byte for byte."""
    from blackjanuary.publish.manifest import read_manifest
    from blackjanuary.web.app import create_app

    app = create_app(settings)
    client = app.test_client()
    for entry in read_manifest(settings.dist).files:
        response = client.get(f"/downloads/{entry.name}")
        assert response.status_code == 200, entry.name
        assert hashlib.sha256(response.get_data()).hexdigest() == entry.sha256, entry.name
    assert (
        client.get(
            "/sparql",
            query_string={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        ).get_json()["boolean"]
        is True
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Settings:
    """A private copy of the project (graph/, ontology/, shapes/), built once into its own dist/."""
    base = tmp_path_factory.mktemp("published")
    for name in ("graph", "ontology", "shapes"):
        shutil.copytree(project_settings.root / name, base / "project" / name)
    settings = project_settings.replace(root=base / "project", dist_dir=base / "out" / "dist")
    publish(settings)
    return settings


@pytest.fixture
def project(tmp_path: Path, published: Settings) -> Settings:
    """A fresh copy of the published project and its dist/ (bytes preserved) for one test to break."""
    shutil.copytree(published.root, tmp_path / "project")
    shutil.copytree(published.dist, tmp_path / "out" / "dist")
    return published.replace(root=tmp_path / "project", dist_dir=tmp_path / "out" / "dist")


def change_a_label(settings: Settings, suffix: str) -> None:
    """Edit the inputs so that the next build writes different bytes (same version, same file names)."""
    places = settings.root / "graph" / "places.ttl"
    text = places.read_text(encoding="utf-8")
    marker = '"Baku"@en'
    if marker not in text:
        marker = next(m for m in ('"Baku' + s + '"@en' for s in ("-a", "-b", "-c")) if m in text)
    places.write_text(text.replace(marker, f'"Baku{suffix}"@en', 1), encoding="utf-8")


def publish(settings: Settings) -> dict[str, str]:
    result = subprocess.run(
        cli(settings, "build", "--out", str(settings.dist), "--no-progress"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sums_verify(settings.dist)
    return fingerprint(settings.dist)


# Corrupt inputs --------------------------------------------------------------------------------------
CORRUPTIONS = {
    "truncated": lambda text: text[: len(text) // 2],
    "garbage bytes": lambda text: text + "\n\x00\x01\x02 @@@ <<<\n",
    "unclosed IRI": lambda text: text.replace("rdfs:label", "<http://broken rdfs:label", 1),
    "invalid UTF-8": None,
    "empty": lambda text: "",
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_corrupt_graph_file_fails_cleanly_and_keeps_the_dist(project: Settings, corruption: str) -> None:
    before = fingerprint(project.dist)
    sums_verify(project.dist)
    target = project.root / "graph" / "places.ttl"
    transform = CORRUPTIONS[corruption]
    if transform is None:
        target.write_bytes(target.read_bytes().replace(b"Baku", b"Ba\xff\xfeku", 1))
    else:
        target.write_text(transform(target.read_text(encoding="utf-8")), encoding="utf-8")
    result = subprocess.run(
        cli(project, "build", "--out", str(project.dist), "--no-progress"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (1, 2), (result.returncode, result.stderr[-1500:])
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    message = result.stderr + result.stdout
    lowered = message.lower()
    assert "places.ttl" in message or "conform" in lowered or "shape" in lowered, message[-800:]
    assert fingerprint(project.dist) == before
    served_downloads_match(project)


# A crash in the middle of build ----------------------------------------------------------------------
def kill_points(count: int, seed: int, duration: float) -> list[float]:
    rng = random.Random(seed)
    return sorted(rng.uniform(0.05, 0.95) * duration for _ in range(count))


def drive_kills(command: list[str], points: list[float], check: Callable[[int | None, float], None]) -> int:
    """Run ``command`` once per kill point, SIGKILL it there, and ``check`` what it left each time.

    The points come from one timed run; on a machine that was busy during that run every later run
    may finish before its point, and nothing would have been tested. So while no run has been killed
    yet, go on with ever shorter delays (half the shortest so far) until one is. Returns the kills.
    """
    killed = 0
    for after in points:
        code = run_and_kill(command, after)
        check(code, after)
        killed += code is None
    after = min(points, default=1.0)
    for _ in range(8):
        if killed:
            break
        after /= 2
        code = run_and_kill(command, after)
        check(code, after)
        killed += code is None
    return killed


def run_and_kill(command: list[str], after: float) -> int | None:
    """Start ``command``, SIGKILL it ``after`` seconds later (if still running); its exit code or None."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=after)
        return process.returncode
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return None


def crash_builds(project: Settings, kills: int, seed: int) -> tuple[int, int]:
    before = fingerprint(project.dist)
    started = time.monotonic()
    publish(project)  # a full build of unchanged inputs: the same bytes, and how long a build takes
    duration = time.monotonic() - started
    assert fingerprint(project.dist) == before
    change_a_label(project, "-a")  # from now on a finished build publishes different bytes
    # The new build's bytes, made elsewhere (builds are deterministic): a kill may land after the swap,
    # so what a kill leaves must be one complete build, the previous or the new one, never a mixture.
    new = publish(project.replace(dist_dir=project.dist.parent.parent / "expected" / "dist"))
    assert new != before
    publish_new = cli(project, "build", "--out", str(project.dist), "--no-progress")
    finished = 0
    current = before

    def check(code: int | None, after: float) -> None:
        nonlocal current, finished
        after_fp = fingerprint(project.dist)
        if code is None:
            assert after_fp in (current, new), (
                f"dist is neither the old nor the new build after a kill at {after:.2f} s"
            )
        else:
            assert code == 0
            finished += 1
            assert after_fp != before  # the new inputs were published whole
        current = after_fp
        sums_verify(project.dist)
        served_downloads_match(project)
        leftovers = [p.name for p in project.dist.parent.iterdir() if p.name != project.dist.name]
        if code is not None:
            assert not leftovers, leftovers

    killed = drive_kills(publish_new, kill_points(kills, seed, duration), check)
    # the next build recovers: no leftovers, the new data published and verified
    publish(project)
    assert [p.name for p in project.dist.parent.iterdir()] == [project.dist.name]
    ntriples = next(n for n in os.listdir(project.dist) if n.endswith(".nt"))
    assert "Baku-a" in (project.dist / ntriples).read_text(encoding="utf-8")
    return killed, finished


def test_build_killed_at_random_points_keeps_the_published_dist(project: Settings) -> None:
    killed, _ = crash_builds(project, QUICK_KILLS, seed=20)
    assert killed >= 1


@pytest.mark.slow
def test_build_killed_soak(project: Settings) -> None:
    killed, _ = crash_builds(project, SOAK_KILLS, seed=int(time.time()))
    assert killed >= SOAK_KILLS // 3


# A crash in the middle of load --store -----------------------------------------------------------------
def store_state(path: Path) -> tuple[str, dict[str, int]]:
    import pyoxigraph as ox

    from blackjanuary.store.loading import count_graphs, read_store_record

    record = read_store_record(path)
    store = ox.Store.read_only(str(path))
    try:
        return record.input_sha256 + record.version, count_graphs(store)
    finally:
        del store


def crash_loads(tmp_path: Path, built_settings: Settings, kills: int, seed: int) -> int:
    from blackjanuary.store.loading import load_store

    store_path = tmp_path / "stores" / "store"
    load_store(built_settings.dist, store_path)
    before = store_state(store_path)
    command = [
        sys.executable,
        "-m",
        "blackjanuary",
        "load",
        "--dist",
        str(built_settings.dist),
        "--store",
        str(store_path),
    ]
    started = time.monotonic()
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    duration = time.monotonic() - started
    from blackjanuary.web.app import create_app

    def check(code: int | None, after: float) -> None:
        assert store_state(store_path) == before, f"the store changed after a kill at {after:.2f} s"
        app_settings = built_settings.replace(backend="persistent", store_path=store_path)
        app = create_app(app_settings)
        response = app.test_client().get(
            "/sparql",
            query_string={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.get_json()["boolean"] is True
        app.extensions["blackjanuary.store"].close()

    killed = drive_kills(command, kill_points(kills, seed, duration), check)
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0  # the next load works
    assert store_state(store_path) == before
    staging = [p.name for p in store_path.parent.iterdir() if ".tmp-" in p.name]
    assert not staging or killed, staging
    return killed


def test_load_killed_at_random_points_keeps_the_store(tmp_path: Path, built_settings: Settings) -> None:
    assert crash_loads(tmp_path, built_settings, QUICK_KILLS, seed=5) >= 1


@pytest.mark.slow
def test_load_killed_soak(tmp_path: Path, built_settings: Settings) -> None:
    assert crash_loads(tmp_path, built_settings, SOAK_KILLS, seed=int(time.time())) >= 1


# A full disk ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def small_filesystem(path: Path, size_bytes: int) -> Iterator[str]:
    """A tmpfs of ``size_bytes`` at ``path`` when we may mount one; else nothing (caller falls back)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield "none"
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)],  # noqa: S607
        capture_output=True,
    )
    if done.returncode != 0:
        yield "none"
        return
    try:
        yield "tmpfs"
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)  # noqa: S607


def test_full_disk_during_build_fails_cleanly(tmp_path: Path, project: Settings) -> None:
    size = sum(p.stat().st_size for p in project.dist.iterdir())
    shutil.rmtree(project.dist.parent)
    disk = tmp_path / "disk"
    with small_filesystem(disk, size + size // 2) as kind:
        settings = project.replace(dist_dir=disk / "dist")
        before = publish(settings) if kind == "tmpfs" else None
        change_a_label(settings, "-a")
        command = cli(settings, "build", "--out", str(settings.dist), "--no-progress")
        if kind == "tmpfs":  # the second copy cannot fit beside the first
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        else:  # no mount allowed: cap the size of any file the child writes (EFBIG instead of ENOSPC)
            before = publish(settings)
            limit = size // 8

            def cap() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

            result = subprocess.run(command, capture_output=True, text=True, timeout=120, preexec_fn=cap)  # noqa: PLW1509
        assert result.returncode not in (0, -signal.SIGXFSZ), (kind, result.returncode, result.stderr[-1500:])
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        assert "space" in result.stderr.lower() or "too large" in result.stderr.lower(), result.stderr[-800:]
        assert fingerprint(settings.dist) == before
        sums_verify(settings.dist)
        served_downloads_match(settings)
        leftovers = [p.name for p in settings.dist.parent.iterdir() if p.name not in (settings.dist.name,)]
        assert not leftovers, f"a failed build left {leftovers} on the full disk"


# A worker killed under load ------------------------------------------------------------------------
def test_worker_killed_under_load_is_replaced_and_others_keep_serving(built_settings: Settings) -> None:
    from support.processes import ServeProcess, worker_pids

    server = ServeProcess(built_settings, args=("--no-build",), workers=2).start()
    try:
        master = server.process.pid  # type: ignore[attr-defined]
        booted = time.monotonic() + 30  # the server answers once one worker is up; the second may still boot
        while len(worker_pids(master)) < 2 and time.monotonic() < booted:
            time.sleep(0.2)
        workers = worker_pids(master)
        assert len(workers) == 2
        outcomes: list[tuple[float, bool]] = []
        stop = threading.Event()

        def client() -> None:
            with requests.Session() as session:
                while not stop.is_set():
                    try:
                        ok = session.get(server.url + "/page/baku", timeout=10).status_code == 200
                    except requests.RequestException:
                        ok = False
                    outcomes.append((time.monotonic(), ok))

        threads = [threading.Thread(target=client, daemon=True) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        victim = sorted(workers)[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(worker_pids(master) - {victim}) < 2:
            time.sleep(0.2)
        replaced = worker_pids(master) - workers
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        assert len(replaced) == 1, "the arbiter did not replace the killed worker"
        assert server.process.poll() is None  # type: ignore[attr-defined]
        failed = [t - killed_at for t, ok in outcomes if not ok]
        # only requests in flight on the killed worker may fail, and only at the moment it died
        assert len(failed) <= 8 and all(-0.5 < t < 2.0 for t in failed), failed
        after = [ok for t, ok in outcomes if t > killed_at + 2.0]
        assert after and all(after)
        log = os.environ.get("BLACKJANUARY_RELIABILITY_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as out:
                out.write(
                    f"worker kill: {len(outcomes)} requests, {len(failed)} failed at the kill, "
                    f"replacement pid {replaced}\n"
                )
    finally:
        server.stop()
