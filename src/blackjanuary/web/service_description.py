"""The SPARQL 1.1 Service Description of the endpoint, as an rdflib graph (serialized by conneg)."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, VOID, XSD

from blackjanuary.rdf.formats import RDF_FORMATS, RESULT_FORMATS
from blackjanuary.rdf.vocab import SD, Ours, bind_prefixes
from blackjanuary.store import StoreInfo


def service_description(endpoint_url: str, info: StoreInfo, ours: Ours) -> Graph:
    """sd:Service with its endpoint, language, formats, features and the default dataset with counts."""
    graph = bind_prefixes(Graph(), ours)
    service = URIRef(endpoint_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for fmt in (*RESULT_FORMATS, *RDF_FORMATS):
        if fmt.w3c_iri:
            graph.add((service, SD.resultFormat, URIRef(fmt.w3c_iri)))
    dataset = BNode("defaultDataset")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode("defaultGraph")
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    total = sum(info.graph_triples.values())
    graph.add((default_graph, VOID.triples, Literal(total, datatype=XSD.integer)))
    graph.add((dataset, VOID.sparqlEndpoint, service))
    graph.add((dataset, URIRef(str(VOID) + "inDataset"), URIRef(ours.dataset)))
    for n, (iri, count) in enumerate(sorted(info.graph_triples.items())):
        named = BNode(f"namedGraph{n}")
        inner = BNode(f"graph{n}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(iri)))
        graph.add((named, SD.graph, inner))
        graph.add((inner, RDF.type, SD.Graph))
        graph.add((inner, VOID.triples, Literal(count, datatype=XSD.integer)))
    return graph
