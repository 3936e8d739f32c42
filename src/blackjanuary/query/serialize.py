"""Streaming serializers for SPARQL results from pyoxigraph terms, plus term conversion to rdflib.

SELECT results are written row by row (so the engine can be stopped between rows, and large results
stream); ASK and graph results are small or bounded and written in one go. Output follows the W3C
SPARQL 1.1 Query Results JSON, XML, CSV and TSV formats.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from blackjanuary.rdf.formats import (
    RDFXML,
    SPARQL_CSV,
    SPARQL_JSON,
    SPARQL_TSV,
    SPARQL_XML,
    TRIG,
    TURTLE,
    Format,
)
from blackjanuary.rdf.oxigraph import RDF_FORMAT_OF, used_prefixes

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

# Row writers -------------------------------------------------------------------------------------------

_quote = json.encoder.encode_basestring  # C-accelerated, keeps non-ASCII


def _json_term(term: object) -> str:
    """One RDF term as a SPARQL JSON binding object, written directly (the hot path of SELECT)."""
    kind = type(term)
    if kind is ox.NamedNode:
        return '{"type":"uri","value":' + _quote(term.value) + "}"  # type: ignore[attr-defined]
    if kind is ox.Literal:
        language = term.language  # type: ignore[attr-defined]
        value = _quote(term.value)  # type: ignore[attr-defined]
        if language:
            return '{"type":"literal","value":' + value + ',"xml:lang":' + _quote(language) + "}"
        datatype = term.datatype.value  # type: ignore[attr-defined]
        if datatype == XSD_STRING:
            return '{"type":"literal","value":' + value + "}"
        return '{"type":"literal","value":' + value + ',"datatype":' + _quote(datatype) + "}"
    if kind is ox.BlankNode:
        return '{"type":"bnode","value":' + _quote(term.value) + "}"  # type: ignore[attr-defined]
    return '{"type":"triple","value":' + _quote(str(term)) + "}"


def _xml_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value == XSD_STRING:
            return f"<literal>{escape(term.value)}</literal>"
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_value(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        text = "_:" + term.value
    elif isinstance(term, (ox.NamedNode, ox.Literal)):
        text = term.value
    else:
        text = str(term)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_value(term: object) -> str:
    if term is None:
        return ""
    if (
        isinstance(term, ox.Literal)
        and term.datatype.value == XSD_INTEGER
        and term.value.lstrip("+-").isdigit()
    ):
        return term.value
    return str(term).replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class SelectWriter:
    """Writes the head, one row at a time, and the tail of a SELECT result in one format."""

    def __init__(self, fmt: Format, variables: Sequence[str]) -> None:
        self.fmt = fmt
        self.variables = list(variables)
        self._first = True
        self._json_keys = [_quote(n) + ":" for n in self.variables]

    def head(self) -> str:
        names = self.variables
        if self.fmt is SPARQL_JSON:
            return '{"head":{"vars":' + json.dumps(names) + '},"results":{"bindings":['
        if self.fmt is SPARQL_XML:
            head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
            return (
                '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head>{head}</head><results>"
            )
        if self.fmt is SPARQL_CSV:
            return ",".join(names) + "\r\n"
        if self.fmt is SPARQL_TSV:
            return "\t".join("?" + n for n in names) + "\n"
        raise ValueError(f"{self.fmt.label} is not a SELECT result format")

    def row(self, values: Sequence[object]) -> str:
        if self.fmt is SPARQL_JSON:
            text = (
                "{"
                + ",".join(
                    key + _json_term(v)
                    for key, v in zip(self._json_keys, values, strict=True)
                    if v is not None
                )
                + "}"
            )
            if self._first:
                self._first = False
                return text
            return "," + text
        if self.fmt is SPARQL_XML:
            cells = "".join(
                f"<binding name={quoteattr(n)}>{_xml_term(v)}</binding>"
                for n, v in zip(self.variables, values, strict=True)
                if v is not None
            )
            return f"<result>{cells}</result>"
        if self.fmt is SPARQL_CSV:
            return ",".join(_csv_value(v) for v in values) + "\r\n"
        return "\t".join(_tsv_value(v) for v in values) + "\n"

    def tail(self) -> str:
        if self.fmt is SPARQL_JSON:
            return "]}}"
        if self.fmt is SPARQL_XML:
            return "</results></sparql>\n"
        return ""


def boolean_result(fmt: Format, value: bool) -> bytes:
    word = "true" if value else "false"
    if fmt is SPARQL_JSON:
        return ('{"head":{},"boolean":' + word + "}").encode()
    if fmt is SPARQL_XML:
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{word}</boolean></sparql>\n"
        ).encode()
    if fmt is SPARQL_CSV:
        return f"_askResult\r\n{word}\r\n".encode()
    return f"?_askResult\n{word}\n".encode()


def graph_result(fmt: Format, triples: Sequence[ox.Triple], prefixes: dict[str, str]) -> bytes:
    """Serialize CONSTRUCT/DESCRIBE triples; dataset formats put them in the default graph."""
    rdf_format = RDF_FORMAT_OF[fmt.name]
    if fmt is RDFXML:
        triples = [ox.Triple(_xml_node(t.subject), t.predicate, _xml_node(t.object)) for t in triples]  # type: ignore[arg-type]
    items: Iterable[ox.Triple] | Iterable[ox.Quad] = triples
    if fmt.kind == "dataset":
        items = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    use_prefixes = used_prefixes(prefixes, triples) if fmt in (TURTLE, TRIG, RDFXML) else None
    return ox.serialize(items, format=rdf_format, prefixes=use_prefixes) or b""


def _xml_node(term: object) -> object:
    """A blank node whose label cannot be an ``rdf:nodeID`` (an XML NCName starts with a letter or
    ``_``), renamed stably: ``BNODE("0b")`` made Oxigraph write ``rdf:nodeID="0b"``, which no parser reads."""
    if isinstance(term, ox.BlankNode) and not (term.value[:1].isalpha() or term.value[:1] == "_"):
        return ox.BlankNode("b" + hashlib.sha256(term.value.encode("utf-8")).hexdigest()[:32])
    return term
