"""The running application's query service (over its store) and settings, for code that handles a request."""

from __future__ import annotations

from typing import cast

from flask import current_app

from blackjanuary.config import Settings
from blackjanuary.query.service import QueryService

STORE_KEY = "blackjanuary.store"
"""The application's store (:mod:`blackjanuary.store`): the engine adapter under the query service."""
QUERIES_KEY = "blackjanuary.queries"
SETTINGS_KEY = "BLACKJANUARY"
ADMISSION_KEY = "blackjanuary.admission"


def current_store() -> QueryService:
    """The store of the application handling the current request, behind its query service: every
    query asked through it passes the guard, the dataset check and the result cap."""
    return cast("QueryService", current_app.extensions[QUERIES_KEY])


def current_settings() -> Settings:
    settings = current_app.config[SETTINGS_KEY]
    assert isinstance(settings, Settings)
    return settings
