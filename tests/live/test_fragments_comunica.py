"""A real Triple Pattern Fragments client, Comunica (``tests/js``, installed by ``make test``), answers
joins from our fragments, served by a live ``blackjanuary serve``, exactly as our SPARQL endpoint does.

The fragments of ``rdf:type`` and ``rdfs:label`` span several pages, so the answers are only right if
Comunica reads our hydra controls (search form, counts, ``hydra:next``) rather than the first page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import requests

JS = Path(__file__).resolve().parents[1] / "js"
RUNNER = JS / "tpf-query.mjs"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX bj: <https://w3id.org/blackjanuary/ontology#>
"""

QUERIES = {
    # two patterns and a FILTER on the language
    "people in English": """SELECT DISTINCT ?person ?label WHERE {
        ?person a schema:Person ; rdfs:label ?label . FILTER(lang(?label) = "en") }""",
    # a literal object in the fragment request, joined with everything that points at the place
    "what points at Baku": """SELECT DISTINCT ?thing ?link WHERE {
        ?place rdfs:label "Baku"@de . ?thing ?link ?place }""",
    # four patterns (through each quote's text selector) and a numeric FILTER: the first sentences' quotes
    "quotes of the first three sentences": """SELECT DISTINCT ?quote ?text ?n WHERE {
        ?quote oa:hasSelector ?selector ; dcterms:isPartOf ?sentence . ?selector oa:exact ?text .
        ?sentence bj:sentenceNumber ?n . FILTER(?n <= 3) }""",
    # OPTIONAL: people with their Wikidata link where there is one
    "people and Wikidata": """SELECT DISTINCT ?person ?wikidata WHERE {
        ?person a schema:Person . OPTIONAL { ?person skos:exactMatch ?wikidata } }""",
    # rdf:type and rdfs:label fragments are several pages long
    "every typed thing with an Azerbaijani label": """SELECT DISTINCT ?thing ?type ?label WHERE {
        ?thing a ?type ; rdfs:label ?label . FILTER(lang(?label) = "az") }""",
}


def comunica(fragments: str, queries: dict[str, str]) -> dict[str, list[dict[str, list[str]]]]:
    node = shutil.which("node")
    assert node, "Node.js is needed for the Comunica tests; `make test` installs it"
    assert (JS / "node_modules" / "@comunica" / "query-sparql").is_dir(), (
        "Comunica is not installed; run `make test` (or `npm ci --prefix tests/js`)"
    )
    done = subprocess.run(
        [node, str(RUNNER), fragments],
        input=json.dumps(queries).encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return json.loads(done.stdout)


def sparql(endpoint: str, query: str) -> list[dict[str, list[str]]]:
    response = requests.post(
        endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30
    )
    response.raise_for_status()
    solutions = []
    for binding in response.json()["results"]["bindings"]:
        solution = {}
        for name, term in binding.items():
            if term["type"] == "uri":
                solution[name] = ["NamedNode", term["value"], "", ""]
            else:
                lang = term.get("xml:lang", "")
                datatype = term.get("datatype", RDF_LANG_STRING if lang else XSD_STRING)
                solution[name] = ["Literal", term["value"], lang.lower(), datatype]
        solutions.append(solution)
    return solutions


def canonical(solutions: list[dict[str, list[str]]]) -> list[str]:
    return sorted(json.dumps(s, sort_keys=True, ensure_ascii=False) for s in solutions)


def test_comunica_over_our_fragments_answers_as_our_sparql_endpoint(live_server: str) -> None:
    queries = {name: PREFIXES + text for name, text in QUERIES.items()}
    answers = comunica(live_server + "/fragments", queries)
    for name, query in queries.items():
        expected = canonical(sparql(live_server + "/sparql", query))
        assert expected, f"{name}: the SPARQL endpoint finds nothing; the query does not test anything"
        assert canonical(answers[name]) == expected, name
