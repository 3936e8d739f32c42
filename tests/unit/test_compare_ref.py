"""``bench.compare_ref``: the ref's code is taken without touching the repository, and the ratios
come from adjacent windows (the pairs the alternation makes), not from each side's best."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.compare_ref import CELLS, QUICK_CELLS, Pair, Window, cpu_seconds, export_source, resolve
from bench.loadgen import LoadResult
from bench.run import ROOT


def result(rps: float, p50: float, cpu_ms: float = 1.0) -> Window:
    return Window(LoadResult(rps, p50, p50 * 3, 0, "python", int(rps)), cpu_ms)


def test_ratios_are_the_median_of_paired_windows() -> None:
    # The load changes between rounds: the first pair ran on a busy machine, the third on an idle one.
    ours = [result(100, 20, 3), result(500, 4, 1), result(1000, 2, 1)]
    ref = [result(50, 40, 2), result(1000, 2, 2), result(1000, 2, 1)]
    pair = Pair(CELLS[0], ours, ref)
    assert pair.ratio("requests_per_second") == 1.0  # median of 2.0, 0.5, 1.0
    assert pair.ratio("p50_ms") == 1.0  # median of 0.5, 2.0, 1.0
    assert pair.ratio("cpu_ms") == 1.0  # median of 1.5, 0.5, 1.0
    assert pair.median("ref", "requests_per_second") == 1000 and pair.median("ours", "cpu_ms") == 1
    drifting = Pair(CELLS[0], [result(200, 5), result(900, 1)], [result(100, 10), result(1000, 1)])
    assert drifting.ratio("requests_per_second") == pytest.approx((2.0 + 0.9) / 2)  # best vs best: 0.9


BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end:\n    pass\ninput()"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_cpu_time_counts_the_children() -> None:
    """A gunicorn master does little; its workers are its children, and their time is what counts."""
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while cpu_seconds(child.pid) < 0.25:
            assert time.monotonic() < deadline, "the child burnt no CPU time"
            time.sleep(0.05)
        assert cpu_seconds(os.getpid()) >= cpu_seconds(child.pid) + time.process_time() - 0.05
    finally:
        child.communicate(b"\n", timeout=30)


def test_the_quick_form_names_cells_that_exist() -> None:
    assert set(QUICK_CELLS) <= {c.name for c in CELLS}
    assert any(c.page_cache for c in CELLS) and any(not c.page_cache for c in CELLS)


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git history of a checkout")
def test_the_ref_is_exported_without_a_checkout(tmp_path: Path) -> None:
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True)
    src = export_source("HEAD", tmp_path / "ref")
    assert (src / "blackjanuary" / "__init__.py").is_file()
    again = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True)
    assert again.stdout == worktrees.stdout


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git history of a checkout")
def test_a_ref_this_clone_lacks_says_how_to_get_it() -> None:
    assert resolve("HEAD")
    with pytest.raises(SystemExit, match="not a commit of this clone.*unshallow"):
        resolve("no-such-ref-anywhere")
