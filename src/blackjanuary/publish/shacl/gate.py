"""The SHACL gate: the data (+ meta + ontology) against shapes/, as a ValidationReport.

The data graph is the union of the data, meta and ontology named graphs (the ontology supplies the
class hierarchy, so ``sh:targetClass bj:Statement`` also finds instances of its subclasses). The shapes
use SHACL-SPARQL (targets, constraints and a SPARQL-based constraint component), so the engine runs with
``advanced=True``; no inference is needed.

Two engines with pySHACL's interface give the same report (docs/adr/0012-shacl-engine.md):
``pyshacl-turbo`` (the default: pySHACL's semantics in Rust, with its own SPARQL engine; seconds where
pySHACL needs minutes) and ``pyshacl`` (the reference). Both read the data from an Oxigraph store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast
from typing import Literal as Choice

import pyoxigraph
import pyshacl
import pyshacl_turbo
from rdflib import Dataset, Graph, Literal
from rdflib.namespace import SH, XSD

from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.errors import DataLoadError
from blackjanuary.publish import sources as datasets
from blackjanuary.publish.shacl.report import SourceLocator, ValidationReport, Violation, read_results
from blackjanuary.rdf.vocab import Ours, bind_prefixes

log = logging.getLogger(__name__)

DATA_GRAPHS: tuple[str, ...] = ("data", "meta", "ontology")
ENGINES: tuple[str, ...] = ("pyshacl-turbo", "pyshacl")
Engine = Choice["pyshacl-turbo", "pyshacl"]
VALIDATORS: dict[str, Callable[..., tuple[Any, Any, Any]]] = {
    "pyshacl-turbo": pyshacl_turbo.validate,
    "pyshacl": pyshacl.validate,
}

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
    settings: Settings, dataset: Dataset | None = None, *, engine: Engine = "pyshacl-turbo"
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
    engine: Engine = "pyshacl-turbo",
) -> ValidationReport:
    """One validation of ready-made graphs (tests use it on fixtures); ``data`` may already be a Store."""
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r}: use one of {', '.join(ENGINES)}")
    started = time.perf_counter()
    store = data if isinstance(data, pyoxigraph.Store) else to_oxigraph(data)
    try:
        _, results, text = VALIDATORS[engine](
            cast(Any, store),  # both read it as a graph (pySHACL through rdflib's Oxigraph store plugin)
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
    except Exception as exc:  # ShapeLoadError, ConstraintLoadError, ReportableRuntimeError, a SPARQL error…
        raise DataLoadError(f"shapes/: the SHACL shapes cannot be used: {exc}") from exc
    assert isinstance(results, Graph)
    log.info(
        "SHACL validation (%s) of %d triples took %.2f s", engine, len(store), time.perf_counter() - started
    )
    bind_prefixes(results, ours or Ours())
    violations = read_results(results, shapes, locator=locator)
    # The gate's rule, whichever engine ran: only a result of severity sh:Violation fails it (pySHACL's
    # allow_warnings judges by shape, so a Warning node shape would excuse its property shapes' results).
    conforms = not any(v.severity == "Violation" for v in violations)
    for report in results.subjects(SH.conforms, None):
        results.set((report, SH.conforms, Literal(conforms, datatype=XSD.boolean)))
    return ValidationReport(conforms=conforms, violations=violations, graph=results, text=str(text))


def to_oxigraph(graph: Graph) -> pyoxigraph.Store:
    """The data as an Oxigraph store: pyshacl-turbo reads it natively, and pySHACL runs its SPARQL on it
    several times faster than on rdflib, which parses every query again for every focus node."""
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
