"""``used_prefixes`` keeps exactly the prefixes whose namespace starts an IRI of the statements."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given
from hypothesis import strategies as st

from blackjanuary.rdf.oxigraph import used_prefixes

ALPHABET = "ab/.-"
IRI_TAILS = st.text(alphabet=ALPHABET, max_size=6)
NAMESPACES = st.dictionaries(
    st.text(alphabet="pqr", min_size=1, max_size=3), IRI_TAILS.map("http://x/".__add__)
)


def naive(prefixes: dict[str, str], iris: set[str]) -> dict[str, str]:
    return {p: ns for p, ns in sorted(prefixes.items()) if any(iri.startswith(ns) for iri in iris)}


@given(NAMESPACES, st.lists(IRI_TAILS, max_size=12))
def test_same_as_checking_every_iri_against_every_namespace(
    prefixes: dict[str, str], tails: list[str]
) -> None:
    iris = {"http://x/" + tail for tail in [*tails, ""]}  # "": the predicate below
    node = ox.NamedNode("http://x/")
    triples = [ox.Triple(ox.NamedNode(iri), node, node) for iri in sorted(iris)]
    assert used_prefixes(prefixes, triples) == naive(prefixes, iris)


def test_literal_datatypes_and_graph_names_count() -> None:
    prefixes = {"xsd": "http://www.w3.org/2001/XMLSchema#", "g": "http://g/", "n": "http://n/"}
    node = ox.NamedNode("http://n/a")
    quad = ox.Quad(
        node,
        node,
        ox.Literal("1", datatype=ox.NamedNode(prefixes["xsd"] + "integer")),
        ox.NamedNode("http://g/1"),
    )
    assert used_prefixes(prefixes, [quad]) == prefixes


def test_a_language_tagged_literal_uses_rdf_lang_string() -> None:
    """Its datatype is ``rdf:langString`` (named without asking Oxigraph for it), as Oxigraph says."""
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    tagged = ox.Literal("Baku", language="en")
    assert tagged.datatype.value == rdf + "langString"
    node = ox.NamedNode("http://n/a")
    prefixes = {"rdf": rdf, "n": "http://n/", "xsd": "http://www.w3.org/2001/XMLSchema#"}
    assert used_prefixes(prefixes, [ox.Triple(node, node, tagged)]) == {"rdf": rdf, "n": "http://n/"}
