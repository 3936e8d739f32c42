"""Property names in words, looked up once per build version and kept in the application's
:class:`~blackjanuary.web.version_cache.VersionCache`.

One query gives every label the ontology graph holds (our terms and the external terms it names)
and the labels of every resource typed as a property. The pictures' edge labels and the linking
terms of "What links here" read them from the cache; no page asks the store for them again.
Names come from ``rdfs:label`` in the page's language (falling back to English, German, any), else
from the term's local name in words (``hasActor`` → "has actor").
"""

from __future__ import annotations

import re

from flask import current_app
from rdflib import Literal

from blackjanuary.query.describe import PREFIXES
from blackjanuary.query.service import QueryService
from blackjanuary.rdf.iris import Iris
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.i18n import pick_literal
from blackjanuary.web.terms import term_names
from blackjanuary.web.version_cache import version_cache


def words(term: str) -> str:
    """A term's local name in words.

    >>> words("http://semanticweb.cs.vu.nl/2009/11/sem/hasActor"), words("http://schema.org/startDate")
    ('has actor', 'start date')
    """
    local = re.split(r"[/#:]", term.rstrip("/#"))[-1]
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").replace("-", " ")
    return spaced.lower()


def _all_labels(store: QueryService, ontology_graph: str) -> dict[str, list[Literal]]:
    rows = store.select(
        PREFIXES + "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?p ?l WHERE { "
        f"{{ GRAPH <{ontology_graph}> {{ ?p rdfs:label ?l }} }} UNION {{ "
        "VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty rdf:Property owl:AnnotationProperty } "
        "?p a ?kind ; rdfs:label ?l } }"
    )
    found: dict[str, list[Literal]] = {}
    for row in rows:
        label = row.get("l")
        if isinstance(label, Literal) and label not in found.get(str(row["p"]), []):
            found.setdefault(str(row["p"]), []).append(label)
    for labels in found.values():
        labels.sort(
            key=lambda literal: (str(literal.language or ""), str(literal))
        )  # the same on every backend
    return found


def property_labels(store: QueryService, iris: Iris) -> dict[str, list[Literal]]:
    """Every property's labels (all languages), by IRI: one query per build version."""
    ontology_graph = str(Ours(iris.base).graph("ontology"))
    return version_cache(current_app.extensions).get_or_compute(
        store.info.version, "property-labels", lambda: _all_labels(store, ontology_graph)
    )


def property_names(store: QueryService, iris: Iris, lang: str) -> dict[str, str]:
    """Every property's name in ``lang``: the project's reading of the term (``data/terms.json``,
    which also names the facts) in ``lang``, else the store's label in ``lang``, else the fallbacks
    of :func:`pick_literal`."""

    def compute() -> dict[str, str]:
        terms = term_names(iris.base)
        labels = property_labels(store, iris)
        names = {}
        for iri in sorted(set(labels) | set(terms.terms)):
            values = labels.get(iri, [])
            in_lang = sorted(str(v) for v in values if v.language == lang)
            term = terms.get(iri)
            ours = term.labels.get(lang) if term is not None else None
            if ours:
                names[iri] = ours
            elif in_lang:
                names[iri] = in_lang[0]
            elif values:
                names[iri] = str(pick_literal(values, lang))
        return names

    return version_cache(current_app.extensions).get_or_compute(
        store.info.version, f"property-names-{lang}", compute
    )


def property_name(store: QueryService, iris: Iris, iri: str, lang: str) -> str:
    """The property's name in words: its label, else its local name spelt out."""
    return property_names(store, iris, lang).get(iri) or words(iri)
