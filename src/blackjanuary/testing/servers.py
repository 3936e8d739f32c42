"""Local servers for the tests and the benchmarks: an Oxigraph server process and the app on a thread.

Both bind ``127.0.0.1`` on a free port, wait until they answer, and are always stopped by their owner
(``with``, or ``stop()``). Nothing here is used when serving.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import requests
from werkzeug.serving import make_server

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_binary() -> str:
    """The ``oxigraph`` server binary (PyPI's ``oxigraph`` package puts it beside this Python)."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise FileNotFoundError(
            "the `oxigraph` server binary is missing: `pip install oxigraph` "
            "(it is in the test and bench extras)"
        )
    return found


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


class OxigraphServer:
    """``oxigraph serve`` on a free loopback port; ``location=None`` keeps the data in memory.

    ``stop()`` and ``start()`` may be called again (the port is kept), so tests can take the server
    down and bring it back; with a ``location`` the data survives the restart.
    """

    def __init__(
        self, location: Path | None = None, *, port: int | None = None, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.location = location
        self.port = port or free_port()
        self.extra_args = extra_args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/query"

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, *, timeout: float = 30.0) -> OxigraphServer:
        if self.process is not None and self.process.poll() is None:
            return self
        command = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{self.port}", *self.extra_args]
        if self.location is not None:
            command += ["--location", str(self.location)]
        log.info("starting %s", " ".join(command))
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(self.base_url + "/", timeout=timeout, process=self.process)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class AppServer:
    """A WSGI app served by werkzeug on a thread, on a free loopback port (for real-HTTP tests)."""

    def __init__(self, app: object) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
        self.port = int(self.server.server_port)
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"app-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
