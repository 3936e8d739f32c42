"""``create_app(settings)``: the Flask application, its store, its blueprints and its error handling.

Every interface's blueprint is listed in :data:`BLUEPRINTS`; an interface adds itself with one line
there. The store lives on ``app.extensions["blackjanuary.store"]`` (:func:`current_store`),
the settings on ``app.config["BLACKJANUARY"]`` (:func:`current_settings`).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response

from blackjanuary.config import Settings
from blackjanuary.query.service import QueryService
from blackjanuary.store import Store
from blackjanuary.store.factory import open_store
from blackjanuary.web import (
    admission,
    assets,
    cite,
    documents,
    downloads,
    endpoint,
    fragments,
    handlers,
    http,
    openapi,
    page_cache,
    pages,
    reconcile_v02,
    reconcile_v1,
    resources,
    search,
)
from blackjanuary.web.context import remember_language
from blackjanuary.web.current import ADMISSION_KEY, QUERIES_KEY, SETTINGS_KEY, STORE_KEY
from blackjanuary.web.result_cache import CACHE_KEY, ResponseCacheMiddleware, ResultCache

BLUEPRINTS: tuple[Blueprint, ...] = (
    endpoint.bp,
    resources.bp,
    pages.bp,
    documents.bp,
    downloads.bp,
    cite.bp,
    search.bp,
    fragments.bp,
    reconcile_v02.bp,
    reconcile_v1.bp,
    openapi.bp,
    assets.bp,
)
"""Every interface's blueprint, registered in this order."""


class Publisher(Flask):
    """Flask, answering ``OPTIONS`` (a CORS preflight or not) ``204 No Content`` with the ``Allow`` of
    the route map; flask-cors adds the preflight headers (:mod:`blackjanuary.web.http`)."""

    def make_default_options_response(self) -> Response:
        response = super().make_default_options_response()
        response.status_code = 204
        return response


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
        store = open_store(settings)
    app = Publisher(__name__)
    app.config[SETTINGS_KEY] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions[STORE_KEY] = store
    app.extensions[QUERIES_KEY] = QueryService(store, settings)
    cache = ResultCache(settings.cache_size, settings.cache_bytes)
    app.extensions[CACHE_KEY] = cache
    http.init_app(app)
    if admission_control:  # inside the response cache: replays skip admission
        app.extensions[ADMISSION_KEY] = admission.init_app(app, settings)
    app.wsgi_app = ResponseCacheMiddleware(app.wsgi_app, cache)  # type: ignore[method-assign]
    # outermost: a cached page skips everything
    page_cache.init_app(app, lambda: store.info.version, settings.page_cache_bytes)
    handlers.register_error_handlers(app)
    app.after_request(remember_language)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
