"""The reader's language: ``?lang=`` first, then ``Accept-Language``, then English.

The data carries labels in de, en, az and ru, and the user interface's few words exist in all four.

>>> choose_language("ru-RU,ru;q=0.9,en;q=0.5")
'ru'
>>> choose_language("fr, de;q=0.3")
'de'
>>> choose_language("de", "az")
'az'
>>> choose_language(None, "xx")
'en'
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LANGUAGES: tuple[str, ...] = ("de", "en", "az", "ru")
DEFAULT = "en"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "az": "Azərbaycanca", "ru": "Русский"}


def choose_language(accept_language: str | None, requested: str | None = None) -> str:
    """One of :data:`LANGUAGES`: the ``?lang=`` value if valid, else the best Accept-Language match."""
    if requested and requested.lower() in LANGUAGES:
        return requested.lower()
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


_MESSAGES: dict[str, dict[str, str]] = {
    "types": {"de": "Typen", "az": "Növlər", "ru": "Типы"},
    "facts": {"de": "Aussagen", "az": "Faktlar", "ru": "Факты"},
    "names": {"de": "Namen", "az": "Adlar", "ru": "Названия"},
    "provenance": {"de": "Quelle", "az": "Mənbə", "ru": "Источник"},
    "what_links_here": {"de": "Was hierher verlinkt", "az": "Bura keçid verənlər", "ru": "Ссылки сюда"},
    "neighbourhood": {"de": "Umgebung", "az": "Əlaqələr", "ru": "Окружение"},
    "map": {"de": "Karte", "az": "Xəritə", "ru": "Карта"},
    "source_text": {"de": "Quelltext", "az": "Mənbə mətni", "ru": "Исходный текст"},
    "downloads": {"de": "Downloads", "az": "Yükləmələr", "ru": "Загрузки"},
    "ontology": {"de": "Ontologie", "az": "Ontologiya", "ru": "Онтология"},
    "shapes": {"de": "Formen (SHACL)", "az": "Formalar (SHACL)", "ru": "Формы (SHACL)"},
    "query": {"de": "Abfragen (SPARQL)", "az": "Sorğu (SPARQL)", "ru": "Запросы (SPARQL)"},
    "timeline": {"de": "Zeitleiste", "az": "Xronologiya", "ru": "Хронология"},
    "statistics": {"de": "Statistik", "az": "Statistika", "ru": "Статистика"},
    "examples": {"de": "Beispielfragen", "az": "Nümunə suallar", "ru": "Примеры вопросов"},
    "entities": {"de": "Alle Dinge", "az": "Bütün obyektlər", "ru": "Все объекты"},
    "how_to_cite": {"de": "Zitieren", "az": "Necə istinad etməli", "ru": "Как цитировать"},
    "licence": {"de": "Lizenz", "az": "Lisenziya", "ru": "Лицензия"},
    "other_formats": {"de": "Andere Formate", "az": "Digər formatlar", "ru": "Другие форматы"},
    "sentence": {"de": "Satz", "az": "Cümlə", "ru": "Предложение"},
    "facts_from_sentence": {
        "de": "Aussagen aus diesem Satz",
        "az": "Bu cümlədən götürülmüş faktlar",
        "ru": "Факты из этого предложения",
    },
    "next": {"de": "weiter", "az": "növbəti", "ru": "далее"},
    "previous": {"de": "zurück", "az": "əvvəlki", "ru": "назад"},
}
_ENGLISH = {
    "types": "Types",
    "facts": "Facts",
    "names": "Names",
    "provenance": "Source",
    "what_links_here": "What links here",
    "neighbourhood": "Neighbourhood",
    "map": "Map",
    "source_text": "Source text",
    "downloads": "Downloads",
    "ontology": "Ontology",
    "shapes": "Shapes (SHACL)",
    "query": "Query (SPARQL)",
    "timeline": "Timeline",
    "statistics": "Statistics",
    "examples": "Example questions",
    "entities": "All things",
    "how_to_cite": "How to cite",
    "licence": "Licence",
    "other_formats": "Other formats",
    "sentence": "Sentence",
    "facts_from_sentence": "Facts drawn from this sentence",
    "next": "next",
    "previous": "previous",
}


def message(key: str, lang: str) -> str:
    """A user-interface string in ``lang`` (English when there is no translation).

    >>> message("sentence", "ru"), message("sentence", "en")
    ('Предложение', 'Sentence')
    """
    return _MESSAGES.get(key, {}).get(lang) or _ENGLISH.get(key, key)
