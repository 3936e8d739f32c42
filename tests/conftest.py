"""Shared fixtures: one validated build per test session (into a temporary dist/), then apps on it.

Modules add fixtures of their own in their own files; only fixtures used by several areas live here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blackjanuary.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SOURCE_TEXT = ROOT.parent / "shared" / "source" / "black-january-1990.de.txt"


@pytest.fixture(scope="session")
def source_text() -> str:
    return SOURCE_TEXT.read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The real project files, untouched; nothing may be written through these settings."""
    return Settings(root=ROOT, source_text=SOURCE_TEXT)


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, project_settings: Settings) -> Settings:
    """Settings whose dist/ holds a fresh, validated build of the real data (built once per session)."""
    from blackjanuary.build import build

    dist = tmp_path_factory.mktemp("dist")
    settings = project_settings.replace(dist_dir=dist)
    build(settings)
    return settings
