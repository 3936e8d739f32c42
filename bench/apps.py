"""The peer applications the benchmark starts: a bare Flask app (the ceiling) and rdflib-endpoint."""

from __future__ import annotations

import os

from flask import Flask, Response

FIXED_BODY = b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal","value":"1"}}]}}'


def bare_app() -> Flask:
    """A Flask app that returns a fixed SPARQL-JSON body: what Flask + gunicorn cost with no work at all."""
    app = Flask("bare")

    @app.route("/sparql")
    def sparql() -> Response:
        return Response(FIXED_BODY, content_type="application/sparql-results+json")

    return app


def rdflib_app() -> object:
    """rdflib-endpoint on the same data: every triple of the N-Quads (``BENCH_NQUADS``) in one Graph.

    One plain Graph (the union of our named graphs) is rdflib's fastest setup; a
    ``Dataset(default_union=True)`` answered the lookup about 15 % slower in our measurement.
    """
    from rdflib import Dataset, Graph
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset()
    dataset.parse(os.environ["BENCH_NQUADS"], format="nquads")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return SparqlEndpoint(graph=graph, path="/sparql", public_url="http://127.0.0.1/sparql")
