"""QuickStatements (V1 and CSV, digest §4) for the facts that fit Wikidata and have verified items.

A fact is exported when its subject has a verified QID (``skos:exactMatch wd:Q…``), its predicate
has a Wikidata property (:mod:`.wikidata_map`), its value is a date, a number, or a thing with a
verified QID, and every qualifier maps as well. Each exported statement carries one reference per
quote: S854 reference URL = our statement's IRI, S1683 quote = the German text, S813 retrieved =
the dataset's ``dcterms:modified``. Everything else becomes a :class:`Skipped` row for the
"needs an item" report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from blackjanuary.publish.exports.facts import Fact
from blackjanuary.publish.exports.wikidata_map import QUOTE, REFERENCE_URL, RETRIEVED, wikidata_property
from blackjanuary.rdf.vocab import INTEGER_TYPES

MAX_TEXT = 1500
"""Longest string Wikidata accepts in a string or monolingual-text value."""


class NotExportableError(ValueError):
    """Why one value or fact cannot be written as QuickStatements."""


@dataclass(frozen=True)
class QsStatement:
    fact: Fact
    subject: str
    pid: str
    value: str
    qualifiers: tuple[tuple[str, str], ...]
    references: tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Skipped:
    fact: Fact
    reason: str


def time_value(literal: Literal) -> str:
    """An xsd date as Wikidata time with precision: ``+1990-01-20T00:00:00Z/11``."""
    text = str(literal)
    sign = "-" if text.startswith("-") else "+"
    text = text.lstrip("-")
    if literal.datatype == XSD.date or literal.datatype == XSD.dateTime:
        return f"{sign}{text[:10]}T00:00:00Z/11"
    if literal.datatype == XSD.gYearMonth:
        return f"{sign}{text[:7]}-00T00:00:00Z/10"
    if literal.datatype == XSD.gYear:
        return f"{sign}{text[:4]}-00-00T00:00:00Z/9"
    raise NotExportableError(f"the date {literal.n3()} has no Wikidata time precision")


def text_value(text: str, lang: str | None = None) -> str:
    flat = " ".join(text.split())
    if '"' in flat:
        raise NotExportableError("the text holds a straight double quote, which QuickStatements cannot carry")
    if len(flat) > MAX_TEXT:
        raise NotExportableError(f"the text is longer than Wikidata's {MAX_TEXT} characters")
    return f'{lang}:"{flat}"' if lang else f'"{flat}"'


def qs_value(node: Node, qids: Mapping[URIRef, str]) -> str:
    if isinstance(node, URIRef):
        if node in qids:
            return qids[node]
        raise NotExportableError(f"<{node}> has no verified Wikidata item")
    if isinstance(node, Literal):
        if node.datatype in (XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth):
            return time_value(node)
        if node.datatype in INTEGER_TYPES:
            return str(int(node))
        if node.datatype == XSD.decimal:
            return str(node)
        if node.language:
            return text_value(str(node), node.language)
        if node.datatype in (None, XSD.string):
            return text_value(str(node))
        raise NotExportableError(f"values of type <{node.datatype}> have no Wikidata equivalent")
    raise NotExportableError("blank nodes cannot be exported")


def plan(
    facts: list[Fact], qids: Mapping[URIRef, str], base_iri: str, retrieved: str | None
) -> tuple[list[QsStatement], list[Skipped]]:
    """Split the facts into exportable statements and the rest, each with its reason."""
    statements: list[QsStatement] = []
    skipped: list[Skipped] = []
    for fact in facts:
        try:
            statements.append(_statement(fact, qids, base_iri, retrieved))
        except NotExportableError as exc:
            skipped.append(Skipped(fact, str(exc)))
    return statements, skipped


def _statement(fact: Fact, qids: Mapping[URIRef, str], base_iri: str, retrieved: str | None) -> QsStatement:
    subject = qids.get(fact.subject)
    if subject is None:
        raise NotExportableError(f"the subject <{fact.subject}> needs a Wikidata item")
    pid = wikidata_property(str(fact.predicate), base_iri)
    if pid is None:
        raise NotExportableError(f"<{fact.predicate}> has no matching Wikidata property")
    value = qs_value(fact.object, qids)
    qualifiers = []
    for predicate, node in fact.qualifiers:
        qpid = wikidata_property(str(predicate), base_iri)
        if qpid is None:
            raise NotExportableError(f"the qualifier <{predicate}> has no matching Wikidata property")
        qualifiers.append((qpid, qs_value(node, qids)))
    if not fact.quotes:
        raise NotExportableError("the statement has no quote to cite")
    references = []
    for quote in fact.quotes:
        snaks = [(REFERENCE_URL, text_value(fact.iri)), (QUOTE, text_value(quote.exact, "de"))]
        if retrieved:
            snaks.append((RETRIEVED, f"+{retrieved}T00:00:00Z/11"))
        references.append(tuple(snaks))
    return QsStatement(fact, subject, pid, value, tuple(qualifiers), tuple(references))


def v1_line(statement: QsStatement) -> str:
    cells = [statement.subject, statement.pid, statement.value]
    for pid, value in statement.qualifiers:
        cells += [pid, value]
    for number, reference in enumerate(statement.references):
        for position, (pid, value) in enumerate(reference):
            marker = "!S" if number > 0 and position == 0 else "S"
            cells += [marker + pid[1:], value]
    return "\t".join(cells)


def render_v1(statements: list[QsStatement]) -> str:
    """One command per line, TAB separated; an empty string when nothing is exportable."""
    return "".join(v1_line(s) + "\n" for s in statements)


def _csv_columns(statement: QsStatement) -> list[str]:
    columns = [statement.pid] + ["qal" + pid[1:] for pid, _ in statement.qualifiers]
    for reference in statement.references:
        columns += [("S" if position == 0 else "s") + pid[1:] for position, (pid, _) in enumerate(reference)]
    return columns


def _csv_cells(statement: QsStatement) -> list[str]:
    cells = [statement.value] + [value for _, value in statement.qualifiers]
    for reference in statement.references:
        cells += [value for _, value in reference]
    return cells


def render_csv(statements: list[QsStatement]) -> str:
    """QuickStatements CSV: ``qid`` then one column group per statement shape; empty cells are skipped."""
    groups: list[tuple[str, ...]] = []
    for statement in statements:
        shape = tuple(_csv_columns(statement))
        if shape not in groups:
            groups.append(shape)
    header = ["qid"] + [column for shape in groups for column in shape]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for statement in statements:
        shape = tuple(_csv_columns(statement))
        row = [statement.subject]
        for group in groups:
            row += _csv_cells(statement) if group == shape else [""] * len(group)
        writer.writerow(row)
    return buffer.getvalue()
