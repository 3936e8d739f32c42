"""Citations of the dataset and of one resource in it: BibTeX, RIS and CSL-JSON (no Flask, no store).

A :class:`Citable` holds what every format needs; each ``to_*`` function writes one format. Values
are escaped for their format (BibTeX braces and backslashes, RIS line breaks), so a label can never
break the record.

>>> c = Citable("baku", "Baku", "https://w3id.org/blackjanuary/id/baku", "1.1.0", "2026-11-26",
...             "Black January 1990 knowledge graph", "blackjanuary contributors", "en")
>>> print(to_bibtex(c).splitlines()[0])
@misc{blackjanuary-baku-1.1.0,
>>> "TY  - DATA" in to_ris(c) and "UR  - https://w3id.org/blackjanuary/id/baku" in to_ris(c)
True
>>> to_csl(c)[0]["issued"]
{'date-parts': [[2026, 11, 26]]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORMATS = {
    "bib": ("BibTeX", "application/x-bibtex"),
    "ris": ("RIS", "application/x-research-info-systems"),
    "json": ("CSL-JSON", "application/vnd.citationstyles.csl+json"),
}
"""Extension → (name, media type)."""


@dataclass(frozen=True)
class Citable:
    key: str
    title: str
    url: str
    version: str
    issued: str
    """ISO date of the build's release (``dcterms:issued``)."""
    container: str
    """The dataset's title; for the dataset itself, its own title again."""
    author: str
    lang: str

    @property
    def is_dataset(self) -> bool:
        return self.title == self.container

    @property
    def date_parts(self) -> list[int]:
        return [int(part) for part in re.findall(r"\d+", self.issued)[:3]]


def _bib(text: str) -> str:
    return re.sub(r"([\\{}])", r"\\\1", text).replace("\n", " ")


def to_bibtex(c: Citable) -> str:
    fields = [
        ("title", "{" + _bib(c.title) + "}"),
        ("author", "{" + _bib(c.author) + "}"),
        ("year", str(c.date_parts[0]) if c.date_parts else ""),
        ("version", _bib(c.version)),
        ("url", _bib(c.url)),
        ("howpublished", "\\url{" + _bib(c.url) + "}"),
        ("note", ("" if c.is_dataset else "In: " + _bib(c.container) + ", ") + f"version {_bib(c.version)}"),
        ("language", c.lang),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{blackjanuary-{c.key}-{c.version},\n{body}\n}}\n"


def _ris(text: str) -> str:
    return " ".join(text.split())


def to_ris(c: Citable) -> str:
    lines = [
        ("TY", "DATA"),
        ("TI", _ris(c.title)),
        ("AU", _ris(c.author)),
        ("PY", str(c.date_parts[0]) if c.date_parts else ""),
        ("DA", "/".join(f"{p:02d}" for p in c.date_parts)),
        ("ET", _ris(c.version)),
        ("UR", c.url),
        ("LA", c.lang),
    ]
    if not c.is_dataset:
        lines.insert(2, ("T2", _ris(c.container)))
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines if value) + "ER  - \r\n"


def to_csl(c: Citable) -> list[dict[str, object]]:
    item: dict[str, object] = {
        "id": f"blackjanuary-{c.key}-{c.version}",
        "type": "dataset",
        "title": c.title,
        "author": [{"literal": c.author}],
        "version": c.version,
        "URL": c.url,
        "language": c.lang,
    }
    if c.date_parts:
        item["issued"] = {"date-parts": [c.date_parts]}
    if not c.is_dataset:
        item["container-title"] = c.container
    return [item]
