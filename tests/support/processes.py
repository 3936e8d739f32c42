"""Real processes for the live tests: ``blackjanuary serve`` as a subprocess, and /proc readings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from blackjanuary.config import Settings
from support.servers import free_port, stop_process


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
                    # one worker answers; tests that count or kill workers need all of them forked
                    while len(worker_pids(process.pid)) < self.workers and time.monotonic() < deadline:
                        time.sleep(0.1)
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy booting
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"serve did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        process = self.process
        if isinstance(process, subprocess.Popen):
            stop_process(process)


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
