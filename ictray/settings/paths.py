"""Where the settings file lives: ``--settings``, else ``$ICTRAY_SETTINGS``, else user data."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "ICTRAY_SETTINGS"
FILE_NAME = "settings.db"


def default_settings_path() -> Path:
    """The per-user settings file (e.g. ``%LOCALAPPDATA%\\ictray\\settings.db`` on Windows)."""
    return platformdirs.user_data_path("ictray", appauthor=False) / FILE_NAME


def resolve_settings_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The settings file to use: an explicit path wins, then the environment, then the default."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return default_settings_path()


def default_log_folder(settings_path: Path | None = None) -> Path:
    """Where the IC log and the Service log of a settings file go unless Application Settings
    say otherwise.

    Logs belong to the configuration they describe: the default settings file logs to the
    per-user log folder (``%LOCALAPPDATA%\\ictray\\Logs``, ``~/.local/state/ictray/log``); any
    other settings file to ``<its name without extension>-logs`` beside it, so a second
    configuration (a test, a trial, another service) never mixes its runs into the first's.
    """
    user_folder = platformdirs.user_log_path("ictray", appauthor=False)
    if settings_path is None:
        return user_folder
    path = Path(settings_path).expanduser().resolve()
    if path == default_settings_path().resolve():
        return user_folder
    return path.parent / f"{path.stem}-logs"
