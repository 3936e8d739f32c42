"""Reconciliation Service API 0.2 (what OpenRefine ≥ 3.3 speaks) at ``/reconcile``.

``GET /reconcile`` → manifest; ``POST``/``GET /reconcile`` with ``queries=`` → match, with ``extend=``
→ data extension; ``/reconcile/suggest/{entity,type,property}``, ``/reconcile/flyout/entity``,
``/reconcile/preview`` and ``/reconcile/propose_properties`` are the services the manifest names.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask import Blueprint, Response, request, url_for

from blackjanuary import __version__
from blackjanuary.errors import BadRequest
from blackjanuary.rdf.iris import Ref, id_path, with_query
from blackjanuary.rdf.vocab import Ours
from blackjanuary.reconcile import service
from blackjanuary.reconcile.index import MatchQuery, NameIndex, PropertyCondition
from blackjanuary.reconcile.limits import BatchBudget, ReconcileLimits, shown
from blackjanuary.web.current import current_settings
from blackjanuary.web.public_url import absolute
from blackjanuary.web.reconcile_glue import (
    current_index,
    current_limits,
    json_body,
    json_response,
    language,
    page_url,
    param,
    parse_json,
    preview,
    propose_properties,
    suggest,
)

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

SUGGEST_PAGE = 10
QUERY_KEYS = {"query", "type", "limit", "properties", "type_strict"}


def manifest(index: NameIndex, lang: str) -> dict[str, Any]:
    ours = Ours(current_settings().base_iri)
    service_url = absolute(url_for("reconcile.root"))
    return {
        "versions": ["0.1", "0.2"],
        "name": service.SERVICE_NAME,
        "identifierSpace": str(ours.ID),
        "schemaSpace": str(ours.BJ),
        "serviceVersion": __version__,
        "batchSize": service.MAX_BATCH,
        "view": {"url": absolute(id_path(Ref("{{id}}")))},
        "preview": {
            "url": with_query(absolute(url_for("reconcile.preview")), {"id": "{{id}}"}, template=True),
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


def parse_query(qid: str, raw: Any, index: NameIndex, budget: BatchBudget | None = None) -> MatchQuery:
    budget = budget or BatchBudget(ReconcileLimits())
    limits = budget.limits
    where = f"query {shown(qid)}"
    if not isinstance(raw, Mapping):
        raise BadRequest(f'{where} must be an object like {{"query": "Baku"}}, got {shown(raw)}.')
    unknown = set(raw) - QUERY_KEYS
    if unknown:
        raise BadRequest(f"{where} has unknown keys {shown(sorted(unknown))}; allowed: {sorted(QUERY_KEYS)}.")
    text = raw.get("query")
    if text is not None and not isinstance(text, str):
        raise BadRequest(f"{where}: 'query' must be a string.")
    budget.spend([text] if text else [], where)
    types = raw.get("type") or []
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise BadRequest(f"{where}: 'type' must be a string or a list of strings.")
    limits.check_count(len(types), "types", limits.max_properties, where)
    type_iris = service.resolve_types(index, types, where)
    conditions = []
    properties = raw.get("properties") or []
    if not isinstance(properties, list):
        raise BadRequest(f'{where}: \'properties\' must be a list of {{"pid": …, "v": …}} objects.')
    limits.check_count(len(properties), "property conditions", limits.max_properties, where)
    for prop in properties:
        if not isinstance(prop, Mapping) or "pid" not in prop or "v" not in prop:
            raise BadRequest(f"{where}: each property needs 'pid' and 'v', got {shown(prop)}.")
        values = service.value_strings(prop["v"], limits, where)
        budget.spend([str(prop["pid"]), *values], where)
        conditions.append(PropertyCondition(index.expand(str(prop["pid"])), values))
    if not (text or "").strip() and not conditions:
        raise BadRequest(f"{where} needs a non-empty 'query' or at least one property.")
    limit = service.as_int(raw.get("limit"), "limit", 0)
    return MatchQuery(text=text, types=type_iris, properties=tuple(conditions), limit=limit)


def match(index: NameIndex, batch: Any, lang: str, limits: ReconcileLimits | None = None) -> dict[str, Any]:
    """Answer a parsed query batch ``{"q0": {"query": …}, …}`` within the caps and the deadline."""
    limits = limits or ReconcileLimits()
    if not isinstance(batch, Mapping):
        raise BadRequest('\'queries\' must be a JSON object keyed by query ids, e.g. {"q0": {"query": …}}.')
    service.check_batch(len(batch), "queries", limits)
    budget = BatchBudget(limits)
    parsed = {qid: parse_query(qid, raw, index, budget) for qid, raw in batch.items()}
    deadline = limits.deadline()
    return {
        qid: {
            "result": [
                service.candidate_json(index, c, lang, feature_names=False)
                for c in index.match(q, deadline=deadline)
            ]
        }
        for qid, q in parsed.items()
    }


def extend(index: NameIndex, body: Any, lang: str, limits: ReconcileLimits) -> dict[str, Any]:
    meta, rows = service.extension(index, body, lang, limits)
    return {"meta": meta, "rows": {i: dict(values) for i, values in rows}}


POST_HINT = (
    "POST queries={…} or extend={…} as a form (what OpenRefine sends), or a JSON body holding the query "
    'batch ({"q0": {"query": "Baku"}}) or an extension request ({"ids": […], "properties": […]}); '
    "GET /reconcile for the manifest"
)


def json_post(index: NameIndex, lang: str, limits: ReconcileLimits) -> dict[str, Any]:
    """A JSON-body POST: a query batch (bare, or under "queries") or an extension request."""
    body = json_body()
    if isinstance(body, Mapping) and "ids" in body and "properties" in body:
        return extend(index, body, lang, limits)
    if isinstance(body, Mapping) and isinstance(body.get("queries"), Mapping):
        return match(index, body["queries"], lang, limits)
    if isinstance(body, Mapping) and body and all(isinstance(v, Mapping) for v in body.values()):
        return match(index, body, lang, limits)
    raise BadRequest("this JSON body is neither a query batch nor an extension request.", hint=POST_HINT)


@bp.route("", methods=["GET", "POST"])
@bp.route("/", methods=["GET", "POST"], endpoint="root_with_slash")
def root() -> Response:
    index = current_index()
    lang = language()
    limits = current_limits()
    queries, extend_text = param("queries"), param("extend")
    if queries is not None:
        return json_response(match(index, parse_json(queries, "queries"), lang, limits), lang)
    if extend_text is not None:
        return json_response(extend(index, parse_json(extend_text, "extend"), lang, limits), lang)
    if request.method == "POST":
        if request.mimetype == "application/json":
            return json_response(json_post(index, lang, limits), lang)
        raise BadRequest("a POST to /reconcile needs a 'queries' or 'extend' parameter.", hint=POST_HINT)
    return json_response(manifest(index, lang), lang)


def _page(items: list[Any]) -> list[Any]:
    cursor = service.as_int(param("cursor"), "cursor", 0)
    return items[cursor : cursor + SUGGEST_PAGE]


for _kind in ("entity", "type", "property"):
    bp.add_url_rule(f"/suggest/{_kind}", f"suggest_{_kind}", partial(suggest, _kind, _page))


@bp.get("/flyout/entity")
def flyout_entity() -> Response:
    index, lang = current_index(), language()
    entity = service.require_entity(index, param("id"))
    return json_response(
        {"id": entity.key, "html": service.preview_html(index, entity, lang, page_url(entity.key))}, lang
    )


bp.add_url_rule("/preview", view_func=preview)
bp.add_url_rule("/propose_properties", view_func=propose_properties)
