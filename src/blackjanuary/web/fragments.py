"""Blueprint ``fragments``: Triple Pattern Fragments (Linked Data Fragments, Hydra CG specification).

``GET /fragments?subject=&predicate=&object=&page=`` answers one triple pattern over the union of the
published named graphs (the SPARQL endpoint's default graph), a page of :data:`PAGE_SIZE` triples at a
time, with

- the **data**: the distinct matching triples of the page (sorted within the page);
- the **metadata**: the number of matches as ``void:triples`` and ``hydra:totalItems`` (counted up to
  :data:`COUNT_CAP` on the request; a larger one counted once per data version and pattern up to
  :data:`LARGE_COUNT_CAP` and kept; beyond that, or should that count time out, an estimate, as the
  specification allows), ``hydra:itemsPerPage`` and the paging links ``hydra:first``/``previous``/
  ``next``;
- the **controls**: the dataset as a ``hydra:Collection`` whose ``hydra:search`` is the IRI template
  ``/fragments{?subject,predicate,object}`` with one ``hydra:mapping`` per variable.

In TriG and N-Quads the data are the default graph and metadata and controls sit in the graph
``<page#metadata>``, which says ``foaf:primaryTopic <page>``; JSON-LD carries the same named graph;
Turtle and N-Triples, which have no graphs, carry all three in one graph, as the specification
allows. Browsers get an HTML view with the search form. Every representation is cached per data
version (``ETag``, ``Cache-Control``) like the other documents of a build.

The fragment IRIs start with the deployment's public URL (``serve`` fills it with its own address), since
clients follow the controls; the request's ``Host`` header never decides them.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request, url_for

from blackjanuary.errors import QueryTimeout
from blackjanuary.rdf.formats import HTML, JSONLD, NQUADS, NTRIPLES, TRIG, TURTLE, Format
from blackjanuary.rdf.iris import with_query
from blackjanuary.rdf.vocab import Ours
from blackjanuary.store.patterns import TriplePattern
from blackjanuary.web import fragment_writer
from blackjanuary.web.context import (
    cache,
    html_or,
    language,
    negotiated,
    page_context,
    settings,
    store,
    version,
)
from blackjanuary.web.formatting import format_number
from blackjanuary.web.fragment_terms import POSITIONS, parse_page, parse_pattern
from blackjanuary.web.http import finish
from blackjanuary.web.i18n import message
from blackjanuary.web.public_url import absolute

bp = Blueprint("fragments", __name__)

PAGE_SIZE = 100
COUNT_CAP = 10_000
"""Matches counted exactly on a request; a pattern with more is counted once per version up to
:data:`LARGE_COUNT_CAP`, and that count is kept."""
LARGE_COUNT_CAP = 1_000_000
"""Beyond this many matches the count is an estimate (``LARGE_COUNT_CAP + 1``), as the specification
allows: counting is then bounded by this many rows, whatever the size of the data."""
COUNT_CACHE_SIZE = 4096
RDF_OFFERS: tuple[Format, ...] = (TRIG, NQUADS, TURTLE, NTRIPLES, JSONLD)
"""The RDF formats, best first: the graph-aware ones keep data and metadata apart."""
SPEC = "https://www.hydra-cg.com/spec/latest/triple-pattern-fragments/"

HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCTERMS = "http://purl.org/dc/terms/"
_COUNTS_KEY = "blackjanuary.fragments.counts"


# Counting ----------------------------------------------------------------------------------------------
class CountCache:
    """Pattern counts per data version: an LRU for the small ones, a dict for those above
    :data:`COUNT_CAP` (at most ``7 × triples / COUNT_CAP`` patterns can have that many matches, so it
    stays small, and each of them is counted once per version)."""

    def __init__(self, size: int = COUNT_CACHE_SIZE) -> None:
        self.size = size
        self._small: OrderedDict[tuple[str, str], tuple[int, bool]] = OrderedDict()
        self._large: dict[tuple[str, str], tuple[int, bool]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[int, bool] | None:
        with self._lock:
            if key in self._large:
                return self._large[key]
            found = self._small.get(key)
            if found is not None:
                self._small.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], value: tuple[int, bool]) -> None:
        with self._lock:
            if value[0] > COUNT_CAP:
                if any(k[0] != key[0] for k in self._large):  # a new data version: forget the old
                    self._large = {k: v for k, v in self._large.items() if k[0] == key[0]}
                self._large[key] = value
                return
            self._small[key] = value
            self._small.move_to_end(key)
            while len(self._small) > self.size:
                self._small.popitem(last=False)


def _counts() -> CountCache:
    cache_ = current_app.extensions.get(_COUNTS_KEY)
    if cache_ is None:
        cache_ = current_app.extensions.setdefault(_COUNTS_KEY, CountCache())
    assert isinstance(cache_, CountCache)
    return cache_


def count_matches(pattern: TriplePattern) -> tuple[int, bool]:
    """The number of triples matching ``pattern`` and whether it is exact (else an estimate)."""
    current = store()
    info = current.info
    if len(pattern.free) == 3:
        # every triple matches: the per-graph counts the store already holds (a triple in two graphs
        # counts twice, so this is an estimate, off by the few triples the graphs share)
        return sum(info.graph_triples.values()), False
    key = (info.version, pattern.where())
    cached = _counts().get(key)
    if cached is not None:
        return cached
    count = current.count_pattern(pattern, cap=COUNT_CAP)
    result = (count, True)
    if count > COUNT_CAP:
        try:
            count = current.count_pattern(pattern, cap=LARGE_COUNT_CAP)
            result = (count, count <= LARGE_COUNT_CAP)
        except QueryTimeout:
            result = (COUNT_CAP + 1, False)
    _counts().put(key, result)
    return result


# URLs ----------------------------------------------------------------------------------------------------
def fragments_base() -> str:
    """``{public URL}fragments``: clients follow the controls, so they must name this deployment, and
    never a host the request's ``Host`` header made up (see :mod:`blackjanuary.web.public_url`)."""
    return absolute(url_for("fragments.fragment"))


def fragment_url(base: str, raw: dict[str, str], page: int = 1) -> str:
    """The canonical URL of a page: the pattern parameters as given, in template order."""
    params = {name: raw[name] for name in POSITIONS if raw.get(name)}
    return with_query(base, params | ({"page": str(page)} if page > 1 else {}))


def request_url(base: str, raw: dict[str, str], page: int) -> str:
    """The URL this request was made to (the fragment's identity for clients), canonical if unusable."""
    query = request.query_string.decode("latin-1")
    url = base + ("?" + query if query else "")
    try:
        ox.NamedNode(url)
    except ValueError:
        return fragment_url(base, raw, page)
    return url


# The response graph ----------------------------------------------------------------------------------------
def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def pattern_text(pattern: TriplePattern) -> str:
    """``{ <s> ?p ?o }`` for titles and descriptions."""
    return "{ " + pattern.where() + " }"


def controls(base: str) -> tuple[ox.Triple, ...]:
    """The dataset as a Hydra collection and its search form (the IRI template and its mappings),
    sorted: the same 23 triples on every page of a deployment."""
    return _controls(base, base + "#dataset", Ours(settings().base_iri).dataset)


@functools.lru_cache(maxsize=16)
def _controls(base: str, dataset_iri: str, source: str) -> tuple[ox.Triple, ...]:
    """:func:`controls`, made once per deployment address."""
    dataset, search = _iri(dataset_iri), _iri(base + "#triplePattern")
    out = [
        ox.Triple(dataset, _iri(RDF + "type"), _iri(VOID + "Dataset")),
        ox.Triple(dataset, _iri(RDF + "type"), _iri(HYDRA + "Collection")),
        ox.Triple(dataset, _iri(HYDRA + "search"), search),
        ox.Triple(dataset, _iri(VOID + "uriLookupEndpoint"), _iri(base + "?subject=")),
        ox.Triple(dataset, _iri(DCTERMS + "source"), _iri(source)),
        ox.Triple(dataset, _iri(DCTERMS + "conformsTo"), _iri(SPEC)),
        ox.Triple(search, _iri(HYDRA + "template"), ox.Literal(base + "{?subject,predicate,object}")),
        ox.Triple(search, _iri(HYDRA + "variableRepresentation"), _iri(HYDRA + "ExplicitRepresentation")),
    ]
    for name in POSITIONS:
        mapping = _iri(f"{base}#{name}")
        out += [
            ox.Triple(search, _iri(HYDRA + "mapping"), mapping),
            ox.Triple(mapping, _iri(HYDRA + "variable"), ox.Literal(name)),
            ox.Triple(mapping, _iri(HYDRA + "property"), _iri(RDF + name)),
        ]
    return tuple(sorted(out, key=str))


def metadata(
    base: str, page_iri: str, raw: dict[str, str], pattern: TriplePattern, page: int, count: int, more: bool
) -> list[ox.Triple]:
    """The fragment's metadata and paging links (the controls are :func:`controls`), sorted."""
    dataset_iri = base + "#dataset"
    first = fragment_url(base, raw)
    view = _iri(page_iri)
    out = [
        ox.Triple(_iri(dataset_iri), _iri(VOID + "subset"), view),
        ox.Triple(view, _iri(RDF + "type"), _iri(HYDRA + "PartialCollectionView")),
        ox.Triple(
            view,
            _iri(DCTERMS + "title"),
            ox.Literal("Linked Data Fragment of Black January 1990", language="en"),
        ),
        ox.Triple(
            view,
            _iri(DCTERMS + "description"),
            ox.Literal(
                f"Triple Pattern Fragment of the Black January 1990 dataset containing triples "
                f"matching the pattern {pattern_text(pattern)}.",
                language="en",
            ),
        ),
        ox.Triple(view, _iri(DCTERMS + "source"), _iri(dataset_iri)),
        ox.Triple(view, _iri(HYDRA + "totalItems"), ox.Literal(count)),
        ox.Triple(view, _iri(VOID + "triples"), ox.Literal(count)),
        ox.Triple(view, _iri(HYDRA + "itemsPerPage"), ox.Literal(PAGE_SIZE)),
        ox.Triple(view, _iri(HYDRA + "first"), _iri(first)),
    ]
    if first != page_iri:
        out.append(ox.Triple(_iri(first), _iri(VOID + "subset"), view))
    if page > 1:
        out.append(ox.Triple(view, _iri(HYDRA + "previous"), _iri(fragment_url(base, raw, page - 1))))
    if more:
        out.append(ox.Triple(view, _iri(HYDRA + "next"), _iri(fragment_url(base, raw, page + 1))))
    return sorted(out, key=str)


def prefixes() -> dict[str, str]:
    return {**Ours(settings().base_iri).prefixes(), "hydra": HYDRA}


def serialize(fmt: Format, data: list[ox.Triple], meta: list[ox.Triple], base: str, page_iri: str) -> bytes:
    """The fragment in ``fmt``: graph-aware formats keep metadata and controls in ``<page#metadata>``."""
    return fragment_writer.write(fmt, data, meta, controls(base), page_iri, prefixes())


# The view --------------------------------------------------------------------------------------------------
@bp.get("/fragments")
def fragment() -> Response:
    raw = {name: request.args.get(name, "") for name in POSITIONS}
    pattern = parse_pattern(raw)
    page = parse_page(request.args.get("page"))
    fmt = negotiated(html_or(RDF_OFFERS))
    base = fragments_base()
    page_iri = request_url(base, raw, page)

    offset = (page - 1) * PAGE_SIZE
    rows = store().match_pattern(pattern, offset=offset, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    data = sorted(rows[:PAGE_SIZE], key=str)
    if not more and (data or page == 1):  # the last page: every match is on it or before it
        count, exact = offset + len(data), True
    else:
        count, exact = count_matches(pattern)
        if data:  # an estimate never says fewer than the page shows (a page past the end shows none)
            count = max(count, offset + len(data) + (1 if more else 0))
    meta = metadata(base, page_iri, raw, pattern, page, count, more)

    body: str | bytes
    if fmt is HTML:
        body = html(data, raw, pattern, page, count, exact, more, base)
    else:
        body = serialize(fmt, data, meta, base, page_iri)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Cache-Control"] = cache()
    links = [(fragment_url(base, raw), "first")]
    if page > 1:
        links.append((fragment_url(base, raw, page - 1), "prev"))
    if more:
        links.append((fragment_url(base, raw, page + 1), "next"))
    response.headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"' for href, rel in links)
    digest = hashlib.sha256(page_iri.encode("utf-8")).hexdigest()[:16]
    variant = f"{fmt.extension}-{page_context(title='')['lang']}" if fmt is HTML else fmt.extension
    vary = ("Accept", "Accept-Language") if fmt is HTML else ("Accept",)
    return finish(response, etag=f"{version()}-tpf-{variant}-{digest}", vary=vary)


def html(
    data: list[ox.Triple],
    raw: dict[str, str],
    pattern: TriplePattern,
    page: int,
    count: int,
    exact: bool,
    more: bool,
    base: str,
) -> str:
    known = sorted(prefixes().items(), key=lambda kv: -len(kv[1]))
    ours = settings().base_iri
    ctx: dict[str, Any] = page_context(title=message("fragments_title", language()))
    lang = ctx["lang"]
    ctx.update(
        number=lambda n: format_number(n, lang),
        raw=raw,
        pattern=pattern_text(pattern),
        rows=[
            [_cell(term, position, known, ours) for term, position in zip(t, POSITIONS, strict=True)]
            for t in data
        ],
        page=page,
        count=count,
        exact=exact,
        first_item=(page - 1) * PAGE_SIZE + 1,
        previous=fragment_url(base, raw, page - 1) if page > 1 else None,
        next=fragment_url(base, raw, page + 1) if more else None,
        template=base + "{?subject,predicate,object}",
        spec=SPEC,
    )
    ctx["alternates"] = [
        {"href": request.full_path, "media_type": f.media_type, "label": f.label} for f in RDF_OFFERS
    ]
    return render_template("ld/fragments.html", **ctx)


def _cell(term: object, position: str, known: list[tuple[str, str]], ours: str) -> dict[str, str | None]:
    """One term for the HTML table: its text, a fragment link for IRIs, and where the IRI leads (our
    own IRIs on this server)."""
    if isinstance(term, ox.NamedNode):
        short = next((f"{p}:{term.value[len(ns) :]}" for p, ns in known if term.value.startswith(ns)), None)
        return {
            "text": short or term.value,
            "title": term.value,
            "fragment": with_query(url_for("fragments.fragment"), {position: term.value}),
            "href": "/" + term.value[len(ours) :]
            if term.value.startswith(ours)
            else (term.value if term.value.startswith(("http://", "https://")) else None),
        }
    return {"text": str(term), "title": None, "fragment": None, "href": None}
