"""Reconciliation Service API 1.0-draft at ``/reconcile/v1`` (same matching core as 0.2).

``GET /`` manifest · ``POST /match`` (JSON) · ``GET /suggest/{entity,property,type}`` ·
``GET /preview?id=`` · ``POST /extend`` (JSON) · ``GET /extend/propose?type=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Blueprint, Response

from blackjanuary import __version__
from blackjanuary.errors import BadRequest
from blackjanuary.rdf.iris import Ref, id_path
from blackjanuary.reconcile import service
from blackjanuary.reconcile.index import MatchQuery, NameIndex, PropertyCondition
from blackjanuary.reconcile.limits import BatchBudget, ReconcileLimits, shown
from blackjanuary.web.public_url import absolute
from blackjanuary.web.reconcile_glue import (
    current_index,
    current_limits,
    json_body,
    json_response,
    language,
    param,
    preview,
    propose_properties,
    suggest,
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
        results.append(
            {"candidates": [service.candidate_json(index, c, lang, feature_names=True) for c in found]}
        )
    return json_response({"results": results}, default_lang)


def _window(items: list[Any]) -> list[Any]:
    offset = service.as_int(param("offset"), "offset", 0)
    limit = service.as_int(param("limit"), "limit", DEFAULT_SUGGEST_LIMIT)
    return items[offset : offset + limit]


for _kind in ("entity", "property", "type"):
    bp.add_url_rule(f"/suggest/{_kind}", f"suggest_{_kind}", partial(suggest, _kind, _window))
bp.add_url_rule("/preview", view_func=preview)


@bp.post("/extend")
def extend() -> Response:
    index, lang = current_index(), language()
    meta, rows = service.extension(index, json_body(), lang, current_limits())
    rows_json = [{"id": i, "properties": [{"id": p, "values": v} for p, v in row]} for i, row in rows]
    return json_response({"meta": meta, "rows": rows_json}, lang)


bp.add_url_rule("/extend/propose", "propose", propose_properties)
