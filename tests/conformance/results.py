"""Query results as plain values, read from every format, and compared by the suites' rules.

A SELECT answer is a list of rows (variable → term), an ASK answer a boolean, a CONSTRUCT/DESCRIBE
answer an rdflib graph. Terms are tuples: ``("uri", iri)``, ``("bnode", label)``,
``("literal", lexical, datatype, lang)``; CSV cells (which lose the term kind) are ``("csv", text)``.

The rules (SPARQL 1.1 test suite): rows are a bag unless the query orders them; blank nodes match
under one consistent bijection across the whole answer; graphs match when isomorphic; CSV is compared
in its lossy form, each expected term reduced to the text CSV would carry.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib import BNode as RdfBNode
from rdflib.compare import isomorphic
from rdflib.term import Node

RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

Term = tuple[str, ...]
Row = dict[str, Term]


@dataclass
class Solutions:
    variables: list[str]
    rows: list[Row]
    order_known: bool = True
    """False for an RDF result set without ``rs:index``: its rows are a set, whatever the query."""


@dataclass
class Boolean:
    value: bool


@dataclass
class GraphAnswer:
    graph: Graph


Answer = Solutions | Boolean | GraphAnswer


# Terms ------------------------------------------------------------------------------------------------


XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {
    XSD + name
    for name in (
        "integer",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
    )
}
ZONED = {
    XSD + name for name in ("date", "dateTime", "time", "gYear", "gYearMonth", "gMonthDay", "gDay", "gMonth")
}


def canonical(value: str, datatype: str) -> str:
    """The canonical lexical form of numeric and zoned date/time literals (the engine stores values,
    not lexical forms: ``"01"^^xsd:integer`` comes back as ``"1"``); other literals as written."""
    try:
        if datatype in INTEGERS:
            return str(int(value.strip()))
        if datatype == XSD + "decimal":
            number = Decimal(value.strip())
            return format(number.normalize(), "f") if number.is_finite() else value
        if datatype in (XSD + "double", XSD + "float"):
            return repr(float(value.strip()))
    except (ValueError, ArithmeticError):
        return value
    if datatype in ZONED and value.endswith(("+00:00", "-00:00")):
        return value[:-6] + "Z"
    return value


def literal(value: str, datatype: str | None, lang: str | None) -> Term:
    if lang:
        return ("literal", value, RDF_LANG_STRING, lang.lower())
    datatype = datatype or XSD_STRING
    return ("literal", canonical(value, datatype), datatype, "")


def from_ox(term: object) -> Term:
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, ox.Literal):
        return literal(term.value, term.datatype.value, term.language)
    raise TypeError(f"unsupported term {term!r}")


def from_rdflib(term: Node) -> Term:
    if isinstance(term, URIRef):
        return ("uri", str(term))
    if isinstance(term, RdfBNode):
        return ("bnode", str(term))
    if isinstance(term, Literal):
        return literal(str(term), str(term.datatype) if term.datatype else None, term.language)
    raise TypeError(f"unsupported term {term!r}")


def csv_text(term: Term | None) -> Term | None:
    """The lossy CSV form of a term (SPARQL 1.1 CSV: IRIs and literals as their text, no kind; an
    empty string reads as unbound)."""
    if term is None or term[1] == "":
        return None
    if term[0] == "bnode":
        return term
    return csv_cell(term[1])


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(text: str) -> Term:
    """A CSV cell's text; numbers as their value (CSV drops the datatype, so ``1.0E6`` ≡ ``1000000``)."""
    if _NUMBER.fullmatch(text):
        return ("csv", str(Decimal(text).normalize()))
    return ("csv", text)


# Reading answers --------------------------------------------------------------------------------------

RESULT_FORMATS = {
    "srx": ox.QueryResultsFormat.XML,
    "srj": ox.QueryResultsFormat.JSON,
    "tsv": ox.QueryResultsFormat.TSV,
}


def from_ox_results(result: object) -> Answer:
    """A pyoxigraph query answer (from ``Store.query`` or ``parse_query_results``)."""
    if isinstance(result, ox.QueryBoolean):
        return Boolean(bool(result))
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows = [
            {n: from_ox(t) for n, t in zip(names, solution, strict=True) if t is not None}
            for solution in result
        ]
        return Solutions(names, rows)
    graph = Graph()
    for triple in result:  # type: ignore[attr-defined]
        graph.add(tuple(_to_rdflib(t) for t in (triple.subject, triple.predicate, triple.object)))  # type: ignore[arg-type]
    return GraphAnswer(graph)


def _to_rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return RdfBNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == XSD_STRING else URIRef(datatype))


ASK_IN_TSV = {b"?_askResult\ntrue\n": True, b"?_askResult\nfalse\n": False}
"""W3C defines no ASK answer in CSV/TSV; the endpoint writes Jena's form (``_askResult``)."""


def parse_results(data: bytes, extension: str) -> Answer:
    """A SELECT/ASK answer in SPARQL Results XML (srx), JSON (srj), TSV or CSV."""
    if extension == "csv":
        return parse_csv(data)
    if extension == "tsv" and data in ASK_IN_TSV:
        return Boolean(ASK_IN_TSV[data])
    return from_ox_results(ox.parse_query_results(data, format=RESULT_FORMATS[extension]))


def parse_csv(data: bytes) -> Answer:
    """SPARQL 1.1 CSV: a header of variable names, then one record per row (CRLF, RFC 4180 quoting)."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    if not records:
        raise ValueError("an empty CSV document (no header)")
    header = records[0]
    if header == ["_askResult"] and len(records) == 2 and records[1] in (["true"], ["false"]):
        return Boolean(records[1] == ["true"])
    rows: list[Row] = []
    for record in records[1:]:
        if record == [] and len(header) == 1:
            record = [""]  # one unbound (or empty) column: an empty line is one empty field
        if len(record) != len(header):
            raise ValueError(f"a CSV record has {len(record)} fields, the header {len(header)}: {record!r}")
        row: Row = {}
        for name, text in zip(header, record, strict=True):
            if text.startswith("_:"):
                row[name] = ("bnode", text[2:])
            elif text:
                row[name] = csv_cell(text)
        rows.append(row)
    return Solutions(header, rows)


def parse_graph(data: bytes, rdflib_format: str, base: str | None = None) -> Graph:
    graph = Graph()
    graph.parse(data=data, format=rdflib_format, publicID=base)
    return graph


GRAPH_EXTENSIONS = {"ttl": "turtle", "rdf": "xml", "nt": "nt"}


def read_expected(path: Path, iri: str) -> Answer:
    """The expected answer of a query test: a results file, an RDF result set, or a graph."""
    extension = path.suffix.lstrip(".")
    data = path.read_bytes()
    if extension in RESULT_FORMATS or extension == "csv":
        return parse_results(data, extension)
    graph = parse_graph(data, GRAPH_EXTENSIONS[extension], iri)
    result_set = graph.value(None, RDF.type, RS.ResultSet)
    if result_set is None:
        return GraphAnswer(graph)
    return _result_set(graph, result_set)


def _result_set(graph: Graph, node: Node) -> Answer:
    """The DAWG RDF vocabulary for results (``rs:ResultSet``), used by the SPARQL 1.0 suite."""
    boolean = graph.value(node, RS.boolean)
    if boolean is not None:
        return Boolean(bool(boolean.toPython()) if isinstance(boolean, Literal) else False)
    variables = [str(v) for v in graph.objects(node, RS.resultVariable)]
    solutions = []
    for solution in graph.objects(node, RS.solution):
        row: Row = {}
        for binding in graph.objects(solution, RS.binding):
            name = graph.value(binding, RS.variable)
            value = graph.value(binding, RS.value)
            if name is not None and value is not None:
                row[str(name)] = from_rdflib(value)
        index = graph.value(solution, RS.index)
        solutions.append((int(index) if index is not None else None, row))
    indexed = bool(solutions) and all(i is not None for i, _ in solutions)
    if indexed:
        solutions.sort(key=lambda pair: pair[0])  # type: ignore[arg-type, return-value]
    return Solutions(sorted(variables), [row for _, row in solutions], order_known=indexed)


# Comparing --------------------------------------------------------------------------------------------

_COMMENTS_AND_STRINGS = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


def is_ordered(query: str) -> bool:
    """Whether the answer is a sequence: the query has an ORDER BY (outside comments and strings)."""
    return re.search(r"\bORDER\s+BY\b", _COMMENTS_AND_STRINGS.sub(" ", query), re.IGNORECASE) is not None


def as_csv(answer: Answer) -> Answer:
    if isinstance(answer, Solutions):
        rows = [{k: c for k, v in row.items() if (c := csv_text(v)) is not None} for row in answer.rows]
        return Solutions(answer.variables, rows, answer.order_known)
    return answer


def _distinct(rows: Sequence[Row]) -> list[Row]:
    seen: set[frozenset[tuple[str, Term]]] = set()
    kept = []
    for row in rows:
        key = frozenset(row.items())
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def compare(expected: Answer, actual: Answer, *, ordered: bool, lax: bool = False) -> str | None:
    """``None`` when ``actual`` matches ``expected``; otherwise what differs, in one line.

    ``lax`` (the suite's ``mf:LaxCardinality``, for REDUCED): duplicates may be dropped, so rows are
    compared as sets and the answer may hold from the distinct count up to the expected count of rows.
    """
    if lax and isinstance(expected, Solutions) and isinstance(actual, Solutions):
        least, most = len(_distinct(expected.rows)), len(expected.rows)
        if not least <= len(actual.rows) <= most:
            return f"expected {least} to {most} rows, got {len(actual.rows)}"
        expected = Solutions(expected.variables, _distinct(expected.rows), expected.order_known)
        actual = Solutions(actual.variables, _distinct(actual.rows), actual.order_known)
    if isinstance(expected, Boolean):
        if not isinstance(actual, Boolean):
            return f"expected a boolean, got {type(actual).__name__}"
        return None if expected.value == actual.value else f"expected {expected.value}, got {actual.value}"
    if isinstance(expected, GraphAnswer):
        if not isinstance(actual, GraphAnswer):
            return f"expected a graph, got {type(actual).__name__}"
        if isomorphic(expected.graph, actual.graph):
            return None
        return f"graphs differ: expected {len(expected.graph)} triples, got {len(actual.graph)}"
    if not isinstance(actual, Solutions):
        return f"expected solutions, got {type(actual).__name__}"
    ordered = ordered and expected.order_known
    if len(expected.rows) != len(actual.rows):
        return f"expected {len(expected.rows)} rows, got {len(actual.rows)}"
    if not rows_match(expected.rows, actual.rows, ordered=ordered):
        return f"rows differ ({'in order' if ordered else 'as a bag'}): " + _first_difference(
            expected.rows, actual.rows
        )
    return None


def _first_difference(expected: Sequence[Row], actual: Sequence[Row]) -> str:
    def plain(rows: Sequence[Row]) -> Counter[frozenset[tuple[str, Term]]]:
        return Counter(frozenset((k, _shape(v)) for k, v in row.items()) for row in rows)

    missing = plain(expected) - plain(actual)
    extra = plain(actual) - plain(expected)
    if not missing and not extra:
        return "the same rows in another order (or blank nodes shared differently)"
    show = [_row_text(dict(r)) for r in list(missing)[:1]] + [_row_text(dict(r)) for r in list(extra)[:1]]
    return f"missing {show[0] if missing else '-'}; unexpected {show[-1] if extra else '-'}"


def _row_text(row: dict[str, Term]) -> str:
    return "{" + ", ".join(f"{k}={'|'.join(v[1:])}" for k, v in sorted(row.items())) + "}"


def _shape(term: Term) -> Term:
    return ("bnode",) if term[0] == "bnode" else term


def rows_match(expected: Sequence[Row], actual: Sequence[Row], *, ordered: bool) -> bool:
    """Bag (or sequence) equality of rows up to one blank-node bijection over the whole answer."""
    shapes_e = [frozenset((k, _shape(v)) for k, v in row.items()) for row in expected]
    shapes_a = [frozenset((k, _shape(v)) for k, v in row.items()) for row in actual]
    if ordered and shapes_e != shapes_a:
        return False
    if not ordered and Counter(shapes_e) != Counter(shapes_a):
        return False
    has_bnodes = any(t[0] == "bnode" for row in (*expected, *actual) for t in row.values())
    if not has_bnodes:
        return True
    return _match_bnodes(list(expected), list(actual), ordered)


def _match_bnodes(expected: list[Row], actual: list[Row], ordered: bool) -> bool:
    budget = [200_000]

    def extend(mapping: dict[str, str], row_e: Row, row_a: Row) -> dict[str, str] | None:
        if row_e.keys() != row_a.keys():
            return None
        new = dict(mapping)
        used = set(new.values())
        for key, term_e in row_e.items():
            term_a = row_a[key]
            if term_e[0] != "bnode" or term_a[0] != "bnode":
                if term_e != term_a:
                    return None
                continue
            bound = new.get(term_e[1])
            if bound is None:
                if term_a[1] in used:
                    return None
                new[term_e[1]] = term_a[1]
                used.add(term_a[1])
            elif bound != term_a[1]:
                return None
        return new

    def search(i: int, mapping: dict[str, str], free: list[bool]) -> bool:
        budget[0] -= 1
        if budget[0] < 0:
            return False
        if i == len(expected):
            return True
        candidates = [i] if ordered else [j for j, f in enumerate(free) if f]
        for j in candidates:
            new = extend(mapping, expected[i], actual[j])
            if new is None:
                continue
            free[j] = False
            if search(i + 1, new, free):
                return True
            free[j] = True
        return False

    return search(0, {}, [True] * len(actual))
