"""Debian's Virtuoso (``virtuoso-opensource``, 7.2) as a throw-away server for the tests and benchmarks.

:class:`VirtuosoServer` writes a minimal ``virtuoso.ini`` into a directory of its own, starts
``virtuoso-t +foreground`` bound to two free loopback ports (SQL/isql and HTTP, which serves
``/sparql`` and the Graph Store endpoints), waits until ``/sparql`` answers, and stops it with
SIGTERM (a clean shutdown with checkpoint, so a restart keeps the data).

A fresh database takes Virtuoso 20–30 s to create (it compiles its system procedures and RDF schema);
reopening one takes a few seconds. The first start therefore saves a pristine database (made with
the same binary, before any data is loaded) under ``$XDG_CACHE_HOME/blackjanuary/`` and later servers
start from a copy. The default password of ``dba`` is ``dba``; the server only listens on 127.0.0.1.
Nothing here is used when serving.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path

from .servers import ServerProcess, free_port

log = logging.getLogger(__name__)

VIRTUOSO_BINARY = "virtuoso-t"
DBA_PASSWORD = "dba"  # noqa: S105 - Virtuoso's documented default, loopback-only test servers
"""The password of Virtuoso's ``dba`` user in a new database (the tests' servers keep it)."""
DATABASE_FILES = ("virtuoso.db", "virtuoso.trx")
"""What a stopped server leaves that a restart needs (the data file and the transaction log)."""

INI = """\
; written by tests/support/virtuoso.py: a loopback-only Virtuoso for tests and benchmarks
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
DisableUnixSocket  = 1
NumberOfBuffers    = {buffers}
MaxDirtyBuffers    = {dirty_buffers}
ThreadsPerQuery    = 2
; no CaseMode: Virtuoso's built-in default (1), under which ASK answers come back SELECT-shaped
CheckpointInterval = 0
DirsAllowed        = ., {dir}

[HTTPServer]
ServerPort      = 127.0.0.1:{http_port}
ServerRoot      = {dir}/www
ServerThreads   = 20
MaxKeepAlives   = 20
KeepAliveTimeout = 10
EnabledGzipContent = 0

[SPARQL]
; as Debian's stock virtuoso.ini, except a shorter execution limit: partial ("anytime") answers past
; it, a cap on result rows, and the quirks that come with them (see docs/backends.md)
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = {max_seconds}
"""


def virtuoso_binary() -> str:
    """The ``virtuoso-t`` server binary (Debian: ``apt-get install virtuoso-opensource``)."""
    found = shutil.which(VIRTUOSO_BINARY)
    if found is None:
        raise FileNotFoundError(
            "Virtuoso is not installed: `apt-get install -y virtuoso-opensource` "
            "(`make test` runs `make system-deps`, which does it)"
        )
    return found


def virtuoso_available() -> bool:
    return shutil.which(VIRTUOSO_BINARY) is not None


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "blackjanuary"


def _binary_key(binary: str) -> str:
    stat = Path(binary).stat()
    return hashlib.sha256(f"{binary}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]


class VirtuosoServer(ServerProcess):
    """``virtuoso-t`` on free loopback ports in ``directory``; ``stop()`` and ``start()`` may repeat.

    ``max_rows`` and ``max_seconds`` are ``[SPARQL] ResultSetMaxRows`` and ``MaxQueryExecutionTime``:
    Virtuoso's stock limits (10 000 rows; 60 s, here 5 s so that an abandoned query stops burning a
    core soon), which the remote adapter must survive.
    """

    name = "Virtuoso"
    query_path = "/sparql"
    ready_path = "/sparql?query=ASK%7B%7D"
    start_timeout = 120.0
    stop_grace = 30.0  # SIGTERM makes Virtuoso checkpoint before it exits (a few seconds)

    def __init__(
        self,
        directory: Path,
        *,
        max_rows: int = 10_000,
        max_seconds: int = 5,
        buffers: int = 20_000,
        template: bool = True,
    ) -> None:
        self.directory = directory.resolve()
        super().__init__(cwd=self.directory, log_file=self.directory / "stdout.log")
        self.sql_port = free_port()
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.buffers = buffers
        self.template = template

    @property
    def gsp_url(self) -> str:
        """The Graph Store endpoint that takes writes (HTTP digest authentication as ``dba``)."""
        return self.base_url + "/sparql-graph-crud-auth"

    @property
    def ini(self) -> Path:
        return self.directory / "virtuoso.ini"

    def prepare(self, timeout: float) -> None:
        """Write ``virtuoso.ini``; on a first start, copy the pristine database in (if ``template``)."""
        binary = virtuoso_binary()  # first: without it, nothing else is worth doing
        (self.directory / "www").mkdir(parents=True, exist_ok=True)
        self.ini.write_text(
            INI.format(
                dir=self.directory,
                sql_port=self.sql_port,
                http_port=self.port,
                buffers=self.buffers,
                dirty_buffers=self.buffers * 3 // 4,
                max_rows=self.max_rows,
                max_seconds=self.max_seconds,
            ),
            encoding="utf-8",
        )
        if self.template and not (self.directory / DATABASE_FILES[0]).exists():
            try:
                _copy_template(binary, self.directory, timeout=timeout)
            except OSError as exc:  # no writable cache directory: Virtuoso creates a database itself
                log.warning("no cached Virtuoso database (%s); creating one takes 20-30 s", exc)

    def command(self) -> list[str]:
        return [virtuoso_binary(), "+configfile", str(self.ini), "+foreground"]

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets but answers nothing (a hung engine)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


def _copy_template(binary: str, into: Path, *, timeout: float) -> None:
    """Copy the cached pristine database into ``into``, creating it first if needed (under a lock, so
    parallel test workers create it once)."""
    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    template = cache / f"virtuoso-{_binary_key(binary)}"
    with (cache / "virtuoso-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.is_dir():
            with tempfile.TemporaryDirectory(prefix="virtuoso-template-", dir=cache) as tmp:
                fresh = VirtuosoServer(Path(tmp) / "db", template=False)
                fresh.start(timeout=timeout)
                fresh.stop()
                staged = Path(tmp) / "template"
                staged.mkdir()
                for name in DATABASE_FILES:
                    os.replace(Path(tmp) / "db" / name, staged / name)
                os.replace(staged, template)
                log.info("saved a pristine Virtuoso database in %s", template)
    for name in DATABASE_FILES:
        shutil.copyfile(template / name, into / name)
