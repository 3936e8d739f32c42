"""Dates written for a reader of de, en, az or ru ("19. Januar 1990", "19 января 1990"), at the
precision the value has; the words come from Babel (CLDR, :mod:`blackjanuary.web.formatting`) and
the one phrase around a date from the interface catalogue (``data/messages.json``).

>>> human_date("1990-01-19", "de"), human_date("1990-01-19", "ru"), human_date("1991", "az")
('19. Januar 1990', '19 января 1990', '1991')
>>> month_year(1990, 1, "en"), month_year(1990, 1, "ru")
('January 1990', 'январь 1990')
"""

from __future__ import annotations

import re
from datetime import date

from babel.dates import format_date, format_skeleton
from rdflib import Literal
from rdflib.namespace import XSD

from blackjanuary.web.formatting import RU_YEAR_MARK, format_literal, locale
from blackjanuary.web.i18n import message

_LEXICAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def parse(lexical: str) -> tuple[int, int | None, int | None] | None:
    """Year, month and day of an xsd:date, gYearMonth, gYear or dateTime (month/day None if absent)."""
    match = _LEXICAL.match(lexical.strip())
    if not match:
        return None
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def as_date(lexical: str) -> date | None:
    """The first day the value can mean (``1989`` → 1 January 1989); None if it is no date."""
    parts = parse(lexical)
    if parts is None:
        return None
    year, month, day = parts
    try:
        return date(year, month or 1, day or 1)
    except ValueError:
        return None


def month_year(year: int, month: int, lang: str) -> str:
    """A month of a year as the language names it standing alone ("январь 1990", not "января")."""
    written = format_skeleton("yMMMM", date(year, month, 1), locale=locale(lang))
    return RU_YEAR_MARK.sub("", written)


def human_date(lexical: str, lang: str) -> str:
    """A date as the language writes it, at the precision the value has."""
    parts = parse(lexical)
    if parts is None:
        return lexical
    year, month, day = parts
    if month is None:
        return str(year)
    if day is None:
        return month_year(year, month, lang)
    written = format_literal(Literal(f"{year:04d}-{month:02d}-{day:02d}", datatype=XSD.date), lang)
    return written or lexical


def latest_begin(lexical: str, lang: str) -> str:
    """A latest possible beginning ("spätestens seit …"): ``by 1989``, ``spätestens 1989``.

    Inside the phrase a month takes its format form (Russian genitive: "не позднее сентября 1989").

    >>> latest_begin("1989", "de"), latest_begin("1989-09", "ru"), latest_begin("1989-09", "de")
    ('spätestens 1989', 'не позднее сентября 1989', 'spätestens September 1989')
    """
    parts = parse(lexical)
    if parts is not None and parts[1] is not None and parts[2] is None:
        written = format_date(date(parts[0], parts[1], 1), "MMMM y", locale=locale(lang))
    else:
        written = human_date(lexical, lang)
    return message("date_by", lang, date=written)
