"""What both API versions share: the index per build version, languages, parsing, values, preview.

No Flask here: the blueprints in ``web/reconcile_v02.py`` and ``web/reconcile_v1.py`` (and their
shared ``web/reconcile_glue.py``) translate HTTP to these functions.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD
from rdflib.term import Node

from blackjanuary.errors import BadRequest, PayloadTooLarge, ResourceNotFound
from blackjanuary.publish.entities import ConstructSource, Entity, entities_from_graph, graph_from_store
from blackjanuary.publish.exports.facts import plain_graph
from blackjanuary.rdf.vocab import INTEGER_TYPES, Ours, sorted_nodes
from blackjanuary.reconcile.index import Candidate, NameIndex
from blackjanuary.reconcile.limits import ReconcileLimits, shown

MAX_BATCH = ReconcileLimits.max_batch
"""Most queries (or ids) one request may carry; more is a 413."""
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 140
SERVICE_NAME = "Black January 1990 (Baku) knowledge graph"

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], NameIndex] = {}


def index_from_graph(graph: Graph, ours: Ours, *, version: str = "") -> NameIndex:
    graph = plain_graph(graph)
    entities = entities_from_graph(graph, ours)
    types = {t for e in entities for t in e.types}
    props = {p for e in entities for p in e.values}
    return NameIndex(
        entities,
        ours,
        version=version,
        type_labels={t: _labels(graph, t) for t in types},
        property_labels={p: _labels(graph, p) for p in props},
    )


def _labels(graph: Graph, iri: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for obj in sorted_nodes(graph.objects(URIRef(iri), RDFS.label)):
        if isinstance(obj, Literal):
            out.setdefault(obj.language or "", str(obj))
    return out


def index_for(store: ConstructSource, ours: Ours, version: str) -> NameIndex:
    """The index of one store at one build version, built on first use and then reused."""
    key = (id(store), ours.base, version)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    index = index_from_graph(graph_from_store(store, ours), ours, version=version)
    with _lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = index
    return index


# Request parsing -------------------------------------------------------------------------------
def check_batch(size: int, what: str, limits: ReconcileLimits | None = None) -> None:
    cap = (limits or ReconcileLimits()).max_batch
    if size > cap:
        raise PayloadTooLarge(
            f"{size} {what} in one request; at most {cap} are accepted.",
            hint=f"split the batch into requests of {cap} or fewer",
        )


def resolve_types(index: NameIndex, types: Iterable[str], where: str) -> tuple[str, ...]:
    """The type IRIs the client named (IRI, CURIE, local name or label); an unknown one is a 400."""
    out: list[str] = []
    for term in types:
        if not term.strip():
            continue
        iri = index.resolve_type(term)
        if iri is None:
            valid = ", ".join(f"{t} ({index.term_name(t, 'en')})" for t in index.types)
            raise BadRequest(
                f"{where}: unknown type {shown(term)}; the types of this service are: {valid}.",
                hint="use a type id or name from the manifest's defaultTypes (or /reconcile/suggest/type)",
            )
        out.append(iri)
    return tuple(out)


def as_int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's 1e400 is float('inf')
        raise BadRequest(f"'{name}' must be an integer, got {shown(value)}.") from None
    if number < 0:
        raise BadRequest(f"'{name}' must not be negative, got {number}.")
    return number


def value_strings(
    value: Any, limits: ReconcileLimits | None = None, where: str = "a query"
) -> tuple[str, ...]:
    """Property values of a query (string, number, bool, ``{id, name}`` or a list) as strings."""
    items = value if isinstance(value, list) else [value]
    limits = limits or ReconcileLimits()
    limits.check_count(len(items), "values", limits.max_values, f"one property condition of {where}")
    out: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            if "id" not in item:
                raise BadRequest(f"a property value object needs an 'id', got {shown(dict(item))}.")
            out.append(str(item["id"]))
        elif isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
        else:
            raise BadRequest(
                f"unsupported property value {shown(item)}: use a string, number or {{id, name}}."
            )
    return tuple(out)


def require_entity(index: NameIndex, identifier: str | None) -> Entity:
    if not identifier:
        raise BadRequest("the 'id' parameter is missing; pass an entity key such as 'baku'.")
    entity = index.lookup(identifier)
    if entity is None:
        raise ResourceNotFound(f"no entity with id {shown(identifier)}; ids are the keys under /id/.")
    return entity


# Results ---------------------------------------------------------------------------------------
def entity_types(index: NameIndex, entity: Entity, lang: str) -> list[dict[str, str]]:
    return [{"id": t, "name": index.term_name(t, lang)} for t in entity.types]


def suggest_item(index: NameIndex, entity: Entity, lang: str) -> dict[str, Any]:
    """One entity-suggest result (both API versions): id, name, notable types, description if any."""
    item: dict[str, Any] = {
        "id": entity.key,
        "name": entity.label(lang),
        "notable": entity_types(index, entity, lang),
    }
    description = entity.description(lang)
    if description:
        item["description"] = description
    return item


def candidate_json(
    index: NameIndex, candidate: Candidate, lang: str, *, feature_names: bool
) -> dict[str, Any]:
    """One match candidate; 1.0-draft gives its features a name beside the id and value."""
    entity = candidate.entity
    out: dict[str, Any] = {
        "id": entity.key,
        "name": entity.label(lang),
        "score": candidate.score,
        "match": candidate.match,
        "type": entity_types(index, entity, lang),
    }
    description = entity.description(lang)
    if description:
        out["description"] = description
    out["features"] = [
        {"id": f.id, "name": f.name, "value": f.value} if feature_names else {"id": f.id, "value": f.value}
        for f in candidate.features
    ]
    return out


def default_types(index: NameIndex, lang: str) -> list[dict[str, str]]:
    return [{"id": t, "name": index.term_name(t, lang)} for t in index.types]


def extension_value(index: NameIndex, node: Node, lang: str) -> dict[str, Any] | None:
    """One data-extension value; ``None`` for a literal in another language than the one asked."""
    if isinstance(node, URIRef):
        base = str(index.ours.ID)
        if node.startswith(base):
            target = index.lookup(str(node))
            if target is not None:
                return {"id": target.key, "name": target.label(lang)}
        return {"str": str(node)}
    if isinstance(node, Literal):
        if node.language and node.language != lang:
            return None
        if node.datatype in INTEGER_TYPES:
            return {"int": int(node)}
        if node.datatype in (XSD.decimal, XSD.double, XSD.float):
            return {"float": float(node)}
        if node.datatype == XSD.date:
            return {"date": f"{node}T00:00:00Z"}
        if node.datatype == XSD.dateTime:
            text = str(node)
            return {"date": text if text[-1] == "Z" or "+" in text[10:] else text + "Z"}
        return {"str": str(node)}
    return None


def extension_values(
    index: NameIndex, entity: Entity, pid: str, lang: str, limit: int
) -> list[dict[str, Any]]:
    iri = index.expand(pid)
    objects: Iterable[Node] = entity.values.get(iri, ())
    if iri == str(RDFS.label):
        objects = [Literal(entity.label(lang), lang=lang)]
    values = [v for v in (extension_value(index, o, lang) for o in objects) if v is not None]
    return values[:limit] if limit else values


def proposed_properties(index: NameIndex, type_id: str | None, lang: str, limit: int) -> list[dict[str, str]]:
    """Properties used by things of ``type_id`` (all things when none), most used first."""
    wanted = index.expand(type_id) if type_id else None
    counts: dict[str, int] = {}
    for entity in index.entities:
        if wanted is None or wanted in entity.types:
            for pid in entity.values:
                counts[pid] = counts.get(pid, 0) + 1
    ranked = sorted(counts, key=lambda p: (-counts[p], p))
    chosen = ranked[:limit] if limit else ranked
    return [{"id": p, "name": index.term_name(p, lang, kind="property")} for p in chosen]


def preview_html(index: NameIndex, entity: Entity, lang: str, page_url: str) -> str:
    """A small accessible HTML card that fits the manifest's preview size."""
    description = entity.description(lang) or ""
    types = ", ".join(index.term_name(t, lang) for t in entity.types)
    qid = f' · <a href="http://www.wikidata.org/entity/{entity.qid}">{entity.qid}</a>' if entity.qid else ""
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(entity.label(lang))}</title>"
        "<style>body{font:14px/1.4 sans-serif;margin:8px;max-width:384px}h1{font-size:16px;margin:0 0 4px}"
        "p{margin:2px 0}.t{color:#555}</style></head><body>"
        f'<h1><a href="{html.escape(page_url)}" target="_blank">{html.escape(entity.label(lang))}</a></h1>'
        f'<p class="t">{html.escape(types)}{qid}</p><p>{html.escape(description)}</p>'
        f'<p class="t"><code>{html.escape(entity.key)}</code></p></body></html>'
    )


def extension(
    index: NameIndex, body: Any, lang: str, limits: ReconcileLimits
) -> tuple[list[dict[str, str]], list[tuple[str, list[tuple[str, list[dict[str, Any]]]]]]]:
    """A data-extension request answered: the columns' metadata and, per id, each property's values."""
    ids, props = extend_request(body, limits)
    entities = [(i, require_entity(index, i)) for i in ids]
    meta = [{"id": p, "name": index.term_name(index.expand(p), lang, kind="property")} for p, _ in props]
    rows = [(i, [(p, extension_values(index, e, p, lang, limit)) for p, limit in props]) for i, e in entities]
    return meta, rows


def extend_request(
    body: Any, limits: ReconcileLimits | None = None
) -> tuple[list[str], list[tuple[str, int]]]:
    if (
        not isinstance(body, Mapping)
        or not isinstance(body.get("ids"), list)
        or not isinstance(body.get("properties"), list)
    ):
        raise BadRequest('an extension request is {"ids": ["baku"], "properties": [{"id": "…"}]}.')
    limits = limits or ReconcileLimits()
    check_batch(len(body["ids"]), "ids", limits)
    limits.check_count(len(body["properties"]), "properties", limits.max_properties)
    props: list[tuple[str, int]] = []
    for prop in body["properties"]:
        if not isinstance(prop, Mapping) or not isinstance(prop.get("id"), str):
            raise BadRequest(f"each requested property needs a string 'id', got {shown(prop)}.")
        limits.check_text(prop["id"], "a requested property id")
        settings = prop.get("settings") or {}
        limit = as_int(settings.get("limit") if isinstance(settings, Mapping) else None, "limit", 0)
        props.append((prop["id"], limit))
    ids = [str(i) for i in body["ids"]]
    for identifier in ids:
        limits.check_text(identifier, "an id")
    return ids, props
