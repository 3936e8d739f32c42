"""Dates written for a reader of de, en, az or ru ("19. Januar 1990", "19 января 1990").

>>> human_date("1990-01-19", "de"), human_date("1990-01-19", "ru"), human_date("1991", "az")
('19. Januar 1990', '19 января 1990', '1991')
>>> month_year(1990, 1, "en"), month_year(1990, 1, "ru")
('January 1990', 'январь 1990')
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "az": "yanvar fevral mart aprel may iyun iyul avqust sentyabr oktyabr noyabr dekabr",
    "ru": "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
}
_RU_GENITIVE = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
_BY = {"en": "by {}", "de": "spätestens {}", "az": "ən geci {}", "ru": "не позднее {}"}
_LEXICAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def month_name(month: int, lang: str) -> str:
    return _MONTHS.get(lang, _MONTHS["en"]).split()[month - 1]


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
    return f"{month_name(month, lang)} {year}"


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
    if lang == "de":
        return f"{day}. {month_name(month, lang)} {year}"
    if lang == "ru":
        return f"{day} {_RU_GENITIVE[month - 1]} {year}"
    return f"{day} {month_name(month, lang)} {year}"


def latest_begin(lexical: str, lang: str) -> str:
    """A latest possible beginning ("spätestens seit …"): ``by 1989``, ``spätestens 1989``.

    >>> latest_begin("1989", "de")
    'spätestens 1989'
    """
    return _BY.get(lang, _BY["en"]).format(human_date(lexical, lang))
