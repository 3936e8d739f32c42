"""The repository stands alone: nothing in it reads a folder beside the checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A path that climbs out of the checkout into the sibling folder of the team's notes: written as a
# relative string, as a pathlib chain from a parent, or as a bare mention of one of its sub-folders.
OUTSIDE = re.compile(
    r"""\.\./shared\b|parent\s*/\s*["']shared["']|\bshared/(?:source|reference|DESIGN|STYLE|hooks)\b"""
)


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    files = [ROOT / name.decode() for name in listed if name]
    return [f for f in files if f.is_file() and f != Path(__file__).resolve()]


def test_no_file_of_the_project_refers_to_a_folder_beside_it() -> None:
    offenders = []
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "these read or name ../shared:\n" + "\n".join(offenders)


def test_the_data_sources_are_in_the_repository() -> None:
    assert (ROOT / "graph" / "source" / "black-january-1990.de.txt").is_file()
    assert (ROOT / "graph" / "reference" / "wikidata.tsv").is_file()
    for version in ("0.2", "1.0-draft"):
        assert (ROOT / "tests" / "fixtures" / "reconciliation-schemas" / version / "manifest.json").is_file()


def test_the_default_source_text_is_the_one_in_the_repository() -> None:
    from blackjanuary.config import Settings

    settings = Settings(root=ROOT)
    assert settings.source_text_path == ROOT / "graph" / "source" / "black-january-1990.de.txt"
