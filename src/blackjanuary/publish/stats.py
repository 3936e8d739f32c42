"""``blackjanuary stats``: what the sources hold, counted straight from the loaded files (no build).

Triples per named graph, entities per class, labels per language, statements with and without
provenance, direct fact triples that no statement node backs, and the number of Wikidata links.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from blackjanuary.config import Settings
from blackjanuary.publish.sources import load
from blackjanuary.rdf.vocab import GEO, NAMED_GRAPHS, WD, WGS84, Ours

SCHEMA_NS = ("http://schema.org/", "https://schema.org/")
DESCRIPTIVE: frozenset[str] = frozenset(
    {
        str(RDF.type),
        str(RDFS.label),
        str(RDFS.comment),
        str(RDFS.seeAlso),
        str(SKOS.altLabel),
        str(SKOS.prefLabel),
        str(SKOS.exactMatch),
        str(SKOS.closeMatch),
        str(OWL.sameAs),
        str(GEO.hasGeometry),
        str(GEO.asWKT),
        str(WGS84.lat),
        str(WGS84.long),
    }
    | {ns + local for ns in SCHEMA_NS for local in ("description", "name", "sameAs", "url", "image")}
)
"""Predicates that describe or identify a thing rather than state a fact from the source text;
a direct triple with one of them needs no statement node."""


def is_wikidata_link(subject: Node | None, obj: Node | None, ours: Ours) -> bool:
    """The one definition of a "link to Wikidata" (``stats`` and the landing page count these): one
    of our things (not a statement) ``skos:exactMatch`` a Wikidata item (``wd:Q…``). The Wikibase-shaped
    graph's property mappings (``bj:killedCount skos:exactMatch wd:P1120``) are not links of things."""
    return (
        isinstance(subject, URIRef)
        and subject.startswith(str(ours.ID))
        and not subject.startswith(str(ours.STATEMENT))
        and isinstance(obj, URIRef)
        and obj.startswith(str(WD) + "Q")
    )


@dataclass(frozen=True)
class Stats:
    graphs: dict[str, int]
    """Triples per named graph IRI."""
    triples: int
    classes: dict[str, int]
    """Distinct instances per class in the data graph."""
    labels: dict[str, int]
    """``rdfs:label`` values per language tag in the data graph ('' for no tag)."""
    alt_labels: dict[str, int]
    statements: int
    statements_with_provenance: int
    statements_without_provenance: int
    facts: int
    """Direct fact triples about things (``{base}id/…``, not statements, not descriptive predicates)."""
    facts_without_statement: int
    unbacked_facts: tuple[tuple[str, str, str], ...]
    """The direct fact triples no statement node backs (subject, predicate, object in N-Triples form)."""
    wikidata_links: int

    def to_json(self) -> str:
        data = asdict(self)
        data["unbacked_facts"] = [list(t) for t in self.unbacked_facts]
        return json.dumps(data, indent=2, ensure_ascii=False)


def compute(settings: Settings, dataset: Dataset | None = None) -> Stats:
    """The statistics of the sources (loads them unless ``dataset`` is given)."""
    ours = Ours(settings.base_iri)
    if dataset is None:
        dataset = load(settings)
    graphs = {ours.graph(name): len(dataset.graph(URIRef(ours.graph(name)))) for name in NAMED_GRAPHS}
    data = dataset.graph(URIRef(ours.graph("data")))

    classes: Counter[str] = Counter()
    for cls in set(data.objects(None, RDF.type)):
        classes[str(cls)] = len(set(data.subjects(RDF.type, cls)))
    labels = _languages(data.objects(None, RDFS.label))
    alt_labels = _languages(data.objects(None, SKOS.altLabel))

    statement_class = ours.BJ.Statement
    statements = set(data.subjects(RDF.type, statement_class))
    with_prov = {s for s in statements if (s, PROV.wasDerivedFrom, None) in data}
    backed = {
        (data.value(s, RDF.subject), data.value(s, RDF.predicate), data.value(s, RDF.object))
        for s in statements
    }

    things, statement_space = str(ours.ID), str(ours.STATEMENT)
    facts = [
        (s, p, o)
        for s, p, o in data
        if isinstance(s, URIRef)
        and s.startswith(things)
        and not s.startswith(statement_space)
        and str(p) not in DESCRIPTIVE
    ]
    unbacked = sorted((s.n3(), p.n3(), o.n3()) for s, p, o in facts if (s, p, o) not in backed)
    links = sum(1 for s, o in data.subject_objects(SKOS.exactMatch) if is_wikidata_link(s, o, ours))
    return Stats(
        graphs=graphs,
        triples=sum(graphs.values()),
        classes=dict(sorted(classes.items())),
        labels=labels,
        alt_labels=alt_labels,
        statements=len(statements),
        statements_with_provenance=len(with_prov),
        statements_without_provenance=len(statements - with_prov),
        facts=len(facts),
        facts_without_statement=len(unbacked),
        unbacked_facts=tuple(unbacked),
        wikidata_links=links,
    )


def _languages(values: Iterable[Node]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for value in values:
        if isinstance(value, Literal):
            counts[value.language or ""] += 1
    return dict(sorted(counts.items()))


def render_text(stats: Stats, ours: Ours) -> str:
    """A short human-readable report, IRIs shortened with the project prefixes."""
    prefixes = sorted(ours.prefixes().items(), key=lambda kv: -len(kv[1]))

    def short(iri: str) -> str:
        for prefix, ns in prefixes:
            if iri.startswith(ns):
                return f"{prefix}:{iri[len(ns) :]}"
        return f"<{iri}>"

    lines = ["Triples per graph:"]
    lines += [
        f"  {short(g) if not g.startswith(ours.base) else g[len(ours.base) :]:<24} {n:>7}"
        for g, n in stats.graphs.items()
    ]
    lines.append(f"  {'total':<24} {stats.triples:>7}")
    lines.append("Entities per class (data graph):")
    by_size = sorted(stats.classes.items(), key=lambda kv: (-kv[1], kv[0]))
    lines += [f"  {short(c):<40} {n:>5}" for c, n in by_size]
    lines.append(
        "Labels per language: " + ", ".join(f"{lang or '(none)'} {n}" for lang, n in stats.labels.items())
    )
    if stats.alt_labels:
        lines.append(
            "Alternative labels: "
            + ", ".join(f"{lang or '(none)'} {n}" for lang, n in stats.alt_labels.items())
        )
    lines.append(
        f"Statements: {stats.statements} ({stats.statements_with_provenance} with provenance, "
        f"{stats.statements_without_provenance} without)"
    )
    lines.append(f"Direct facts: {stats.facts} ({stats.facts_without_statement} without a statement node)")
    for s, p, o in stats.unbacked_facts[:20]:
        lines.append(f"  {s} {p} {o}")
    if len(stats.unbacked_facts) > 20:
        lines.append(f"  … and {len(stats.unbacked_facts) - 20} more (use --format json)")
    lines.append(f"Wikidata links (skos:exactMatch): {stats.wikidata_links}")
    return "\n".join(lines)
