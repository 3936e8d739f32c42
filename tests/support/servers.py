"""Local servers for the tests and the benchmarks: what every server shares, and the app on a thread.

A server binds ``127.0.0.1`` on a free port, is ready when it answers HTTP, and is always stopped by its
owner (``with``, or ``stop()``). :class:`ServerProcess` is that life cycle for a server binary run as a
child process; the engines (``oxigraph.py``, ``virtuoso.py``) add only their command line, the paths
of their query endpoint and of an answer that says they are ready, and what they need on disk first.
:class:`AppServer` serves a WSGI app on a thread of this process.

The tests import these modules as ``support.…``; bench/ (run from the repository's root) imports them as
``tests.support.…``. A test therefore cannot import a bench module that uses them: two copies under two
names would hold two ``OxigraphServer`` classes, so the second import fails and says why.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

import requests
from werkzeug.serving import make_server

log = logging.getLogger(__name__)

# The tests load this module as support.servers, bench/ as tests.support.servers; both in one process would
# make two copies, whose classes are not each other's (isinstance fails): refuse the second.
_NAMES = {"support.servers", "tests.support.servers"}
if __name__ in _NAMES and (_NAMES - {__name__}) & sys.modules.keys():
    raise ImportError(f"{__name__}: the test servers are loaded already as {(_NAMES - {__name__}).pop()}")


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, *, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers any HTTP status; RuntimeError if ``process`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server process exited with {process.returncode} before answering {url}")
        try:
            requests.get(url, timeout=1.0)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM, and SIGKILL if ``process`` has not exited ``grace`` seconds later; returns once it has."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Started(ABC):
    """Something with ``start()`` and ``stop()``; ``with`` starts it and always stops it."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class ServerProcess(Started):
    """A server binary as a child process serving HTTP on ``port`` (a free one unless given).

    It is ready when ``ready_path`` answers. ``stop()`` and ``start()`` may be called again (the ports
    are kept), so tests can take the server down and bring it back. With a ``log_file`` the server's
    output goes there and a failed start quotes its tail; without one it is discarded.
    """

    query_path: ClassVar[str]
    """Where the server's SPARQL query endpoint is."""
    ready_path: ClassVar[str]
    """A path that answers (any HTTP status) once the server is ready."""

    name = "the server"
    """What a failed start calls the server when it quotes its output."""
    start_timeout = 30.0
    """Seconds ``start()`` waits for the server to answer, unless told otherwise."""
    stop_grace = 10.0
    """Seconds ``stop()`` waits after SIGTERM before SIGKILL."""

    def __init__(
        self, *, port: int | None = None, cwd: Path | None = None, log_file: Path | None = None
    ) -> None:
        self.port = port or free_port()
        self.cwd = cwd
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that runs the server in the foreground."""

    def prepare(self, timeout: float) -> None:
        """What the server needs before it starts (its configuration, a database); nothing by default."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + self.query_path

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, timeout: float | None = None) -> Self:
        if self.running:
            return self
        timeout = self.start_timeout if timeout is None else timeout
        self.prepare(timeout)
        command = self.command()
        log.info("starting %s", " ".join(command))
        with (self.log_file or Path(os.devnull)).open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            wait_until_up(self.base_url + self.ready_path, timeout=timeout, process=self.process)
        except RuntimeError as exc:
            tail = self.log_file.read_text(errors="replace")[-1500:] if self.log_file is not None else ""
            self.stop()
            if not tail:
                raise
            raise RuntimeError(f"{exc}; {self.name} said:\n{tail}") from exc
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, grace=self.stop_grace)
        self.process = None


class AppServer(Started):
    """A WSGI app served by werkzeug on a thread, on a free loopback port (for real-HTTP tests)."""

    def __init__(self, app: object) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
        self.port = int(self.server.server_port)
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"app-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
