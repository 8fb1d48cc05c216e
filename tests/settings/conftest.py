"""Fixtures for the settings layer: a fresh settings file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ictray.settings import Settings, open_settings


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.db"


@pytest.fixture
def settings(settings_path: Path) -> Iterator[Settings]:
    """A new settings file keeping its secrets in the file (no credential store)."""
    with open_settings(settings_path, create=True, credential_store=None) as opened:
        yield opened
