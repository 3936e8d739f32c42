"""Exports for Wikidata-style projects: Mix'n'match, QuickStatements, Wikibase-shaped RDF.

:func:`write_exports` writes every export file into one directory, deterministically (same input,
same bytes); the build calls it so the files land in ``dist/`` and under ``/downloads``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from blackjanuary.config import Settings
from blackjanuary.publish.entities import entities_from_graph
from blackjanuary.publish.exports import mixnmatch, quickstatements, report
from blackjanuary.publish.exports.facts import dataset_modified, plain_graph, read_facts, verified_qids
from blackjanuary.publish.exports.wikibase_rdf import GRAPH_NAME, wikibase_graph, wikibase_graph_iri
from blackjanuary.rdf.vocab import Ours

log = logging.getLogger(__name__)

EXPORT_FILES: tuple[str, ...] = (
    "mixnmatch.tsv",
    "quickstatements.v1.txt",
    "quickstatements.csv",
    "needs-an-item.md",
    "wikibase.ttl",
)

EXPORT_KINDS: dict[str, tuple[str, str]] = {
    "mixnmatch.tsv": ("text/tab-separated-values", "Mix'n'match catalog (TSV: id, name, desc, url, type, q)"),
    "quickstatements.v1.txt": ("text/plain", "QuickStatements V1 commands for facts with verified items"),
    "quickstatements.csv": ("text/csv", "QuickStatements CSV for facts with verified items"),
    "needs-an-item.md": ("text/markdown", "Things and facts that need a Wikidata item first"),
    "wikibase.ttl": ("text/turtle", "The statements in Wikibase's RDF shape (p:/ps:/pq:/pr: layout)"),
}
"""Media type and a one-line description of each export file, for the manifest and /downloads."""


@dataclass(frozen=True)
class Exports:
    """Every export as text, keyed by file name."""

    files: dict[str, str]


def render_exports(settings: Settings, dataset: Graph) -> Exports:
    ours = Ours(settings.base_iri)
    dataset = plain_graph(dataset)
    entities = entities_from_graph(dataset, ours)
    facts = read_facts(dataset, ours)
    statements, skipped = quickstatements.plan(
        facts, verified_qids(dataset), settings.base_iri, dataset_modified(dataset, ours)
    )
    return Exports(
        {
            "mixnmatch.tsv": mixnmatch.render(entities, settings.base_iri),
            "quickstatements.v1.txt": quickstatements.render_v1(statements),
            "quickstatements.csv": quickstatements.render_csv(statements),
            "needs-an-item.md": report.render(dataset, statements, skipped, entities),
            "wikibase.ttl": render_wikibase(dataset, settings),
        }
    )


def render_wikibase(dataset: Graph, settings: Settings) -> str:
    return wikibase_graph(dataset, settings).serialize(format="turtle")


def write_exports(settings: Settings, dataset: Graph, out_dir: Path) -> list[Path]:
    """Write :data:`EXPORT_FILES` into ``out_dir`` (created if needed); returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_exports(settings, dataset).files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    log.info("wrote %d export files to %s", len(written), out_dir)
    return written


__all__ = [
    "EXPORT_FILES",
    "EXPORT_KINDS",
    "GRAPH_NAME",
    "render_exports",
    "write_exports",
    "wikibase_graph",
    "wikibase_graph_iri",
]
