"""The backend variants the suites run on, and the paths every blueprint answers."""

from __future__ import annotations

import pytest

from blackjanuary.config import BACKENDS
from support.virtuoso import virtuoso_available

SITE_PATHS = [
    "/",
    "/entities",
    "/page/baku",
    "/data/baku",
    "/id/baku",
    "/downloads",
    "/ontology",
    "/shapes",
    "/source/black-january-1990.de",
    "/void",
    "/void.ttl",
    "/fragments",
    "/sparql",
    "/reconcile",
    "/reconcile/v1",
    "/reconcile/suggest/entity",
    "/reconcile/v1/suggest/entity",
    "/reconcile/v1/extend/propose",
    "/reconcile/preview",
    "/reconcile/propose_properties",
    "/openapi.json",
    "/examples/nope",
    "/page/no-such-key",
]
"""GET paths across every blueprint (two of them unknown), for tests that throw odd input at all of them."""


VIRTUOSO = pytest.param(
    "virtuoso",
    marks=pytest.mark.skipif(
        not virtuoso_available(),
        reason="Virtuoso is not installed (apt-get install -y virtuoso-opensource; `make test` does it)",
    ),
)
BACKEND_VARIANTS = (*BACKENDS, VIRTUOSO)
"""Parameters for fixtures that run on every backend variant: the three backends plus Virtuoso."""
SITE_VARIANTS = (*BACKENDS, pytest.param("virtuoso", marks=[*VIRTUOSO.marks, pytest.mark.slow]))
"""The whole-site suites (crawls of every page) on Virtuoso cost minutes, each page being three
Virtuoso queries of 10–100 ms: they run in `make soak`; `make test` compares a sample of pages with
the embedded store's byte for byte (tests/live/test_backends.py) and runs the protocol suites there."""
VARIANT_NAMES = (*BACKENDS, "virtuoso")
