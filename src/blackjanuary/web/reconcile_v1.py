"""Reconciliation Service API 1.0-draft at ``/reconcile/v1`` (same matching core as 0.2).

``GET /`` manifest · ``POST /match`` (JSON) · ``GET /suggest/{entity,property,type}`` ·
``GET /preview?id=`` · ``POST /extend`` (JSON) · ``GET /extend/propose?type=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response

from blackjanuary import __version__
from blackjanuary.errors import BadRequest
from blackjanuary.rdf.iris import Ref, id_path
from blackjanuary.reconcile import service
from blackjanuary.reconcile.index import Candidate, MatchQuery, NameIndex, PropertyCondition
from blackjanuary.reconcile.limits import BatchBudget, ReconcileLimits, shown
from blackjanuary.web.public_url import absolute
from blackjanuary.web.reconcile_glue import (
    current_index,
    current_limits,
    html_response,
    json_body,
    json_response,
    language,
    page_url,
    param,
)

bp = Blueprint("reconcile_v1", __name__, url_prefix="/reconcile/v1")

QUANTIFIERS = ("any", "all", "none")
DEFAULT_SUGGEST_LIMIT = 10


def manifest(index: NameIndex, lang: str) -> dict[str, Any]:
    return {
        "versions": ["1.0-draft"],
        "name": service.SERVICE_NAME,
        "lang": lang,
        "serviceVersion": __version__,
        "batchSize": service.MAX_BATCH,
        "standardizedScore": True,
        "view": {"url": absolute(id_path(Ref("{id}")))},
        "preview": {"width": service.PREVIEW_WIDTH, "height": service.PREVIEW_HEIGHT},
        "defaultTypes": service.default_types(index, lang),
        "suggest": {"entity": True, "property": True, "type": True},
        "extend": {
            "proposeProperties": True,
            "propertySettings": [
                {
                    "id": "limit",
                    "name": "Limit",
                    "type": "number",
                    "default": 0,
                    "helpText": "Most values to return per property (0 for all).",
                }
            ],
        },
    }


def parse_query(
    number: int, raw: Any, index: NameIndex, budget: BatchBudget | None = None
) -> tuple[MatchQuery, str | None]:
    budget = budget or BatchBudget(ReconcileLimits())
    limits = budget.limits
    where = f"query {number}"
    if not isinstance(raw, Mapping):
        raise BadRequest(f"{where} must be an object with 'conditions'.")
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise BadRequest(
            f"{where} needs a non-empty 'conditions' list, e.g. "
            '[{"matchType": "name", "propertyValue": "Baku"}].'
        )
    limits.check_count(len(conditions), "conditions", limits.max_properties, where)
    names: list[str] = []
    props: list[PropertyCondition] = []
    for condition in conditions:
        if not isinstance(condition, Mapping) or not {"matchType", "propertyValue"} <= set(condition):
            raise BadRequest(f"{where}: each condition needs 'matchType' and 'propertyValue'.")
        kind = condition["matchType"]
        values = service.value_strings(condition["propertyValue"], limits, where)
        budget.spend(list(values), where)
        if kind in ("name", "id"):
            names.extend(values)
        elif kind == "property":
            pid = condition.get("propertyId")
            quantifier = condition.get("matchQuantifier", "any")
            if not isinstance(pid, str) or quantifier not in QUANTIFIERS:
                raise BadRequest(
                    f"{where}: a property condition needs a string 'propertyId' and a "
                    f"matchQuantifier of {', '.join(QUANTIFIERS)}."
                )
            props.append(
                PropertyCondition(
                    index.expand(pid), values, bool(condition.get("required", False)), quantifier
                )
            )
        else:
            raise BadRequest(f"{where}: unknown matchType {shown(kind)}; use name, id or property.")
    type_id = raw.get("type")
    if type_id is not None and not isinstance(type_id, str):
        raise BadRequest(f"{where}: 'type' must be a string.")
    limit = service.as_int(raw.get("limit"), "limit", 0)
    text = " ".join(names)
    limits.check_text(text, where)
    query = MatchQuery(
        text=text or None,
        types=service.resolve_types(index, [type_id], where) if type_id else (),
        properties=tuple(props),
        limit=limit,
    )
    lang = raw.get("lang") if isinstance(raw.get("lang"), str) else None
    return query, lang


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
    out["features"] = [{"id": f.id, "name": f.name, "value": f.value} for f in candidate.features]
    return out


@bp.get("")
@bp.get("/")
def root() -> Response:
    lang = language()
    return json_response(manifest(current_index(), lang), lang)


@bp.post("/match")
def match() -> Response:
    index = current_index()
    body = json_body()
    if not isinstance(body, Mapping) or not isinstance(body.get("queries"), list):
        raise BadRequest('a match request is {"queries": [{"conditions": [...]}]}.')
    limits = current_limits()
    service.check_batch(len(body["queries"]), "queries", limits)
    budget = BatchBudget(limits)
    parsed = [parse_query(n, raw, index, budget) for n, raw in enumerate(body["queries"])]
    default_lang = language()
    deadline = limits.deadline()
    results = []
    for query, query_lang in parsed:
        lang = language(query_lang) if query_lang else default_lang
        found = index.match(query, deadline=deadline)
        results.append({"candidates": [candidate_json(index, c, lang) for c in found]})
    return json_response({"results": results}, default_lang)


def prefix() -> str:
    """The ``prefix`` of a suggest request, within the query-text caps."""
    text = param("prefix") or ""
    current_limits().check_text(text, "the prefix")
    return text


def _window(items: list[Any]) -> list[Any]:
    offset = service.as_int(param("offset"), "offset", 0)
    limit = service.as_int(param("limit"), "limit", DEFAULT_SUGGEST_LIMIT)
    return items[offset : offset + limit]


@bp.get("/suggest/entity")
def suggest_entity() -> Response:
    index, lang = current_index(), language()
    found = _window(index.suggest_entities(prefix()))
    return json_response({"result": [service.suggest_item(index, e, lang) for e in found]}, lang)


@bp.get("/suggest/property")
def suggest_property() -> Response:
    index, lang = current_index(), language()
    found = _window(index.suggest_terms(prefix(), index.properties, lang, kind="property"))
    return json_response(
        {"result": [{"id": p, "name": index.term_name(p, lang, kind="property")} for p in found]}, lang
    )


@bp.get("/suggest/type")
def suggest_type() -> Response:
    index, lang = current_index(), language()
    found = _window(index.suggest_terms(prefix(), index.types, lang, kind="type"))
    return json_response({"result": [{"id": t, "name": index.term_name(t, lang)} for t in found]}, lang)


@bp.get("/preview")
def preview() -> Response:
    index, lang = current_index(), language()
    entity = service.require_entity(index, param("id"))
    return html_response(service.preview_html(index, entity, lang, page_url(entity.key)), lang)


@bp.post("/extend")
def extend() -> Response:
    index, lang = current_index(), language()
    ids, props = service.extend_request(json_body(), current_limits())
    entities = [(i, service.require_entity(index, i)) for i in ids]
    meta = [{"id": p, "name": index.term_name(index.expand(p), lang, kind="property")} for p, _ in props]
    rows = [
        {
            "id": i,
            "properties": [
                {"id": p, "values": service.extension_values(index, e, p, lang, limit)} for p, limit in props
            ],
        }
        for i, e in entities
    ]
    return json_response({"meta": meta, "rows": rows}, lang)


@bp.get("/extend/propose")
def propose() -> Response:
    index, lang = current_index(), language()
    type_id = param("type")
    resolved = service.resolve_types(index, [type_id or ""], "the 'type' parameter")
    type_iri = resolved[0] if resolved else None  # a blank type (whitespace, control characters) is none
    limit = service.as_int(param("limit"), "limit", 0)
    body: dict[str, Any] = {
        "type": type_id or "",
        "properties": service.proposed_properties(index, type_iri, lang, limit),
    }
    if limit:
        body["limit"] = limit
    return json_response(body, lang)
