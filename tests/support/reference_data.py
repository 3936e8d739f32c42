"""The verified reference (``graph/reference/wikidata.tsv``) as the tests read it."""

from __future__ import annotations

import csv
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "graph" / "reference" / "wikidata.tsv"

LABELLED_AS_THE_TEXT_FRAMES_IT = {
    "independence-of-azerbaijan-1991": (
        "the reference's labels name the Constitutional Act of 18 October 1991; the text names no act "
        "('erlangte … wieder seine Unabhängigkeit'), so the event keeps the text's framing and the act "
        "is reference context in its description (issue 13)"
    ),
}
"""Rows (the file is kept as received) whose labels name more than the source text says: the graph
does not use them as names, so neither the label checks nor reconciliation expect them to match."""


def reference_rows() -> list[dict[str, str]]:
    with REFERENCE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def named_rows() -> list[dict[str, str]]:
    """The rows whose labels are the graph's names of their thing."""
    return [row for row in reference_rows() if row["key"] not in LABELLED_AS_THE_TEXT_FRAMES_IT]
