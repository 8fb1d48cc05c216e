"""The settings file: peewee models over SQLite, validation rules, and the operations on them.

``open_settings()`` opens (or creates) the file; the modules ``sites``, ``destinations``,
``schedules`` and ``preferences`` hold the operations the CLI and the dialogs share.
"""

from ictray.settings.db import SettingsFileError
from ictray.settings.paths import resolve_settings_path
from ictray.settings.store import Settings, open_settings

__all__ = ["Settings", "SettingsFileError", "open_settings", "resolve_settings_path"]
