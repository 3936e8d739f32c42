"""Readable names for the RDF terms the pages show, in de/en/az/ru, and the order facts follow.

One data file (``data/terms.json``) names every standard term we display (schema:, sem:, prov:,
dcterms:, skos: …) and adds Azerbaijani and Russian to the ontology's own English and German labels.
:class:`TermNames` answers "what is this term called in this language", "which group of meaning does
it belong to" (names, time, place, actors, figures, relations, source, identifiers) and "how is a
value of it worded" ("mehr als 700", "nach 70 Jahren").

>>> names = term_names()
>>> names.label("http://schema.org/startDate", "de"), names.label("http://schema.org/startDate", "ru")
('Beginn', 'дата начала')
>>> names.rank("http://schema.org/startDate") < names.rank("http://schema.org/location")
True
>>> names.rank("http://www.w3.org/2004/02/skos/core#exactMatch") > names.rank("http://schema.org/location")
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from blackjanuary.rdf.vocab import CANONICAL, Ours

DATA = Path(__file__).parent / "data" / "terms.json"
OTHER = "other"


@dataclass(frozen=True)
class Term:
    iri: str
    group: str | None
    labels: dict[str, str]
    override: bool
    value: dict[str, object] | None


class TermNames:
    """The terms of ``data/terms.json`` with their IRIs expanded under one base IRI."""

    def __init__(self, raw: dict[str, object], ours: Ours) -> None:
        prefixes = ours.prefixes()
        self.groups: list[str] = list(raw["groups"])  # type: ignore[call-overload]
        self.terms: dict[str, Term] = {}
        for curie, entry in raw["terms"].items():  # type: ignore[attr-defined]
            prefix, _, local = curie.partition(":")
            iri = prefixes[prefix] + local
            self.terms[iri] = Term(
                iri,
                entry.get("group"),
                dict(entry["labels"]),
                bool(entry.get("override")),
                entry.get("value"),
            )
        self._order = {iri: n for n, iri in enumerate(self.terms)}
        self._curies = sorted(prefixes.items(), key=lambda item: -len(item[1]))

    def get(self, iri: str) -> Term | None:
        return self.terms.get(iri)

    def label(self, iri: str, lang: str) -> str | None:
        """Our name of the term in ``lang`` (English as a fallback), or None for a term we do not name."""
        term = self.terms.get(iri)
        if term is None:
            return None
        return term.labels.get(lang) or term.labels.get("en")

    def overrides(self, iri: str) -> bool:
        term = self.terms.get(iri)
        return bool(term and term.override)

    def rank(self, iri: str) -> int:
        """Position of the term's group of meaning (unknown terms just before the identifiers)."""
        term = self.terms.get(iri)
        group = term.group if term is not None and term.group else OTHER
        return self.groups.index(group) if group in self.groups else self.groups.index(OTHER)

    def position(self, iri: str) -> int:
        """The term's place in the data file (start date before end date); unknown terms last."""
        return self._order.get(iri, len(self._order))

    def curie(self, iri: str) -> str:
        """``schema:startDate`` for the IRI (the IRI itself when no prefix fits)."""
        for prefix, namespace in self._curies:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri


@lru_cache(maxsize=8)
def term_names(base: str = CANONICAL.base) -> TermNames:
    return TermNames(json.loads(DATA.read_text(encoding="utf-8")), Ours(base))
