"""The production server: gunicorn, prefork + threads (``gthread``), running ``create_app``.

Why gunicorn (and not waitress): it forks several worker processes, so both cores serve and a worker
that dies (or must be recycled after a runaway query, see docs/adr/0002-query-execution.md) is
replaced by the arbiter while the others keep answering; ``gthread`` adds threads per worker so a slow
query does not block fast ones. waitress is a single process: one bad query could take it all down.

The same app runs under any WSGI server::

    gunicorn --worker-class blackjanuary.serve.worker.HeadFirstThreadWorker --workers 2 --threads 8 \
        --bind 127.0.0.1:8080 'blackjanuary.serve.server:wsgi_app()'

(``blackjanuary.serve.worker.HeadFirstThreadWorker`` is ``gthread`` reading request heads in its poller, so
slow clients cannot tie up threads; plain ``gthread`` works too, without that protection.)
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from blackjanuary.config import Settings
from blackjanuary.publish.build import build
from blackjanuary.publish.manifest import is_stale
from blackjanuary.store.embedded import checked_manifest
from blackjanuary.store.execution import Job, address_space_bytes, resident_bytes
from blackjanuary.web.app import create_app
from blackjanuary.web.current import STORE_KEY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    threads: int = 8
    access_log: bool = False

    def gunicorn_config(self) -> dict[str, Any]:
        return {
            "bind": f"{self.host}:{self.port}",
            "workers": self.workers,
            "threads": self.threads,
            "worker_class": "blackjanuary.serve.worker.HeadFirstThreadWorker",  # heads read in the poller
            "timeout": 60,
            "graceful_timeout": 5,
            "keepalive": 5,
            "limit_request_line": 8190,  # gunicorn's maximum: long GET queries; the app caps at 413
            "accesslog": "-" if self.access_log else None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "blackjanuary",
            "control_socket_disable": True,  # gunicorn ≥ 23: one shared ~/.gunicorn socket would collide
        }


#: Longest a worker that must go waits for its replacement to load before it stops anyway.
HANDOVER_TIMEOUT = 30.0


@dataclass
class Handover:
    """Replace a worker without a gap: it asks the master for one more worker first (gunicorn's
    ``SIGTTIN``), keeps serving until that one has loaded its app, and only then stops gracefully
    (``SIGTERM`` to itself); when it has exited, the master goes back to its configured count
    (``child_exit`` hook). Made in the master before the fork, so every worker shares ``ready``.

    Stopping at once instead (as before) left no accepting worker when runaways hit both workers
    together: every other client waited for two fresh workers to boot (8–9 s, docs/adr/0010)."""

    workers: int
    ready: Any = field(default_factory=lambda: multiprocessing.Value("L", 0))
    """How many workers have loaded their app, over the server's life (shared memory)."""
    turn: Any = field(default_factory=multiprocessing.Lock)
    """Held by the worker handing over; released by the master when that worker has exited."""
    holder: Any = field(default_factory=lambda: multiprocessing.Value("l", 0))
    """The pid of the worker holding ``turn`` (0: none)."""
    master: int = field(default_factory=os.getpid)
    started: bool = False

    def worker_ready(self, worker: Any) -> None:
        """gunicorn's ``post_worker_init`` hook, in each new worker once its app is loaded."""
        with self.ready.get_lock():
            self.ready.value += 1
        worker.log.info("worker %d ready", os.getpid())  # gunicorn's log: the order tests read it

    def child_exit(self, server: Any, worker: Any) -> None:
        """gunicorn's ``child_exit`` hook, in the master: when the worker that handed over has gone,
        undo its ``SIGTTIN`` and pass the turn on (also if it died some other way meanwhile)."""
        if worker.pid != self.holder.value:
            return
        self.holder.value = 0
        server.num_workers = max(self.workers, server.num_workers - 1)
        self.turn.release()

    def recycle(self, job: Job, memory_budget: int) -> None:
        """From the engine watchdog: hand over, in a thread of its own (the watchdog keeps watching)."""
        if self.started:
            return
        self.started = True
        log.error("recycling worker %d: an engine thread is stuck in %s", os.getpid(), job.description)
        threading.Thread(target=self._hand_over, args=(memory_budget,), daemon=True).start()

    def _hand_over(self, memory_budget: int) -> None:
        grown_from, deadline = resident_bytes(), time.monotonic() + HANDOVER_TIMEOUT

        def waiting() -> bool:  # nor may a query that will not let go grow by another budget meanwhile
            return time.monotonic() < deadline and resident_bytes() - grown_from <= memory_budget

        # One handover at a time: two SIGTTINs sent together arrive as one (the kernel does not queue
        # a pending signal twice), and both stuck workers would leave on a single replacement.
        while waiting():
            if os.getppid() != self.master:  # the master is gone: nobody to hand over to
                break
            if self.turn.acquire(timeout=0.1):
                self.holder.value = os.getpid()
                seen = self.ready.value
                os.kill(self.master, signal.SIGTTIN)
                while waiting() and self.ready.value <= seen:
                    time.sleep(0.1)
                break
        os.kill(os.getpid(), signal.SIGTERM)  # without the turn: gunicorn replaces it once it has gone


_HANDOVER: Handover | None = None
"""Set by :class:`GunicornServer` in the master; None under another server (stop at once, as below)."""


def _recycle_worker(job: Job) -> None:
    """A query is stuck in the engine (past its deadline, or over its memory budget) and no handover
    is set up: let the WSGI server replace this process, gracefully (requests in flight finish)."""
    log.error("recycling worker %d: an engine thread is stuck in %s", os.getpid(), job.description)
    os.kill(os.getpid(), signal.SIGTERM)


def limit_worker_memory(settings: Settings) -> int | None:
    """Set this process's RLIMIT_AS from ``settings.worker_memory_limit``; return it (None: no limit).

    The OS's last line behind the per-query memory budget of the engine runner: an allocation past it
    fails instead of growing until the OOM killer picks some process. It counts address space, so the
    automatic value starts from the size after start-up (8 engine stacks of 256 MiB are ~2 GiB of it,
    though only their touched pages are memory) and adds room for request threads, malloc arenas and
    twice the query budget. On by default (0). The cheap queries that waited past 3 s when it was
    first tried were not its doing: the same wait came without it, from both workers recycling at
    once (fixed by :class:`Handover`; docs/adr/0010).
    """

    limit = settings.worker_memory_limit
    if limit < 0:
        return None
    if limit == 0:
        limit = address_space_bytes() + (4 << 30) + 2 * settings.query_memory_budget
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    log.info("worker %d: address space limited to %d MiB", os.getpid(), limit >> 20)
    return limit


def build_app(settings: Settings, *, recycle_stuck_workers: bool = True) -> Flask:
    """The app of one server process; under gunicorn (``recycle_stuck_workers``) also the process's
    guards: a stuck or over-budget engine query recycles the worker, and RLIMIT_AS caps its memory."""

    app = create_app(settings, admission_control=True)
    runner = getattr(app.extensions[STORE_KEY], "runner", None)
    if recycle_stuck_workers and runner is not None:
        handover, budget = _HANDOVER, settings.query_memory_budget
        runner.on_stuck = _recycle_worker if handover is None else lambda job: handover.recycle(job, budget)
        limit_worker_memory(settings)
    return app


def wsgi_app() -> Flask:
    """The application for an external WSGI server, configured from ``BLACKJANUARY_*`` variables."""
    return build_app(Settings.from_env())


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """gunicorn embedded: each worker builds its own app (and loads its own in-memory store)."""

    def __init__(self, settings: Settings, options: ServerOptions) -> None:
        global _HANDOVER  # noqa: PLW0603 - made once in the master, inherited by the forked workers
        self.settings = settings
        self.options = options
        _HANDOVER = self.handover = Handover(options.workers)
        super().__init__()

    def load_config(self) -> None:
        hooks = {"post_worker_init": self.handover.worker_ready, "child_exit": self.handover.child_exit}
        for key, value in {**self.options.gunicorn_config(), **hooks}.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return build_app(self.settings)


def run(settings: Settings, options: ServerOptions) -> None:
    """Serve until interrupted (blocks)."""
    GunicornServer(settings, options).run()


def ensure_servable(settings: Settings, *, build_if_stale: bool = True, echo: Any = log.info) -> None:
    """Make sure ``settings.dist`` holds a conforming build of the current inputs.

    Builds first (through the SHACL gate) when dist/ is missing or stale and ``build_if_stale``;
    raises :class:`~blackjanuary.publish.build.ValidationFailed` or another BuildError when it cannot serve.
    """

    if settings.backend != "embedded":
        return
    if build_if_stale and is_stale(settings):
        echo(f"{settings.dist} is missing or stale: building it first (with the SHACL gate) …")
        build(settings)
    checked_manifest(settings.dist)
