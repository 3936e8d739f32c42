"""Deterministic dumps: the loaded dataset as sorted pyoxigraph quads, serialized in every RDF format.

The same input always gives the same bytes: quads are sorted, blank nodes are skolemized from their
canonical (isomorphism-invariant) labels, gzip members carry no file name and no timestamp.

>>> from rdflib import Literal, URIRef
>>> str(to_ox_term(Literal("Baku", lang="de")))
'"Baku"@de'
>>> str(to_ox_term(URIRef("http://example.org/a")))
'<http://example.org/a>'
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import _TripleCanonicalizer
from rdflib.term import Node

from blackjanuary.rdf.formats import JSONLD, NQUADS, NTRIPLES, TRIG, TURTLE, Format
from blackjanuary.rdf.oxigraph import RDF_FORMAT_OF, used_prefixes

SKOLEM_SEGMENT = ".well-known/genid/"
"""Blank nodes become ``{base}.well-known/genid/{graph}/{label}`` (RDF 1.1 §3.5 skolem IRIs)."""


def to_ox_term(term: Node, skolem: dict[BNode, str] | None = None) -> ox.NamedNode | ox.Literal:
    """An rdflib IRI or literal as a pyoxigraph term; blank nodes must have an entry in ``skolem``."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        if skolem is None or term not in skolem:
            raise ValueError(f"blank node {term.n3()} has no skolem IRI")
        return ox.NamedNode(skolem[term])
    raise TypeError(f"unsupported RDF term {term!r}")


def skolem_map(graph: Graph, prefix: str) -> dict[BNode, str]:
    """Deterministic skolem IRIs for the blank nodes of ``graph``, from their canonical labels.

    The labels (rdflib's RGDA1 colouring, as in ``rdflib.compare``) depend only on the graph's
    structure, never on the parser's random blank node ids, so two loads of the same files agree.
    """
    if not any(isinstance(t, BNode) for triple in graph for t in triple):
        return {}
    return {node: prefix + label for node, label in _canonical_labels(graph).items()}


def _canonical_labels(graph: Graph) -> dict[BNode, str]:
    """The canonical label of every blank node (``_TripleCanonicalizer.canonical_triples``' own steps)."""
    canon = _TripleCanonicalizer(graph)
    coloring = canon._initial_color()
    coloring = canon._refine(coloring, coloring[:])
    if not canon._discrete(coloring):
        coloring = canon._traces(coloring)
    return {c.nodes[0]: c.hash_color()[:32] for c in coloring if isinstance(c.nodes[0], BNode)}


def iter_quads(dataset: Dataset, base_iri: str, graph_names: Iterable[str]) -> Iterator[ox.Quad]:
    """Every quad of the named graphs ``graph_names`` (IRIs), skolemized, in no particular order."""
    for name in graph_names:
        graph = dataset.graph(URIRef(name))
        segment = name.rstrip("/").rsplit("/", 1)[-1]
        skolem = skolem_map(graph, f"{base_iri}{SKOLEM_SEGMENT}{segment}/")
        g = ox.NamedNode(name)
        for s, p, o in graph:
            # a subject or predicate is never a literal in an rdflib graph parsed from RDF
            subject: Any = to_ox_term(s, skolem)
            predicate: Any = to_ox_term(p, skolem)
            yield ox.Quad(subject, predicate, to_ox_term(o, skolem), g)


def sorted_quads(dataset: Dataset, base_iri: str, graph_names: Iterable[str]) -> list[ox.Quad]:
    """Every quad of the named graphs ``graph_names`` (IRIs), skolemized and sorted as N-Quads lines
    (in memory: the reference :mod:`blackjanuary.publish.dump_writer` is tested on)."""
    return sorted(set(iter_quads(dataset, base_iri, graph_names)), key=_nquads_line)


def _nquads_line(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} {quad.graph_name} .\n"


def union_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of the quads (the SPARQL default graph), sorted as N-Triples lines."""
    triples = {q.triple for q in quads}
    return sorted(triples, key=lambda t: f"{t.subject} {t.predicate} {t.object} .\n")


def serialize(
    fmt: Format, quads: Sequence[ox.Quad], triples: Sequence[ox.Triple], prefixes: dict[str, str]
) -> bytes:
    """``fmt`` bytes: dataset formats get the quads, graph formats the union triples."""
    if fmt.name == NQUADS.name:
        return "".join(_nquads_line(q) for q in quads).encode("utf-8")
    if fmt.name == NTRIPLES.name:
        return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples).encode("utf-8")
    if fmt.name == JSONLD.name:
        return jsonld(triples, prefixes)
    ox_format = RDF_FORMAT_OF[fmt.name]
    if fmt.name == TRIG.name:
        by_graph = sorted(quads, key=lambda q: (str(q.graph_name), _nquads_line(q)))
        used = used_prefixes(prefixes, by_graph)
        return tidy_prefixes(ox.serialize(by_graph, format=ox_format, prefixes=used) or b"")
    data = ox.serialize(triples, format=ox_format, prefixes=used_prefixes(prefixes, triples)) or b""
    return tidy_prefixes(data) if fmt.name == TURTLE.name else data


def tidy_prefixes(data: bytes) -> bytes:
    """Turtle/TriG with its ``@prefix`` lines sorted and followed by a blank line."""
    lines = data.split(b"\n")
    count = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), len(lines))
    if count == 0:
        return data
    return b"\n".join([*sorted(lines[:count]), b"", *lines[count:]])


def jsonld(triples: Sequence[ox.Triple], prefixes: dict[str, str]) -> bytes:
    """Compact-IRI JSON-LD: pyoxigraph's expanded output with a prefix ``@context`` applied."""
    expanded = ox.serialize(triples, format=ox.RdfFormat.JSON_LD) or b"[]"
    return compact_jsonld(expanded, used_prefixes(prefixes, triples))


def compact_jsonld(expanded_json: bytes, context: dict[str, str]) -> bytes:
    """Expanded JSON-LD (a graph or a dataset, as pyoxigraph writes it) compacted with a prefix context."""
    expanded = json.loads(expanded_json)
    compactor = _Compactor(context)
    nodes = [compactor.node(n) for n in (expanded if isinstance(expanded, list) else [expanded])]
    document = {"@context": dict(sorted(context.items())), "@graph": nodes}
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


class _Compactor:
    KEYS_KEPT = 10_000
    """Compacted property IRIs remembered (a dataset has few properties, used on every node)."""

    def __init__(self, context: dict[str, str]) -> None:
        # longest namespace first, so a nested namespace wins over its parent
        self._namespaces = sorted(context.items(), key=lambda kv: -len(kv[1]))
        self._by_namespace: dict[str, str] = {}
        for prefix, ns in self._namespaces:
            self._by_namespace.setdefault(ns, prefix)
        # every namespace ending in / or #: the longest one an IRI starts with is found among the IRI's
        # own cuts after a / or #, by dictionary look-ups instead of a scan of all namespaces
        self._by_cut = all(ns.endswith(("/", "#")) for ns in self._by_namespace)
        self._keys: dict[str, str] = {}

    def iri(self, iri: str) -> str:
        if not self._by_cut:
            return self._scan(iri)
        end = len(iri)
        while True:
            cut = max(iri.rfind("/", 0, end), iri.rfind("#", 0, end))
            if cut < 0:
                return iri
            prefix = self._by_namespace.get(iri[: cut + 1])
            if prefix is not None and cut + 1 < len(iri) and not iri.startswith("//", cut + 1):
                return f"{prefix}:{iri[cut + 1 :]}"
            end = cut

    def _scan(self, iri: str) -> str:
        for prefix, ns in self._namespaces:
            if iri.startswith(ns) and len(iri) > len(ns):
                local = iri[len(ns) :]
                if not local.startswith("//"):
                    return f"{prefix}:{local}"
        return iri

    def key(self, iri: str) -> str:
        found = self._keys.get(iri)
        if found is None:
            found = self.iri(iri)
            if len(self._keys) < self.KEYS_KEPT:
                self._keys[iri] = found
        return found

    def node(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.node(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("@id", "@type"):
                out[key] = [self.iri(v) for v in value] if isinstance(value, list) else self.iri(value)
            elif key.startswith("@"):
                out[key] = self.node(value) if key in ("@graph", "@list", "@set") else value
            else:
                out[self.key(key)] = self.node(value)
        return out


def gzip_bytes(data: bytes) -> bytes:
    """gzip with no file name and mtime 0, so equal input gives equal output."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buffer.getvalue()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
