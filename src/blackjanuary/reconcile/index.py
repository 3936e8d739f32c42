"""The matching core shared by both API versions: an in-memory name index and explained scores.

Built once per build version from :class:`~blackjanuary.publish.entities.Entity` records. Every
name of a thing (labels in de/en/az/ru, alternative labels, the key) is compared with the query in
three ways of decreasing strictness — exact (case-insensitive), folded (diacritics, Cyrillic and
Azerbaijani letters, German umlauts) and by sound key (tsch/ch/sh, kh/x, w/v …) — plus word overlap
and string similarity. Scores run from 0 to 100; ``features`` say where a score came from.
A candidate is an automatic ``match`` only when it scores at least :data:`MATCH_THRESHOLD` and
leads the runner-up by :data:`MATCH_MARGIN`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from rdflib import Literal, URIRef
from rdflib.term import Node

from blackjanuary.publish.entities import QID_PATTERN, Entity
from blackjanuary.rdf.vocab import SDO, WD, Ours
from blackjanuary.reconcile.limits import Deadline
from blackjanuary.reconcile.normalize import folds
from blackjanuary.reconcile.scoring import Text, name_score

log = logging.getLogger(__name__)

MATCH_THRESHOLD = 85.0
MATCH_MARGIN = 10.0
MIN_SCORE = 30.0
DEFAULT_LIMIT = 10
MAX_LIMIT = 100

Quantifier = TypingLiteral["any", "all", "none"]


@dataclass(frozen=True)
class PropertyCondition:
    pid: str
    """Full property IRI (CURIEs are expanded by :meth:`NameIndex.expand`)."""
    values: tuple[str, ...]
    required: bool = False
    quantifier: Quantifier = "any"


@dataclass(frozen=True)
class MatchQuery:
    text: str | None = None
    types: tuple[str, ...] = ()
    properties: tuple[PropertyCondition, ...] = ()
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class Feature:
    id: str
    name: str
    value: float | bool


@dataclass(frozen=True)
class Candidate:
    entity: Entity
    score: float
    match: bool = False
    features: tuple[Feature, ...] = field(default_factory=tuple)


FEATURE_NAMES = {
    "id_match": "the query is this entity's key, IRI or Wikidata QID",
    "name_exact": "a name equals the query (ignoring case)",
    "name_folded": "a name equals the query after folding diacritics and transliterating",
    "name_sound": "a name sounds like the query (spelling variants across languages)",
    "token_overlap": "share of words in common with the best name (0–100)",
    "name_similarity": "string similarity with the best name (0–100)",
    "type_match": "the entity has one of the requested types",
    "property_match": "share of the property conditions the entity meets (0–100)",
}


class NameIndex:
    """Every named thing of one build, ready to be matched, suggested and extended."""

    def __init__(
        self,
        entities: Sequence[Entity],
        ours: Ours,
        *,
        version: str = "",
        type_labels: dict[str, dict[str, str]] | None = None,
        property_labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.ours = ours
        self.version = version
        self.entities = tuple(sorted(entities, key=lambda e: e.key))
        self.by_key = {e.key: e for e in self.entities}
        self.by_qid = {e.qid: e for e in self.entities if e.qid}
        self.type_labels = type_labels or {}
        self.property_labels = property_labels or {}
        self.types = sorted({t for e in self.entities for t in e.types})
        self.properties = sorted({p for e in self.entities for p in e.values})
        self._prefixes = {**ours.prefixes(), "schema": str(SDO)}
        self._names = {e.key: tuple(Text.of(t, k) for t, k in e.names()) for e in self.entities}

    # Identifiers ---------------------------------------------------------------------------------
    def expand(self, term: str) -> str:
        """A CURIE (``schema:Country``) to its IRI; full IRIs and unknown forms come back unchanged."""
        term = term.strip()
        prefix, sep, local = term.partition(":")
        if sep and not local.startswith("//") and prefix in self._prefixes:
            return self._prefixes[prefix] + local
        return term

    def lookup(self, identifier: str) -> Entity | None:
        """The entity an identifier names: its key, its IRI, ``bjid:key`` or its verified QID."""
        ident = identifier.strip()
        if ident in self.by_key:
            return self.by_key[ident]
        expanded = self.expand(ident)
        base = str(self.ours.ID)
        if expanded.startswith(base) and expanded[len(base) :] in self.by_key:
            return self.by_key[expanded[len(base) :]]
        if expanded.startswith(str(WD)):
            expanded = expanded[len(str(WD)) :]
        if QID_PATTERN.match(expanded.upper()):
            return self.by_qid.get(expanded.upper())
        return None

    def term_name(self, iri: str, lang: str, *, kind: str = "type") -> str:
        table = self.type_labels if kind == "type" else self.property_labels
        names = table.get(iri, {})
        for candidate in (lang, "en", ""):
            if candidate in names:
                return names[candidate]
        return next(iter(names.values()), iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1])

    # Matching ------------------------------------------------------------------------------------
    def match(self, query: MatchQuery, *, deadline: Deadline | None = None) -> list[Candidate]:
        """Ranked candidates (best first, ties by key); ``match`` set on an unambiguous winner.

        ``query.types`` must be type IRIs (see :meth:`resolve_type`); ``deadline`` is checked before
        each entity is scored and raises when it has passed.
        """
        limit = max(1, min(query.limit or DEFAULT_LIMIT, MAX_LIMIT))
        wanted_types = {self.expand(t) for t in query.types if t}
        pool = [e for e in self.entities if not wanted_types or wanted_types & set(e.types)]
        text = (query.text or "").strip()
        if text:
            hit = self.lookup(text)
            if hit is not None and hit in pool:
                features = (Feature("id_match", FEATURE_NAMES["id_match"], True),)
                return [Candidate(hit, 100.0, True, features)]
        prepared = Text.of(text) if text else None
        candidates: list[Candidate] = []
        for entity in pool:
            if deadline is not None:
                deadline.check()
            candidate = self._score(entity, prepared, query, bool(wanted_types))
            if candidate is not None:
                candidates.append(candidate)
        candidates.sort(key=lambda c: (-c.score, c.entity.key))
        candidates = candidates[:limit]
        if candidates:
            top = candidates[0]
            runner_up = candidates[1].score if len(candidates) > 1 else 0.0
            if top.score >= MATCH_THRESHOLD and top.score - runner_up >= MATCH_MARGIN:
                candidates[0] = Candidate(top.entity, top.score, True, top.features)
        return candidates

    def resolve_type(self, term: str) -> str | None:
        """The type IRI ``term`` names: the IRI itself, a CURIE (``schema:City``), the local name
        (``City``) or a label in any language (``Stadt``), ignoring case; ``None`` if none matches."""
        expanded = self.expand(term)
        if expanded in self.types:
            return expanded
        wanted = " ".join(term.casefold().split())
        for iri in self.types:
            names = {*self.type_labels.get(iri, {}).values(), self.term_name(iri, "en")}
            if any(" ".join(n.casefold().split()) == wanted for n in names):
                return iri
        return None

    def _score(
        self, entity: Entity, prepared: Text | None, query: MatchQuery, typed: bool
    ) -> Candidate | None:
        features: list[Feature] = []
        score = 0.0
        if prepared is not None:
            ns = name_score(prepared, self._names[entity.key])
            score = ns.score
            features += [
                Feature("name_exact", FEATURE_NAMES["name_exact"], ns.exact),
                Feature("name_folded", FEATURE_NAMES["name_folded"], ns.folded),
                Feature("name_sound", FEATURE_NAMES["name_sound"], ns.sound),
                Feature("token_overlap", FEATURE_NAMES["token_overlap"], round(ns.overlap, 1)),
                Feature("name_similarity", FEATURE_NAMES["name_similarity"], round(ns.similarity, 1)),
            ]
        if typed:
            features.append(Feature("type_match", FEATURE_NAMES["type_match"], True))
        if query.properties:
            met = 0
            for condition in query.properties:
                ok = self.condition_met(entity, condition)
                if condition.required and not ok:
                    return None
                met += ok
            share = 100.0 * met / len(query.properties)
            features.append(Feature("property_match", FEATURE_NAMES["property_match"], round(share, 1)))
            score = 0.8 * score + 0.2 * share if prepared is not None else share
        score = round(min(score, 100.0), 1)
        if score < MIN_SCORE:
            return None
        return Candidate(entity, score, False, tuple(features))

    def condition_met(self, entity: Entity, condition: PropertyCondition) -> bool:
        objects = entity.values.get(self.expand(condition.pid), ())
        if condition.pid in ("rdf:type", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"):
            objects = tuple(URIRef(t) for t in entity.types)
        hits = [any(self._value_matches(obj, value) for obj in objects) for value in condition.values]
        if condition.quantifier == "all":
            return bool(hits) and all(hits)
        if condition.quantifier == "none":
            return not any(hits)
        return any(hits)

    def _value_matches(self, obj: Node, value: str) -> bool:
        value = value.strip()
        if isinstance(obj, URIRef):
            if str(obj) == self.expand(value):
                return True
            target = self.lookup(str(obj)) if str(obj).startswith(str(self.ours.ID)) else None
            if target is not None:
                return target is self.lookup(value) or any(
                    folds(value) & folds(name) for name, _ in target.names()
                )
            return str(obj).startswith(str(WD)) and str(obj)[len(str(WD)) :] == value.upper()
        if isinstance(obj, Literal):
            python = obj.toPython()
            if isinstance(python, int | float) and not isinstance(python, bool):
                try:
                    return float(value) == float(python)
                except ValueError:
                    return False
            return bool(folds(str(obj)) & folds(value)) or str(obj) == value
        return False

    # Suggest -------------------------------------------------------------------------------------
    def suggest_entities(self, prefix: str) -> list[Entity]:
        """Things whose name or a word of it starts with ``prefix`` (folded); an ID returns its thing."""
        prefix = prefix.strip()
        if not prefix:
            return list(self.entities)
        hit = self.lookup(prefix)
        head = [hit] if hit is not None else []
        wanted = folds(prefix)
        ranked: list[tuple[int, str, Entity]] = []
        for entity in self.entities:
            if entity is hit:
                continue
            rank = _prefix_rank(wanted, (name for name, _ in entity.names()))
            if rank is not None:
                ranked.append((rank, entity.key, entity))
        return head + [e for _, _, e in sorted(ranked)]

    def suggest_terms(self, prefix: str, terms: Iterable[str], lang: str, *, kind: str) -> list[str]:
        wanted = folds(prefix.strip())
        out: list[tuple[int, str]] = []
        for iri in terms:
            if not prefix.strip() or self.expand(prefix) == iri:
                out.append((0, iri))
                continue
            rank = _prefix_rank(wanted, (self.term_name(iri, lang, kind=kind), iri.rsplit("/", 1)[-1]))
            if rank is not None:
                out.append((rank, iri))
        return [iri for _, iri in sorted(out)]


def _prefix_rank(wanted: frozenset[str], names: Iterable[str]) -> int | None:
    best: int | None = None
    for name in names:
        for form in folds(name):
            if any(form.startswith(w) for w in wanted):
                return 0
            if any(word.startswith(w) for word in form.split() for w in wanted):
                best = 1
    return best
