"""Running engine work with a deadline: a small pool of daemon threads, a hand-off queue and a watchdog.

pyoxigraph releases the GIL while it evaluates, and it evaluates lazily: a SELECT yields its rows one
by one, so a producer that checks the deadline between rows stops a streaming runaway (a cartesian
product) in time. An operator that must see all its input before the first row (``COUNT``, ``ORDER BY``
over a huge join) cannot be interrupted from Python: the request is still answered 503 on time (the
caller stops waiting), the thread keeps burning one core, and the watchdog reports it through
``on_stuck`` — under gunicorn that restarts the worker process (see docs/adr/0002-query-execution.md).

Engine threads deny themselves the network when they start (:mod:`blackjanuary.store.no_network`): even a
``SERVICE`` the guard were fooled into letting through cannot open a connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from blackjanuary.errors import PublisherError, QueryTimeout, ServiceUnavailable
from blackjanuary.store.no_network import deny_network

log = logging.getLogger(__name__)

T = TypeVar("T")

ENGINE_STACK_BYTES = 256 * 1024 * 1024
"""Stack of each engine thread (virtual; only touched pages cost memory). Oxigraph's parser and
evaluator recurse once per nested group, operator or chained pattern; with the default 8 MiB a few
thousand crash the whole process (SIGSEGV). 256 MiB gives a wide margin over what
:func:`blackjanuary.query.guard.check_query` lets through (depth 200, 2,000 operators), and holds even what
its raw character bound admits if the lexer were wrong: 20,000 nested groups or a 20,000-step unary or
binary chain run (tested at the bound in tests/app/test_sparql_safety.py), 100,000 crash."""

META, CHUNK, ERROR, DONE, WHOLE = "meta", "chunk", "error", "done", "whole"
WATCH_EVERY = 0.1
"""Seconds between two looks of the watchdog at memory (deadlines: every fifth look)."""
MEMORY_GRACE = 0.5
"""Seconds a query stopped for memory has to let go before the worker is recycled."""


def _statm(field_: int) -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[field_]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def resident_bytes() -> int:
    """This process's resident memory (``/proc/self/statm``; 0 where there is none)."""
    return _statm(1)


def address_space_bytes() -> int:
    """This process's virtual size (engine thread stacks included; 0 where unknown)."""
    return _statm(0)


class Cancelled(Exception):  # noqa: N818 - a signal between threads, not an error to report
    """Raised inside a producer when its consumer is gone or its deadline has passed."""


@dataclass(eq=False)
class Job:
    """One unit of engine work and the channel back to the request that waits for it."""

    produce: Callable[[Job], None]
    deadline: float
    description: str
    items: queue.Queue[tuple[str, Any]] = field(default_factory=lambda: queue.Queue(maxsize=16))
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: float | None = None
    resident_at_start: int = 0
    """The process's resident memory when the job started (the memory budget counts from there)."""
    _streaming: bool = False

    # The streaming protocol of a producer (a :class:`blackjanuary.store.Sink`): send* → end. A result
    # that ends before it was committed travels as one WHOLE item (one thread hand-off instead of three).
    def send(self, chunk: bytes) -> None:
        """Commit: from now on the response streams (the consumer has its status line)."""
        if not self._streaming:
            self._streaming = True
            self.put(META)
        self.put(CHUNK, chunk)

    def end(self, last: bytes) -> None:
        if self._streaming:
            self.put(CHUNK, last)
            self.put(DONE)
        else:
            self.put(WHOLE, last)

    def check(self) -> None:
        """Stop the producer when the consumer gave up or the deadline has passed."""
        if self.cancelled.is_set() or time.monotonic() > self.deadline:
            raise Cancelled

    def put(self, kind: str, payload: Any = None) -> None:
        while True:
            self.check()
            try:
                self.items.put((kind, payload), timeout=0.1)
                return
            except queue.Full:
                continue


def _release_frames(exc: BaseException) -> None:
    """Drop the locals of the producer's frames here, in the engine thread.

    pyoxigraph's result objects may only be dropped on the thread that made them; an exception that
    carries them to the request thread (in its traceback) would drop them there. Unexpected errors are
    logged with their traceback first.
    """
    if not isinstance(exc, PublisherError):
        log.error("engine error", exc_info=exc)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__


def _timeout_error(job: Job, timeout: float) -> QueryTimeout:
    return QueryTimeout(
        f"the query did not finish within the {timeout:g} s limit and was stopped.",
        hint="Narrow it down (more specific patterns, a LIMIT), or try again later.",
    )


class Runner:
    """A fixed pool of daemon threads that run :class:`Job` producers, watched for runaways."""

    def __init__(
        self,
        threads: int = 8,
        *,
        grace: float = 5.0,
        on_stuck: Callable[[Job], None] | None = None,
        no_network: bool = True,
        memory_budget: int | None = None,
    ) -> None:
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._no_network = no_network
        self._filtered: list[bool] = []
        self._started = threading.Barrier(threads + 1)
        self._running: set[Job] = set()
        self._lock = threading.Lock()
        self._grace = grace
        self.on_stuck = on_stuck
        self._reported: set[int] = set()
        self.memory_budget = memory_budget
        self._over_budget: dict[int, float] = {}
        previous = threading.stack_size(ENGINE_STACK_BYTES)
        try:
            for n in range(threads):
                threading.Thread(target=self._work, name=f"engine-{n}", daemon=True).start()
        finally:
            threading.stack_size(previous)
        self._started.wait()
        if no_network and not self.network_denied:
            log.warning(
                "engine threads could not deny themselves the network (%s/%s, seccomp unavailable); "
                "only the query guard keeps SERVICE calls out",
                sys.platform,
                platform.machine(),
            )
        threading.Thread(target=self._watch, name="engine-watchdog", daemon=True).start()

    @property
    def network_denied(self) -> bool:
        """Every engine thread runs under the no-network seccomp filter (:mod:`.no_network`)."""
        return bool(self._filtered) and all(self._filtered)

    def _work(self) -> None:
        if self._no_network:
            self._filtered.append(deny_network())
        self._started.wait()
        while True:
            job = self._jobs.get()
            if job.cancelled.is_set() or time.monotonic() > job.deadline:
                continue
            job.started = time.monotonic()
            if self.memory_budget is not None:
                job.resident_at_start = resident_bytes()
            with self._lock:
                self._running.add(job)
            try:
                job.produce(job)
            except Cancelled:
                pass
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request, which re-raises
                _release_frames(exc)
                try:
                    job.put(ERROR, exc)
                except Cancelled:
                    log.warning("engine error after the request gave up (%s): %s", job.description, exc)
            finally:
                with self._lock:
                    self._running.discard(job)

    def _watch(self) -> None:
        tick = 0
        while True:
            time.sleep(WATCH_EVERY)
            tick += 1
            if self.memory_budget is not None:
                self._check_memory()
            if tick % 5:
                continue
            now = time.monotonic()
            with self._lock:
                stuck = [
                    j for j in self._running if now > j.deadline + self._grace and id(j) not in self._reported
                ]
            for job in stuck:
                self._report(job, f"engine thread stuck {now - job.deadline:.1f} s past its deadline")

    def _report(self, job: Job, why: str) -> None:
        if id(job) in self._reported:
            return
        self._reported.add(id(job))
        log.error("%s in %s", why, job.description)
        if self.on_stuck is not None:
            self.on_stuck(job)

    def _check_memory(self) -> None:
        """Past the budget, stop every running query (503 now); one that will not stop recycles us."""
        assert self.memory_budget is not None
        now = time.monotonic()
        with self._lock:
            running = list(self._running)
        if not running:
            return
        # Growth since the earliest running query started: what the queries in flight have added.
        over = resident_bytes() - min(j.resident_at_start for j in running) > self.memory_budget
        for job in running:
            stopped_at = self._over_budget.get(id(job))
            if stopped_at is None and over:
                self._over_budget[id(job)] = now
                job.cancelled.set()
                error = ServiceUnavailable(
                    f"the query needed more memory than this server gives one query (about "
                    f"{self.memory_budget >> 20} MiB) and was stopped.",
                    hint="Narrow it down (more specific patterns, a LIMIT, no GROUP_CONCAT over everything).",
                )
                with contextlib.suppress(queue.Full):
                    job.items.put_nowait((ERROR, error))
            elif stopped_at is not None and now - stopped_at > MEMORY_GRACE:
                self._report(job, "engine thread over the memory budget does not stop")
        with self._lock:
            alive = {id(j) for j in self._running}
        for key in [k for k in self._over_budget if k not in alive]:
            del self._over_budget[key]

    def busy(self) -> int:
        with self._lock:
            return len(self._running)

    def submit(self, produce: Callable[[Job], None], *, timeout: float, description: str) -> Job:
        job = Job(produce, time.monotonic() + timeout, description)
        self._jobs.put(job)
        return job

    @staticmethod
    def receive(job: Job, timeout: float) -> tuple[str, Any]:
        """The next item from the producer, or a QueryTimeout (and the job cancelled) at the deadline."""
        remaining = job.deadline - time.monotonic()
        try:
            if remaining <= 0:
                return job.items.get_nowait()
            return job.items.get(timeout=remaining + 0.05)
        except queue.Empty:
            job.cancelled.set()
            raise _timeout_error(job, timeout) from None

    def call(self, function: Callable[[Job], T], *, timeout: float, description: str) -> T:
        """Run ``function(job)`` in the pool and return its value; errors and timeouts re-raise here."""

        def produce(job: Job) -> None:
            job.put(DONE, function(job))

        job = self.submit(produce, timeout=timeout, description=description)
        kind, payload = self.receive(job, timeout)
        if kind == ERROR:
            raise payload
        return cast(T, payload)  # what ``function`` returned, handed over through the job's queue

    def stream(self, produce: Callable[[Job], None], *, timeout: float, description: str) -> Iterator[bytes]:
        """Start a streaming producer; return an iterator over its chunks.

        The first chunk (or the end) has arrived before this returns, so an error or a timeout before
        any byte is raised here, never turned into a truncated 200. An error after that ends the stream
        with an exception, which the WSGI server turns into an aborted (visibly incomplete) response.
        """
        job = self.submit(produce, timeout=timeout, description=description)
        kind, payload = self.receive(job, timeout)
        if kind == ERROR:
            raise payload
        if kind == WHOLE:
            return iter((payload,))
        kind, first = self.receive(job, timeout)
        if kind == ERROR:
            raise first

        def chunks() -> Iterator[bytes]:
            try:
                item_kind, payload = kind, first
                while item_kind == CHUNK:
                    yield payload
                    item_kind, payload = self.receive(job, timeout)
                if item_kind == ERROR:
                    log.error("query failed after its response had started (%s): %s", description, payload)
                    raise payload
            finally:
                job.cancelled.set()

        return chunks()


class Deadline:
    """The ``check`` of work done outside the runner (a remote answer): past the deadline, a 503."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise QueryTimeout(
                f"the query did not finish within the {self.timeout:g} s limit and was stopped.",
                hint="Narrow it down (more specific patterns, a LIMIT), or try again later.",
            )


class Collected(Deadline):
    """A :class:`blackjanuary.store.Sink` that keeps every chunk (a remote answer is whole in memory)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout)
        self.chunks: list[bytes] = []

    def send(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def end(self, last: bytes) -> None:
        self.chunks.append(last)
