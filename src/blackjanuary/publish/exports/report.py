"""The companion report: what could not go to Wikidata through QuickStatements, and why."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from blackjanuary.publish.entities import Entity
from blackjanuary.publish.exports.facts import label
from blackjanuary.publish.exports.quickstatements import QsStatement, Skipped


def _term(graph: Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return f"{label(graph, node)} (`{node.rsplit('/', 1)[-1].rsplit('#', 1)[-1]}`)"
    if isinstance(node, Literal):
        return f"`{node}`"
    return str(node)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def render(
    graph: Graph, exported: list[QsStatement], skipped: list[Skipped], entities: Iterable[Entity]
) -> str:
    entities = sorted(entities, key=lambda e: e.key)
    missing = [e for e in entities if not e.qid]
    lines = [
        "# Needs an item: what the QuickStatements export leaves out",
        "",
        f"{len(exported)} statement(s) exported to `quickstatements.v1.txt` / `quickstatements.csv`; "
        f"{len(skipped)} statement(s) listed below. A statement is exported only when its subject and "
        "every item value have a verified Wikidata item and its property has a Wikidata counterpart.",
        "",
        f"## Things without a verified Wikidata item ({len(missing)})",
        "",
        "Match them in Mix'n'match (`mixnmatch.tsv`) or create items; then their statements can follow.",
        "",
        "| key | English | Deutsch |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{e.key}` | {_cell(e.labels.get('en', ''))} | {_cell(e.labels.get('de', ''))} |" for e in missing
    ]
    lines += [
        "",
        f"## Statements not exported ({len(skipped)})",
        "",
        "| statement | subject | property | value | reason |",
        "|---|---|---|---|---|",
    ]
    for item in skipped:
        fact = item.fact
        terms = (fact.subject, fact.predicate, fact.object)
        cells = [f"`{fact.key}`"] + [_cell(_term(graph, n)) for n in terms]
        lines.append("| " + " | ".join([*cells, _cell(item.reason)]) + " |")
    return "\n".join(lines) + "\n"
