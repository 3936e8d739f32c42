"""What OpenLink Virtuoso (7.2) does differently from the SPARQL 1.1 recommendations, undone.

The remote backend recognises Virtuoso by its ``Server:`` header; it asks for SPARQL JSON results or
N-Triples (as it does of every server), repairs them with the functions here and reads them with
Oxigraph; the query service writes the format the client asked for, as for the embedded store. Each
difference is listed (with the test that shows it) in docs/backends.md:

- an ASK answer can come back SELECT-shaped, one row binding ``__ASK_RETVAL`` to 1 or 0 (Virtuoso's
  default ``CaseMode``), in every results format;
- ``geo:wktLiteral`` values are stored as Virtuoso's own ``virtrdf:Geometry``, with the coordinates as
  32-bit floats printed to 12 decimals (``POINT(49.82833 40.35667)`` comes back as
  ``POINT(49.828330993652 40.356670379639)``); :func:`wkt_literal` gives the original back whenever
  the original wrote each coordinate as the shortest decimal of its float, and ``blackjanuary load``
  refuses data for which it cannot;
- results silently stop at ``ResultSetMaxRows`` (answered 200, with an ``X-SPARQL-MaxRows`` header);
- a query past ``MaxQueryExecutionTime`` fails with HTTP 500 ``S1T00``, or (OpenLink's "anytime"
  answers) returns what it had found so far as a complete-looking 200 flagged by an ``X-SQL-State``
  header;
- errors come as HTTP 500 with a plain-text body ``Virtuoso <SQLSTATE> Error <code>: …``; a query
  Virtuoso's compiler refuses (SQLSTATE class 37 or 42) is a client error there, not an outage;
- a Graph Store write is one transaction: a million triples in one PUT held its locks until it
  stalled (its log: "Locks are held for a long time"; no answer within 10 minutes, in 2 of 4 loads
  of 1 M triples), so ``blackjanuary load`` sends a graph in :func:`batches`;
- the default graph holds every graph of the server, its own system graphs (``virtrdf:``, the LDP and
  the service description graphs) included; naming our graphs as the dataset (``default-graph-uri``,
  ``FROM`` or ``define input:default-graph-uri``) gives the right answer but made an entity page's
  ``CONSTRUCT`` about 100× slower at 1 M triples (3 s against 29 ms), so the adapter names the other
  graphs instead, as Virtuoso's own exclusion pragmas (:func:`excluding`);
- under those pragmas ``GRAPH <g> { … }`` finds one solution whatever ``g`` holds and ``DESCRIBE`` may
  find nothing, so such a query (:func:`exclusion_is_exact`) still gets our graphs as
  ``default-graph-uri`` and ``named-graph-uri``; and the graphs of others are listed again at every
  re-read of the build information (every 30 s), so one created later is left out from then on.
"""

from __future__ import annotations

import itertools
import json
import re
import struct
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

import pyoxigraph as ox
import urllib3

from blackjanuary.errors import BadRequest, QuerySyntaxError, QueryTimeout

GEOMETRY = "http://www.openlinksw.com/schemas/virtrdf#Geometry"
WKT_LITERAL = "http://www.opengis.net/ont/geosparql#wktLiteral"
_GEOMETRY_BYTES = GEOMETRY.encode()
ASK_VARIABLE = "__ASK_RETVAL"
MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
SQL_STATE_HEADER = "X-SQL-State"
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_IRI = re.compile(r"[^<>\"{}|^`\\\x00-\x20]+")
"""An IRI that can stand between ``<`` and ``>`` in a query (SPARQL's ``IRIREF``)."""
_ERROR = re.compile(r"Virtuoso\s+(?P<state>[0-9A-Z]{5})\s+Error\s+(?P<message>.*)", re.DOTALL)


def is_virtuoso(server_header: str | None) -> bool:
    """Whether an HTTP ``Server:`` header names Virtuoso (``Virtuoso/07.20.3229 (Linux) …``)."""
    return bool(server_header) and server_header.lower().startswith("virtuoso")  # type: ignore[union-attr]


def shortest_float32(number: str) -> str:
    """The shortest decimal that reads back as the same 32-bit float as ``number``.

    >>> shortest_float32("49.828330993652")
    '49.82833'
    >>> shortest_float32("-0.911100983620")
    '-0.911101'
    >>> shortest_float32("0.000000000000")
    '0'
    """
    single = struct.unpack("f", struct.pack("f", float(number)))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return format(Decimal(text), "f") if "e" in text else text  # WKT writes positional decimals
    return repr(single)


def wkt_literal(value: str) -> ox.Literal:
    """A ``virtrdf:Geometry`` value as the ``geo:wktLiteral`` it was loaded as (see the module notes)."""
    text = _NUMBER.sub(lambda m: shortest_float32(m.group(0)), value)
    return ox.Literal(text, datatype=ox.NamedNode(WKT_LITERAL))


def triple(value: ox.Triple) -> ox.Triple:
    obj = value.object
    if type(obj) is ox.Literal and obj.datatype.value == GEOMETRY:
        return ox.Triple(value.subject, value.predicate, wkt_literal(obj.value))
    return value


def repair_results(body: bytes, *, ask: bool) -> bytes:
    """SPARQL JSON results from Virtuoso as the recommendation has them: geometries back to
    ``geo:wktLiteral``, and (for an ASK) a SELECT-shaped ``__ASK_RETVAL`` answer as a boolean.
    A body that is not JSON is returned unchanged, for the parser to refuse.

    >>> repair_results(b'{"head":{"vars":["__ASK_RETVAL"]},"results":{"bindings":[]}}', ask=True)
    b'{"head": {}, "boolean": false}'
    """
    if not ask and _GEOMETRY_BYTES not in body:  # nothing to repair: no need to read and write it again
        return body
    try:
        data = json.loads(body)
        variables = data["head"].get("vars")
        rows: list[dict[str, Any]] = data["results"]["bindings"] if "results" in data else []
    except (ValueError, KeyError, TypeError, AttributeError):
        return body
    if ask and variables == [ASK_VARIABLE]:
        value = rows[0].get(ASK_VARIABLE, {}).get("value", "0") if rows else "0"
        return json.dumps({"head": {}, "boolean": value.strip() not in ("0", "false", "")}).encode()
    for row in rows:
        for binding in row.values():
            if isinstance(binding, dict) and binding.get("datatype") == GEOMETRY:
                binding.update(value=wkt_literal(binding["value"]).value, datatype=WKT_LITERAL)
    return json.dumps(data).encode()


def error_state(body: str) -> tuple[str, str] | None:
    """(SQLSTATE, message) of a Virtuoso error body, e.g. ``("37000", "SP030: SPARQL compiler …")``."""
    found = _ERROR.search(body)
    if found is None:
        return None
    return found.group("state"), " ".join(found.group("message").split())[:300]


def is_query_error(state: str) -> bool:
    """SQLSTATE classes for a query Virtuoso will not compile or run as written (syntax, access,
    data exceptions), as opposed to the server failing."""
    return state[:2] in ("37", "42", "22")


def check_answer(response: urllib3.BaseHTTPResponse, endpoint_url: str) -> None:
    """A 200 from Virtuoso can be a partial answer: cut at ``ResultSetMaxRows`` or at
    ``MaxQueryExecutionTime``. Neither may pass for a complete one."""
    state = response.headers.get(SQL_STATE_HEADER)
    if state:
        response.close()
        raise QueryTimeout(
            f"the remote store {endpoint_url} (Virtuoso) ran out of time and sent a partial "
            f"answer (SQL state {state}, {response.headers.get('X-SQL-Message', 'no message')!r}); "
            "retry later or simplify the query"
        )
    cap = response.headers.get(MAX_ROWS_HEADER)
    if cap:
        response.close()
        raise BadRequest(
            f"the result has more than {cap} rows, the limit of the remote store (Virtuoso's "
            "ResultSetMaxRows).",
            hint="Add a LIMIT (and OFFSET to page through it).",
        )


def raise_for_error(status: int, detail: str, endpoint_url: str) -> None:
    """Virtuoso answers a query it will not run with HTTP 500 (or 400) and ``Virtuoso <SQLSTATE>
    Error …``: a refused query is the client's to fix (400); a timeout or anything else is 503."""
    found = error_state(detail)
    if found is None:
        return
    state, message = found
    if state in ("S1T00", "HYT00") or "SR171" in message:
        raise QueryTimeout(f"the remote store {endpoint_url} (Virtuoso) timed out: {message}")
    if "estimated execution time" in message:  # MaxQueryCostEstimationTime: a timeout decided early
        raise QueryTimeout(f"the remote store {endpoint_url} (Virtuoso) would take too long: {message}")
    if is_query_error(state) and status in (400, 500):
        raise QuerySyntaxError(
            f"the remote store (Virtuoso) refused the query: {message} (SQL state {state})",
            hint="Virtuoso does not run every SPARQL 1.1 query as written; rephrase the part it names.",
        )


# Queries --------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""(?P<skip>\s+|\#[^\n]*)"""
    r"""|(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"""|(?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)"""
    r"""|(?P<name>[A-Za-z_][\w.-]*(?::[^\s{}()\[\];,]*)?|:[^\s{}()\[\];,]*)"""
    r"""|(?P<open>\{)|(?P<close>\})"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)


def wrap_inline_values(query: str) -> str:
    """Every ``VALUES`` block inside a group pattern wrapped as ``{ SELECT * WHERE { VALUES … } }``.

    Virtuoso 7.2 answers a ``UNION`` with no solutions at all when a branch holds a ``VALUES`` block
    (``{ ?s a ?t } UNION { VALUES ?s { <x> } }`` gives nothing); as a sub-select the same table joins
    as it should. The rewrite is the identity on the query's meaning: an inline data block is joined
    with its group, and a sub-select projecting the same table joins the same way. ``VALUES`` after a
    query or sub-select (the trailing ``ValuesClause``) is left alone.

    >>> wrap_inline_values("SELECT * { { ?s ?p ?o } UNION { VALUES ?s { <x> } } }")
    'SELECT * { { ?s ?p ?o } UNION { { SELECT * WHERE { VALUES ?s { <x> } } } } }'
    >>> wrap_inline_values("SELECT * { ?s ?p 'VALUES ?s {}' } VALUES ?s { <x> }")
    "SELECT * { ?s ?p 'VALUES ?s {}' } VALUES ?s { <x> }"
    """
    tokens = [(m.lastgroup, m.start(), m.end()) for m in _TOKEN.finditer(query)]
    significant = [(kind, start, end) for kind, start, end in tokens if kind != "skip"]
    groups: list[bool] = []  # per open brace: is it a sub-select's group?
    wraps: list[tuple[int, int]] = []
    fresh = False
    i = 0
    while i < len(significant):
        kind, start, end = significant[i]
        word = query[start:end].upper() if kind == "name" else ""
        if kind == "open":
            groups.append(False)
            fresh = True
        elif kind == "close":
            if groups:
                groups.pop()
            fresh = False
        else:
            if fresh and word == "SELECT":
                groups[-1] = True
            fresh = False
            if word == "VALUES" and groups and not groups[-1]:
                close = _values_end(significant, i)
                if close is not None:
                    wraps.append((start, significant[close][2]))
                    i = close
        i += 1
    if not wraps:
        return query
    out, last = [], 0
    for start, end in wraps:
        out += [query[last:start], "{ SELECT * WHERE { ", query[start:end], " } }"]
        last = end
    out.append(query[last:])
    return "".join(out)


def _values_end(tokens: list[tuple[str | None, int, int]], at: int) -> int | None:
    """The index of the ``}`` that closes the data block of the ``VALUES`` at ``at``."""
    depth = 0
    for j in range(at + 1, len(tokens)):
        kind = tokens[j][0]
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                return j
            if depth < 0:
                return None
    return None


def excluding(graphs: Iterable[str]) -> str | None:
    """Virtuoso's pragmas that leave ``graphs`` out of the default graph and of the named graphs, to
    put before a query; ``None`` when a graph's name cannot be written as an IRI in a query (then the
    caller names the dataset the standard way).

    With every graph that is not ours excluded, the dataset is the one the protocol's
    ``default-graph-uri`` and ``named-graph-uri`` would name, and Virtuoso keeps the plans it makes
    for its own default graph (measured in docs/backends.md).

    >>> excluding(["urn:x"])
    'define input:default-graph-exclude <urn:x> define input:named-graph-exclude <urn:x> '
    >>> excluding(["urn:x> } DROP"]) is None
    True
    """
    pragmas = []
    for graph in graphs:
        if not _IRI.fullmatch(graph):
            return None
        pragmas += [f"define input:{kind}-graph-exclude <{graph}> " for kind in ("default", "named")]
    return "".join(pragmas)


def exclusion_is_exact(query: str) -> bool:
    """Whether Virtuoso answers ``query`` right under its graph-exclusion pragmas: unless ``GRAPH`` or
    ``DESCRIBE`` occurs in it as a keyword (not in a string, IRI, name or comment).

    Under those pragmas Virtuoso evaluates ``GRAPH <g> { … }`` wrongly (one solution instead of 259,461
    in a test at 1 M triples, whatever the pattern) and ``DESCRIBE`` too (nothing at all for a
    resource of the meta graph), so such a query gets the dataset the standard way (:func:`excluding`).

    >>> exclusion_is_exact("SELECT * { ?s ex:graph ?o } # GRAPH, DESCRIBE")
    True
    >>> exclusion_is_exact("SELECT * { GRAPH ?g { ?s ?p 'GRAPH' } }"), exclusion_is_exact("describe <x>")
    (False, False)
    """
    return not any(
        match.lastgroup == "name" and match.group(0).upper() in ("GRAPH", "DESCRIBE")
        for match in _TOKEN.finditer(query)
    )


BATCH_LINES = 100_000
"""Triples per Graph Store request to Virtuoso (about 15 MB of N-Triples)."""


def batches(lines: IO[bytes], size: int = BATCH_LINES) -> Iterator[bytes]:
    r"""The N-Triples file ``lines`` in bodies of at most ``size`` lines (always at least one body).

    >>> import io
    >>> [len(b.splitlines()) for b in batches(io.BytesIO(b"<a> <b> <c> .\n" * 5), 2)]
    [2, 2, 1]
    >>> [len(b.splitlines()) for b in batches(io.BytesIO(b"<a> <b> <c> .\n" * 4), 2)]
    [2, 2]
    >>> list(batches(io.BytesIO(b"")))
    [b'']
    """
    body = b"".join(itertools.islice(lines, size))
    yield body
    while body.count(b"\n") == size:
        body = b"".join(itertools.islice(lines, size))
        if not body:
            return
        yield body
