"""Load ontology/, graph/ and shapes/ into the named graphs of DESIGN.md, as one rdflib Dataset.

The files are written with the canonical base IRI; a deployment with another base gets every IRI
under the canonical base rewritten on load, so the files never change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.errors import DataLoadError
from blackjanuary.rdf.vocab import Ours, bind_prefixes


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str
    """The short name of the named graph the file belongs to (data, ontology, shapes, meta)."""


def source_files(settings: Settings) -> list[SourceFile]:
    """Every input file, sorted, with its named graph. ``graph/meta/`` feeds the meta graph."""
    files: list[SourceFile] = []
    for path in sorted(settings.ontology_dir.glob("*.ttl")):
        files.append(SourceFile(path, "ontology"))
    for path in sorted(settings.graph_dir.glob("*.ttl")):
        files.append(SourceFile(path, "data"))
    for path in sorted((settings.graph_dir / "meta").glob("*.ttl")):
        files.append(SourceFile(path, "meta"))
    for path in sorted(settings.shapes_dir.glob("*.ttl")):
        files.append(SourceFile(path, "shapes"))
    return files


def parse_file(path: Path) -> Graph:
    """Parse one Turtle file; a syntax error becomes a DataLoadError naming file, line and column."""
    if not path.is_file():
        raise DataLoadError(f"{path}: file not found. Check the path, or restore the file from git.")
    _check_turtle(path)
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
        raise DataLoadError(f"{path}: cannot parse Turtle: {_describe_syntax_error(exc)}") from exc
    return graph


_OX_POSITION = re.compile(r"^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): ")


def _check_turtle(path: Path) -> None:
    """Read ``path`` with Oxigraph's Turtle parser first: rdflib's accepts documents the W3C Turtle
    suite says are invalid (bad IRIs and escapes, N3 extras, statements without their dot …), and
    those must not reach a build. The error names the line and column with a caret."""
    try:
        for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()):
            pass
    except SyntaxError as exc:
        why = _OX_POSITION.sub("", exc.msg)
        line_no, column = exc.lineno or 1, exc.offset or 1
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines() or [""]
        line = lines[min(line_no, len(lines)) - 1]
        raise DataLoadError(
            f"{path}: cannot parse Turtle: line {line_no}, column {column}: {why}\n    {line}\n"
            f"    {' ' * (column - 1)}^"
        ) from exc


def _describe_syntax_error(exc: Exception) -> str:
    """``line 3, column 11: <why>`` and the offending line with a caret, from rdflib's BadSyntax.

    rdflib's own text counts lines from 0 in one place and from 1 in another and quotes the raw bytes;
    its BadSyntax carries the document (``_str``, UTF-8 bytes), the offset in characters (``_i``) and
    the reason (``_why``).
    """
    document, offset, why = getattr(exc, "_str", None), getattr(exc, "_i", None), getattr(exc, "_why", None)
    if isinstance(document, bytes | str) and isinstance(offset, int) and why:
        text = document.decode("utf-8", errors="replace") if isinstance(document, bytes) else document
        offset = max(0, min(offset, len(text)))
        line_start = text.rfind("\n", 0, offset) + 1
        line_end = text.find("\n", offset)
        line_no = text.count("\n", 0, line_start) + 1
        before = text[line_start:offset]
        line = text[line_start : line_end if line_end != -1 else len(text)]
        return f"line {line_no}, column {len(before) + 1}: {why}\n    {line}\n    {' ' * len(before)}^"
    text = str(exc).strip()
    lines = getattr(exc, "lines", None)
    if lines is not None and f"line {lines}" not in text:
        text = f"line {lines}: {text}"
    return text or type(exc).__name__


def rebase(term: Node, ours: Ours) -> Node:
    if ours.base != CANONICAL_BASE_IRI and isinstance(term, URIRef) and term.startswith(CANONICAL_BASE_IRI):
        return URIRef(ours.base + term[len(CANONICAL_BASE_IRI) :])
    return term


def load(settings: Settings, *, graphs: Iterable[str] | None = None) -> Dataset:
    """The whole dataset as named graphs; ``graphs`` limits which named graphs are read."""
    ours = Ours(settings.base_iri)
    wanted = set(graphs) if graphs is not None else None
    dataset = Dataset(default_union=True)
    bind_prefixes(dataset, ours)
    files = [f for f in source_files(settings) if wanted is None or f.graph in wanted]
    if not any(f.graph == "data" for f in files) and (wanted is None or "data" in wanted):
        raise DataLoadError(
            f"{settings.graph_dir}: no *.ttl files found. Run from the project directory or pass --root."
        )
    for source in files:
        parsed = parse_file(source.path)
        target = dataset.graph(URIRef(ours.graph(source.graph)))
        for s, p, o in parsed:
            target.add((rebase(s, ours), rebase(p, ours), rebase(o, ours)))
    return dataset


def graph_of(dataset: Dataset, name: str, settings: Settings) -> Graph:
    return dataset.graph(URIRef(Ours(settings.base_iri).graph(name)))
