"""The running application's store and settings, for code that handles a request."""

from __future__ import annotations

from typing import cast

from flask import current_app

from blackjanuary.config import Settings
from blackjanuary.store import Store

STORE_KEY = "blackjanuary.store"
SETTINGS_KEY = "BLACKJANUARY"
ADMISSION_KEY = "blackjanuary.admission"


def current_store() -> Store:
    """The store of the application handling the current request."""
    return cast("Store", current_app.extensions[STORE_KEY])


def current_settings() -> Settings:
    settings = current_app.config[SETTINGS_KEY]
    assert isinstance(settings, Settings)
    return settings
