"""The master's side of a worker handover (``serve.server.Handover``): only the worker that holds the
turn gives back the extra worker it asked for, and its exit passes the turn on."""

from __future__ import annotations

from types import SimpleNamespace

from blackjanuary.serve.server import Handover


def test_only_the_holder_s_exit_takes_the_extra_worker_back() -> None:
    handover = Handover(workers=2)
    server = SimpleNamespace(num_workers=3)
    assert handover.turn.acquire(timeout=1)
    handover.holder.value = 4242
    handover.child_exit(server, SimpleNamespace(pid=99))  # another worker died: a normal respawn
    assert server.num_workers == 3 and not handover.turn.acquire(timeout=0)
    handover.child_exit(server, SimpleNamespace(pid=4242))
    assert server.num_workers == 2 and handover.holder.value == 0
    assert handover.turn.acquire(timeout=0)  # the next stuck worker may hand over


def test_the_count_never_drops_below_the_configured_workers() -> None:
    handover = Handover(workers=2)
    server = SimpleNamespace(num_workers=2)  # its SIGTTIN never arrived
    assert handover.turn.acquire(timeout=1)
    handover.holder.value = 7
    handover.child_exit(server, SimpleNamespace(pid=7))
    assert server.num_workers == 2


def test_ready_counts_workers_that_loaded_their_app() -> None:
    handover = Handover(workers=2)
    worker = SimpleNamespace(log=SimpleNamespace(info=lambda *args: None))
    handover.worker_ready(worker)
    handover.worker_ready(worker)
    assert handover.ready.value == 2
