"""The reader's language: ``?lang=`` first, then the ``lang`` cookie, then ``Accept-Language``, then English.

The data carries labels in de, en, az and ru, and every interface text exists in all four
(``data/messages.json``). A ``?lang=`` choice is remembered in a cookie, so it holds on every page.

>>> choose_language("ru-RU,ru;q=0.9,en;q=0.5")
'ru'
>>> choose_language("fr, de;q=0.3")
'de'
>>> choose_language("de", "az")
'az'
>>> choose_language(None, "xx")
'en'
>>> choose_language("de", None, "ru")
'ru'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rdflib import Literal
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGES: tuple[str, ...] = ("de", "en", "az", "ru")
DEFAULT = "en"
TRANSLATED_DESCRIPTIONS = frozenset({"az", "ru"})
"""Languages whose ``schema:description`` is the project's translation of the de/en one (ADR 0001)."""
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "az": "Azərbaycanca", "ru": "Русский"}


def choose_language(
    accept_language: str | None, requested: str | None = None, remembered: str | None = None
) -> str:
    """One of :data:`LANGUAGES`: the ``?lang=`` value if valid, else the language the reader chose
    before (the cookie), else the best Accept-Language match, else English."""
    for explicit in (requested, remembered):
        if explicit and explicit.lower() in LANGUAGES:
            return explicit.lower()
    if accept_language:
        parsed = parse_accept_header(accept_language, LanguageAccept)
        for value, quality in parsed:
            primary = value.split("-", 1)[0].lower()
            if quality > 0 and primary in LANGUAGES:
                return primary
    return DEFAULT


def pick_literal(values: Iterable[object], lang: str) -> Literal | None:
    """The literal in ``lang``, else English, else German, else any (a stable choice)."""
    literals = sorted((v for v in values if isinstance(v, Literal)), key=str)
    for wanted in (lang, DEFAULT, "de"):
        for literal in literals:
            if literal.language == wanted:
                return literal
    plain = [lit for lit in literals if not lit.language]
    return plain[0] if plain else (literals[0] if literals else None)


MESSAGES_FILE = Path(__file__).parent / "data" / "messages.json"
COOKIE = "lang"
"""The cookie that keeps a reader's chosen language from page to page."""


@lru_cache(maxsize=1)
def messages() -> dict[str, dict[str, str]]:
    """Every interface text in de/en/az/ru (``data/messages.json``)."""
    raw = json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))
    return {key: value for key, value in raw.items() if not key.startswith("_")}


def words(prefix: str, lang: str) -> dict[str, str]:
    """Every text whose key starts with ``prefix``, in ``lang``, keyed by the rest of the key (a
    page's or a script's set of words).

    >>> words("sparql_script_", "de")["hint"]
    'Hinweis'
    """
    return {key.removeprefix(prefix): message(key, lang) for key in messages() if key.startswith(prefix)}


def message(key: str, lang: str, **values: object) -> str:
    """A user-interface string in ``lang`` (English when there is no translation), ``{name}``-style
    placeholders filled from ``values``.

    >>> message("sentence", "ru"), message("sentence", "en")
    ('Предложение', 'Sentence')
    >>> message("search_results", "de", name="Baku")
    'Suchergebnisse für „Baku“'
    """
    texts = messages().get(key, {})
    text = texts.get(lang) or texts.get(DEFAULT) or key
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text
