"""Blueprint ``cite``: "cite this" for the dataset and every page of a thing or statement.

``/cite/dataset.{bib,ris,json}``, ``/cite/{key}.{…}`` and ``/cite/statement/{key}.{…}`` answer BibTeX,
RIS and CSL-JSON, in the reader's language (``?lang=``, the cookie, ``Accept-Language``), naming the
resource's permanent IRI and the dataset version it was read from.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response
from rdflib import URIRef

from blackjanuary.errors import ResourceNotFound
from blackjanuary.query.describe import PREFIXES, iri_term
from blackjanuary.rdf.iris import Ref, cite_path, is_key
from blackjanuary.web.citation import FORMATS, Citable, to_bibtex, to_csl, to_ris
from blackjanuary.web.context import cache, iris, language, store, version
from blackjanuary.web.entity_view import Labeller, statement_title
from blackjanuary.web.http import finish

bp = Blueprint("cite", __name__)

AUTHOR = "blackjanuary contributors"


def cite_links(ref: Ref | None) -> list[tuple[str, str]]:
    """(format name, path) for the "cite this" line of a page (the dataset's when ``ref`` is None)."""
    return [(name, cite_path(ref, ext)) for ext, (name, _) in FORMATS.items()]


def dataset_title_and_issued(lang: str) -> tuple[str, str]:
    """The dataset's title in ``lang`` (else English) and its release date (``dcterms:issued``)."""
    rows = store().select(
        PREFIXES + f"SELECT ?t ?issued WHERE {{ {iri_term(iris().dataset)} dcterms:title ?t "
        f"OPTIONAL {{ {iri_term(iris().dataset)} dcterms:issued ?issued }} }}"
    )
    titles = {getattr(r.get("t"), "language", None): str(r.get("t")) for r in rows if r.get("t") is not None}
    title = titles.get(lang) or titles.get("en") or next(iter(titles.values()), "Black January 1990")
    issued = next((str(r["issued"]) for r in rows if r.get("issued") is not None), "")
    return title, issued


def citable(ref: Ref | None) -> Citable:
    lang = language()
    dataset_title, issued = dataset_title_and_issued(lang)
    if ref is None:
        return Citable(
            "dataset", dataset_title, iris().dataset, version(), issued, dataset_title, AUTHOR, lang
        )
    if not is_key(ref.key):
        raise ResourceNotFound(
            f"{ref.key!r} is not a key of this dataset", hint="see /entities for every key"
        )
    iri = iris().of(ref)
    graph = store().construct(
        PREFIXES + f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ VALUES ?s {{ {iri_term(iri)} }} ?s ?p ?o }} UNION "
        f"{{ {iri_term(iri)} rdf:subject|rdf:predicate|rdf:object ?s . ?s rdfs:label ?o "
        "BIND(rdfs:label AS ?p) } }"
    )
    if len(graph) == 0:
        raise ResourceNotFound(f"no resource {iri} in this dataset", hint="see /entities for every key")
    labeller = Labeller(graph, iris(), lang)
    subject = URIRef(iri)
    title = statement_title(graph, labeller, subject) if ref.statement else labeller.label(subject)
    key = ("statement-" if ref.statement else "") + ref.key
    return Citable(key, title, iri, version(), issued, dataset_title, AUTHOR, lang)


def citation_response(ref: Ref | None, ext: str) -> Response:
    if ext not in FORMATS:
        raise ResourceNotFound(
            f"no .{ext} citation", hint="use .bib (BibTeX), .ris (RIS) or .json (CSL-JSON)"
        )
    c = citable(ref)
    _, media_type = FORMATS[ext]
    if ext == "bib":
        body = to_bibtex(c)
    elif ext == "ris":
        body = to_ris(c)
    else:
        body = json.dumps(to_csl(c), ensure_ascii=False, indent=1)
    charset = "; charset=utf-8"
    response = Response(body, content_type=media_type + charset)
    response.headers["Content-Disposition"] = f'inline; filename="blackjanuary-{c.key}.{ext}"'
    response.headers["Content-Language"] = c.lang
    response.headers["Cache-Control"] = cache()
    return finish(response, etag=f"{version()}-cite-{ext}-{c.lang}", vary=("Accept-Language", "Cookie"))


@bp.get("/cite/dataset.<ext>")
def cite_dataset(ext: str) -> Response:
    return citation_response(None, ext)


@bp.get("/cite/<key>.<ext>", defaults={"statement": False})
@bp.get("/cite/statement/<key>.<ext>", defaults={"statement": True})
def cite_thing(key: str, ext: str, statement: bool) -> Response:
    return citation_response(Ref(key, statement=statement), ext)
