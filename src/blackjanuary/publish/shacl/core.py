"""SHACL core constraints compiled to SPARQL, one query per constraint over the whole graph.

Only what can be said exactly is compiled: value constraints (``sh:datatype`` of the XSD types Oxigraph
can cast, non-XSD datatypes, ``sh:nodeKind``, ``sh:class``, ``sh:min/maxInclusive/Exclusive``,
``sh:min/maxLength``, ``sh:pattern``, and ``sh:or``/``sh:and``/``sh:not`` of shapes made of those),
cardinality (``sh:minCount``, ``sh:maxCount``), ``sh:uniqueLang`` and ``sh:lessThan``, on shapes that
carry their own ``sh:message`` (pySHACL's generic messages are not reproduced). Everything else stays in
the shapes graph for pySHACL. ``sh:node`` is handled by :mod:`blackjanuary.publish.shacl.sparql` from the
failures of the referenced shape.
"""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

CASTABLE = frozenset(
    XSD[name]
    for name in (
        "string",
        "boolean",
        "integer",
        "decimal",
        "float",
        "double",
        "dateTime",
        "date",
        "time",
        "gYear",
        "gYearMonth",
        "gMonth",
        "gDay",
        "gMonthDay",
        "duration",
    )
)
"""XSD datatypes whose lexical forms Oxigraph checks when casting (``xsd:date("1990-13-45")`` fails)."""

COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
VALUE_PARAMETERS = frozenset(
    {
        SH.datatype,
        SH.nodeKind,
        SH["class"],
        SH.minLength,
        SH.maxLength,
        SH.pattern,
        SH["or"],
        SH["and"],
        SH["not"],
        *COMPARISONS,
    }
)
COMPONENTS = {
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
}
NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


class UnsupportedError(Exception):
    """A constraint this compiler cannot say exactly in SPARQL: pySHACL keeps it."""


def compile_constraints(
    shapes: Graph, shape: Node, path_sparql: str | None, focus: str
) -> Iterator[tuple[URIRef, URIRef, str, tuple[tuple[Node, Node, Node], ...]]]:
    """``(parameter, component, query body, removed triples)`` for each compilable constraint of ``shape``.

    The query body selects ``?this`` (and ``?value``); ``focus`` binds ``?this`` to the focus nodes.
    """
    values = f"?this {path_sparql} ?value ." if path_sparql else "BIND (?this AS ?value)"
    for parameter in sorted(set(shapes.predicates(shape)), key=str):
        if not isinstance(parameter, URIRef):
            continue
        objects = list(shapes.objects(shape, parameter))
        triples = tuple((shape, parameter, o) for o in objects)
        if parameter == SH.pattern and (shape, SH.flags, None) in shapes:
            continue
        try:
            if parameter in VALUE_PARAMETERS:
                condition = " && ".join(value_condition(shapes, parameter, o, "?value") for o in objects)
                body = f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} FILTER (!({condition})) }}"
            elif parameter in (SH.minCount, SH.maxCount) and path_sparql:
                body = _count(parameter, objects, path_sparql, focus)
            elif parameter == SH.uniqueLang and path_sparql:
                if not all(is_true(o) for o in objects):
                    continue
                body = (
                    f"SELECT ?this (SAMPLE(?v) AS ?bjSample) WHERE {{ {focus} ?this {path_sparql} ?v "
                    'FILTER (isLiteral(?v) && LANG(?v) != "") BIND (LCASE(LANG(?v)) AS ?lang) } '
                    "GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?v) > 1)"
                )
            elif (
                parameter == SH.lessThan
                and path_sparql
                and len(objects) == 1
                and isinstance(objects[0], URIRef)
            ):
                body = (
                    f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} "
                    f"?this <{objects[0]}> ?bjOther FILTER (!COALESCE(?value < ?bjOther, false)) }}"
                )
            else:
                continue
        except UnsupportedError:
            continue
        yield parameter, COMPONENTS[parameter], body, triples


def _count(parameter: Node, objects: list[Node], path_sparql: str, focus: str) -> str:
    if len(objects) != 1 or not isinstance(objects[0], Literal) or not isinstance(objects[0].toPython(), int):
        raise UnsupportedError(parameter)
    limit = int(objects[0].toPython())
    having = f"COUNT(DISTINCT ?v) < {limit}" if parameter == SH.minCount else f"COUNT(DISTINCT ?v) > {limit}"
    return (
        f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path_sparql} ?v }} }} "
        f"GROUP BY ?this HAVING ({having})"
    )


def value_condition(shapes: Graph, parameter: Node, value: Node, v: str) -> str:
    """A SPARQL expression that is true exactly when the value node ``v`` satisfies the constraint."""
    if parameter == SH.datatype:
        return _datatype(value, v)
    if parameter == SH.nodeKind:
        if not isinstance(value, URIRef) or value not in NODE_KINDS:
            raise UnsupportedError(value)
        return NODE_KINDS[value].format(v=v)
    if parameter == SH["class"] and isinstance(value, URIRef):
        return f"EXISTS {{ {v} <{RDF.type}>/<{RDFS.subClassOf}>* <{value}> }}"
    if isinstance(parameter, URIRef) and parameter in COMPARISONS and isinstance(value, Literal):
        return f"COALESCE(isLiteral({v}) && {v} {COMPARISONS[parameter]} {value.n3()}, false)"
    if parameter in (SH.minLength, SH.maxLength) and isinstance(value, Literal):
        op = ">=" if parameter == SH.minLength else "<="
        return f"COALESCE(!isBlank({v}) && STRLEN(STR({v})) {op} {int(value.toPython())}, false)"
    if parameter == SH.pattern and isinstance(value, Literal):
        return f"COALESCE(!isBlank({v}) && REGEX(STR({v}), {Literal(str(value)).n3()}), false)"
    if parameter in (SH["or"], SH["and"]):
        members = [shape_condition(shapes, m, v) for m in Collection(shapes, value)]
        if not members:
            raise UnsupportedError(parameter)
        return "(" + (" || " if parameter == SH["or"] else " && ").join(members) + ")"
    if parameter == SH["not"]:
        return f"!({shape_condition(shapes, value, v)})"
    raise UnsupportedError(parameter)


def shape_condition(shapes: Graph, shape: Node, v: str) -> str:
    """True when ``v`` conforms to a shape made only of value constraints (used inside sh:or/sh:not)."""
    parts = []
    for parameter, value in shapes.predicate_objects(shape):
        if parameter in VALUE_PARAMETERS:
            parts.append(value_condition(shapes, parameter, value, v))
        elif parameter in (SH.message, SH.name, SH.description, RDFS.label, RDFS.comment) or (
            parameter == RDF.type and value in (SH.NodeShape, SH.Shape)
        ):
            continue
        else:
            raise UnsupportedError(parameter)
    return "(" + " && ".join(parts or ["true"]) + ")"


def _datatype(datatype: Node, v: str) -> str:
    if not isinstance(datatype, URIRef):
        raise UnsupportedError(datatype)
    if datatype == RDF.langString:
        return f'(isLiteral({v}) && LANG({v}) != "")'
    same = f"(isLiteral({v}) && DATATYPE({v}) = <{datatype}>)"
    if datatype in CASTABLE:
        return f"({same} && COALESCE(isLiteral(<{datatype}>(STR({v}))), false))"
    if str(datatype).startswith(str(XSD)):
        raise UnsupportedError(datatype)  # pySHACL checks its lexical form; Oxigraph cannot cast to it
    return same


def is_true(value: Node | None) -> bool:
    """A literal ``true`` (sh:deactivated, sh:uniqueLang, sh:qualifiedValueShapesDisjoint …)."""
    return isinstance(value, Literal) and value.toPython() is True
