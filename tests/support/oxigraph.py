"""``oxigraph serve`` as a throw-away server for the tests and the benchmarks (the remote engine)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .servers import ServerProcess


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


class OxigraphServer(ServerProcess):
    """``oxigraph serve`` on a free loopback port; ``location=None`` keeps the data in memory.

    The port is kept across ``stop()`` and ``start()``; with a ``location`` the data survives the restart.
    """

    name = "Oxigraph"
    query_path = "/query"
    ready_path = "/"

    def __init__(
        self, location: Path | None = None, *, port: int | None = None, extra_args: tuple[str, ...] = ()
    ) -> None:
        super().__init__(port=port)
        self.location = location
        self.extra_args = extra_args

    @property
    def store_url(self) -> str:
        return self.base_url + "/store"

    def command(self) -> list[str]:
        command = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{self.port}", *self.extra_args]
        if self.location is not None:
            command += ["--location", str(self.location)]
        return command
