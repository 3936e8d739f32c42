"""Values written for a reader's language with Babel (CLDR): dates, months and days, numbers.

>>> from rdflib import Literal
>>> from rdflib.namespace import XSD

from blackjanuary.rdf.vocab import NUMERIC_TYPES
>>> day = Literal("1990-01-19", datatype=XSD.date)
>>> [format_literal(day, lang) for lang in ("de", "en", "az", "ru")]
['19. Januar 1990', '19 January 1990', '19 yanvar 1990', '19 января 1990']
>>> format_literal(Literal("--01-20", datatype=XSD.gMonthDay), "de")
'20. Januar'
>>> format_literal(Literal("1991", datatype=XSD.gYear), "ru")
'1991'
>>> format_number(12345, "de"), format_number(1.5, "ru")
('12.345', '1,5')
>>> word_value(700, {"de": {"other": "mehr als {n}"}}, "de")
'mehr als 700'
>>> word_value(3, {"ordinal": {"en": {"one": "{n}st", "few": "{n}rd", "other": "{n}th"}}}, "en")
'3rd'
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from babel.units import format_unit
from rdflib import Literal
from rdflib.namespace import XSD

from blackjanuary.rdf.vocab import NUMERIC_TYPES

LOCALES = {"de": "de_DE", "en": "en_GB", "az": "az_Latn_AZ", "ru": "ru_RU"}
"""English as written in Britain ("19 January 1990"); Azerbaijani in Latin script."""
_MONTH_DAY = re.compile(r"^--(\d\d)-(\d\d)")
RU_YEAR_MARK = re.compile(r"[\s\u202f]г\.$")
_YEAR = re.compile(r"^-?\d{4,}$")
NUMERIC = NUMERIC_TYPES | {XSD.short}


@lru_cache(maxsize=8)
def locale(lang: str) -> Locale:
    return Locale.parse(LOCALES.get(lang, "en_GB"))


def language_name(code: str, lang: str) -> str:
    """The name of language ``code`` in ``lang`` (CLDR): ``Englisch``, ``ingilis``, ``английский``.

    >>> language_name("en", "de"), language_name("en", "az"), language_name("de", "ru")
    ('Englisch', 'ingilis', 'немецкий')
    """
    return str(locale(lang).languages.get(code, code))


def format_number(value: int | float | Decimal, lang: str) -> str:
    return format_decimal(value, locale=locale(lang))


def human_size(size: int, lang: str) -> str:
    """A file size for people: ``4 byte``, ``9.9 kB``, ``1.2 MB`` (decimal units, CLDR wording).

    >>> human_size(4, "en"), human_size(10178, "de"), human_size(2_500_000, "ru")
    ('4 byte', '10,2 kB', '2,5 МБ')
    """
    for unit, scale in (("digital-megabyte", 10**6), ("digital-kilobyte", 10**3)):
        if size >= scale:
            return format_unit(round(size / scale, 1), unit, length="short", locale=locale(lang))
    return format_unit(size, "digital-byte", length="short", locale=locale(lang))


def format_literal(literal: Literal, lang: str) -> str | None:
    """The literal written for ``lang``, or None when it is not a date or a number (shown as is)."""
    datatype, text = literal.datatype, str(literal)
    try:
        if datatype == XSD.date:
            written = format_date(datetime.date.fromisoformat(text[:10]), "long", locale=locale(lang))
            return RU_YEAR_MARK.sub("", written)  # "1990 г.": the year needs no "г." after a month
        if datatype == XSD.gMonthDay:
            found = _MONTH_DAY.match(text)
            if found:
                day = datetime.date(2000, int(found.group(1)), int(found.group(2)))
                return format_skeleton("MMMMd", day, locale=locale(lang))
        if datatype == XSD.gYear and _YEAR.match(text):
            return text
        if datatype in NUMERIC:
            value = literal.toPython()
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return format_number(value, lang)
    except (ValueError, TypeError):
        return None
    return None


def word_value(number: int | float | Decimal, wording: dict[str, object], lang: str) -> str | None:
    """A number worded by a term's template ("mehr als {n}"), picked by CLDR plural category."""
    ordinal = "ordinal" in wording
    table = wording.get("ordinal") if ordinal else wording
    if not isinstance(table, dict):
        return None
    forms = table.get(lang) or table.get("en")
    if not isinstance(forms, dict):
        return None
    category = locale(lang).ordinal_form(number) if ordinal else locale(lang).plural_form(number)
    template = forms.get(category) or forms.get("other")
    if not isinstance(template, str):
        return None
    return template.replace("{n}", format_number(number, lang))
