"""The settings file: peewee models over SQLite, validation rules, and the operations on them.

``open_settings()`` opens (or creates) the file; the modules ``sites``, ``destinations``,
``schedules`` and ``preferences`` hold the operations the CLI and the dialogs share.

The names below are loaded when first used, so that importing one light module of the package
(``paths``, ``validation``) does not load peewee and the credential store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ictray.settings.db import SettingsFileError
    from ictray.settings.paths import resolve_settings_path
    from ictray.settings.store import Settings, open_settings

__all__ = ["Settings", "SettingsFileError", "open_settings", "resolve_settings_path"]

_HOMES = {
    "Settings": "ictray.settings.store",
    "open_settings": "ictray.settings.store",
    "SettingsFileError": "ictray.settings.db",
    "resolve_settings_path": "ictray.settings.paths",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
