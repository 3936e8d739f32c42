"""The SHACL validation report as plain values: what failed, where in the files, and how to read it.

:func:`read_results` turns the SHACL results graph into sorted :class:`Violation` values;
:class:`SourceLocator` finds the file and line that declares a focus node (a plain text search).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from blackjanuary.config import CANONICAL_BASE_IRI
from blackjanuary.rdf.vocab import Ours


@dataclass(frozen=True)
class Violation:
    focus_node: str
    path: str | None
    message: str
    severity: str
    """``Violation``, ``Warning`` or ``Info`` (the local name of the SHACL severity)."""
    shape: str | None
    """The IRI of the named shape that failed (a blank property shape is reported as its named parent)."""
    value: str | None
    location: str | None
    """``graph/places.ttl:12``: the file and line where the focus node is declared, if found."""

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    violations: tuple[Violation, ...]
    graph: Graph = field(repr=False, compare=False)
    """The results graph (``sh:ValidationReport``) of the engine that ran."""
    text: str = field(repr=False, compare=False)
    """A text report in pySHACL's manner."""

    def to_json(self) -> str:
        body = {
            "conforms": self.conforms,
            "violation_count": len(self.violations),
            "violations": [v.to_dict() for v in self.violations],
        }
        return json.dumps(body, ensure_ascii=False, indent=2)

    def to_turtle(self) -> str:
        return self.graph.serialize(format="turtle")


class SourceLocator:
    """Finds the first line of a Turtle file that declares a subject, in full or prefixed form.

    The files are written with the canonical base, so IRIs under another configured base are mapped
    back before searching. It is a text search, not a parser: a subject written in an unusual way
    (e.g. inside a collection) is simply not found, and the location stays empty.
    """

    _PREFIX = re.compile(r"^\s*@?prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)

    def __init__(self, files: Iterable[Path], *, root: Path, base_iri: str = CANONICAL_BASE_IRI) -> None:
        self._root = root
        self._base = base_iri
        self._files: list[tuple[Path, list[str], dict[str, str]]] = []
        for path in files:
            lines = path.read_text(encoding="utf-8").splitlines()
            prefixes: dict[str, str] = {}
            for line in lines:
                match = self._PREFIX.match(line)
                if match:
                    prefixes[match.group(1) or ""] = match.group(2)
            self._files.append((path, lines, prefixes))
        self._cache: dict[str, str | None] = {}

    def locate(self, iri: str) -> str | None:
        if iri not in self._cache:
            self._cache[iri] = self._search(iri)
        return self._cache[iri]

    def _search(self, iri: str) -> str | None:
        if self._base != CANONICAL_BASE_IRI and iri.startswith(self._base):
            iri = CANONICAL_BASE_IRI + iri[len(self._base) :]
        fallback: str | None = None
        for path, lines, prefixes in self._files:
            forms = [f"<{iri}>"] + [
                f"{p}:{iri[len(ns) :]}"
                for p, ns in prefixes.items()
                if iri.startswith(ns) and _is_local_name(iri[len(ns) :])
            ]
            for number, line in enumerate(lines, start=1):
                stripped = line.lstrip()
                for form in forms:
                    if _starts_with_term(stripped, form):
                        return self._format(path, number)
                    if fallback is None and _contains_term(line, form):
                        fallback = self._format(path, number)
        return fallback

    def _format(self, path: Path, line: int) -> str:
        try:
            shown = path.resolve().relative_to(self._root.resolve())
        except ValueError:
            shown = path
        return f"{shown.as_posix()}:{line}"


_LOCAL_NAME = re.compile(r"^[\w-]*(\.[\w-]+)*$")
_TERM_END = re.compile(r"[\s;,.\])]|$")


def _is_local_name(local: str) -> bool:
    return bool(_LOCAL_NAME.match(local))


def _starts_with_term(text: str, form: str) -> bool:
    return text.startswith(form) and bool(_TERM_END.match(text, len(form)))


def _contains_term(line: str, form: str) -> bool:
    start = line.find(form)
    while start != -1:
        before_ok = start == 0 or line[start - 1] in " \t([,;"
        if before_ok and _TERM_END.match(line, start + len(form)):
            return True
        start = line.find(form, start + 1)
    return False


def read_results(
    results: Graph, shapes: Graph, *, locator: SourceLocator | None = None
) -> tuple[Violation, ...]:
    """The top-level results of the report as Violations, without duplicates, sorted by location and focus.

    Nested results (``sh:detail`` of an ``sh:node`` failure) are left out: the top-level result already
    names the focus node, the path and the shape that failed.
    """
    violations: set[Violation] = set()
    top_level = [
        r
        for report in results.subjects(RDF.type, SH.ValidationReport)
        for r in results.objects(report, SH.result)
    ]
    for result in top_level:
        focus = results.value(result, SH.focusNode)
        if focus is None:
            continue
        focus_text = _show(focus, results)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        severity = results.value(result, SH.resultSeverity)
        violations.add(
            Violation(
                focus_node=focus_text,
                path=_show(path, results) if path is not None else None,
                message=_message(results, result),
                severity=_local_name(severity) if severity is not None else "Violation",
                shape=_named_shape(results.value(result, SH.sourceShape), shapes),
                value=_show(value, results) if value is not None else None,
                location=locator.locate(str(focus)) if locator and isinstance(focus, URIRef) else None,
            )
        )
    return tuple(sorted(violations, key=_sort_key))


def _sort_key(v: Violation) -> tuple[str, ...]:
    return (v.location or "~", v.focus_node, v.path or "", v.shape or "", v.message, v.value or "")


def _message(results: Graph, result: Node) -> str:
    messages = sorted(
        results.objects(result, SH.resultMessage),
        key=lambda m: (0 if isinstance(m, Literal) and m.language in (None, "en") else 1, str(m)),
    )
    if messages:
        return str(messages[0])
    component = results.value(result, SH.sourceConstraintComponent)
    return f"fails {_local_name(component)}" if component is not None else "does not conform"


def _named_shape(shape: Node | None, shapes: Graph) -> str | None:
    """The shape itself if it has an IRI, else the nearest named shape that refers to it."""
    seen: set[Node] = set()
    frontier: list[Node] = [shape] if shape is not None else []
    while frontier:
        node = frontier.pop(0)
        if isinstance(node, URIRef):
            return str(node)
        if node in seen:
            continue
        seen.add(node)
        frontier.extend(shapes.subjects(None, node))
    return None


def _show(term: Node, graph: Graph) -> str:
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, BNode):
        return _show_path(term, graph)
    return str(term)


def _show_path(node: BNode, graph: Graph) -> str:
    """A SHACL property path written as SPARQL (``^p``, ``p*``, ``(a/b)``); other blank nodes as ``_:id``."""
    for predicate, symbol in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(node, predicate)
        if inner is not None:
            return symbol.format(_show(inner, graph))
    members = list(graph.items(node))
    if members:
        return "(" + "/".join(_show(m, graph) for m in members) + ")"
    return f"_:{node}"


def _local_name(term: Node) -> str:
    text = str(term)
    return re.split(r"[#/]", text)[-1]


def shorten(iri: str | None, prefixes: Sequence[tuple[str, str]]) -> str:
    """``bjid:baku`` for a table cell; ``prefixes`` is (prefix, namespace), longest namespace first."""
    if iri is None:
        return ""
    for prefix, namespace in prefixes:
        if iri.startswith(namespace) and _is_local_name(iri[len(namespace) :]):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def display_prefixes(ours: Ours) -> list[tuple[str, str]]:
    return sorted(ours.prefixes().items(), key=lambda item: -len(item[1]))
