"""Formats as values: every media type the publisher reads or writes is declared here, once.

>>> by_extension("ttl").media_type
'text/turtle'
>>> by_media_type("application/n-triples; charset=utf-8").name
'ntriples'
>>> by_media_type("text/unknown") is None
True
>>> [f.extension for f in RDF_DATASET_FORMATS]
['trig', 'nq']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["graph", "dataset", "results", "document"]


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    kind: Kind
    label: str
    rdflib_name: str | None = None
    w3c_iri: str | None = None
    """The format's IRI in the W3C registry http://www.w3.org/ns/formats/ (for VoID and SD)."""
    aliases: tuple[str, ...] = ()
    """Other media types clients send for the same thing (accepted, never produced)."""

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value (with a charset for text formats)."""
        if self.media_type in ("application/rdf+xml", "application/sparql-results+xml"):
            return self.media_type + "; charset=utf-8"
        if self.media_type.startswith("text/") or self.media_type.endswith("json"):
            return self.media_type + "; charset=utf-8"
        return self.media_type


_W3C = "http://www.w3.org/ns/formats/"

TURTLE = Format(
    "turtle", "text/turtle", "ttl", "graph", "Turtle", "turtle", _W3C + "Turtle", ("application/x-turtle",)
)
NTRIPLES = Format(
    "ntriples",
    "application/n-triples",
    "nt",
    "graph",
    "N-Triples",
    "nt11",
    _W3C + "N-Triples",
    ("text/plain",),
)
JSONLD = Format("jsonld", "application/ld+json", "jsonld", "graph", "JSON-LD", "json-ld", _W3C + "JSON-LD")
RDFXML = Format("rdfxml", "application/rdf+xml", "rdf", "graph", "RDF/XML", "xml", _W3C + "RDF_XML")
TRIG = Format("trig", "application/trig", "trig", "dataset", "TriG", "trig", _W3C + "TriG")
NQUADS = Format("nquads", "application/n-quads", "nq", "dataset", "N-Quads", "nquads", _W3C + "N-Quads")

SPARQL_JSON = Format(
    "json",
    "application/sparql-results+json",
    "srj",
    "results",
    "SPARQL Results JSON",
    "json",
    _W3C + "SPARQL_Results_JSON",
    ("application/json",),
)
SPARQL_XML = Format(
    "xml",
    "application/sparql-results+xml",
    "srx",
    "results",
    "SPARQL Results XML",
    "xml",
    _W3C + "SPARQL_Results_XML",
    ("application/xml", "text/xml"),
)
SPARQL_CSV = Format(
    "csv", "text/csv", "csv", "results", "SPARQL Results CSV", "csv", _W3C + "SPARQL_Results_CSV"
)
SPARQL_TSV = Format(
    "tsv",
    "text/tab-separated-values",
    "tsv",
    "results",
    "SPARQL Results TSV",
    "tsv",
    _W3C + "SPARQL_Results_TSV",
)

HTML = Format("html", "text/html", "html", "document", "HTML")
JSON = Format("json-doc", "application/json", "json", "document", "JSON")

RDF_GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
RDF_DATASET_FORMATS: tuple[Format, ...] = (TRIG, NQUADS)
RDF_FORMATS: tuple[Format, ...] = RDF_GRAPH_FORMATS + RDF_DATASET_FORMATS
RESULT_FORMATS: tuple[Format, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
ALL_FORMATS: tuple[Format, ...] = RDF_FORMATS + RESULT_FORMATS + (HTML, JSON)

_BY_MEDIA_TYPE: dict[str, Format] = {}
for _fmt in ALL_FORMATS:
    for _mt in (_fmt.media_type, *_fmt.aliases):
        _BY_MEDIA_TYPE.setdefault(_mt, _fmt)
_BY_EXTENSION: dict[str, Format] = {f.extension: f for f in ALL_FORMATS}


def by_media_type(value: str) -> Format | None:
    """The format for a media type, ignoring parameters and case; ``None`` if unknown."""
    return _BY_MEDIA_TYPE.get(value.split(";", 1)[0].strip().lower())


def by_extension(extension: str) -> Format | None:
    """The format for a file extension without the dot (``ttl``, ``nt``, ``jsonld``, ``rdf`` …)."""
    return _BY_EXTENSION.get(extension.lower().lstrip("."))


def by_name(name: str, candidates: tuple[Format, ...] = ALL_FORMATS) -> Format | None:
    """Look a format up by short name, extension or media type (the ``format=`` parameter)."""
    wanted = name.strip().lower()
    for fmt in candidates:
        if wanted in (fmt.name, fmt.extension, fmt.media_type, *fmt.aliases):
            return fmt
    return None
