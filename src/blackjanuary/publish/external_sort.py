"""An external merge sort of byte lines: sorted runs on disk, merged with :func:`heapq.merge`.

Lines are collected until ``run_bytes`` (their length plus the object overhead Python pays for each)
is reached, then sorted, deduplicated and written as one run file. :meth:`ExternalSorter.merged`
yields every distinct line once, in ascending byte order, reading each run sequentially, so memory
holds one run while collecting and one read buffer per run while merging (together at most
``run_bytes`` again), whatever the input size.
UTF-8 byte order is code point order, so the result is the order of ``sorted()`` on the decoded text.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     sorter = ExternalSorter(Path(tmp), run_bytes=150)
...     for word in [b"pear\\n", b"apple\\n", b"fig\\n", b"apple\\n", b"kiwi\\n", b"date\\n"]:
...         sorter.add(word)
...     print(sorter.runs, b"".join(sorter.merged()).decode().split())
2 ['apple', 'date', 'fig', 'kiwi', 'pear']
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path

LINE_OVERHEAD = 56
"""Bytes Python spends per collected line beyond its text (the bytes object header and the list slot)."""
READ_BUFFER = 1 << 16
"""The read buffer of each run while merging, shrunk so that all of them together fit in ``run_bytes``."""


def _distinct(ordered: Iterable[bytes]) -> Iterator[bytes]:
    """Each line of an ordered sequence once."""
    return (line for line, _ in groupby(ordered))


class ExternalSorter:
    """Collect lines (each ending in ``\\n``), then read them back sorted and distinct."""

    def __init__(self, directory: Path, *, run_bytes: int = 64 << 20) -> None:
        self.directory = directory
        self.run_bytes = run_bytes
        self._lines: list[bytes] = []
        self._size = 0
        self._paths: list[Path] = []

    @property
    def runs(self) -> int:
        """Run files written so far (the lines still in memory make one more when merged)."""
        return len(self._paths)

    def add(self, line: bytes) -> None:
        self._lines.append(line)
        self._size += len(line) + LINE_OVERHEAD
        if self._size >= self.run_bytes:
            self._spill()

    def _spill(self) -> None:
        if not self._lines:
            return
        path = self.directory / f"run-{len(self._paths):05d}"
        self._lines.sort()
        with path.open("wb") as fh:
            fh.writelines(_distinct(self._lines))
        self._paths.append(path)
        self._lines = []
        self._size = 0

    def merged(self) -> Iterator[bytes]:
        """Every distinct line, ascending; the run files are removed once read."""
        if not self._paths:  # everything fits in memory: no run file at all
            self._lines.sort()
            lines, self._lines = self._lines, []
            yield from _distinct(lines)
            return
        self._spill()
        buffer = max(4096, min(READ_BUFFER, self.run_bytes // len(self._paths)))
        files = [path.open("rb", buffering=buffer) for path in self._paths]
        try:
            yield from _distinct(heapq.merge(*files))
        finally:
            for fh in files:
                fh.close()
            for path in self._paths:
                path.unlink(missing_ok=True)
