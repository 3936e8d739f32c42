"""One tree's app in one process, answering requests through its WSGI callable on command.

``python bench/request_cost.py DIST`` (run with ``PYTHONPATH`` pointing at the ``src/`` of the code to
measure, by :mod:`bench.compare_ref` under valgrind) creates the app as ``blackjanuary serve`` does —
admission control on, the result cache and the page cache as the environment says — then reads lines
``CELL N`` from stdin, sends N requests of that cell (as :data:`bench.compare_ref.CELLS` describes
them: path, ``Accept``, headers) straight to the WSGI callable, reads each body to the end and answers
``done STATUS``. No socket and no server: what is counted is the application's own work per request.

It imports only what both the current tree and the code before the re-cut have, so it runs either.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from blackjanuary.config import Settings

try:
    from blackjanuary.web.app import create_app
except ImportError:  # the code before the re-cut: the app factory in the package's __init__
    from blackjanuary.web import create_app

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(path: str, accept: str, headers: dict[str, str]) -> dict[str, Any]:
    url, _, query = path.partition("?")
    builder = EnvironBuilder(
        path=url, query_string=query, headers={"Accept": accept, **headers}, base_url="http://127.0.0.1/"
    )
    return builder.get_environ()


def answer(app: App, template: dict[str, Any]) -> str:
    """One request; its status line."""
    env = dict(template)
    env["wsgi.input"] = io.BytesIO(b"")
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        status.append(line)

    body = app(env, start_response)
    try:
        for _ in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return status[0]


def main() -> None:
    settings = Settings.from_env(dist_dir=Path(sys.argv[1]))
    app = create_app(settings, admission_control=True)
    cells: dict[str, dict[str, Any]] = {}
    print("ready", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        name = command["cell"]
        if name not in cells:
            cells[name] = environ(command["path"], command["accept"], command["headers"])
        last = ""
        for _ in range(int(command["n"])):
            last = answer(app, cells[name])
        print("done", last, flush=True)


if __name__ == "__main__":
    main()
