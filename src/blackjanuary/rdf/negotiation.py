"""Content negotiation as pure functions: an ``Accept`` header and the server's offers in, a choice out.

The client's q-values decide first; among equal q-values the *server's* order decides (offers are
listed best first). A media range's quality comes from the most specific range that matches it
(``text/turtle`` beats ``text/*`` beats ``*/*``), as RFC 9110 §12.5.1 says. Parameters other than
``q`` are ignored. Aliases declared on a :class:`~blackjanuary.rdf.formats.Format` (``application/json``
for SPARQL JSON, …) match when named exactly, never through a wildcard.

>>> from blackjanuary.rdf.formats import RESULT_FORMATS, TURTLE, JSONLD
>>> negotiate("text/csv;q=0.5, application/sparql-results+json", RESULT_FORMATS).name
'json'
>>> negotiate("*/*", (TURTLE, JSONLD)).name
'turtle'
>>> negotiate("text/*;q=0.2, application/ld+json;q=0.1", (JSONLD, TURTLE)).name
'turtle'
>>> negotiate("image/png", (TURTLE,)) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from blackjanuary.rdf.formats import Format


def _ranges(accept: str | None) -> list[tuple[str, str, float]]:
    """``(type, subtype, q)`` for every range of the header; a missing header accepts everything."""
    if accept is None or not accept.strip():
        return [("*", "*", 1.0)]
    parsed = parse_accept_header(accept, MIMEAccept)
    ranges: list[tuple[str, str, float]] = []
    for value, quality in parsed:
        media = value.split(";", 1)[0].strip().lower()
        main, _, sub = media.partition("/")
        if not main:
            continue
        ranges.append((main, sub or "*", float(quality)))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, str, float]]) -> tuple[float, int]:
    """The quality the client gives one media type, and the specificity of the range that gave it."""
    main, _, sub = media_type.lower().partition("/")
    best: tuple[int, float] | None = None
    for r_main, r_sub, q in ranges:
        if r_main == main and r_sub == sub:
            specificity = 2
        elif r_main == main and r_sub == "*":
            specificity = 1
        elif r_main == "*" and r_sub == "*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0] or (specificity == best[0] and q > best[1]):
            best = (specificity, q)
    if best is None:
        return 0.0, -1
    return best[1], best[0]


def _format_quality(fmt: Format, ranges: list[tuple[str, str, float]]) -> tuple[float, int]:
    """A format's quality: its own media type by any range, an alias only when named exactly."""
    best = _quality(fmt.media_type, ranges)
    for alias in fmt.aliases:
        q, specificity = _quality(alias, ranges)
        if specificity == 2 and (best[1] < 2 or q > best[0]):
            best = (q, specificity)
    return best


def format_quality(accept: str | None, fmt: Format) -> float:
    """The q-value the client gives ``fmt`` (its media type, or an alias named exactly): 0 if refused."""
    return _format_quality(fmt, _ranges(accept))[0]


def rank(accept: str | None, offers: Sequence[Format]) -> list[Format]:
    """The acceptable offers, best first: higher q first, then the server's order."""
    ranges = _ranges(accept)
    scored: list[tuple[float, int, int, Format]] = []
    for index, fmt in enumerate(offers):
        q, specificity = _format_quality(fmt, ranges)
        if q > 0:
            scored.append((-q, index, -specificity, fmt))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [item[3] for item in scored]


def negotiate(accept: str | None, offers: Sequence[Format]) -> Format | None:
    """The best offer for ``accept``, or ``None`` when the client accepts none of them (→ 406)."""
    ranked = rank(accept, offers)
    return ranked[0] if ranked else None


def prefers_html(accept: str | None, others: Sequence[Format]) -> bool:
    """True when ``text/html`` is explicitly wanted at least as much as every one of ``others``.

    A browser sends ``text/html,…,*/*;q=0.8``; a client asking for ``*/*`` alone gets data, not a page
    (the SPARQL endpoint's results, an error's JSON body).
    """
    ranges = _ranges(accept)
    html_q, html_spec = _quality("text/html", ranges)
    if html_q <= 0 or html_spec < 1:
        return False
    best_other = max((_format_quality(f, ranges)[0] for f in others), default=0.0)
    return html_q >= best_other


def page_by_default(accept: str | None, rdf: Sequence[Format]) -> bool:
    """For a thing's IRI and the landing page: True when the client should get the HTML page.

    That is when it names ``text/html`` at least as highly as every RDF format, or names none of
    them at all: curl (``*/*``) and a bare client (no header) state no preference, so they get the
    page; RDF goes to clients that ask for an RDF type by name (or by ``application/*``).

    >>> from blackjanuary.rdf.formats import TURTLE
    >>> page_by_default("*/*", (TURTLE,)), page_by_default("text/turtle, */*;q=0.1", (TURTLE,))
    (True, False)
    """
    ranges = _ranges(accept)
    if _quality("text/html", ranges)[0] <= 0:
        return False
    if not any(q > 0 and specificity >= 1 for q, specificity in (_format_quality(f, ranges) for f in rdf)):
        return True
    return prefers_html(accept, rdf)
