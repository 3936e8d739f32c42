"""The Mix'n'match catalog (digest §3): one TSV row per named thing, ready for import.

Columns ``id``, ``name``, ``desc``, ``url``, ``type``, ``q``, ``P625``: the key, the English label and
description, the thing's page (the P1630 formatter URL with the key), the Wikidata class (always
empty: no class QID is verified, see :mod:`.wikidata_map`), the verified QID where there is one, and
``lat/lon`` for places with coordinates.
"""

from __future__ import annotations

from collections.abc import Iterable

from blackjanuary.publish.entities import Entity
from blackjanuary.rdf.iris import Iris, Ref, page_path

COLUMNS: tuple[str, ...] = ("id", "name", "desc", "url", "type", "q", "P625")
LANGUAGE = "en"


def _cell(text: str | None) -> str:
    return " ".join((text or "").split())


def coordinates(entity: Entity) -> str:
    if entity.lat is None or entity.lon is None:
        return ""
    return f"{entity.lat}/{entity.lon}"


def render(entities: Iterable[Entity], base_iri: str) -> str:
    lines = ["\t".join(COLUMNS)]
    for entity in sorted(entities, key=lambda e: e.key):
        row = (
            entity.key,
            _cell(entity.label(LANGUAGE)),
            _cell(entity.description(LANGUAGE)),
            Iris(base_iri).document(page_path(Ref(entity.key))),
            "",
            entity.qid or "",
            coordinates(entity),
        )
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"
