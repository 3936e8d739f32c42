"""Blueprint ``search``: ``/search?q=`` over names in four languages and over the source text's sentences.

Names are matched by the reconciliation index (:mod:`blackjanuary.reconcile.index`): the same
folding, transliteration and sound keys, so "Bakı", "Баку" and "Gorbatschow" find Baku and Gorbachev;
nothing about matching is written twice. Sentences are matched word by word on their folded text
(:func:`blackjanuary.reconcile.normalize.fold`). HTML for browsers, JSON for ``Accept:
application/json`` or ``?format=json``; ``/opensearch.xml`` lets a browser offer the search.
Bounded: a query longer than :data:`MAX_QUERY` characters is a 400, and at most :data:`MAX_RESULTS`
things and sentences come back.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from html import escape

from flask import Blueprint, Response, current_app, render_template, request, url_for

from blackjanuary.errors import BadRequest
from blackjanuary.query.describe import PREFIXES
from blackjanuary.rdf import segments
from blackjanuary.rdf.formats import HTML, JSON
from blackjanuary.rdf.iris import Ref, page_path, with_query
from blackjanuary.rdf.vocab import Ours
from blackjanuary.reconcile.index import MatchQuery, NameIndex
from blackjanuary.reconcile.normalize import fold, folds
from blackjanuary.reconcile.service import index_for
from blackjanuary.web.context import (
    cache,
    html_or,
    iris,
    negotiated,
    page_context,
    query_tag,
    settings,
    store,
    version,
)
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import TRANSLATED_DESCRIPTIONS, message
from blackjanuary.web.public_url import absolute, public_url
from blackjanuary.web.terms import term_names

bp = Blueprint("search", __name__)

MAX_QUERY = 400
MAX_RESULTS = 20
MIN_NAME_SCORE = 60.0
"""Below this a name match is noise for a reader (the reconciliation API returns down to 30)."""
SENTENCES_KEY = "blackjanuary.search_sentences"


@dataclass(frozen=True)
class ThingHit:
    key: str
    iri: str
    href: str
    label: str
    description: str | None
    kinds: list[str]
    score: float
    matched: str | None
    """The name that matched when it is not the label shown (a variant, another language)."""
    description_ours: bool = False
    """The description is the project's translation (az, ru) of the de/en one."""


@dataclass(frozen=True)
class SentenceHit:
    number: int
    text: str
    href: str

    def parts(self, q: str) -> list[tuple[str, bool]]:
        """The sentence as (text, matched) pieces: the words that start like a word of ``q`` are marked."""
        return marked_words(self.text, q)


_WORD = re.compile(r"\w+", re.UNICODE)


def marked_words(text: str, q: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) runs; a word matches when its folded form starts with a folded
    word of ``q`` (so "sowjetischen" is marked for "Sowjet", "Baku" for "baku").

    >>> marked_words("Die Truppen in Baku.", "baku")
    [('Die Truppen in ', False), ('Baku', True), ('.', False)]
    """
    wanted = fold(q).split()
    pieces: list[tuple[str, bool]] = []
    last = 0
    for found in _WORD.finditer(text):
        folded = fold(found.group())
        if wanted and folded and any(folded.startswith(w) for w in wanted):
            if found.start() > last:
                pieces.append((text[last : found.start()], False))
            pieces.append((found.group(), True))
            last = found.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def _query() -> str:
    q = request.args.get("q", "")
    if len(q) > MAX_QUERY:
        raise BadRequest(
            f"the search text is {len(q)} characters long; at most {MAX_QUERY} are accepted",
            hint="search for a name or a few words",
        )
    return " ".join(q.split())


def current_index() -> NameIndex:
    return index_for(store(), Ours(settings().base_iri), version())


def things(q: str, lang: str) -> list[ThingHit]:
    """Named things whose names match ``q`` (scored by the reconciliation index), best first."""
    index = current_index()
    ranked = index.match(MatchQuery(text=q, limit=MAX_RESULTS))
    seen = {c.entity.key for c in ranked}
    by_prefix = [e for e in index.suggest_entities(q) if e.key not in seen][: MAX_RESULTS - len(ranked)]
    names = term_names(iris().base)
    hits: list[ThingHit] = []
    for entity, score in [(c.entity, c.score) for c in ranked if c.score >= MIN_NAME_SCORE] + [
        (e, 0.0) for e in by_prefix
    ]:
        label = entity.label(lang)
        wanted = folds(q)
        matched = next(
            (
                text
                for text, kind in entity.names()
                if kind != "key" and wanted & folds(text) and text != label
            ),
            None,
        )
        kinds = sorted(
            {
                names.label(t, lang) or index.term_name(t, lang)
                for t in entity.types
                if not t.startswith("http://wikiba.se/")
            }
        )
        hits.append(
            ThingHit(
                entity.key,
                entity.iri,
                page_path(Ref(entity.key)),
                label,
                entity.description(lang),
                kinds,
                score,
                matched,
                lang in TRANSLATED_DESCRIPTIONS and lang in entity.descriptions,
            )
        )
    return hits[:MAX_RESULTS]


def sentences() -> list[tuple[int, str, str]]:
    """(number, text, IRI) of every sentence of the source text, read once per build version."""
    cached = current_app.extensions.setdefault(SENTENCES_KEY, {})
    if version() not in cached:
        bj = Ours(settings().base_iri).BJ
        rows = store().select(
            PREFIXES + "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?s ?n ?text WHERE { "
            f"?s a <{bj}Sentence> ; <{bj}sentenceNumber> ?n ; {segments.EXACT} ?text }} ORDER BY ?n"
        )
        cached.clear()
        cached[version()] = [(int(str(r["n"])), str(r["text"]), str(r["s"])) for r in rows]
    return list(cached[version()])


def sentence_hits(q: str) -> list[SentenceHit]:
    """Sentences holding every word of ``q`` (folded: case, diacritics, ß/ss …), in text order."""
    words = fold(q).split()
    if not words:
        return []
    hits = []
    for number, text, iri in sentences():
        folded = f" {fold(text)} "
        if all(f" {w}" in folded for w in words):
            hits.append(SentenceHit(number, text, iris().link(iri) or iri))
    return hits[:MAX_RESULTS]


def wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    urls = {JSON: with_query(url_for("search.search"), {**request.args, "format": "json"})}
    return negotiated(html_or((JSON,)), urls.get) is JSON


@bp.get("/search")
def search() -> Response:
    q = _query()
    as_json = wants_json()
    ctx = page_context(title=message("search", "en"))
    lang = str(ctx["lang"])
    found = things(q, lang) if q else []
    quoted = sentence_hits(q) if q else []
    if as_json:
        body = {
            "query": q,
            "lang": lang,
            "things": [asdict(hit) for hit in found],
            "sentences": [asdict(hit) for hit in quoted],
        }
        response = Response(json.dumps(body, ensure_ascii=False), content_type=JSON.content_type)
    else:
        ctx.update(
            title=message("search_results", lang, name=q) if q else message("search", lang),
            query=q,
            things=found,
            sentences=quoted,
            json_href=with_query(url_for("search.search"), {"q": q, "format": "json"}),
        )
        response = Response(render_template("ld/search.html", **ctx), content_type=HTML.content_type)
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = cache()
    return finish(
        response,
        etag=f"{version()}-search-{'json' if as_json else 'html'}-{lang}-{query_tag()}",
        vary=("Accept", "Accept-Language", "Cookie"),
    )


@bp.get("/search/suggest")
def suggest() -> Response:
    """OpenSearch suggestions (``application/x-suggestions+json``): ``[q, [names…]]``."""
    q = _query()
    lang = page_context(title="")["lang"]
    names = [hit.label for hit in things(q, str(lang))] if q else []
    response = Response(
        json.dumps([q, names[:10]], ensure_ascii=False),
        content_type="application/x-suggestions+json; charset=utf-8",
    )
    response.headers["Cache-Control"] = cache()
    return finish(response, vary=("Accept-Language", "Cookie"))


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    root = escape(public_url().rstrip("/"))  # the configured URL: the Host header never decides it
    terms = {"q": "{searchTerms}"}
    search_url = escape(with_query(absolute(url_for("search.search")), terms, template=True))
    suggest_url = escape(with_query(absolute(url_for("search.suggest")), terms, template=True))
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/"
 xmlns:moz="http://www.mozilla.org/2006/browser/search/">
<ShortName>Black January 1990</ShortName>
<Description>Names (de, en, az, ru) and source text of the Black January 1990 graph</Description>
<InputEncoding>UTF-8</InputEncoding>
<Image type="image/svg+xml">{root}/static/site/favicon.svg</Image>
<Url type="text/html" method="get" template="{search_url}"/>
<Url type="application/json" method="get" template="{search_url}&amp;format=json"/>
<Url type="application/x-suggestions+json" method="get" template="{suggest_url}"/>
<moz:SearchForm>{escape(absolute(url_for("search.search")))}</moz:SearchForm>
</OpenSearchDescription>
"""
    response = Response(body, content_type="application/opensearchdescription+xml; charset=utf-8")
    response.headers["Cache-Control"] = cache()
    return finish(response, vary=())
