"""Progress for long operations: a rich progress bar on a terminal, silence otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Step(Protocol):
    def advance(self, description: str | None = None) -> None: ...


class _Quiet:
    def advance(self, description: str | None = None) -> None:
        return None


class _Bar:
    def __init__(self, progress: object, task: object) -> None:
        self._progress = progress
        self._task = task

    def advance(self, description: str | None = None) -> None:
        kwargs = {"description": description} if description else {}
        self._progress.update(self._task, advance=1, **kwargs)  # type: ignore[attr-defined]


@contextmanager
def progress(title: str, total: int | None, *, enabled: bool | None = None) -> Iterator[Step]:
    """Yield a step counter; draws only when stderr is a terminal (or ``enabled`` says so)."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield _Quiet()
        return
    # lazy: rich costs ~0.1 s to import and is needed only on a terminal
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(title, total=total)
        yield _Bar(bar, task)
