"""The focus nodes of a SHACL shape written as a SPARQL graph pattern that binds ``?this``.

``sh:targetClass C`` becomes ``?this rdf:type/rdfs:subClassOf* C``, ``sh:targetSubjectsOf p`` becomes
``?this p ?o``, an ``sh:SPARQLTarget`` its select as a subquery; a property shape adds its parents' focus
nodes, and a shape used through ``sh:node`` the values of the referring path. Used by
:mod:`blackjanuary.publish.shacl.sparql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

TARGET_PREDICATES = (SH.targetNode, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
LOGICAL = (SH["and"], SH["or"], SH.xone, SH["not"], SH.qualifiedValueShape)
UNSUPPORTED = re.compile(
    r"\bSELECT\b.*\bSELECT\b|\bMINUS\b|\bVALUES\b|\bSERVICE\b|\$shapesGraph\b", re.IGNORECASE | re.DOTALL
)
"""SPARQL that needs a per-focus-node evaluation (pre-binding inside it is not a plain join)."""
THIS = re.compile(r"[?$]this\b")


class FocusPatterns:
    """The focus nodes of a shape as a SPARQL graph pattern binding ``?this``."""

    def __init__(
        self, shapes: Graph, *, follow_node: bool = True, materialized: dict[Node, str] | None = None
    ) -> None:
        self.shapes = shapes
        self.follow_node = follow_node
        self.cache: dict[Node, str] = {}
        self.materialized = materialized if materialized is not None else {}
        self._busy: set[Node] = set()

    def dependencies(self, shape: Node) -> list[Node]:
        """The shapes whose focus nodes this shape's focus pattern reuses."""
        found = list(self.shapes.subjects(SH.property, shape))
        if self.follow_node:
            found.extend(parent for parent, _, _, _ in node_refs(self.shapes, referenced=shape))
        return found

    def pattern(self, shape: Node) -> str | None:
        if shape in self.materialized:
            return self.materialized[shape]
        if shape not in self.cache:
            if shape in self._busy:
                return None
            self._busy.add(shape)
            pattern = self._build(shape)
            self._busy.discard(shape)
            if pattern is None:
                return None
            self.cache[shape] = pattern
        return self.cache[shape]

    def targets(self, shape: Node) -> list[str] | None:
        g = self.shapes
        parts: list[str] = []
        for node in g.objects(shape, SH.targetNode):
            parts.append(f"VALUES ?this {{ {term_sparql(node)} }}")
        classes = list(g.objects(shape, SH.targetClass))
        if (shape, RDF.type, RDFS.Class) in g:
            classes.append(shape)
        for cls in classes:
            parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {term_sparql(cls)} .")
        for predicate in g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {term_sparql(predicate)} ?bjTargetObject .")
        for predicate in g.objects(shape, SH.targetObjectsOf):
            parts.append(f"?bjTargetSubject {term_sparql(predicate)} ?this .")
        for target in g.objects(shape, SH.target):
            select = g.value(target, SH.select)
            if select is None or UNSUPPORTED.search(str(select).replace("SELECT", "", 1)):
                return None
            parts.append(f"{{ {THIS.sub('?this', str(select))} }}")
        return parts

    def _build(self, shape: Node) -> str | None:
        if any(True for p in LOGICAL for _ in self.shapes.subjects(p, shape)) or in_list(self.shapes, shape):
            return None  # inside sh:or/sh:not/…: conformance is needed per node, left to pySHACL
        parts = self.targets(shape)
        if parts is None:
            return None
        refs = node_refs(self.shapes, referenced=shape) if self.follow_node else iter(())
        for parent, _, path, _ in refs:
            outer = self.pattern(parent)
            if outer is None:
                return None
            if path is None:
                parts.append(outer)
            else:
                inner = outer.replace("?this", "?bjParent")
                parts.append(f"{inner} ?bjParent {path_sparql(self.shapes, path)} ?this .")
        for parent in self.shapes.subjects(SH.property, shape):
            outer = self.pattern(parent)
            if outer is None:
                return None
            parts.append(outer)
        if not parts:
            return "FILTER (false)"
        union = " UNION ".join(f"{{ {p} }}" for p in parts)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def node_refs(
    shapes: Graph, referenced: Node | None = None
) -> Iterator[tuple[Node, Node, Node | None, Node]]:
    """``(parent, holder, path, referenced)`` for each ``holder sh:node referenced``.

    ``holder`` is a property shape of ``parent`` (``path`` its path) or a node shape itself (path None).
    """
    for holder, target in shapes.subject_objects(SH.node):
        if referenced is not None and target != referenced:
            continue
        path = shapes.value(holder, SH.path)
        if path is None:
            yield holder, holder, None, target
        else:
            for parent in shapes.subjects(SH.property, holder):
                yield parent, holder, path, target


def in_list(shapes: Graph, node: Node) -> bool:
    return any(True for _ in shapes.subjects(RDF.first, node))


def path_sparql(shapes: Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    for predicate, pattern in (
        (SH.inversePath, "^({})"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = shapes.value(path, predicate)
        if inner is not None:
            return pattern.format(path_sparql(shapes, inner))
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_sparql(shapes, m) for m in Collection(shapes, alternatives)) + ")"
    return "(" + "/".join(path_sparql(shapes, m) for m in Collection(shapes, path)) + ")"


def term_sparql(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise ValueError(f"{term!r} cannot be written into a SPARQL query")
