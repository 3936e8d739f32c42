"""The ontology and shapes pages' content: one :class:`TermView` per term of a namespace.

Pure over an rdflib graph (the ontology or shapes named graph), except :func:`usage_counts`, which
asks the store how often the data uses each term.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from blackjanuary.query.describe import iri_term
from blackjanuary.query.service import QueryService
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.vocab import sorted_nodes
from blackjanuary.web.entity_view import Labeller, Value
from blackjanuary.web.i18n import pick_literal


@dataclass(frozen=True)
class TermView:
    anchor: str
    iri: str
    kind: str
    label: str
    comment: str | None
    details: list[tuple[Value, list[Value]]]
    usage: int | None


TERM_KINDS = {
    OWL.Class: "class",
    RDFS.Class: "class",
    OWL.ObjectProperty: "property",
    OWL.DatatypeProperty: "property",
    OWL.AnnotationProperty: "property",
    RDF.Property: "property",
    SH.NodeShape: "shape",
    SH.PropertyShape: "shape",
}


def usage_counts(store: QueryService, data_graph: str, kind: str, namespace: str) -> dict[str, int]:
    """Per term of ``namespace``: instances (``kind="class"``) or triples (properties) in the data graph."""
    data = iri_term(data_graph)
    if kind == "class":
        query = f"SELECT ?t (COUNT(?x) AS ?n) WHERE {{ GRAPH {data} {{ ?x a ?t }} "
    else:
        query = f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ GRAPH {data} {{ ?x ?t ?y }} "
    rows = store.select(query + f'FILTER(STRSTARTS(STR(?t), "{namespace}")) }} GROUP BY ?t')
    return {str(r["t"]): int(str(r["n"])) for r in rows if isinstance(r.get("n"), Literal)}


def in_language(values: list[Node], lang: str) -> list[Node]:
    """The values to show: language-tagged literals only in the reader's language (or the fallback
    :func:`pick_literal` chooses), everything else as it is."""
    tagged = [v for v in values if isinstance(v, Literal) and v.language]
    chosen = pick_literal(tagged, lang) if tagged else None
    keep = {v for v in tagged if chosen is not None and v.language == chosen.language}
    return [v for v in values if not (isinstance(v, Literal) and v.language) or v in keep]


def described(graph: Graph, subject: Node, labeller: Labeller) -> list[tuple[Value, list[Value]]]:
    """``(predicate, values)`` rows for ``subject``, one language per predicate."""
    grouped: dict[Node, list[Node]] = {}
    for p, o in sorted(graph.predicate_objects(subject)):
        grouped.setdefault(p, []).append(o)
    return [
        (labeller.value(p), [labeller.value(v) for v in in_language(values, labeller.lang)])
        for p, values in grouped.items()
    ]


def term_views(
    graph: Graph, namespace: str, iris: Iris, lang: str, usage: dict[str, int] | None
) -> list[TermView]:
    """Every IRI of ``namespace`` that ``graph`` mentions, with its label, comment and other triples."""
    labeller = Labeller(graph, iris, lang)
    terms = []
    hidden = {str(RDF.type), str(RDFS.label), str(RDFS.comment)}
    named = {t for triple in graph for t in triple if isinstance(t, URIRef) and str(t).startswith(namespace)}
    for subject in sorted(t for t in named if len(str(t)) > len(namespace)):
        kinds = sorted(
            {
                TERM_KINDS[t]
                for t in graph.objects(subject, RDF.type)
                if isinstance(t, URIRef) and t in TERM_KINDS
            }
        )
        kind = kinds[0] if kinds else "other"
        chosen = pick_literal(graph.objects(subject, RDFS.comment), lang)
        types = [labeller.value(t) for t in sorted_nodes(graph.objects(subject, RDF.type))]
        rows = [(labeller.value(RDF.type), types)] if types else []
        rows += [row for row in described(graph, subject, labeller) if row[0].iri not in hidden]
        terms.append(
            TermView(
                str(subject)[len(namespace) :],
                str(subject),
                kind,
                labeller.label(subject),
                str(chosen) if chosen else None,
                rows,
                usage.get(str(subject), 0) if usage is not None else None,
            )
        )
    return terms
