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
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from blackjanuary.testing.servers import free_port, wait_until_up

log = logging.getLogger(__name__)

VIRTUOSO_BINARY = "virtuoso-t"
DBA_PASSWORD = "dba"  # noqa: S105 - Virtuoso's documented default, loopback-only test servers
"""The password of Virtuoso's ``dba`` user in a new database (the tests' servers keep it)."""
DATABASE_FILES = ("virtuoso.db", "virtuoso.trx")
"""What a stopped server leaves that a restart needs (the data file and the transaction log)."""

INI = """\
; written by blackjanuary.testing.virtuoso: a loopback-only Virtuoso for tests and benchmarks
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


class VirtuosoServer:
    """``virtuoso-t`` on free loopback ports in ``directory``; ``stop()`` and ``start()`` may repeat.

    ``max_rows`` and ``max_seconds`` are ``[SPARQL] ResultSetMaxRows`` and ``MaxQueryExecutionTime``:
    Virtuoso's stock limits (10 000 rows; 60 s, here 5 s so that an abandoned query stops burning a
    core soon), which the remote adapter must survive.
    """

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
        self.sql_port = free_port()
        self.http_port = free_port()
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.buffers = buffers
        self.template = template
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return self.base_url + "/sparql"

    @property
    def gsp_url(self) -> str:
        """The Graph Store endpoint that takes writes (HTTP digest authentication as ``dba``)."""
        return self.base_url + "/sparql-graph-crud-auth"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _write_ini(self) -> Path:
        (self.directory / "www").mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        ini.write_text(
            INI.format(
                dir=self.directory,
                sql_port=self.sql_port,
                http_port=self.http_port,
                buffers=self.buffers,
                dirty_buffers=self.buffers * 3 // 4,
                max_rows=self.max_rows,
                max_seconds=self.max_seconds,
            ),
            encoding="utf-8",
        )
        return ini

    def start(self, *, timeout: float = 120.0) -> VirtuosoServer:
        if self.process is not None and self.process.poll() is None:
            return self
        binary = virtuoso_binary()
        ini = self._write_ini()
        if self.template and not (self.directory / DATABASE_FILES[0]).exists():
            try:
                _copy_template(binary, self.directory, timeout=timeout)
            except OSError as exc:  # no writable cache directory: Virtuoso creates a database itself
                log.warning("no cached Virtuoso database (%s); creating one takes 20-30 s", exc)
        self._spawn(binary, ini, timeout)
        return self

    def _spawn(self, binary: str, ini: Path, timeout: float) -> None:
        log.info("starting %s on %s", binary, self.base_url)
        log_file = (self.directory / "stdout.log").open("ab")
        try:
            self.process = subprocess.Popen(
                [binary, "+configfile", str(ini), "+foreground"],
                cwd=self.directory,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        finally:
            log_file.close()
        try:
            wait_until_up(self.query_url + "?query=ASK%7B%7D", timeout=timeout, process=self.process)
        except RuntimeError as exc:
            tail = (self.directory / "stdout.log").read_text(errors="replace")[-1500:]
            self.stop()
            raise RuntimeError(f"{exc}; Virtuoso said:\n{tail}") from exc

    def stop(self) -> None:
        """SIGTERM: Virtuoso checkpoints and exits (a few seconds); SIGKILL if it does not."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets but answers nothing (a hung engine)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def __enter__(self) -> VirtuosoServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


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
