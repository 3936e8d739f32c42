"""Error pages for people: in the site frame, in the reader's language, with did-you-mean links.

The one error handler (:mod:`blackjanuary.web.handlers`) calls :func:`render_error_page` when the
client prefers HTML. The heading and explanation come from the interface texts (de/en/az/ru); the
technical message stays English, folded away, for the reader who needs it. A 404 under ``/page/``,
``/id/``, ``/data/`` or ``/cite/`` suggests things whose names sound like the key, labelled in the
page's language (through the same name index as the search).
"""

from __future__ import annotations

import logging
import re

from flask import render_template, request

from blackjanuary.web.context import page_context
from blackjanuary.web.i18n import messages
from blackjanuary.web.search import things

log = logging.getLogger(__name__)

SUGGESTIONS = 8
_KEY_PATH = re.compile(r"^/(?:page|id|data|cite)/(?:statement/)?([^/]+?)(?:\.[a-z]+)?$")


def key_words(key: str) -> str:
    """The words of a mistyped key or name: ``Bakuu-city`` → ``bakuu city``."""
    return " ".join(w for w in re.split(r"[-_\s.+]+", key.lower()) if w)[:100]


def suggestions(text: str, lang: str) -> list[tuple[str, str]]:
    """(label in ``lang``, page path) of things whose names match ``text`` (at most :data:`SUGGESTIONS`)."""

    words = key_words(text)
    if not words:
        return []
    return [(hit.label, hit.href) for hit in things(words, lang)[:SUGGESTIONS]]


def path_suggestions(lang: str) -> list[tuple[str, str]]:
    found = _KEY_PATH.match(request.path)
    if found is None:
        return []
    try:
        return suggestions(found.group(1), lang)
    except Exception:  # an error page must render even when the store cannot answer
        log.warning("no suggestions for %s", request.path, exc_info=True)
        return []


def render_error_page(status: int, message: str, hint: str | None) -> str:

    ctx = page_context(title="")
    lang = str(ctx["lang"])
    texts = messages()
    heading_key = f"error_{status}" if f"error_{status}" in texts else "error_other"
    explain_key = f"explain_{status}" if f"explain_{status}" in texts else "explain_other"
    heading = f"{status} · {texts[heading_key].get(lang) or texts[heading_key]['en']}"
    ctx.update(
        title=heading,
        heading=heading,
        explanation=texts[explain_key].get(lang) or texts[explain_key]["en"],
        status=status,
        message=message,
        hint=hint,
        suggestions=path_suggestions(lang) if status == 404 else [],
    )
    return render_template("ld/error.html", **ctx)
