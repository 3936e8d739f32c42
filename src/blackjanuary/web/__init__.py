"""``create_app(settings)``: the Flask application, its store, its blueprints and its error handling.

Blueprints are listed in :data:`BLUEPRINTS` as ``"module:attribute"``; an interface adds itself with
one line there. The store lives on ``app.extensions["blackjanuary.store"]`` (:func:`current_store`),
the settings on ``app.config["BLACKJANUARY"]`` (:func:`current_settings`).
"""

from __future__ import annotations

import importlib
from typing import cast

from flask import Blueprint, Flask, current_app

from blackjanuary.config import Settings
from blackjanuary.store import Store
from blackjanuary.web import admission, handlers, http, page_cache
from blackjanuary.web.result_cache import CACHE_KEY, ResponseCacheMiddleware, ResultCache

STORE_KEY = "blackjanuary.store"
SETTINGS_KEY = "BLACKJANUARY"
ADMISSION_KEY = "blackjanuary.admission"

BLUEPRINTS: list[str] = [
    "blackjanuary.web.endpoint:bp",
    "blackjanuary.web.resources:bp",
    "blackjanuary.web.pages:bp",
    "blackjanuary.web.downloads:bp",
    "blackjanuary.web.cite:bp",
    "blackjanuary.web.search:bp",
    "blackjanuary.web.fragments:bp",
    "blackjanuary.reconcile.v02:bp",
    "blackjanuary.reconcile.v1:bp",
    "blackjanuary.web.openapi:bp",
    "blackjanuary.web.assets:bp",
]
"""Every interface's blueprint, registered in this order."""


def _load_blueprint(spec: str) -> Blueprint:
    module_name, _, attribute = spec.partition(":")
    blueprint = getattr(importlib.import_module(module_name), attribute or "bp")
    assert isinstance(blueprint, Blueprint), spec
    return blueprint


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, admission_control: bool = False
) -> Flask:
    """The application on ``store`` (default: the backend ``settings`` names, opened now).

    ``admission_control`` adds the per-class and per-client limits of :mod:`blackjanuary.web.admission`
    (the server does; a slot is given back when the WSGI server closes the response, which the test
    client leaves to the test).
    """
    settings = settings or Settings.from_env()
    if store is None:
        from blackjanuary.store.factory import open_store

        store = open_store(settings)
    app = Flask(__name__)
    app.config[SETTINGS_KEY] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["JSON_SORT_KEYS"] = False
    app.extensions[STORE_KEY] = store
    cache = ResultCache(settings.cache_size, settings.cache_bytes)
    app.extensions[CACHE_KEY] = cache
    http.init_app(app)
    if admission_control:  # inside the response cache: replays skip admission
        app.extensions[ADMISSION_KEY] = admission.init_app(app, settings)
    app.wsgi_app = ResponseCacheMiddleware(app.wsgi_app, cache)  # type: ignore[method-assign]
    page_cache.init_app(app, lambda: store.info.version)  # outermost: a cached page skips everything
    handlers.register_error_handlers(app)
    from blackjanuary.web.context import remember_language

    app.after_request(remember_language)
    for spec in BLUEPRINTS:
        app.register_blueprint(_load_blueprint(spec))
    return app


def current_store() -> Store:
    """The store of the application handling the current request."""
    return cast("Store", current_app.extensions[STORE_KEY])


def current_settings() -> Settings:
    settings = current_app.config[SETTINGS_KEY]
    assert isinstance(settings, Settings)
    return settings


__all__ = ["BLUEPRINTS", "create_app", "current_settings", "current_store"]
