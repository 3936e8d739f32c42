"""The fast SHACL engine: every constraint evaluated ONCE over the whole data graph on Oxigraph.

pySHACL runs every SPARQL constraint once per focus node, and spends milliseconds of Python per focus
node on core constraints, which takes minutes at 10 k triples. Here each check is one query:

* ``sh:sparql`` constraints and the ``sh:SPARQLSelectValidator`` of SPARQL-based constraint components:
  the pre-bound ``$this`` is left unbound and joined with the shape's focus nodes; ``$PATH`` is written
  in, ``$currentShape`` and the component's parameters are bound next to the focus pattern (SHACL 1.1
  §5.3.1, §6.3);
* core constraints, compiled by :mod:`blackjanuary.publish.shacl.core`;
* ``sh:node``, answered from the failures of the referenced shape.

The focus nodes (:mod:`blackjanuary.publish.shacl.focus`) of each shape are evaluated once and kept in a
temporary named graph of the store while the checks run. Each solution becomes a validation result
exactly as pySHACL would write it (focus node, path, value, messages with ``{?var}``/``{$var}`` filled
in, severity, source shape, source constraint and component), so
:func:`blackjanuary.publish.shacl.report.read_results` reads the merged report unchanged.

Whatever this module cannot say exactly (a nested ``SELECT``, ``MINUS``, ``VALUES``, ``SERVICE``,
``$shapesGraph``, ``$value`` in a validator, core constraints outside ``shacl_core``) stays in the copy
of the shapes graph that pySHACL validates (:attr:`Plan.core_shapes`): still correct, only slower.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from blackjanuary.publish.shacl import core as shacl_core
from blackjanuary.publish.shacl.focus import (
    TARGET_PREDICATES,
    THIS,
    UNSUPPORTED,
    FocusPatterns,
    node_refs,
    path_sparql,
    term_sparql,
)
from blackjanuary.rdf.oxigraph import to_rdflib

log = logging.getLogger(__name__)

CORE_PARAMETERS = frozenset(
    {
        SH["class"],
        SH.datatype,
        SH.nodeKind,
        SH.minCount,
        SH.maxCount,
        SH.minExclusive,
        SH.minInclusive,
        SH.maxExclusive,
        SH.maxInclusive,
        SH.minLength,
        SH.maxLength,
        SH.pattern,
        SH.languageIn,
        SH.uniqueLang,
        SH.equals,
        SH.disjoint,
        SH.lessThan,
        SH.lessThanOrEquals,
        SH["not"],
        SH["and"],
        SH["or"],
        SH.xone,
        SH.node,
        SH.property,
        SH.qualifiedValueShape,
        SH.closed,
        SH.hasValue,
        SH["in"],
        SH.sparql,
        SH.expression,
    }
)
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
FOCUS = "#FOCUS#\n"
"""Stands for the shape's focus pattern in a planned query until :func:`evaluate` has materialized it."""
FOCUS_GRAPH = "urn:x-blackjanuary:shacl-focus"
"""A named graph of the store that holds the focus nodes of each shape while the checks run."""


@dataclass(frozen=True)
class SparqlCheck:
    """One query: a SPARQL constraint, one use of a SPARQL-based component, or one core constraint."""

    shape: Node
    source: Node
    """The ``sh:SPARQLConstraint`` node, or the constraint component."""
    component: URIRef
    query: str
    """The whole query: prologue, and the select with :data:`FOCUS` where the focus nodes are joined."""
    messages: tuple[Literal, ...]
    """Messages filled in with the solution's variables."""
    shape_messages: tuple[Literal, ...]
    """The shape's own ``sh:message`` (filled in too for a SPARQL constraint, as pySHACL does)."""
    fill_shape_messages: bool
    path: Node | None
    """The shape's ``sh:path`` if it is a property shape."""
    severity: Node
    params: dict[str, Node] = field(default_factory=dict)
    removes: tuple[tuple[Node, Node, Node], ...] = ()
    """The shapes-graph triples that pySHACL must not evaluate again."""


@dataclass
class Plan:
    checks: list[SparqlCheck]
    core_shapes: Graph
    """A copy of the shapes graph without the constraints in ``checks``: what pySHACL still runs."""
    node_refs: list[tuple[Node, Node, Node | None, Node]]
    """``(parent shape, property shape or parent, path or None, referenced shape)`` for ``sh:node``."""
    focus: dict[Node, str]
    """The focus pattern of each shape, evaluated against the data (not materialized)."""
    shapes: Graph
    prologue: str
    """``PREFIX`` lines from the ``sh:declare`` of the shapes graph."""


def plan(shapes: Graph) -> Plan:
    """Split the shapes into SPARQL checks run here and the rest, left to pySHACL."""
    prologue = _prologue(shapes)
    focus = FocusPatterns(shapes)
    checks: list[SparqlCheck] = []
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql), key=str):
        check = _constraint_check(shapes, shape, constraint, prologue, focus)
        if check is not None:
            checks.append(check)
    for component in sorted(shapes.subjects(RDF.type, SH.ConstraintComponent), key=str):
        checks.extend(_component_checks(shapes, component, prologue, focus))
    checks.extend(_core_checks(shapes, prologue, focus))
    core = Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace)
    removed = {t for check in checks for t in check.removes}
    for triple in shapes:
        if triple not in removed:
            core.add(triple)
    for holder, referenced in list(core.subject_objects(SH.node)):
        if _is_empty(core, referenced) and any(True for _ in core.objects(holder, SH.message)):
            core.remove((holder, SH.node, referenced))  # all of it is checked here, failures included
    _drop_empty_shapes(core)
    references = [
        (parent, holder, path, target)
        for parent, holder, path, target in node_refs(shapes)
        if any(c.shape in _closure(shapes, target) for c in checks)
    ]
    return Plan(
        checks=checks,
        core_shapes=core,
        node_refs=references,
        focus=focus.cache,
        shapes=shapes,
        prologue=prologue,
    )


def evaluate(store: pyoxigraph.Store, the_plan: Plan, report: Graph, core_results: Graph) -> bool:
    """Run every check on ``store``, add its results to ``report``; True if none is a violation.

    ``core_results`` is pySHACL's report for the rest, used to avoid reporting an ``sh:node`` failure
    twice (once by pySHACL for a core constraint, once here for a SPARQL one).
    """
    focus = _Materializer(store, the_plan.shapes, the_plan.prologue)
    try:
        return _evaluate(store, the_plan, report, core_results, focus)
    finally:
        store.remove_graph(pyoxigraph.NamedNode(FOCUS_GRAPH))


def _evaluate(
    store: pyoxigraph.Store, the_plan: Plan, report: Graph, core_results: Graph, focus_of: _Materializer
) -> bool:
    conforms = True
    seen: set[tuple[object, ...]] = set()
    failing: dict[Node, set[Node]] = {}
    own_focus = FocusPatterns(the_plan.shapes, follow_node=False)
    targets: dict[Node, set[Node] | None] = {}
    by_pattern: dict[str, set[Node]] = {}
    for check in the_plan.checks:
        if check.shape not in targets:
            own = own_focus.pattern(check.shape)
            reached = own != the_plan.focus.get(check.shape)  # also reached through sh:node
            if reached and own is not None and own not in by_pattern:
                by_pattern[own] = _focus_nodes(store, the_plan.prologue, own)
            targets[check.shape] = by_pattern.get(own or "", set()) if reached else None
        allowed = targets[check.shape]
        for focus, path, value, variables in _solutions(store, check, focus_of.pattern(check.shape)):
            failing.setdefault(check.shape, set()).add(focus)
            if allowed is not None and focus not in allowed:
                continue  # reached only through sh:node: reported there, as a failure of the referrer
            # pySHACL keeps solutions that differ only in other variables (their messages differ)
            extra = frozenset(variables.items()) if check.messages else frozenset()
            key = (focus, path or URIRef(""), value or URIRef(""), check.shape, check.source, extra)
            if key in seen:
                continue
            seen.add(key)
            _add_result(report, check, focus, path, value, variables)
            if isinstance(path, BNode):
                _copy_path(the_plan.shapes, report, path)
            conforms = conforms and not _breaks_conformance(the_plan.shapes, check.shape)
    for parent, holder, path, target in the_plan.node_refs:
        failed = set().union(*(failing.get(s, set()) for s in _closure(the_plan.shapes, target)))
        for focus, value in _node_failures(store, the_plan, focus_of.pattern(parent), path, failed):
            if _already_reported(core_results, focus, holder, value):
                continue
            _add_node_result(report, the_plan.shapes, holder, focus, path, value)
            conforms = conforms and not _breaks_conformance(the_plan.shapes, holder)
    return conforms


# --- building the checks -------------------------------------------------------------------------------


def _constraint_check(
    shapes: Graph, shape: Node, constraint: Node, prologue: str, focus: FocusPatterns
) -> SparqlCheck | None:
    select = shapes.value(constraint, SH.select)
    if select is None or _deactivated(shapes, constraint) or _deactivated(shapes, shape):
        return None
    path = shapes.value(shape, SH.path)
    substituted = _substitute(str(select), shapes, shape, path, {})
    pattern = focus.pattern(shape)
    if substituted is None or pattern is None:
        log.info("SHACL: %s on %s is left to pySHACL (needs per-node evaluation)", constraint, shape)
        return None
    text, bound = substituted
    query = _join(text, f"{FOCUS} {bound}")
    if query is None:
        return None
    return SparqlCheck(
        shape=shape,
        source=constraint,
        component=SH.SPARQLConstraintComponent,
        query=prologue + query,
        messages=tuple(_messages(shapes, constraint)),
        shape_messages=tuple(_messages(shapes, shape)),
        fill_shape_messages=True,
        path=path,
        severity=_severity(shapes, shape),
        removes=((shape, SH.sparql, constraint),),
    )


def _component_checks(
    shapes: Graph, component: Node, prologue: str, focus: FocusPatterns
) -> Iterator[SparqlCheck]:
    parameters = [
        (p, shapes.value(p, SH.path), shacl_core.is_true(shapes.value(p, SH.optional)))
        for p in shapes.objects(component, SH.parameter)
    ]
    mandatory = [path for _, path, optional in parameters if path is not None and not optional]
    if not mandatory:
        return
    for shape in sorted(shapes.subjects(mandatory[0], None), key=str):
        if _deactivated(shapes, shape):
            continue
        path = shapes.value(shape, SH.path)
        kind = SH.propertyValidator if path is not None else SH.nodeValidator
        validator = shapes.value(component, kind) or shapes.value(component, SH.validator)
        select = shapes.value(validator, SH.select) if validator is not None else None
        if select is None or any(shapes.value(shape, p) is None for p in mandatory):
            continue
        params: dict[str, Node] = {}
        for _, parameter_path, _ in parameters:
            value = shapes.value(shape, parameter_path) if parameter_path is not None else None
            if value is not None and parameter_path is not None:
                params[_local(parameter_path)] = value
        substituted = _substitute(str(select), shapes, shape, path, params)
        pattern = focus.pattern(shape)
        if substituted is None or pattern is None or re.search(r"\$value\b", str(select)):
            log.info("SHACL: %s on %s is left to pySHACL (needs per-node evaluation)", component, shape)
            continue
        text, bound = substituted
        if path is not None:  # pySHACL runs a property validator once per value node: none, no result
            bound = f"FILTER EXISTS {{ ?this {path_sparql(shapes, path)} ?bjValueNode }} {bound}"
        query = _join(text, f"{FOCUS} {bound}")
        if query is None or validator is None:
            continue
        removes = tuple(
            (shape, p, o)
            for p in (pp for _, pp, _ in parameters if pp is not None)
            for o in shapes.objects(shape, p)
        )
        yield SparqlCheck(
            shape=shape,
            source=component,
            component=component if isinstance(component, URIRef) else SH.SPARQLConstraintComponent,
            query=prologue + query,
            messages=tuple(_messages(shapes, validator)) + tuple(_messages(shapes, component)),
            shape_messages=tuple(_messages(shapes, shape)),
            fill_shape_messages=False,
            path=path,
            severity=_severity(shapes, shape),
            params=params,
            removes=removes,
        )


def _substitute(
    text: str, shapes: Graph, shape: Node, path: Node | None, params: dict[str, Node]
) -> tuple[str, str] | None:
    """The select with ``$PATH`` written in, and the BINDs of the other pre-bound variables.

    ``$this`` becomes ``?this``; ``$currentShape`` and the parameters are bound (``BIND``) next to the
    focus pattern, so they are bound everywhere in the query, also in the projection and FILTER EXISTS.
    None if the text needs something this module does not model.
    """
    if UNSUPPORTED.search(text):
        return None
    if "$PATH" in text:
        if path is None:
            return None
        text = text.replace("$PATH", path_sparql(shapes, path))
    binds = dict(params)
    if re.search(r"[$?]currentShape\b", text):
        if not isinstance(shape, URIRef):
            return None
        binds["currentShape"] = shape
    for name in binds:
        text = re.sub(rf"\$({re.escape(name)})\b", r"?\1", text)
    bound = " ".join(f"BIND ({term_sparql(value)} AS ?{name})" for name, value in binds.items())
    return THIS.sub("?this", text), bound


def _join(select: str, pattern: str) -> str | None:
    """The select with the focus pattern as the first element of its outer WHERE group."""
    match = _WHERE.search(select)
    if match is None:
        return None
    return f"{select[: match.end()]}\n  {{ {pattern} }}\n{select[match.end() :]}"


def _drop_empty_shapes(core: Graph) -> None:
    """Property shapes and targets that have nothing left to check would still cost pySHACL a walk."""
    parameters = _parameters(core)
    changed = True
    while changed:
        changed = False
        shapes = set(core.subjects(SH.path, None)) | {s for p in TARGET_PREDICATES for s in core.subjects(p)}
        for shape in shapes:
            if any(True for p in core.predicates(shape) if p in parameters):
                continue
            if any(True for _ in core.subjects(None, shape)) and core.value(shape, SH.path) is None:
                continue  # referenced elsewhere (sh:node…): keep it
            for parent in list(core.subjects(SH.property, shape)):
                core.remove((parent, SH.property, shape))
                changed = True
            for predicate in TARGET_PREDICATES:
                if (shape, predicate, None) in core:
                    core.remove((shape, predicate, None))
                    changed = True


def _core_checks(shapes: Graph, prologue: str, focus: FocusPatterns) -> Iterator[SparqlCheck]:
    candidates = set(shapes.subjects(SH.path, None))
    candidates |= {s for p in TARGET_PREDICATES for s in shapes.subjects(p)}
    for shape in sorted(candidates, key=str):
        messages = tuple(_messages(shapes, shape))
        if not messages or _deactivated(shapes, shape):
            continue  # pySHACL's generic messages are not reproduced: it keeps such shapes
        if focus.pattern(shape) is None:
            continue
        path = shapes.value(shape, SH.path)
        written = path_sparql(shapes, path) if path is not None else None
        for _, component, body, triples in shacl_core.compile_constraints(shapes, shape, written, FOCUS):
            yield SparqlCheck(
                shape=shape,
                source=component,
                component=component,
                query=prologue + body,
                messages=(),
                shape_messages=messages,
                fill_shape_messages=False,
                path=path,
                severity=_severity(shapes, shape),
                removes=triples,
            )


def _is_empty(core: Graph, shape: Node) -> bool:
    """True if pySHACL has nothing left to check on ``shape`` (its property shapes included)."""
    parameters = _parameters(core)
    for predicate, value in core.predicate_objects(shape):
        if predicate == SH.property:
            if not _is_empty(core, value):
                return False
        elif predicate in parameters:
            return False
    return True


def has_constraints(core: Graph) -> bool:
    """True if some shape of ``core`` still has focus nodes, so pySHACL has something to check."""
    return any(True for p in TARGET_PREDICATES for _ in core.triples((None, p, None)))


def _parameters(core: Graph) -> set[Node]:
    parameters: set[Node] = set(CORE_PARAMETERS)
    for component in core.subjects(RDF.type, SH.ConstraintComponent):
        for parameter in core.objects(component, SH.parameter):
            path = core.value(parameter, SH.path)
            if path is not None:
                parameters.add(path)
    return parameters


# --- evaluation ----------------------------------------------------------------------------------------


class _Materializer:
    """Evaluates each shape's focus pattern once and stores the nodes in :data:`FOCUS_GRAPH`.

    The checks then find their focus nodes with one index lookup instead of evaluating the targets
    (a SPARQL target over the whole graph, say) again for every constraint of the shape.
    """

    def __init__(self, store: pyoxigraph.Store, shapes: Graph, prologue: str) -> None:
        self.store = store
        self.prologue = prologue
        self.done: dict[Node, str] = {}
        self.patterns = FocusPatterns(shapes, materialized=self.done)
        self._busy: set[Node] = set()

    def pattern(self, shape: Node) -> str:
        if shape in self.done:
            return self.done[shape]
        self._busy.add(shape)
        dependencies = self.patterns.dependencies(shape)
        for dependency in dependencies:
            if dependency not in self._busy:
                self.pattern(dependency)
        if len(dependencies) == 1 and self.patterns.targets(shape) == [] and dependencies[0] in self.done:
            self.done[shape] = self.done[dependencies[0]]  # a property shape: its parent's focus nodes
            self._busy.discard(shape)
            return self.done[shape]
        full = self.patterns.pattern(shape)
        if full is None:
            raise ValueError(f"the focus nodes of {shape} cannot be written as a SPARQL pattern")
        token = pyoxigraph.NamedNode(f"{FOCUS_GRAPH}#shape-{len(self.done)}")
        graph, of = pyoxigraph.NamedNode(FOCUS_GRAPH), pyoxigraph.NamedNode(FOCUS_GRAPH + "#of")
        solutions = self.store.query(f"{self.prologue}SELECT DISTINCT ?this WHERE {{ {full} }}")
        assert isinstance(solutions, pyoxigraph.QuerySolutions)
        self.store.extend(
            pyoxigraph.Quad(s["this"], of, token, graph) for s in solutions if s["this"] is not None
        )
        self.done[shape] = f"GRAPH <{FOCUS_GRAPH}> {{ ?this <{of.value}> <{token.value}> }}"
        self._busy.discard(shape)
        return self.done[shape]


def _solutions(
    store: pyoxigraph.Store, check: SparqlCheck, focus: str
) -> Iterator[tuple[Node, Node | None, Node | None, dict[str, Node]]]:
    solutions = store.query(check.query.replace(FOCUS, focus))
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        variables = {name: to_rdflib(solution[name]) for name in names if solution[name] is not None}
        this = variables.pop("this", None)
        if this is None:
            continue
        path = variables.pop("path", None)
        value = variables.pop("value", None)
        if check.path is not None:
            path = path or check.path
        elif value is None:
            value = this  # pySHACL reports the focus node as the value on a node shape
        variables = {**check.params, **variables}
        yield (
            this,
            path,
            value,
            {
                "this": this,
                **({"path": path} if path is not None else {}),
                **({"value": value} if value is not None else {}),
                **variables,
            },
        )


ALLOWED = (SH.Warning, SH.Info)


def _breaks_conformance(shapes: Graph, shape: Node) -> bool:
    """pySHACL (``allow_warnings``): a result breaks conformance unless its shape, or a shape that holds
    it through ``sh:property``, has severity sh:Warning or sh:Info."""
    if _severity(shapes, shape) in ALLOWED:
        return False
    return all(_breaks_conformance(shapes, parent) for parent in shapes.subjects(SH.property, shape))


def _closure(shapes: Graph, shape: Node) -> set[Node]:
    """The shape and its property shapes: a node fails the shape if it fails any of them."""
    found = {shape}
    for child in shapes.objects(shape, SH.property):
        found |= _closure(shapes, child)
    return found


def _focus_nodes(store: pyoxigraph.Store, prologue: str, pattern: str | None) -> set[Node]:
    if pattern is None:
        return set()
    solutions = store.query(f"{prologue}SELECT DISTINCT ?this WHERE {{ {pattern} }}")
    assert isinstance(solutions, pyoxigraph.QuerySolutions)
    return {to_rdflib(s["this"]) for s in solutions if s["this"] is not None}


def _node_failures(
    store: pyoxigraph.Store, the_plan: Plan, pattern: str, path: Node | None, failing: set[Node]
) -> Iterator[tuple[Node, Node]]:
    if not failing:
        return
    if path is None:
        query = f"SELECT DISTINCT ?this (?this AS ?value) WHERE {{ {pattern} }}"
    else:
        query = (
            f"SELECT DISTINCT ?this ?value WHERE {{ {pattern} "
            f"?this {path_sparql(the_plan.shapes, path)} ?value . }}"
        )
    for solution in store.query(query):  # type: ignore[union-attr]
        value = to_rdflib(solution["value"])
        if value in failing:
            yield to_rdflib(solution["this"]), value


def _already_reported(results: Graph, focus: Node, holder: Node, value: Node) -> bool:
    return any(
        (r, SH.sourceShape, holder) in results
        and (r, SH.value, value) in results
        and (r, SH.sourceConstraintComponent, SH.NodeConstraintComponent) in results
        for r in results.subjects(SH.focusNode, focus)
    )


# --- writing results -----------------------------------------------------------------------------------


def _add_result(
    report: Graph,
    check: SparqlCheck,
    focus: Node,
    path: Node | None,
    value: Node | None,
    variables: dict[str, Node],
) -> None:
    node = _new_result(report, check.shape, check.component, check.severity, focus, path, value)
    if check.component == SH.SPARQLConstraintComponent:
        report.add((node, SH.sourceConstraint, check.source))
    for message in check.shape_messages:
        report.add(
            (node, SH.resultMessage, _fill(message, variables) if check.fill_shape_messages else message)
        )
    for message in check.messages:
        if message not in check.shape_messages:
            report.add((node, SH.resultMessage, _fill(message, variables)))


def _add_node_result(
    report: Graph, shapes: Graph, holder: Node, focus: Node, path: Node | None, value: Node
) -> None:
    node = _new_result(
        report, holder, SH.NodeConstraintComponent, _severity(shapes, holder), focus, path, value
    )
    messages = list(_messages(shapes, holder))
    for message in messages or [Literal(f"Value does not conform to Shape {shapes.value(holder, SH.node)}")]:
        report.add((node, SH.resultMessage, message))


def _new_result(
    report: Graph,
    shape: Node,
    component: Node,
    severity: Node,
    focus: Node,
    path: Node | None,
    value: Node | None,
) -> BNode:
    node = BNode()
    report_node = next(report.subjects(SH.conforms, None), None)
    if report_node is not None:
        report.add((report_node, SH.result, node))
    report.add((node, RDF.type, SH.ValidationResult))
    report.add((node, SH.sourceShape, shape))
    report.add((node, SH.sourceConstraintComponent, component))
    report.add((node, SH.resultSeverity, severity))
    report.add((node, SH.focusNode, focus))
    if path is not None:
        report.add((node, SH.resultPath, path))
    if value is not None:
        report.add((node, SH.value, value))
    return node


def _fill(message: Literal, variables: dict[str, Node]) -> Literal:
    text = str(message)
    for name, value in variables.items():
        text = re.sub(r"\{[?$]" + re.escape(name) + r"\}", str(value).replace("\\", "\\\\"), text)
    return Literal(text, lang=message.language)


def _copy_path(shapes: Graph, report: Graph, path: Node) -> None:
    """A blank-node property path is copied into the report, where ``read_results`` shows it."""
    for triple in shapes.triples((path, None, None)):
        report.add(triple)
        if isinstance(triple[2], BNode):
            _copy_path(shapes, report, triple[2])


# --- small helpers -------------------------------------------------------------------------------------


def _prologue(shapes: Graph) -> str:
    lines = []
    for declaration in shapes.objects(None, SH.declare):
        prefix, namespace = shapes.value(declaration, SH.prefix), shapes.value(declaration, SH.namespace)
        if prefix is not None and namespace is not None:
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines))) + "\n"


def _messages(shapes: Graph, node: Node) -> Iterable[Literal]:
    return sorted((m for m in shapes.objects(node, SH.message) if isinstance(m, Literal)), key=str)


def _severity(shapes: Graph, shape: Node) -> Node:
    return shapes.value(shape, SH.severity) or SH.Violation


def _deactivated(shapes: Graph, node: Node) -> bool:
    return shacl_core.is_true(shapes.value(node, SH.deactivated))


def _local(iri: Node) -> str:
    return re.split(r"[#/]", str(iri))[-1]
