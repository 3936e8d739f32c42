"""Writing a Triple Pattern Fragment in an RDF format: its data, and its metadata and controls.

In TriG and N-Quads the data are the default graph and the metadata and controls sit in the graph
``<page#metadata>``; JSON-LD carries the same named graph; Turtle and N-Triples, which have no graphs,
carry all three in one graph (see ``web/fragments.py``).

The text is put together from Oxigraph's writing of three parts, each sorted: the page's data, the
page's metadata (about a dozen triples) and the controls, which are the same on every page of a
deployment and so are written once. Writing them as one list of quads instead
cost a fifth of a fragment's time: a quad made in Python for every triple, and the prefix scan of all
of them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pyoxigraph as ox

from blackjanuary.publish.dumps import compact_jsonld
from blackjanuary.rdf.formats import JSONLD, NQUADS, NTRIPLES, TRIG, TURTLE, Format
from blackjanuary.rdf.oxigraph import used_prefixes

FOAF_PRIMARY_TOPIC = "http://xmlns.com/foaf/0.1/primaryTopic"


def write(
    fmt: Format,
    data: Sequence[ox.Triple],
    meta: Sequence[ox.Triple],
    controls: tuple[ox.Triple, ...],
    page_iri: str,
    known: dict[str, str],
) -> bytes:
    """The fragment in ``fmt``: ``data``, then ``meta`` and ``controls`` (in the graph
    ``<page_iri#metadata>``, which says it is about the page, where the format has graphs).
    ``known``: the prefixes a Turtle or TriG header may declare (those used are)."""
    named = ox.NamedNode(page_iri + "#metadata")
    if fmt is NTRIPLES:
        return _ntriples(data) + _ntriples(meta) + _controls_ntriples(controls)
    if fmt is not TURTLE:  # the graph says what it is about
        meta = [ox.Triple(named, ox.NamedNode(FOAF_PRIMARY_TOPIC), ox.NamedNode(page_iri)), *meta]
    if fmt is NQUADS:  # an N-Triples line ends " .\n", and holds no other line break
        in_graph = f" {named} .\n".encode()
        meta_lines = _ntriples(meta) + _controls_ntriples(controls)
        return _ntriples(data) + meta_lines.replace(b" .\n", in_graph)
    if fmt is JSONLD:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in data]
        quads += [ox.Quad(t.subject, t.predicate, t.object, named) for t in (*meta, *controls)]
        return compact_jsonld(
            ox.serialize(quads, format=ox.RdfFormat.JSON_LD) or b"[]", used_prefixes(known, quads)
        )
    data_header, data_body = _turtle(data, used_prefixes(known, data))
    meta_header, meta_body = _turtle(meta, used_prefixes(known, meta))
    controls_header, controls_body = _controls_turtle(controls, tuple(sorted(known.items())))
    header = b"\n".join(sorted({*data_header, *meta_header, *controls_header}))
    if fmt is TRIG:
        body = data_body + f"{named} {{\n".encode() + meta_body + controls_body + b"}\n"
    else:
        body = data_body + meta_body + controls_body
    return header + b"\n\n" + body if header else body


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _turtle(triples: Sequence[ox.Triple], prefixes: dict[str, str]) -> tuple[list[bytes], bytes]:
    """Turtle of ``triples``: its ``@prefix`` lines, and the statements (a TriG graph block may hold
    them as they are)."""
    lines = (ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b"").split(b"\n")
    count = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), len(lines))
    return lines[:count], b"\n".join(lines[count:])


@functools.lru_cache(maxsize=16)
def _controls_ntriples(controls: tuple[ox.Triple, ...]) -> bytes:
    """The controls in N-Triples: the same on every page of a deployment."""
    return _ntriples(controls)


@functools.lru_cache(maxsize=16)
def _controls_turtle(
    controls: tuple[ox.Triple, ...], known: tuple[tuple[str, str], ...]
) -> tuple[list[bytes], bytes]:
    """The controls in Turtle (:func:`_turtle`): the same on every page of a deployment."""
    return _turtle(controls, used_prefixes(dict(known), controls))
