"""A small synthetic build with known contents, and what it holds (for expected answers)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from blackjanuary.publish.manifest import DistFile, Manifest

BASE = "https://w3id.org/blackjanuary/"
GRAPH_DATA = BASE + "graph/data"

SYNTHETIC_THINGS = 400
SYNTHETIC_PLACES = 10


def synthetic_quads(base: str = BASE) -> tuple[list[str], dict[str, int]]:
    """The generated data (things with labels, ranks and places) as N-Quads lines, with the triple count
    per named graph. Known contents let the protocol tests compute expected answers from the data,
    independently of the real (evolving) knowledge graph."""
    schema, rdfs, xsd = (
        "http://schema.org/",
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2001/XMLSchema#",
    )
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    graphs = {name: base + "graph/" + name for name in ("data", "ontology", "shapes", "meta")}
    lines: list[str] = []
    counts = dict.fromkeys(graphs.values(), 0)

    def quad(s: str, p: str, o: str, graph: str) -> None:
        lines.append(f"{s} <{p}> {o} <{graphs[graph]}> .")
        counts[graphs[graph]] += 1

    for i in range(SYNTHETIC_PLACES):
        place = f"<{base}id/place-{i}>"
        quad(place, rdf_type, f"<{schema}Place>", "data")
        quad(place, rdfs + "label", f'"Place {i}"@en', "data")
    for i in range(SYNTHETIC_THINGS):
        thing = f"<{base}id/thing-{i}>"
        quad(thing, rdf_type, f"<{schema}Thing>", "data")
        quad(thing, rdfs + "label", f'"Thing {i}"@en', "data")
        quad(thing, rdfs + "label", f'"Ding {i}"@de', "data")
        quad(thing, base + "ontology#rank", f'"{i}"^^<{xsd}integer>', "data")
        quad(thing, schema + "location", f"<{base}id/place-{i % SYNTHETIC_PLACES}>", "data")
    quad(f"<{base}ontology#rank>", rdf_type, "<http://www.w3.org/2002/07/owl#DatatypeProperty>", "ontology")
    quad(f"<{base}ontology#rank>", rdfs + "label", '"rank"@en', "ontology")
    quad(f"<{base}shapes#ThingShape>", rdf_type, "<http://www.w3.org/ns/shacl#NodeShape>", "shapes")
    quad(f"<{base}dataset>", rdf_type, "<http://rdfs.org/ns/void#Dataset>", "meta")
    return lines, counts


def write_synthetic_dist(dist: Path, base: str = BASE) -> dict[str, int]:
    """A conforming build of :func:`synthetic_quads`: its dist/ files. Returns the counts per graph."""
    lines, counts = synthetic_quads(base)
    version = "0.0.1-test"
    data = ("\n".join(lines) + "\n").encode("utf-8")
    dist.mkdir(parents=True, exist_ok=True)
    name = f"blackjanuary-{version}.nq"
    (dist / name).write_bytes(data)
    entry = DistFile(
        name=name,
        format="nquads",
        media_type="application/n-quads",
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        triples=len(lines),
        compressed=False,
        graphs=True,
    )
    manifest = Manifest(
        dataset=base + "dataset",
        version=version,
        base_iri=base,
        conforms=True,
        input_sha256="synthetic",
        graphs=counts,
        triples=len(lines),
        files=(entry,),
    )
    (dist / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return counts


THING_COUNT = SYNTHETIC_THINGS
GRAPHS: dict[str, int] = synthetic_quads()[1]
"""Triples per named graph of the synthetic build."""
