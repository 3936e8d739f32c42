"""IRIs and paths: the only place where our URLs are built (datasette's ``url_builder`` idea).

Pure functions over strings. A *thing* lives at ``{base}id/{key}``, a statement at
``{base}id/statement/{key}``; on any host the same key answers at ``/id/…`` (303), ``/page/…`` (HTML)
and ``/data/…[.ext]`` (RDF). RDF output carries canonical IRIs; HTML links are host-relative paths.

>>> iris = Iris("https://w3id.org/blackjanuary/")
>>> iris.thing("baku")
'https://w3id.org/blackjanuary/id/baku'
>>> iris.ref_of("https://w3id.org/blackjanuary/id/statement/baku-population")
Ref(key='baku-population', statement=True)
>>> iris.link("https://w3id.org/blackjanuary/id/baku")
'/page/baku'
>>> iris.link("https://w3id.org/blackjanuary/source/black-january-1990.de#char=0,10")
'/source/black-january-1990.de#char=0,10'
>>> iris.link("http://www.wikidata.org/entity/Q9248") is None
True
>>> data_path(Ref("baku"), "ttl")
'/data/baku.ttl'
>>> parse_data_name("baku.jsonld")
('baku', 'jsonld')
>>> document_path("void", "ttl"), download_path("black-january.nt.gz"), cite_path(None, "bib")
('/void.ttl', '/downloads/black-january.nt.gz', '/cite/dataset.bib')
>>> with_query("/search", {"q": "Bakı 1990", "format": "json"})
'/search?q=Bak%C4%B1%201990&format=json'
>>> with_query("/search", {"q": "{searchTerms}"}, template=True)
'/search?q={searchTerms}'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

KEY_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
"""Every minted key matches this (DESIGN.md); a shape enforces it on the data too."""

SOURCE_NAME = "black-january-1990.de"
"""The local name of the source text under ``{base}source/``."""

CHAR_FRAGMENT = re.compile(r"^char=(\d+),(\d+)$")
"""An RFC 5147 ``char=start,end`` fragment (the id of a sentence or quote)."""


@dataclass(frozen=True)
class Ref:
    """A dereferenceable resource of ours: a thing or a statement, named by its key."""

    key: str
    statement: bool = False

    @property
    def suffix(self) -> str:
        return f"statement/{self.key}" if self.statement else self.key


def is_key(key: str) -> bool:
    return bool(KEY_PATTERN.match(key))


def id_path(ref: Ref) -> str:
    return f"/id/{ref.suffix}"


def page_path(ref: Ref) -> str:
    return f"/page/{ref.suffix}"


def data_path(ref: Ref, extension: str | None = None) -> str:
    return f"/data/{ref.suffix}" + (f".{extension}" if extension else "")


def parse_data_name(name: str) -> tuple[str, str | None]:
    """Split ``key.ext`` into key and extension (keys never hold a dot); no dot → no extension."""
    key, dot, extension = name.partition(".")
    return key, (extension if dot else None)


def document_path(name: str, extension: str | None = None) -> str:
    """A document at the root (``/void``, ``/ontology``, ``/shapes``), ``.ext`` for one format."""
    return f"/{name}" + (f".{extension}" if extension else "")


def download_path(name: str) -> str:
    """A file of the build under ``/downloads/``."""
    return f"/downloads/{name}"


def cite_path(ref: Ref | None, extension: str) -> str:
    """The citation of ``ref`` (of the dataset when ``None``) in one format."""
    return f"/cite/{'dataset' if ref is None else ref.suffix}.{extension}"


def with_query(path: str, params: Mapping[str, str], *, template: bool = False) -> str:
    """``path`` with ``params`` as its query string (none when empty), percent-encoded (RFC 3986: a
    space is ``%20``); ``template`` keeps ``{…}`` placeholders (OpenSearch, reconciliation) as they are."""
    if not params:
        return path
    return path + "?" + urlencode(params, safe="{}" if template else "", quote_via=quote)


def source_path(fragment: str | None = None) -> str:
    return f"/source/{SOURCE_NAME}" + (f"#{fragment}" if fragment else "")


def char_fragment(start: int, end: int) -> str:
    """The RFC 5147 fragment for a character range; also the HTML id on the source-text page."""
    return f"char={start},{end}"


def parse_char_fragment(fragment: str) -> tuple[int, int] | None:
    match = CHAR_FRAGMENT.match(fragment)
    return (int(match.group(1)), int(match.group(2))) if match else None


def sparql_link(query: str) -> str:
    """A link that runs ``query`` on this host's endpoint."""
    return "/sparql?query=" + quote(query, safe="")


class Iris:
    """Our IRIs under one base (the configured ``Settings.base_iri``)."""

    def __init__(self, base: str) -> None:
        if not base.endswith("/"):
            raise ValueError(f"base IRI must end with '/': {base!r}")
        self.base = base

    # IRIs ---------------------------------------------------------------------------------------
    def thing(self, key: str) -> str:
        return f"{self.base}id/{key}"

    def statement(self, key: str) -> str:
        return f"{self.base}id/statement/{key}"

    def of(self, ref: Ref) -> str:
        return self.statement(ref.key) if ref.statement else self.thing(ref.key)

    @property
    def source(self) -> str:
        return f"{self.base}source/{SOURCE_NAME}"

    def source_fragment(self, start: int, end: int) -> str:
        return f"{self.source}#{char_fragment(start, end)}"

    @property
    def ontology(self) -> str:
        return f"{self.base}ontology"

    @property
    def shapes(self) -> str:
        return f"{self.base}shapes"

    @property
    def dataset(self) -> str:
        return f"{self.base}dataset"

    def download(self, name: str) -> str:
        """The permanent IRI of a file of the build (the w3id rules redirect it to the deployment)."""
        return self.document(download_path(name))

    def document(self, path: str) -> str:
        """The canonical IRI of a document served at ``path`` (``/data/baku.ttl`` …)."""
        return self.base + path.lstrip("/")

    # IRI → local ---------------------------------------------------------------------------------
    def is_ours(self, iri: str) -> bool:
        return iri.startswith(self.base)

    def ref_of(self, iri: str) -> Ref | None:
        """The thing or statement an IRI names, or ``None`` if it is not one of ours."""
        if not iri.startswith(self.base + "id/"):
            return None
        rest = iri[len(self.base) + 3 :]
        statement = rest.startswith("statement/")
        key = rest[len("statement/") :] if statement else rest
        return Ref(key, statement) if is_key(key) else None

    def link(self, iri: str) -> str | None:
        """A host-relative path for browsing ``iri`` on this server, or ``None`` for foreign IRIs."""
        ref = self.ref_of(iri)
        if ref is not None:
            return page_path(ref)
        if not self.is_ours(iri):
            return None
        return "/" + iri[len(self.base) :]

    def local_name(self, iri: str) -> str:
        """The part after ``#`` or the last ``/`` (for anchors and compact display)."""
        for separator in ("#", "/"):
            if separator in iri:
                return iri.rsplit(separator, 1)[1]
        return iri
