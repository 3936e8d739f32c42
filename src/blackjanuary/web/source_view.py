"""The source-text page's content: sentences with their anchors and the facts drawn from each.

:func:`source_view` asks the store for the source text, its sentences and quotes, and every statement
derived from them, and returns paragraphs of :class:`SentenceView` s for the template. The sentence
ids are the RFC 5147 fragments (``char=S,E``), so ``…/source/black-january-1990.de#char=S,E`` lands
on the sentence; quotes get an empty anchor at their start; ``#s3`` names sentence 3.

Each sentence is cut into pieces at every quote's start and end, and each piece carries its offsets
(``data-s``/``data-e``), so the exact words of any quote, overlapping ones included, can be marked:
by ``static/site/quote-highlight.js`` for a ``#char=S,E`` fragment (a same-origin file, the CSP
allows no inline script), and on the server for ``?highlight=S,E`` (works without script).
Beside each sentence stands the project's own translation into the page's language
(``graph/translations/*.tsv``), marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

from blackjanuary.query.describe import PREFIXES, iri_term
from blackjanuary.query.service import QueryService
from blackjanuary.rdf.iris import SOURCE_NAME, Iris, char_fragment, parse_char_fragment
from blackjanuary.rdf.vocab import Ours
from blackjanuary.web.entity_view import Labeller, Value, int_value

FACT_LIMIT = 5_000


@dataclass(frozen=True)
class Segment:
    text: str
    anchors: tuple[str, ...] = ()
    """Ids placed before ``text`` (the ``char=`` fragments of quotes starting there)."""
    start: int = 0
    end: int = 0
    """The piece's offsets in the source text."""
    highlighted: bool = False
    """Inside the range ``?highlight=`` names."""


@dataclass(frozen=True)
class Translation:
    lang: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class FactView:
    subject: Value
    predicate: Value
    object: Value
    statement: Value


@dataclass
class SentenceView:
    number: int | None
    start: int
    end: int
    segments: list[Segment]
    facts: list[FactView] = field(default_factory=list)
    translation: Translation | None = None

    @property
    def fragment(self) -> str:
        return char_fragment(self.start, self.end)


def source_text(store: QueryService, source: str) -> str | None:
    rows = store.select(PREFIXES + f"SELECT ?t WHERE {{ {iri_term(source)} schema:text ?t }} LIMIT 1")
    return str(rows[0]["t"]) if rows and "t" in rows[0] else None


def sentences(
    store: QueryService, source: str, bj: str
) -> list[tuple[URIRef, int, int, int | None, str | None]]:
    rows = store.select(
        PREFIXES + f"PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX bj: <{bj}> "
        f"SELECT ?s ?start ?end ?n ?exact WHERE {{ ?s a bj:Sentence ; dcterms:isPartOf {iri_term(source)} ; "
        "oa:hasSelector/oa:start ?start ; oa:hasSelector/oa:end ?end . OPTIONAL { ?s bj:sentenceNumber ?n } "
        "OPTIONAL { ?s oa:hasSelector/oa:exact ?exact } } "
        "ORDER BY ?start"
    )
    found = []
    for row in rows:
        start, end = int_value(row.get("start")), int_value(row.get("end"))
        if start is None or end is None:
            continue
        exact = row.get("exact")
        number = int_value(row.get("n"))
        found.append((URIRef(str(row["s"])), start, end, number, str(exact) if exact else None))
    return found


def quote_ranges(store: QueryService, source: str) -> list[tuple[int, int, str]]:
    """Every quote's (start, end, fragment), from their IRIs (which carry the offsets)."""
    rows = store.select(
        PREFIXES + "SELECT DISTINCT ?q WHERE { ?q dcterms:isPartOf ?sentence . "
        f"?sentence dcterms:isPartOf {iri_term(source)} }}"
    )
    found = set()
    for row in rows:
        fragment = str(row["q"]).partition("#")[2]
        offsets = parse_char_fragment(fragment)
        if offsets is not None:
            found.add((offsets[0], offsets[1], fragment))
    return sorted(found)


def facts(store: QueryService, source: str) -> tuple[list[dict[str, Node]], Graph]:
    """Every statement derived from a sentence of ``source`` (or a quote in one), with labels."""
    where = (
        "?st prov:wasDerivedFrom ?q ; rdf:subject ?subj ; rdf:predicate ?pred ; rdf:object ?obj . "
        "{ ?q dcterms:isPartOf ?sent . "
        f"?sent dcterms:isPartOf {iri_term(source)} }} UNION {{ ?q dcterms:isPartOf {iri_term(source)} . "
        "BIND(?q AS ?sent) }"
    )
    rows = store.select(
        PREFIXES + f"SELECT ?sent ?st ?subj ?pred ?obj WHERE {{ {where} }} "
        f"ORDER BY ?sent ?st LIMIT {FACT_LIMIT}"
    )
    labels = store.construct(
        PREFIXES + "CONSTRUCT { ?x rdfs:label ?l } WHERE { "
        f"{{ SELECT DISTINCT ?x WHERE {{ {where} VALUES ?v {{ 1 2 3 }} "
        "BIND(IF(?v = 1, ?subj, IF(?v = 2, ?pred, ?obj)) AS ?x) FILTER(isIRI(?x)) } LIMIT 20000 } "
        "?x rdfs:label ?l }"
    )
    return rows, labels


def _segments(
    text: str,
    start: int,
    quotes: list[tuple[int, int, str]],
    own: str,
    highlight: tuple[int, int] | None = None,
) -> list[Segment]:
    """Cut a sentence at every quote's start and end; quote anchors go before the piece they start."""
    end = start + len(text)
    cuts = sorted({start, end, *(o for q in quotes for o in q[:2] if start < o < end)})
    anchors: dict[int, list[str]] = {}
    for q_start, _, fragment in quotes:
        if start <= q_start < end and fragment != own:
            anchors.setdefault(q_start, []).append(fragment)
    segments = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        lit = highlight is not None and highlight[0] <= a and b <= highlight[1]
        segments.append(
            Segment(text[a - start : b - start], tuple(sorted(set(anchors.get(a, [])))), a, b, lit)
        )
    return segments


TRANSLATIONS_DIR = "translations"


def translations(graph_dir: Path, source_name: str, lang: str) -> dict[tuple[int, int], Translation]:
    """The project's translations of the sentences into ``lang``, by the sentence's (start, end).

    The notes (in English) on irregular German go with every language's translation.
    """
    path = graph_dir / TRANSLATIONS_DIR / f"{source_name.removesuffix('.de')}.tsv"
    if not path.exists():
        return {}
    rows = read_translations(path)
    notes = {(start, end): t.note for _, start, end, t in rows if t.note}
    return {
        (start, end): Translation(t.lang, t.text, t.note or notes.get((start, end), ""))
        for _, start, end, t in rows
        if t.lang == lang
    }


def read_translations(path: Path) -> list[tuple[int, int, int, Translation]]:
    """Rows of the translations file: (sentence number, start, end, translation)."""
    rows = []
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]
    header = lines[0].split("\t")
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t"), strict=False))
        rows.append(
            (
                int(cells["sentence"]),
                int(cells["start"]),
                int(cells["end"]),
                Translation(cells["lang"], cells["text"], cells.get("note", "")),
            )
        )
    return rows


def source_view(
    store: QueryService,
    iris: Iris,
    lang: str,
    *,
    graph_dir: Path | None = None,
    highlight: tuple[int, int] | None = None,
) -> list[list[SentenceView]]:
    """Paragraphs (a blank line in the text separates them) of sentences, with their facts and, for
    a reader of another language than German, the project's translation."""
    source = iris.source
    bj = str(Ours(iris.base).BJ)
    text = source_text(store, source)
    quotes = quote_ranges(store, source)
    translated = translations(graph_dir, SOURCE_NAME, lang) if graph_dir is not None and lang != "de" else {}
    views: dict[str, SentenceView] = {}
    paragraphs: list[list[SentenceView]] = [[]]
    previous_end = 0
    for node, start, end, number, exact in sentences(store, source, bj):
        sentence_text = text[start:end] if text is not None else (exact or "")
        gap = text[previous_end:start] if text is not None else ""
        if "\n\n" in gap and paragraphs[-1]:
            paragraphs.append([])
        own = char_fragment(start, end)
        view = SentenceView(
            number,
            start,
            end,
            _segments(sentence_text, start, quotes, own, highlight),
            translation=translated.get((start, end)),
        )
        views[str(node)] = view
        paragraphs[-1].append(view)
        previous_end = end
    rows, labels = facts(store, source)
    labeller = Labeller(labels, iris, lang)
    for row in rows:
        found = views.get(str(row.get("sent")))
        if found is None:
            continue
        found.facts.append(
            FactView(
                labeller.value(row["subj"]),
                labeller.value(row["pred"]),
                labeller.value(row["obj"]),
                labeller.value(row["st"]),
            )
        )
    return [paragraph for paragraph in paragraphs if paragraph]


def highlight_param(value: str | None) -> tuple[int, int] | None:
    """``?highlight=S,E`` (or ``char=S,E``) as offsets; anything else is ignored (no highlight).

    >>> highlight_param("210,254"), highlight_param("char=0,159")
    ((210, 254), (0, 159))
    >>> highlight_param("9,2"), highlight_param("x")
    (None, None)
    """
    if not value:
        return None
    found = parse_char_fragment(value if value.startswith("char=") else "char=" + value)
    return found if found is not None and found[0] <= found[1] else None
