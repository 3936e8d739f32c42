"""How well a name matches a query: exact, folded, by sound, by words in common and by similarity.

Every name of a thing and the query are prepared once (:class:`Text`: the folded form, the sound keys,
the words); :func:`name_score` compares them the ways :mod:`blackjanuary.reconcile.index` explains in
its features, each a score from 0 to 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from blackjanuary.publish.entities import Entity
from blackjanuary.reconcile.normalize import fold, folds, skeletons


def ratio(a: str, b: str) -> float:
    """String similarity 0–100 (normalised Indel distance, bit-parallel: linear in the longer string)."""
    return float(fuzz.ratio(a, b)) if a and b else 0.0


def sound_keys(word: str) -> frozenset[str]:
    """The sound keys of a word that are long enough (three consonants) to count as a sound-alike."""
    return frozenset(s for s in skeletons(word) if len(s) >= 3)


@dataclass(frozen=True)
class Words:
    """The words of one folded text with their forms, ready for word-by-word matching."""

    counts: dict[str, int]
    """Distinct words and how often each occurs."""
    total: int
    folds: frozenset[str]
    """Every folded form of every word."""
    sounds: frozenset[str]
    """Every sound key (≥ 3 consonants) of every word."""
    by_fold: dict[str, frozenset[str]]
    """Folded form → the distinct words having it."""
    by_sound: dict[str, frozenset[str]]
    """Sound key → the distinct words having it."""
    forms: dict[str, tuple[frozenset[str], frozenset[str]]]
    """Distinct word → (its folded forms, its sound keys)."""

    @classmethod
    def of(cls, folded: str) -> Words:
        words = folded.split()
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        by_fold: dict[str, set[str]] = {}
        by_sound: dict[str, set[str]] = {}
        forms: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for word in counts:
            word_folds, word_sounds = folds(word), sound_keys(word)
            forms[word] = (word_folds, word_sounds)
            for form in word_folds:
                by_fold.setdefault(form, set()).add(word)
            for key in word_sounds:
                by_sound.setdefault(key, set()).add(word)
        return cls(
            counts,
            len(words),
            frozenset(by_fold),
            frozenset(by_sound),
            {k: frozenset(v) for k, v in by_fold.items()},
            {k: frozenset(v) for k, v in by_sound.items()},
            forms,
        )

    def hits(self, other: Words) -> float:
        """How many of these words find a match among ``other``'s: 1 for the same folded word, 0.9 for
        a sound-alike of at least three consonants (the best over ``other``'s words, as ``word_match``).

        Works from the smaller side: a few words are checked against the other's form sets, many words
        are found through their inverted tables; either way a long text against a short name costs
        what the name costs.
        """
        if len(self.forms) <= len(other.forms):
            full = alike = 0
            for word, (word_folds, word_sounds) in self.forms.items():
                if not word_folds.isdisjoint(other.folds):
                    full += self.counts[word]
                elif not word_sounds.isdisjoint(other.sounds):
                    alike += self.counts[word]
            return full + 0.9 * alike
        same: set[str] = set()
        for form in other.folds:
            same |= self.by_fold.get(form, frozenset())
        similar: set[str] = set()
        for key in other.sounds:
            similar |= self.by_sound.get(key, frozenset())
        similar -= same
        return sum(self.counts[w] for w in same) + 0.9 * sum(self.counts[w] for w in similar)


def word_match(q_word: str, n_word: str) -> float:
    """1 for the same folded word, 0.9 for a sound-alike of at least three consonants, else 0."""
    if folds(q_word) & folds(n_word):
        return 1.0
    return 0.9 if sound_keys(q_word) & sound_keys(n_word) else 0.0


def cover(q_words: Words, n_words: Words) -> tuple[float, float]:
    """Shares of the query's and of the name's words that find their match in the other."""
    if not q_words.total or not n_words.total:
        return 0.0, 0.0
    return q_words.hits(n_words) / q_words.total, n_words.hits(q_words) / n_words.total


@dataclass(frozen=True)
class Text:
    """A name (or a query) with every form the scoring compares, computed once."""

    text: str
    kind: str
    case: str
    folds: frozenset[str]
    sounds: frozenset[str]
    fold: str
    words: Words

    @classmethod
    def of(cls, text: str, kind: str = "query") -> Text:
        folded = fold(text)
        return cls(
            text,
            kind,
            " ".join(text.casefold().split()),
            folds(text),
            skeletons(text),
            folded,
            Words.of(folded),
        )


@dataclass
class NameScore:
    score: float = 0.0
    exact: bool = False
    folded: bool = False
    sound: bool = False
    overlap: float = 0.0
    similarity: float = 0.0


def name_score(query: str | Text, entity: Entity | Sequence[Text]) -> NameScore:
    """How well ``query`` names ``entity``: the best score over all its names, with the evidence.

    Both sides may come prepared (:class:`NameIndex` prepares its names once and each query once), so
    the cost is linear in the query's length, not in the product of the two.
    """
    q = query if isinstance(query, Text) else Text.of(query)
    names = [Text.of(t, k) for t, k in entity.names()] if isinstance(entity, Entity) else entity
    best = NameScore()
    for name in names:
        scores = []
        if name.case == q.case:
            best.exact = True
            scores.append(100.0 if name.kind != "key" else 98.0)
        if q.folds & name.folds:
            best.folded = True
            scores.append(96.0)
        if q.sounds & name.sounds:
            best.sound = True
            scores.append(90.0)
        q_cov, n_cov = cover(q.words, name.words)
        best.overlap = max(best.overlap, 100 * q_cov * n_cov)
        scores.append(q_cov * (80 + 10 * n_cov) if q_cov >= 0.9 else 55 * q_cov + 15 * n_cov)
        similarity = ratio(q.fold, name.fold)
        best.similarity = max(best.similarity, similarity)
        scores.append(0.85 * similarity)
        best.score = max(best.score, *scores)
    return best
