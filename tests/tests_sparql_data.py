"""What the synthetic build (tests/conftest.py ``write_synthetic_dist``) holds, for expected answers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import SYNTHETIC_THINGS, write_synthetic_dist

BASE = "https://w3id.org/blackjanuary/"
GRAPH_DATA = BASE + "graph/data"
THING_COUNT = SYNTHETIC_THINGS

with tempfile.TemporaryDirectory() as _tmp:
    GRAPHS: dict[str, int] = write_synthetic_dist(Path(_tmp))
