"""Name normalisation for matching: case, diacritics, Cyrillic and Azerbaijani letters, German spellings.

Pure functions on strings. :func:`fold` gives one comparable Latin form of a name; :func:`skeletons`
gives a few coarse "sound" keys that survive transliteration differences, so that the German,
English, Azerbaijani and Russian spellings of one name meet.

>>> fold("Bakı"), fold("Baki"), fold("Баку")
('baki', 'baki', 'baku')
>>> fold("Михаил Горбачёв")
'mikhail gorbachev'
>>> bool(skeletons("Gorbatschow") & skeletons("Gorbachev") & skeletons("Горбачёв") & skeletons("Qorbaçov"))
True
>>> bool(skeletons("Michail") & skeletons("Mikhail") & skeletons("Mixail"))
True
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that Unicode decomposition does not reduce to ASCII, mapped before NFKD.
_SPECIAL = {
    "ı": "i",
    "ə": "e",
    "ß": "ss",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "æ": "ae",
    "œ": "oe",
    "ŋ": "n",
    "ʼ": "",
    "’": "",
    "'": "",
}
# Azerbaijani letters whose sound has a Latin digraph elsewhere (applied before stripping diacritics).
_AZ = {"ş": "sh", "ç": "ch", "ğ": "g", "x": "kh"}
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "є": "ye",
    "і": "i",
    "ї": "yi",
    "ґ": "g",
}
# German umlauts also written with an e (Märtyrer / Maertyrer); both forms are generated.
_UMLAUT_E = {"ä": "ae", "ö": "oe", "ü": "ue"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _latin(text: str, *, umlaut_e: bool, az_digraphs: bool) -> str:
    out: list[str] = []
    for ch in text.casefold():
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif umlaut_e and ch in _UMLAUT_E:
            out.append(_UMLAUT_E[ch])
        elif az_digraphs and ch in _AZ:
            out.append(_AZ[ch])
        else:
            out.append(ch)
    folded = _strip_marks("".join(out))
    return " ".join(_NON_ALNUM.sub(" ", folded).split())


CACHED_CHARS = 64
"""Texts up to this length (names, words) are memoised; longer ones (whole queries) are not, so that
the caches stay small whatever clients send (8,192 entries of at most 64 characters each)."""


def fold(text: str) -> str:
    """Lower-case ASCII form: casefolded, diacritics stripped, Cyrillic transliterated, ə→e, ı→i."""
    return _fold_cached(text) if len(text) <= CACHED_CHARS else _fold(text)


def folds(text: str) -> frozenset[str]:
    """Every plain folded form: :func:`fold`, German umlaut+e, Azerbaijani digraphs (ş→sh, x→kh)."""
    return _folds_cached(text) if len(text) <= CACHED_CHARS else _folds(text)


def skeletons(text: str) -> frozenset[str]:
    """Coarse sound keys of a whole name (both readings of "ch", every folded form)."""
    return _skeletons_cached(text) if len(text) <= CACHED_CHARS else _skeletons(text)


def _fold(text: str) -> str:
    return _latin(text, umlaut_e=False, az_digraphs=False)


def _folds(text: str) -> frozenset[str]:
    return frozenset(
        {
            fold(text),
            _latin(text, umlaut_e=True, az_digraphs=False),
            _latin(text, umlaut_e=False, az_digraphs=True),
        }
    ) - {""}


def tokens(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


# Digraphs first (longest first), then single letters that sound alike across the four languages.
# An upper-case C marks the "tsch" sound, kept apart from the k-class letters (c, k, g, q, x).
_DIGRAPHS_CH_AS_TSCH = (("tsch", "C"), ("tch", "C"), ("shch", "s"), ("sch", "s"), ("ch", "C"))
_DIGRAPHS_CH_AS_KH = (("tsch", "C"), ("tch", "C"), ("shch", "s"), ("sch", "s"), ("ch", "k"))
_COMMON = (
    ("kh", "k"),
    ("zh", "j"),
    ("sh", "s"),
    ("ts", "z"),
    ("ph", "f"),
    ("oe", "o"),
    ("ae", "a"),
    ("ue", "u"),
    ("ck", "k"),
)
_LETTERS = str.maketrans(
    {"w": "v", "q": "k", "g": "k", "x": "k", "c": "k", "z": "s", "j": "i", "y": "i", "h": ""}
)
_VOWELS = re.compile(r"(?<=.)[aeiou]")


def _skeleton_word(word: str, digraphs: tuple[tuple[str, str], ...]) -> str:
    if len(word) <= CACHED_CHARS:
        return _skeleton_word_cached(word, digraphs)
    return _skeleton_word_uncached(word, digraphs)


def _skeleton_word_uncached(word: str, digraphs: tuple[tuple[str, str], ...]) -> str:
    for old, new in digraphs + _COMMON:
        word = word.replace(old, new)
    word = _VOWELS.sub("", word.translate(_LETTERS))
    return re.sub(r"(.)\1+", r"\1", word).lower()


def _skeletons(text: str) -> frozenset[str]:
    keys: set[str] = set()
    for form in folds(text):
        for digraphs in (_DIGRAPHS_CH_AS_TSCH, _DIGRAPHS_CH_AS_KH):
            key = " ".join(_skeleton_word(w, digraphs) for w in form.split())
            if key:
                keys.add(key)
    return frozenset(keys)


_fold_cached = lru_cache(maxsize=8192)(_fold)
_folds_cached = lru_cache(maxsize=8192)(_folds)
_skeletons_cached = lru_cache(maxsize=8192)(_skeletons)
_skeleton_word_cached = lru_cache(maxsize=16384)(_skeleton_word_uncached)
