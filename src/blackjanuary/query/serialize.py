"""Writing query answers with pyoxigraph's own serializers, behind a writer that enforces the caps.

``QuerySolutions.serialize`` writes a SELECT result into :class:`ResultWriter`, which pyoxigraph calls
with about 8 kB at a time: it checks the deadline, counts the solutions (:class:`SolutionCounter`)
against the result cap, and hands the bytes on — the first 256 kB (or the whole result) at once, so an
error before that is a proper status, then 64 kB chunks. Graph results go through ``pyoxigraph.serialize``
and booleans through ``QueryBoolean.serialize``. Two fix-ups of ours remain (docs/adr, query service):
an ASK answer in CSV/TSV is a one-column table (pyoxigraph writes a bare ``true``), and RDF/XML blank
nodes whose label is not an XML name are renamed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import IO, cast

import pyoxigraph as ox

from blackjanuary.errors import BadRequest
from blackjanuary.rdf.formats import (
    RDFXML,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    TRIG,
    TURTLE,
    Format,
)
from blackjanuary.rdf.oxigraph import RDF_FORMAT_OF, used_prefixes
from blackjanuary.store import Sink

_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
COMMIT_BYTES = 256 * 1024
"""A result is sent only once it is complete or this large: errors before that get a proper status."""
CHUNK_BYTES = 64 * 1024
RESULTS_FORMAT_OF = {
    SPARQL_JSON: ox.QueryResultsFormat.JSON,
    SPARQL_XML: ox.QueryResultsFormat.XML,
    SPARQL_CSV: ox.QueryResultsFormat.CSV,
    SPARQL_TSV: ox.QueryResultsFormat.TSV,
}


def too_many(what: str, limit: int) -> BadRequest:
    return BadRequest(
        f"the result has more than {limit} {what}, the limit of this endpoint.",
        hint="Add a LIMIT (and OFFSET to page through it).",
    )


class SolutionCounter:
    """How many solutions have gone by in pyoxigraph's serialization of a SELECT result, exactly.

    Each format starts a solution with bytes no value can contain: TSV a line (values escape line
    breaks), XML ``<result>`` (text escapes ``<``), CSV a line break outside quotes (a quoted value
    doubles its quotes, so quotes pair up), JSON ``[{`` or ``,{`` outside strings (strings escape quotes
    and backslashes; nothing else in the results object has a ``{`` after ``[`` or ``,``).

    >>> counter = SolutionCounter(SPARQL_JSON)
    >>> counter.feed(b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"a\\\\')
    1
    >>> counter.feed(b'",{\\\\""}},{"x":{"type":"literal","value":"[{"}},{}]}}')
    3
    """

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.count = -1 if fmt in (SPARQL_CSV, SPARQL_TSV) else 0  # their header line is no solution
        self._carry = b""
        self._quoted = False
        self._last = b""

    def feed(self, data: bytes) -> int:
        """Count the solutions begun in ``data`` (the next bytes of the result); the total so far."""
        if self.fmt is SPARQL_TSV:
            self.count += data.count(b"\n")
        elif self.fmt is SPARQL_XML:
            text = self._carry + data
            self.count += text.count(b"<result>")
            self._carry = text[-7:]  # a tag cut in two; too short to hold a whole one
        elif self.fmt is SPARQL_CSV:
            self.count += self._outside(data).count(b"\n")
        else:
            text = _JSON_STRING.sub(b"s", self._carry + data)  # every complete string, one byte now
            cut = text.find(b'"')  # the first quote left opens a string that goes on in the next chunk
            self._carry, text = (text[cut:], text[:cut]) if cut >= 0 else (b"", text)
            text = self._last + text  # a mark cut in two
            self._last = text[-1:]
            self.count += text.count(b"[{") + text.count(b",{")
        return self.count

    def _outside(self, data: bytes) -> bytes:
        """The bytes of ``data`` outside quotes (a CSV value doubles its quotes, so they pair up)."""
        pieces = data.split(b'"')
        starts_inside = self._quoted
        self._quoted ^= (len(pieces) - 1) % 2 == 1
        return b'"'.join(pieces[1 if starts_inside else 0 :: 2])


class ResultWriter:
    """The file pyoxigraph's serializers write into: deadline, result cap and commit, while streaming.

    Every solution takes at least one byte, so a result of at most ``limit`` bytes cannot have more than
    ``limit`` solutions: the counter (about 10 µs a kilobyte for JSON, a tenth of a small answer's cost)
    reads the bytes only once there are more than that, or more than :data:`COMMIT_BYTES` (then it
    starts from the first, which are still held for the commit).
    """

    def __init__(self, sink: Sink, fmt: Format, limit: int) -> None:
        self.sink = sink
        self.limit = limit
        self.solutions = SolutionCounter(fmt)
        self._parts: list[bytes] = []
        self._size = 0
        self._committed = False
        self._written = 0
        self._uncount_up_to = min(limit, COMMIT_BYTES)
        self._uncounted: list[bytes] | None = []
        """The bytes written while the count could not pass the limit; ``None`` once counting."""

    def write(self, data: bytes) -> int:
        self.sink.check()
        self._written += len(data)
        if self._uncounted is not None and self._written <= self._uncount_up_to:
            self._uncounted.append(data)
        else:
            if self._uncounted is not None:
                for earlier in self._uncounted:
                    self.solutions.feed(earlier)
                self._uncounted = None
            if self.solutions.feed(data) > self.limit:
                raise too_many("rows", self.limit)
        self._parts.append(data)
        self._size += len(data)
        if self._size >= (CHUNK_BYTES if self._committed else COMMIT_BYTES):
            self.sink.send(b"".join(self._parts))
            self._parts, self._size, self._committed = [], 0, True
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.sink.end(b"".join(self._parts))


def write_solutions(solutions: ox.QuerySolutions, fmt: Format, sink: Sink, limit: int) -> None:
    """A SELECT result in ``fmt`` into ``sink``; more than ``limit`` solutions is a 400."""
    writer = ResultWriter(sink, fmt, limit)
    solutions.serialize(cast("IO[bytes]", writer), RESULTS_FORMAT_OF[fmt])  # a file as far as it writes
    writer.close()


def boolean_result(fmt: Format, value: ox.QueryBoolean) -> bytes:
    """An ASK result; in CSV/TSV, which the W3C leaves undefined, Jena's one-column table."""
    if fmt is SPARQL_CSV:
        return f"_askResult\r\n{str(bool(value)).lower()}\r\n".encode()
    if fmt is SPARQL_TSV:
        return f"?_askResult\n{str(bool(value)).lower()}\n".encode()
    return value.serialize(format=RESULTS_FORMAT_OF[fmt]) or b""


def graph_result(fmt: Format, triples: Sequence[ox.Triple], prefixes: dict[str, str]) -> bytes:
    """Serialize CONSTRUCT/DESCRIBE triples; dataset formats put them in the default graph."""
    rdf_format = RDF_FORMAT_OF[fmt.name]
    if fmt is RDFXML:
        triples = [ox.Triple(_xml_node(t.subject), t.predicate, _xml_node(t.object)) for t in triples]  # type: ignore[arg-type]
    items: Iterable[ox.Triple] | Iterable[ox.Quad] = triples
    if fmt.kind == "dataset":
        items = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    use_prefixes = used_prefixes(prefixes, triples) if fmt in (TURTLE, TRIG, RDFXML) else None
    return ox.serialize(items, format=rdf_format, prefixes=use_prefixes) or b""


def _xml_node(term: object) -> object:
    """A blank node whose label cannot be an ``rdf:nodeID`` (an XML NCName starts with a letter or
    ``_``), renamed stably: ``BNODE("0b")`` made Oxigraph write ``rdf:nodeID="0b"``, which no parser reads."""
    if isinstance(term, ox.BlankNode) and not (term.value[:1].isalpha() or term.value[:1] == "_"):
        return ox.BlankNode("b" + hashlib.sha256(term.value.encode("utf-8")).hexdigest()[:32])
    return term
