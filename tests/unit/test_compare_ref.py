"""``bench.compare_ref``: the ref's code is taken without touching the repository, and the ratios
come from adjacent windows (the pairs the alternation makes), not from each side's best."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bench.compare_ref import CELLS, QUICK_CELLS, Pair, export_source
from bench.loadgen import LoadResult
from bench.run import ROOT


def result(rps: float, p50: float) -> LoadResult:
    return LoadResult(rps, p50, p50 * 3, 0, "python")


def test_ratios_are_the_median_of_paired_windows() -> None:
    # The load changes between rounds: the first pair ran on a busy machine, the third on an idle one.
    ours = [result(100, 20), result(500, 4), result(1000, 2)]
    ref = [result(50, 40), result(1000, 2), result(1000, 2)]
    pair = Pair(CELLS[0], ours, ref)
    assert pair.rps_ratio() == 1.0  # median of 2.0, 0.5, 1.0
    assert pair.p50_ratio() == 1.0  # median of 0.5, 2.0, 1.0
    drifting = Pair(CELLS[0], [result(200, 5), result(900, 1)], [result(100, 10), result(1000, 1)])
    assert drifting.rps_ratio() == pytest.approx((2.0 + 0.9) / 2)  # best against best would give 0.9


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
