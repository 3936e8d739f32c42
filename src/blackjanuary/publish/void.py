"""``dist/void.ttl``: the VoID + DCAT description of a build, generated from the dumps and the data.

It starts from the hand-written dataset description in the meta graph and adds what only the build
knows: one ``dcat:Distribution`` per file (size, checksum, media type), the statistics, the SPARQL
service, the Wikidata linkset and the class/property partitions. Everything has an IRI (no blank
nodes) and the triples are sorted, so equal builds give equal bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS, VOID, XSD

from blackjanuary.publish.dumps import tidy_prefixes
from blackjanuary.publish.manifest import DistFile
from blackjanuary.rdf.formats import by_name
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.oxigraph import used_prefixes
from blackjanuary.rdf.vocab import SD, SPDX, WD, Ours

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
GZIP_MEDIA_TYPE = "application/gzip"
WIKIDATA = "https://www.wikidata.org/"
EXAMPLE_KEYS = ("black-january", "baku")

_GENERATED = {
    str(p)
    for p in (
        VOID.triples,
        VOID.entities,
        VOID.classes,
        VOID.properties,
        VOID.distinctSubjects,
        VOID.distinctObjects,
        DCAT.distribution,
        VOID.dataDump,
        VOID.classPartition,
        VOID.propertyPartition,
    )
}
"""Dataset properties the build computes: hand-written values for them in the meta graph are replaced."""
_LOCAL = re.compile(r"^[A-Za-z0-9_.-]+$")


def iana(media_type: str) -> ox.NamedNode:
    """The IANA registry IRI of a media type, the form DCAT recommends for ``dcat:mediaType``."""
    return ox.NamedNode(IANA_MEDIA_TYPES + media_type)


@dataclass(frozen=True)
class Statistics:
    triples: int
    entities: int
    classes: Counter[str]
    """Entities (distinct typed subjects) per class IRI."""
    properties: Counter[str]
    """Triples per property IRI."""
    distinct_subjects: int
    distinct_objects: int
    wikidata_links: int
    example_resources: tuple[str, ...]


def statistics(triples: Sequence[ox.Triple], ours: Ours) -> Statistics:
    """The VoID statistics of the union graph (counted in Python: the union is small and exact)."""
    space = str(ours.ID)
    subjects = {t.subject for t in triples}
    entities = {s.value for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(space)}
    typed: dict[str, set[str]] = {}
    properties: Counter[str] = Counter()
    links = 0
    for t in triples:
        properties[t.predicate.value] += 1
        if t.predicate.value == str(RDF.type) and isinstance(t.object, ox.NamedNode):
            typed.setdefault(t.object.value, set()).add(str(t.subject))
        if (
            t.predicate.value == str(SKOS.exactMatch)
            and isinstance(t.object, ox.NamedNode)
            and t.object.value.startswith(str(WD))
        ):
            links += 1
    examples = tuple(space + key for key in EXAMPLE_KEYS if space + key in entities)
    if not examples and entities:
        examples = (min(entities),)
    return Statistics(
        triples=len(triples),
        entities=len(entities),
        classes=Counter({cls: len(members) for cls, members in typed.items()}),
        properties=properties,
        distinct_subjects=len(subjects),
        distinct_objects=len({t.object for t in triples}),
        wikidata_links=links,
        example_resources=examples,
    )


class _Triples:
    def __init__(self) -> None:
        self.items: set[ox.Triple] = set()

    def add(self, s: str | ox.NamedNode, p: object, o: ox.NamedNode | ox.Literal | str) -> None:
        subject = s if isinstance(s, ox.NamedNode) else ox.NamedNode(s)
        obj = o if isinstance(o, ox.NamedNode | ox.Literal) else ox.NamedNode(o)
        self.items.add(ox.Triple(subject, ox.NamedNode(str(p)), obj))


def _partition_key(iri: str, prefixes: dict[str, str]) -> str:
    for prefix, ns in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and _LOCAL.match(iri[len(ns) :]):
            return f"{prefix}-{iri[len(ns) :]}"
    return hashlib.sha256(iri.encode()).hexdigest()[:16]


def describe(
    meta: Iterable[ox.Triple], union: Sequence[ox.Triple], files: Sequence[DistFile], ours: Ours
) -> list[ox.Triple]:
    """The VoID/DCAT triples for a build whose dump files are ``files``, sorted."""
    base = ours.base
    ds = ox.NamedNode(ours.dataset)
    out = _Triples()
    for t in meta:
        if not (t.subject == ds and t.predicate.value in _GENERATED):
            out.items.add(t)
    stats = statistics(union, ours)
    out.add(ds, RDF.type, str(VOID.Dataset))
    out.add(ds, RDF.type, str(DCAT.Dataset))
    out.add(ds, VOID.triples, ox.Literal(stats.triples))
    out.add(ds, VOID.entities, ox.Literal(stats.entities))
    out.add(ds, VOID.classes, ox.Literal(len(stats.classes)))
    out.add(ds, VOID.properties, ox.Literal(len(stats.properties)))
    out.add(ds, VOID.distinctSubjects, ox.Literal(stats.distinct_subjects))
    out.add(ds, VOID.distinctObjects, ox.Literal(stats.distinct_objects))
    out.add(ds, VOID.uriSpace, ox.Literal(str(ours.ID)))
    for example in stats.example_resources:
        out.add(ds, VOID.exampleResource, example)
    prefixes = ours.prefixes()
    used = set(stats.properties) | set(stats.classes)
    for ns in sorted(set(prefixes.values())):
        if any(iri.startswith(ns) for iri in used):
            out.add(ds, VOID.vocabulary, ns)

    endpoint = base + "sparql"
    out.add(ds, VOID.sparqlEndpoint, endpoint)
    out.add(endpoint, RDF.type, str(DCAT.DataService))
    out.add(endpoint, RDF.type, str(SD.Service))
    out.add(endpoint, DCAT.endpointURL, endpoint)
    out.add(endpoint, SD.endpoint, endpoint)
    out.add(endpoint, DCAT.servesDataset, ds)
    out.add(endpoint, DCTERMS.title, ox.Literal("SPARQL endpoint", language="en"))
    out.add(endpoint, DCTERMS.conformsTo, "https://www.w3.org/TR/sparql11-protocol/")

    _fragments(out, ds, base)

    links = base + "dataset/links/wikidata"
    out.add(ds, VOID.subset, links)
    out.add(links, RDF.type, str(VOID.Linkset))
    out.add(links, VOID.subjectsTarget, ds)
    out.add(links, VOID.objectsTarget, WIKIDATA)
    out.add(links, VOID.linkPredicate, str(SKOS.exactMatch))
    out.add(links, VOID.triples, ox.Literal(stats.wikidata_links))
    out.add(links, RDFS.label, ox.Literal("Links to Wikidata", language="en"))
    out.add(WIKIDATA, RDF.type, str(VOID.Dataset))
    out.add(WIKIDATA, DCTERMS.title, ox.Literal("Wikidata", language="en"))

    for cls, count in sorted(stats.classes.items()):
        part = f"{base}dataset/class/{_partition_key(cls, prefixes)}"
        out.add(ds, VOID.classPartition, part)
        out.add(part, VOID["class"], cls)
        out.add(part, VOID.entities, ox.Literal(count))
    for prop, count in sorted(stats.properties.items()):
        part = f"{base}dataset/property/{_partition_key(prop, prefixes)}"
        out.add(ds, VOID.propertyPartition, part)
        out.add(part, VOID.property, prop)
        out.add(part, VOID.triples, ox.Literal(count))

    for f in files:
        _distribution(out, ds, f, base)
    return sorted(out.items, key=lambda t: f"{t.subject} {t.predicate} {t.object} .\n")


def _fragments(out: _Triples, ds: ox.NamedNode, base: str) -> None:
    """The Triple Pattern Fragments interface (``/fragments``): a data service, a VoID URI lookup
    (``…/fragments?subject=`` + the encoded IRI) and its Hydra search form, as the fragments give it."""
    fragments = base + "fragments"
    search = fragments + "#triplePattern"
    out.add(ds, VOID.uriLookupEndpoint, fragments + "?subject=")
    out.add(ds, HYDRA.search, search)
    out.add(fragments, RDF.type, str(DCAT.DataService))
    out.add(fragments, DCAT.endpointURL, fragments)
    out.add(fragments, DCAT.servesDataset, ds)
    out.add(fragments, DCTERMS.title, ox.Literal("Triple Pattern Fragments", language="en"))
    out.add(fragments, DCTERMS.conformsTo, "https://www.hydra-cg.com/spec/latest/triple-pattern-fragments/")
    out.add(search, RDF.type, str(HYDRA.IriTemplate))
    out.add(search, HYDRA.template, ox.Literal(fragments + "{?subject,predicate,object}"))
    out.add(search, HYDRA.variableRepresentation, str(HYDRA.ExplicitRepresentation))
    for name in ("subject", "predicate", "object"):
        mapping = f"{fragments}#{name}"
        out.add(search, HYDRA.mapping, mapping)
        out.add(mapping, HYDRA.variable, ox.Literal(name))
        out.add(mapping, HYDRA.property, str(RDF) + name)


def _distribution(out: _Triples, ds: ox.NamedNode, f: DistFile, base: str) -> None:
    dist = f"{base}dataset/dist/{f.name}"
    url = Iris(base).download(f.name)
    fmt = by_name(f.format)
    out.add(ds, DCAT.distribution, dist)
    out.add(ds, VOID.dataDump, url)
    out.add(dist, RDF.type, str(DCAT.Distribution))
    out.add(dist, DCTERMS.title, ox.Literal(f.name))
    out.add(dist, DCAT.downloadURL, url)
    out.add(dist, DCAT.accessURL, url)
    out.add(dist, DCAT.mediaType, iana(f.media_type))
    if fmt is not None and fmt.w3c_iri:
        out.add(dist, DCTERMS.format, fmt.w3c_iri)
    if f.compressed:
        out.add(dist, DCAT.compressFormat, iana(GZIP_MEDIA_TYPE))
    out.add(dist, DCAT.byteSize, ox.Literal(str(f.bytes), datatype=ox.NamedNode(str(XSD.nonNegativeInteger))))
    checksum = f"{dist}#sha256"
    out.add(dist, SPDX.checksum, checksum)
    out.add(checksum, RDF.type, str(SPDX.Checksum))
    out.add(checksum, SPDX.algorithm, str(SPDX.checksumAlgorithm_sha256))
    hex_binary = ox.NamedNode(str(XSD.hexBinary))
    out.add(checksum, SPDX.checksumValue, ox.Literal(f.sha256.lower(), datatype=hex_binary))


def turtle(triples: Sequence[ox.Triple], ours: Ours) -> bytes:
    """The description as Turtle with our prefixes (only those used)."""
    prefixes = used_prefixes(ours.prefixes(), triples)
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    assert data is not None  # no output file given: the bytes are returned
    return tidy_prefixes(data)
