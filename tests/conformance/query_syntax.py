"""SPARQL 1.1 query syntax tests (``sparql11/syntax-query``) through the endpoint.

A positive test's query must be accepted (2xx) and a negative one refused with a 400 that says why,
never a 5xx: the endpoint's own guard (read-only, no SERVICE, nesting depth) reads the query text
before the engine, and must neither refuse valid queries nor let invalid ones through to a crash.
pyoxigraph in process parses each query for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .query_eval import _empty_app
from .suites import SPARQL11, Entry, local_path, read_manifest


@dataclass(frozen=True)
class SyntaxCheck:
    test: str
    engine: str
    """``pyoxigraph`` or ``http``."""
    status: str
    reason: str = ""


NOT_OURS = (
    "parses, and is answered 400 because its FROM names a graph this dataset does not hold "
    "(the endpoint never fetches remote graphs)"
)


NO_FUNCTION = (
    "parses, and is answered 400 because it calls an extension function the engine does not "
    "provide (this was a 500 before the suite found it)"
)


def syntax_entries() -> list[Entry]:
    return list(read_manifest(SPARQL11, "syntax-query/manifest.ttl"))


def positive(entry: Entry) -> bool:
    return "Positive" in entry.kind


def _text(entry: Entry) -> str:
    assert entry.action is not None
    return local_path(entry.action).read_bytes().decode("utf-8")


def run_syntax_entry(entry: Entry) -> list[SyntaxCheck]:
    assert entry.action is not None
    text = _text(entry)
    try:
        ox.Store().query(text, base_iri=entry.action)
        parsed, why = True, ""
    except SyntaxError as exc:
        parsed, why = False, str(exc)
    except Exception:  # noqa: BLE001 — parsed, then failed to evaluate (e.g. SERVICE): syntax is fine
        parsed, why = True, ""
    engine = SyntaxCheck(
        entry.short_id,
        "pyoxigraph",
        "pass" if parsed == positive(entry) else "fail",
        "" if parsed == positive(entry) else (why or "accepted an invalid query"),
    )
    client = _empty_app().test_client()
    response = client.post(
        "/sparql",
        data=f"BASE <{entry.action}>\n{text}".encode(),
        content_type="application/sparql-query",
        headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"},
    )
    status = response.status_code
    body = response.get_data(as_text=True)[:200].replace("\n", " ")
    if positive(entry):
        if status == 400 and "is not a graph of this dataset" in body:
            return [engine, SyntaxCheck(entry.short_id, "http", "n/a", NOT_OURS)]
        if status == 400 and "custom function" in body:
            return [engine, SyntaxCheck(entry.short_id, "http", "n/a", NO_FUNCTION)]
        ok = 200 <= status < 300
        reason = "" if ok else f"HTTP {status}: {body}"
    else:
        ok = status == 400 and len(body.strip()) > len("400 Bad Request")  # a 400 that says what
        reason = "" if ok else f"HTTP {status} (expected 400 with a message): {body}"
    return [engine, SyntaxCheck(entry.short_id, "http", "pass" if ok else "fail", reason)]
