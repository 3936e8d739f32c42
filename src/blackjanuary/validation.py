"""The SHACL gate: the data (+ meta + ontology) against shapes/, with pyshacl, as a ValidationReport.

The data graph is the union of the data, meta and ontology named graphs (the ontology supplies the
class hierarchy, so ``sh:targetClass bj:Statement`` also finds instances of its subclasses). The shapes
use SHACL-SPARQL (targets and constraints), so pyshacl runs with ``advanced=True``; no inference is
needed, which keeps one run of the real data to a few seconds.
"""

from __future__ import annotations

import logging
import time

import pyoxigraph
import pyshacl
from rdflib import Dataset, Graph, Literal

from blackjanuary import dataset as datasets
from blackjanuary.config import CANONICAL_BASE_IRI, Settings
from blackjanuary.errors import DataLoadError
from blackjanuary.validation_report import SourceLocator, ValidationReport, Violation, read_results
from blackjanuary.vocab import Ours, bind_prefixes

log = logging.getLogger(__name__)

DATA_GRAPHS: tuple[str, ...] = ("data", "meta", "ontology")

__all__ = ["ValidationReport", "Violation", "validate", "load_input", "shapes_graph", "data_graph",
           "run_shacl", "to_oxigraph"]


def validate(settings: Settings, dataset: Dataset | None = None) -> ValidationReport:
    """Validate the project's data against its shapes; raises DataLoadError if the input cannot be loaded."""
    if dataset is None:
        dataset = load_input(settings)
    ours = Ours(settings.base_iri)
    data = data_graph(dataset, settings)
    shapes = shapes_graph(dataset, settings)
    if len(shapes) == 0:
        raise DataLoadError(f"{settings.shapes_dir}: no SHACL shapes found (no *.ttl files). "
                            "Restore shapes/ from git or pass --root.")
    files = [f.path for f in datasets.source_files(settings) if f.graph in DATA_GRAPHS]
    locator = SourceLocator(files, root=settings.root, base_iri=settings.base_iri)
    return run_shacl(data, shapes, locator=locator, ours=ours)


def load_input(settings: Settings) -> Dataset:
    """``dataset.load``, after checking that graph/ and shapes/ exist (a clearer error than "no files")."""
    for directory in (settings.graph_dir, settings.shapes_dir):
        if not directory.is_dir():
            raise DataLoadError(f"{directory}: directory not found. Run from the project directory, "
                                "pass --root, or restore it from git.")
    return datasets.load(settings)


def run_shacl(data: Graph, shapes: Graph, *, locator: SourceLocator | None = None,
              ours: Ours | None = None) -> ValidationReport:
    """One pyshacl run over ready-made graphs (tests use it on fixtures)."""
    started = time.perf_counter()
    try:
        conforms, results, text = pyshacl.validate(
            to_oxigraph(data), shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
        )
    except Exception as exc:  # pyshacl raises ShapeLoadError, ConstraintLoadError, ReportableRuntimeError…
        raise DataLoadError(f"shapes/: the SHACL shapes cannot be used: {exc}") from exc
    log.info("SHACL validation of %d triples took %.2f s", len(data), time.perf_counter() - started)
    assert isinstance(results, Graph)
    bind_prefixes(results, ours or Ours())
    violations = read_results(results, shapes, locator=locator)
    return ValidationReport(conforms=bool(conforms), violations=violations, graph=results, text=str(text))


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
            o = Literal(str(o).replace(CANONICAL_BASE_IRI, settings.base_iri),
                        lang=o.language, datatype=o.datatype)
        graph.add((s, p, o))
    return graph

