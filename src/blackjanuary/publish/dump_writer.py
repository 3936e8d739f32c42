"""The dumps in bounded memory: every format written from an external sort, byte for byte the same as
the in-memory writers of :mod:`blackjanuary.publish.dumps`.

1. Every quad becomes its N-Quads line and goes into an :class:`~blackjanuary.publish.external_sort.
   ExternalSorter` (sorted runs on disk once ``run_bytes`` are collected).
2. One merge pass writes the N-Quads dump (the distinct lines, in order), the N-Triples dump (each
   line without its graph: in the same order, a triple in several graphs on adjacent lines, so the
   union is distinct by comparing with the previous line), one sorted line file per graph (for TriG),
   and notes which of the prefixes the data uses.
3. Turtle, RDF/XML and JSON-LD are written by Oxigraph's streaming serializers from the N-Triples file,
   TriG from the per-graph files in graph order; JSON-LD is compacted one batch of whole subjects at a
   time and indented as ``json.dumps`` indents the whole document.
4. Each file is gzipped as a stream (level 9, no name, mtime 0).

Peak memory is ``run_bytes`` plus the serializers' state (one subject at a time), not the dataset.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from json.encoder import encode_basestring as _encode_string
from pathlib import Path

import pyoxigraph as ox

from blackjanuary.publish.dumps import _Compactor
from blackjanuary.publish.external_sort import ExternalSorter
from blackjanuary.rdf.formats import JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE, Format

DEFAULT_RUN_BYTES = 64 << 20
JSONLD_BATCH = 512
"""Triples serialized per JSON-LD batch (a batch always ends with a whole subject)."""
COPY_BUFFER = 1 << 18


@dataclass
class DumpStats:
    """What the merge pass learned: counts, graphs and the prefixes the data uses."""

    quads: int = 0
    triples: int = 0
    graphs: dict[str, int] = field(default_factory=dict)
    triple_prefixes: dict[str, str] = field(default_factory=dict)
    quad_prefixes: dict[str, str] = field(default_factory=dict)
    runs: int = 0


def quad_line(quad: ox.Quad) -> bytes:
    """The N-Quads line of a quad in a named graph (the sort key of every dump)."""
    return f"{quad.subject} {quad.predicate} {quad.object} {quad.graph_name} .\n".encode()


def quad_lines(quads: Iterable[ox.Quad], batch: int = 8192) -> Iterator[bytes]:
    """:func:`quad_line` of every quad, written by Oxigraph's N-Quads serializer a batch at a time
    (the same bytes, about three times faster than formatting each quad in Python)."""
    it = iter(quads)
    while chunk := list(islice(it, batch)):
        yield from (ox.serialize(chunk, format=ox.RdfFormat.N_QUADS) or b"").splitlines(keepends=True)


class _PrefixFinder:
    """Which namespaces occur in the IRIs of N-Triples lines (subjects, predicates, objects, datatypes).

    A regular expression over the not-yet-found namespaces screens each line in one C call; a line it
    flags is parsed to tell an IRI from a literal that merely contains ``<namespace`` in its text.
    """

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.found: set[str] = set()
        self._remaining = sorted(set(prefixes.values()))
        self._pattern = self._compile()

    def _compile(self) -> re.Pattern[bytes] | None:
        if not self._remaining:
            return None
        return re.compile(b"<(?:" + b"|".join(re.escape(ns.encode()) for ns in self._remaining) + b")")

    def see(self, triple_line: bytes) -> None:
        if self._pattern is None or self._pattern.search(triple_line) is None:
            return
        (triple,) = list(ox.parse(triple_line, format=ox.RdfFormat.N_TRIPLES))
        iris = [
            t.value for t in (triple.subject, triple.predicate, triple.object) if isinstance(t, ox.NamedNode)
        ]
        if isinstance(triple.object, ox.Literal):
            iris.append(triple.object.datatype.value)
        new = {ns for ns in self._remaining if any(iri.startswith(ns) for iri in iris)}
        if new:
            self.found |= new
            self._remaining = [ns for ns in self._remaining if ns not in new]
            self._pattern = self._compile()

    def used(self, extra_iris: Iterable[str] = ()) -> dict[str, str]:
        """The prefixes (sorted by name, as :func:`used_prefixes` gives them) whose namespace occurs."""
        extra = list(extra_iris)
        return {
            p: ns
            for p, ns in sorted(self.prefixes.items(), key=lambda kv: kv[0])
            if ns in self.found or any(iri.startswith(ns) for iri in extra)
        }


def _graph_start(line: bytes) -> int:
    """Where the graph IRI of an N-Quads line begins (it is the last term, and an IRI has no spaces)."""
    at = line.rfind(b" <", 0, len(line) - 3)
    if at < 0 or not line.endswith(b"> .\n"):
        raise ValueError(f"not an N-Quads line in a named graph: {line[:200]!r}")
    return at


def write_sorted(
    lines: Iterable[bytes], work: Path, nquads: Path, ntriples: Path, prefixes: dict[str, str], run_bytes: int
) -> tuple[DumpStats, list[tuple[str, Path]]]:
    """Steps 1–2: sort ``lines``; write the N-Quads and N-Triples dumps and one line file per graph."""
    sorter = ExternalSorter(work, run_bytes=run_bytes)
    for line in lines:
        sorter.add(line)
    stats = DumpStats()
    finder = _PrefixFinder(prefixes)
    graph_files: dict[bytes, tuple[Path, object]] = {}
    previous_triple = b""
    with nquads.open("wb") as nq, ntriples.open("wb") as nt:
        for line in sorter.merged():
            nq.write(line)
            stats.quads += 1
            at = _graph_start(line)
            graph = line[at + 1 : -3]
            entry = graph_files.get(graph)
            if entry is None:
                path = work / f"graph-{len(graph_files):05d}.nq"
                entry = graph_files[graph] = (path, path.open("wb"))
            entry[1].write(line)  # type: ignore[attr-defined]
            triple = line[:at] + b" .\n"
            if triple == previous_triple:
                continue
            if triple < previous_triple:
                raise AssertionError(f"the merged quads are out of triple order at {line[:200]!r}")
            previous_triple = triple
            nt.write(triple)
            stats.triples += 1
            finder.see(triple)
    stats.runs = sorter.runs
    ordered = []
    for graph in sorted(graph_files):
        path, fh = graph_files[graph]
        fh.close()  # type: ignore[attr-defined]
        ordered.append((graph[1:-1].decode(), path))
    for name, path in ordered:
        stats.graphs[name] = sum(1 for _ in path.open("rb"))
    stats.triple_prefixes = finder.used()
    stats.quad_prefixes = finder.used(name for name, _ in ordered)
    return stats, ordered


def _tidy_copy(source: Path, target: Path) -> None:
    """``source`` into ``target`` with its leading ``@prefix`` lines sorted and a blank line after them
    (:func:`blackjanuary.publish.dumps.tidy_prefixes`, streamed)."""
    with source.open("rb") as src, target.open("wb") as out:
        header: list[bytes] = []
        rest = b""
        for line in src:
            if line.startswith(b"@prefix ") and line.endswith(b"\n"):
                header.append(line)
                continue
            rest = line
            break
        if not header:
            out.write(rest)
        else:
            out.write(b"".join(sorted(header)) + b"\n" + rest)
        shutil.copyfileobj(src, out, COPY_BUFFER)


def _triples(path: Path) -> Iterator[ox.Triple]:
    yield from ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)


def _quads(graph_files: list[tuple[str, Path]]) -> Iterator[ox.Quad]:
    for _, path in graph_files:
        yield from ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)


def _subject_batches(triples: Iterator[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Lists of about ``size`` triples that never split one subject's triples (they are consecutive)."""
    batch: list[ox.Triple] = []
    for triple in triples:
        if len(batch) >= size and triple.subject != batch[-1].subject:
            yield batch
            batch = []
        batch.append(triple)
    if batch:
        yield batch


def write_jsonld(ntriples: Path, target: Path, context: dict[str, str]) -> None:
    """JSON-LD with a prefix ``@context``, the same bytes as :func:`blackjanuary.publish.dumps.jsonld`."""
    compactor = _Compactor(context)
    head = json.dumps({"@context": dict(sorted(context.items()))}, ensure_ascii=False, indent=1)
    with target.open("wb") as out:
        out.write(head[:-2].encode() + b',\n "@graph": [')
        first = True
        for batch in _subject_batches(_triples(ntriples), JSONLD_BATCH):
            expanded = json.loads(ox.serialize(batch, format=ox.RdfFormat.JSON_LD) or b"[]")
            parts: list[str] = []
            for node in expanded if isinstance(expanded, list) else [expanded]:
                parts.append("\n  " if first else ",\n  ")
                first = False
                _json_indented(compactor.node(node), 2, parts)
            out.write("".join(parts).encode())
        out.write(b"]\n}\n" if first else b"\n ]\n}\n")


def _json_indented(value: object, depth: int, out: list[str]) -> None:
    """``value`` as ``json.dumps(value, ensure_ascii=False, indent=1)`` writes it at nesting ``depth``
    (the standard library's indenting encoder is pure Python; this one, for the shapes JSON-LD
    has, is about twice as fast and gives the same text: ``tests/unit/test_dump_writer.py``)."""
    kind = type(value)
    if kind is str:
        out.append(_encode_string(value))  # type: ignore[arg-type]
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = "\n" + " " * (depth + 1)
        out.append("{")
        first = True
        for key, item in value.items():  # type: ignore[attr-defined]
            out.append(inner if first else "," + inner)
            first = False
            out.append(_encode_string(key))
            out.append(": ")
            _json_indented(item, depth + 1, out)
        out.append("\n" + " " * depth + "}")
    elif kind is list:
        if not value:
            out.append("[]")
            return
        inner = "\n" + " " * (depth + 1)
        out.append("[")
        first = True
        for item in value:  # type: ignore[attr-defined]
            out.append(inner if first else "," + inner)
            first = False
            _json_indented(item, depth + 1, out)
        out.append("\n" + " " * depth + "]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def gzip_file(source: Path, target: Path) -> None:
    """``source`` gzipped as :func:`blackjanuary.publish.dumps.gzip_bytes` does it, in blocks."""
    with (
        source.open("rb") as src,
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        shutil.copyfileobj(src, gz, COPY_BUFFER)


def write_dumps(
    lines: Iterable[bytes],
    names: dict[str, Path],
    prefixes: dict[str, str],
    *,
    run_bytes: int = DEFAULT_RUN_BYTES,
    work: Path | None = None,
) -> DumpStats:
    """Write the dump of each format named in ``names`` (format name → file path) from the N-Quads
    ``lines`` of the dataset (any order, duplicates allowed; every quad in a named graph)."""
    with tempfile.TemporaryDirectory(prefix="dump-", dir=work) as tmp:
        scratch = Path(tmp)
        nq = names.get(NQUADS.name, scratch / "all.nq")
        nt = names.get(NTRIPLES.name, scratch / "all.nt")
        stats, graph_files = write_sorted(lines, scratch, nq, nt, prefixes, run_bytes)
        for fmt_name, path in names.items():
            write_format(fmt_name, path, nt, graph_files, stats, scratch)
    return stats


def write_format(
    fmt_name: str, path: Path, nt: Path, graph_files: list[tuple[str, Path]], stats: DumpStats, scratch: Path
) -> None:
    if fmt_name in (NQUADS.name, NTRIPLES.name):
        return  # written by the merge pass
    if fmt_name == JSONLD.name:
        write_jsonld(nt, path, stats.triple_prefixes)
    elif fmt_name == RDFXML.name:
        ox.serialize(_triples(nt), str(path), format=ox.RdfFormat.RDF_XML, prefixes=stats.triple_prefixes)
    elif fmt_name in (TURTLE.name, TRIG.name):
        raw = scratch / f"untidy.{fmt_name}"
        if fmt_name == TURTLE.name:
            ox.serialize(_triples(nt), str(raw), format=ox.RdfFormat.TURTLE, prefixes=stats.triple_prefixes)
        else:
            ox.serialize(
                _quads(graph_files), str(raw), format=ox.RdfFormat.TRIG, prefixes=stats.quad_prefixes
            )
        _tidy_copy(raw, path)
        raw.unlink()
    else:
        raise ValueError(f"no streaming writer for the format {fmt_name!r}")


FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML, TRIG, NQUADS)
