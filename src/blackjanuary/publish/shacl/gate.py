"""The SHACL gate: the data (+ meta + ontology) against shapes/, with pyshacl, as a ValidationReport.

The data graph is the union of the data, meta and ontology named graphs (the ontology supplies the
class hierarchy, so ``sh:targetClass bj:Statement`` also finds instances of its subclasses). The shapes
use SHACL-SPARQL (targets and constraints), so pyshacl runs with ``advanced=True``; no inference is
needed.

Two engines give the same report: ``pyshacl`` runs everything in pySHACL (the reference; it evaluates
each SPARQL constraint once per focus node, minutes at 10 k triples), ``fast`` (the default) runs each
SPARQL constraint once over the whole graph on Oxigraph (:mod:`blackjanuary.publish.shacl.sparql`) and leaves
only the core constraints to pySHACL, then merges both into one report.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast
from typing import Literal as Choice

import pyoxigraph
import pyshacl
from rdflib import BNode, Dataset, Graph, Literal
from rdflib.namespace import RDF, SH, XSD

from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.errors import DataLoadError
from blackjanuary.publish import sources as datasets
from blackjanuary.publish.shacl import sparql as shacl_sparql
from blackjanuary.publish.shacl.report import SourceLocator, ValidationReport, Violation, read_results
from blackjanuary.rdf.vocab import Ours, bind_prefixes

log = logging.getLogger(__name__)

DATA_GRAPHS: tuple[str, ...] = ("data", "meta", "ontology")
ENGINES: tuple[str, ...] = ("fast", "pyshacl")
Engine = Choice["fast", "pyshacl"]

__all__ = [
    "ENGINES",
    "ValidationReport",
    "Violation",
    "validate",
    "load_input",
    "shapes_graph",
    "data_graph",
    "run_shacl",
    "to_oxigraph",
]


def validate(
    settings: Settings, dataset: Dataset | None = None, *, engine: Engine = "fast"
) -> ValidationReport:
    """Validate the project's data against its shapes; raises DataLoadError if the input cannot be loaded."""
    if dataset is None:
        dataset = load_input(settings)
    ours = Ours(settings.base_iri)
    data = data_graph(dataset, settings)
    shapes = shapes_graph(dataset, settings)
    if len(shapes) == 0:
        raise DataLoadError(
            f"{settings.shapes_dir}: no SHACL shapes found (no *.ttl files). "
            "Restore shapes/ from git or pass --root."
        )
    files = [f.path for f in datasets.source_files(settings) if f.graph in DATA_GRAPHS]
    locator = SourceLocator(files, root=settings.root, base_iri=settings.base_iri)
    return run_shacl(data, shapes, locator=locator, ours=ours, engine=engine)


def load_input(settings: Settings) -> Dataset:
    """``dataset.load``, after checking that graph/ and shapes/ exist (a clearer error than "no files")."""
    for directory in (settings.graph_dir, settings.shapes_dir):
        if not directory.is_dir():
            raise DataLoadError(
                f"{directory}: directory not found. Run from the project directory, "
                "pass --root, or restore it from git."
            )
    return datasets.load(settings)


def run_shacl(
    data: Graph | pyoxigraph.Store,
    shapes: Graph,
    *,
    locator: SourceLocator | None = None,
    ours: Ours | None = None,
    engine: Engine = "fast",
) -> ValidationReport:
    """One validation of ready-made graphs (tests use it on fixtures); ``data`` may already be a Store."""
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
    started = time.perf_counter()
    store = data if isinstance(data, pyoxigraph.Store) else to_oxigraph(data)
    if engine == "pyshacl":
        conforms, results, text = _pyshacl(store, shapes)
    else:
        try:
            plan = shacl_sparql.plan(shapes)
        except ValueError as exc:
            raise DataLoadError(f"shapes/: the SHACL-SPARQL constraints cannot be used: {exc}") from exc
        if shacl_sparql.has_constraints(plan.core_shapes):
            conforms, results, text = _pyshacl(store, plan.core_shapes)
        else:  # every constraint is evaluated on Oxigraph: pySHACL has nothing left to do
            conforms, results, text = True, _empty_report(), ""
        core_done = time.perf_counter()
        try:
            sparql_conforms = shacl_sparql.evaluate(store, plan, results, results)
        except (OSError, SyntaxError) as exc:  # pyoxigraph reports a bad query as SyntaxError
            raise DataLoadError(f"shapes/: a SHACL-SPARQL constraint cannot be evaluated: {exc}") from exc
        log.info(
            "SHACL: core constraints (pySHACL) %.2f s, %d SPARQL constraints (Oxigraph) %.2f s",
            core_done - started,
            len(plan.checks),
            time.perf_counter() - core_done,
        )
        conforms = conforms and sparql_conforms
        for report in results.subjects(SH.conforms, None):
            results.set((report, SH.conforms, Literal(conforms, datatype=XSD.boolean)))
        text = _text(conforms, results)
    log.info(
        "SHACL validation (%s) of %d triples took %.2f s", engine, len(store), time.perf_counter() - started
    )
    bind_prefixes(results, ours or Ours())
    violations = read_results(results, shapes, locator=locator)
    return ValidationReport(conforms=conforms, violations=violations, graph=results, text=text)


def _empty_report() -> Graph:
    graph = Graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(True, datatype=XSD.boolean)))
    return graph


def _text(conforms: bool, results: Graph) -> str:
    """A short text summary in pySHACL's manner (the results themselves are in the graph and violations)."""
    count = sum(1 for _ in results.subjects(RDF.type, SH.ValidationResult))
    return f"Validation Report\nConforms: {conforms}\nResults ({count}):\n"


def _pyshacl(store: pyoxigraph.Store, shapes: Graph) -> tuple[bool, Graph, str]:
    try:
        conforms, results, text = pyshacl.validate(
            cast(Any, store),  # pySHACL reads it through rdflib's store plugin; its stubs list rdflib types
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
    except Exception as exc:  # pyshacl raises ShapeLoadError, ConstraintLoadError, ReportableRuntimeError…
        raise DataLoadError(f"shapes/: the SHACL shapes cannot be used: {exc}") from exc
    assert isinstance(results, Graph)
    return bool(conforms), results, str(text)


def to_oxigraph(graph: Graph) -> pyoxigraph.Store:
    """pyshacl runs its SPARQL on Oxigraph when handed a Store: several times faster than on rdflib,
    which parses every constraint's query again for every focus node."""
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def data_graph(dataset: Dataset, settings: Settings) -> Graph:
    """The union of the data, meta and ontology named graphs as one plain graph."""
    graph = Graph()
    bind_prefixes(graph, Ours(settings.base_iri))
    for name in DATA_GRAPHS:
        for triple in datasets.graph_of(dataset, name, settings):
            graph.add(triple)
    return graph


def shapes_graph(dataset: Dataset, settings: Settings) -> Graph:
    """The shapes named graph, with the canonical base rewritten inside literals too.

    ``dataset.load`` rewrites IRIs; the namespaces in ``sh:declare`` and the IRIs inside SPARQL text are
    literals, so they are rewritten here, which keeps the shapes files base-independent.
    """
    graph = Graph()
    bind_prefixes(graph, Ours(settings.base_iri))
    rebase = settings.base_iri != CANONICAL_BASE_IRI
    for s, p, o in datasets.graph_of(dataset, "shapes", settings):
        if rebase and isinstance(o, Literal) and CANONICAL_BASE_IRI in o:
            o = Literal(
                str(o).replace(CANONICAL_BASE_IRI, settings.base_iri), lang=o.language, datatype=o.datatype
            )
        graph.add((s, p, o))
    return graph
