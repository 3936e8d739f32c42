"""Content negotiation as pure functions: an ``Accept`` header and the server's offers in, a choice out.

The client's q-values decide first; among equal q-values the *server's* order decides (offers are
listed best first). A media range's quality comes from the most specific range that matches it
(``text/turtle`` beats ``text/*`` beats ``*/*``), as RFC 9110 §12.5.1 says: werkzeug's ``MIMEAccept``
parses, orders and matches the ranges (its ``quality()``; its ``best_match`` lets a wildcard outrank a
lower exact q, so the ranking here is ours). Parameters other than ``q`` are ignored. Aliases declared
on a :class:`~blackjanuary.rdf.formats.Format` (``application/json`` for SPARQL JSON, …) match when
named exactly, never through a wildcard.

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

from collections.abc import Callable, Sequence
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from blackjanuary.errors import Offer
from blackjanuary.rdf.formats import Format

_ANYTHING = MIMEAccept([("*/*", 1)])


@lru_cache(maxsize=512)
def _parsed(accept: str | None) -> tuple[MIMEAccept, frozenset[str]]:
    """werkzeug's ``MIMEAccept`` of a header, parameters dropped, and the ranges it names.

    A missing or blank header accepts everything; a range without ``/`` matches nothing. werkzeug
    orders the ranges most specific first, so its ``quality()`` is the quality RFC 9110 gives.
    """
    if accept is None or not accept.strip():
        return _ANYTHING, frozenset({"*/*"})
    ranges = [
        (media, quality)
        for value, quality in parse_accept_header(accept, MIMEAccept)
        if "/" in (media := value.split(";", 1)[0].strip().lower())
    ]
    return MIMEAccept(ranges), frozenset(media for media, _ in ranges)


@lru_cache(maxsize=4096)  # a few headers (browsers, curl, RDF clients) and a few dozen types, again and again
def _quality(media_type: str, accept: str | None) -> tuple[float, int]:
    """The quality the client gives one media type, and the specificity of the range that gave it
    (2 named, 1 ``type/*``, 0 ``*/*``, -1 none)."""
    parsed, named = _parsed(accept)
    main = media_type.partition("/")[0]
    if media_type in named:
        specificity = 2
    elif f"{main}/*" in named:
        specificity = 1
    elif "*/*" in named:
        specificity = 0
    else:
        return 0.0, -1
    return float(parsed.quality(media_type)), specificity


def _format_quality(fmt: Format, accept: str | None) -> tuple[float, int]:
    """A format's quality: its own media type by any range, an alias only when named exactly."""
    best = _quality(fmt.media_type, accept)
    for alias in fmt.aliases:
        q, specificity = _quality(alias, accept)
        if specificity == 2 and (best[1] < 2 or q > best[0]):
            best = (q, specificity)
    return best


def format_quality(accept: str | None, fmt: Format) -> float:
    """The q-value the client gives ``fmt`` (its media type, or an alias named exactly): 0 if refused."""
    return _format_quality(fmt, accept)[0]


def rank(accept: str | None, offers: Sequence[Format]) -> list[Format]:
    """The acceptable offers, best first: higher q first, then the server's order."""
    scored = [(-_format_quality(fmt, accept)[0], index, fmt) for index, fmt in enumerate(offers)]
    return [fmt for q, _, fmt in sorted(scored, key=lambda item: item[:2]) if q < 0]


def negotiate(accept: str | None, offers: Sequence[Format]) -> Format | None:
    """The best offer for ``accept``, or ``None`` when the client accepts none of them (→ 406)."""
    ranked = rank(accept, offers)
    return ranked[0] if ranked else None


def prefers_html(accept: str | None, others: Sequence[Format]) -> bool:
    """True when ``text/html`` is explicitly wanted at least as much as every one of ``others``.

    A browser sends ``text/html,…,*/*;q=0.8``; a client asking for ``*/*`` alone gets data, not a page
    (the SPARQL endpoint's results, an error's JSON body).
    """
    html_q, html_spec = _quality("text/html", accept)
    if html_q <= 0 or html_spec < 1:
        return False
    best_other = max((_format_quality(f, accept)[0] for f in others), default=0.0)
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
    if _quality("text/html", accept)[0] <= 0:
        return False
    if not any(q > 0 and specificity >= 1 for q, specificity in (_format_quality(f, accept) for f in rdf)):
        return True
    return prefers_html(accept, rdf)


def offered(
    formats: Sequence[Format], url: Callable[[Format], str | None] | None = None
) -> tuple[Offer, ...]:
    """What a 406 lists: each format's media type and, through ``url``, where it answers without
    negotiation (a suffix URL), if anywhere.

    >>> from blackjanuary.rdf.formats import TURTLE
    >>> offered([TURTLE], lambda f: f"/void.{f.extension}")
    (Offer(media_type='text/turtle', url='/void.ttl'),)
    """
    return tuple(Offer(f.media_type, url(f) if url else None) for f in formats)
