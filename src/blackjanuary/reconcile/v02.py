"""Reconciliation Service API 0.2 (what OpenRefine ≥ 3.3 speaks) at ``/reconcile``.

``GET /reconcile`` → manifest; ``POST``/``GET /reconcile`` with ``queries=`` → match, with ``extend=``
→ data extension; ``/reconcile/suggest/{entity,type,property}``, ``/reconcile/flyout/entity``,
``/reconcile/preview`` and ``/reconcile/propose_properties`` are the services the manifest names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response

from blackjanuary import __version__
from blackjanuary.errors import BadRequest
from blackjanuary.reconcile import service
from blackjanuary.reconcile.index import Candidate, MatchQuery, NameIndex, PropertyCondition
from blackjanuary.reconcile.webglue import (
    current_index,
    current_settings,
    html_response,
    json_response,
    language,
    page_url,
    param,
    parse_json,
    root_url,
)
from blackjanuary.vocab import Ours

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

SUGGEST_PAGE = 10
QUERY_KEYS = {"query", "type", "limit", "properties", "type_strict"}


def manifest(index: NameIndex, lang: str) -> dict[str, Any]:
    ours = Ours(current_settings().base_iri)
    root = root_url()
    service_url = root + "/reconcile"
    return {
        "versions": ["0.1", "0.2"],
        "name": service.SERVICE_NAME,
        "identifierSpace": str(ours.ID),
        "schemaSpace": str(ours.BJ),
        "serviceVersion": __version__,
        "batchSize": service.MAX_BATCH,
        "view": {"url": root + "/id/{{id}}"},
        "preview": {
            "url": service_url + "/preview?id={{id}}",
            "width": service.PREVIEW_WIDTH,
            "height": service.PREVIEW_HEIGHT,
        },
        "defaultTypes": service.default_types(index, lang),
        "suggest": {
            "entity": {
                "service_url": service_url,
                "service_path": "/suggest/entity",
                "flyout_service_url": service_url,
                "flyout_service_path": "/flyout/entity?id=${id}",
            },
            "type": {"service_url": service_url, "service_path": "/suggest/type"},
            "property": {"service_url": service_url, "service_path": "/suggest/property"},
        },
        "extend": {
            "propose_properties": {"service_url": service_url, "service_path": "/propose_properties"},
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": "Most values to return per property (0 for all).",
                },
            ],
        },
    }


def parse_query(qid: str, raw: Any, index: NameIndex) -> MatchQuery:
    if not isinstance(raw, Mapping):
        raise BadRequest(f'query {qid!r} must be an object like {{"query": "Baku"}}, got {raw!r}.')
    unknown = set(raw) - QUERY_KEYS
    if unknown:
        raise BadRequest(f"query {qid!r} has unknown keys {sorted(unknown)}; allowed: {sorted(QUERY_KEYS)}.")
    text = raw.get("query")
    if text is not None and not isinstance(text, str):
        raise BadRequest(f"query {qid!r}: 'query' must be a string.")
    types = raw.get("type") or []
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise BadRequest(f"query {qid!r}: 'type' must be a string or a list of strings.")
    conditions = []
    properties = raw.get("properties") or []
    if not isinstance(properties, list):
        raise BadRequest(f'query {qid!r}: \'properties\' must be a list of {{"pid": …, "v": …}} objects.')
    for prop in properties:
        if not isinstance(prop, Mapping) or "pid" not in prop or "v" not in prop:
            raise BadRequest(f"query {qid!r}: each property needs 'pid' and 'v', got {prop!r}.")
        conditions.append(PropertyCondition(index.expand(str(prop["pid"])), service.value_strings(prop["v"])))
    if not (text or "").strip() and not conditions:
        raise BadRequest(f"query {qid!r} needs a non-empty 'query' or at least one property.")
    limit = service.as_int(raw.get("limit"), "limit", 0)
    return MatchQuery(text=text, types=tuple(types), properties=tuple(conditions), limit=limit)


def candidate_json(index: NameIndex, candidate: Candidate, lang: str) -> dict[str, Any]:
    entity = candidate.entity
    out: dict[str, Any] = {
        "id": entity.key,
        "name": entity.label(lang),
        "score": candidate.score,
        "match": candidate.match,
        "type": service.entity_types(index, entity, lang),
    }
    description = entity.description(lang)
    if description:
        out["description"] = description
    out["features"] = [{"id": f.id, "value": f.value} for f in candidate.features]
    return out


def match(index: NameIndex, queries_text: str, lang: str) -> dict[str, Any]:
    batch = parse_json(queries_text, "queries")
    if not isinstance(batch, Mapping):
        raise BadRequest('\'queries\' must be a JSON object keyed by query ids, e.g. {"q0": {"query": …}}.')
    service.check_batch(len(batch), "queries")
    parsed = {qid: parse_query(qid, raw, index) for qid, raw in batch.items()}
    return {
        qid: {"result": [candidate_json(index, c, lang) for c in index.match(q)]} for qid, q in parsed.items()
    }


def extend(index: NameIndex, extend_text: str, lang: str) -> dict[str, Any]:
    body = parse_json(extend_text, "extend")
    ids, props = service.extend_request(body)
    service.check_batch(len(ids), "ids")
    entities = {i: service.require_entity(index, i) for i in ids}
    meta = [{"id": p, "name": index.term_name(index.expand(p), lang, kind="property")} for p, _ in props]
    rows = {
        i: {p: service.extension_values(index, e, p, lang, limit) for p, limit in props}
        for i, e in entities.items()
    }
    return {"meta": meta, "rows": rows}


@bp.route("", methods=["GET", "POST"])
@bp.route("/", methods=["GET", "POST"])
def root() -> Response:
    index = current_index()
    lang = language()
    queries, extend_text = param("queries"), param("extend")
    if queries is not None:
        return json_response(match(index, queries, lang), lang)
    if extend_text is not None:
        return json_response(extend(index, extend_text, lang), lang)
    return json_response(manifest(index, lang), lang)


def _page(items: list[Any]) -> tuple[list[Any], int]:
    cursor = service.as_int(param("cursor"), "cursor", 0)
    return items[cursor : cursor + SUGGEST_PAGE], cursor


@bp.get("/suggest/entity")
def suggest_entity() -> Response:
    index, lang = current_index(), language()
    found, _ = _page(index.suggest_entities(param("prefix") or ""))
    return json_response({"result": [service.suggest_item(index, e, lang) for e in found]}, lang)


@bp.get("/suggest/type")
def suggest_type() -> Response:
    index, lang = current_index(), language()
    found, _ = _page(index.suggest_terms(param("prefix") or "", index.types, lang, kind="type"))
    return json_response({"result": [{"id": t, "name": index.term_name(t, lang)} for t in found]}, lang)


@bp.get("/suggest/property")
def suggest_property() -> Response:
    index, lang = current_index(), language()
    found, _ = _page(index.suggest_terms(param("prefix") or "", index.properties, lang, kind="property"))
    return json_response(
        {"result": [{"id": p, "name": index.term_name(p, lang, kind="property")} for p in found]}, lang
    )


@bp.get("/flyout/entity")
def flyout_entity() -> Response:
    index, lang = current_index(), language()
    entity = service.require_entity(index, param("id"))
    return json_response(
        {"id": entity.key, "html": service.preview_html(index, entity, lang, page_url(entity.key))}, lang
    )


@bp.get("/preview")
def preview() -> Response:
    index, lang = current_index(), language()
    entity = service.require_entity(index, param("id"))
    return html_response(service.preview_html(index, entity, lang, page_url(entity.key)), lang)


@bp.get("/propose_properties")
def propose_properties() -> Response:
    index, lang = current_index(), language()
    type_id = param("type")
    limit = service.as_int(param("limit"), "limit", 0)
    body: dict[str, Any] = {
        "type": type_id or "",
        "properties": service.proposed_properties(index, type_id, lang, limit),
    }
    if limit:
        body["limit"] = limit
    return json_response(body, lang)
