"""Opening the settings file: ``open_settings()`` gives a ``Settings`` bound to the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import keyring.backend

from ictray.settings import db
from ictray.settings.models import ALL_MODELS, AppSettings, NotifySettings
from ictray.settings.secrets import SecretStore, find_credential_store

_UNSET = object()


@dataclass
class Settings:
    """An open settings file: its path, its database and where its secrets go."""

    path: Path
    database: db.peewee.SqliteDatabase
    secrets: SecretStore
    created: bool = False
    migrated_from: int | None = None
    #: what opening changed that the user should know (secrets moved out of the file...)
    notices: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.database.close()

    def __enter__(self) -> Settings:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def app(self) -> AppSettings:
        return AppSettings.get_by_id(1)

    def notify(self) -> NotifySettings:
        return NotifySettings.get_by_id(1)


def open_settings(
    path: Path,
    *,
    create: bool = False,
    credential_store: keyring.backend.KeyringBackend | object | None = _UNSET,
) -> Settings:
    """Open (and with ``create``, create) the settings file and bind the models to it.

    A missing file without ``create``, an unreadable or corrupt file, and a file from a newer
    program all raise ``SettingsFileError``; nothing is ever replaced. ``credential_store``
    overrides the detected keyring backend (None forces the settings-file fallback).
    """
    path = Path(path)
    exists = path.exists() and path.stat().st_size > 0
    if not exists and not create:
        raise db.SettingsFileError(
            f"there is no settings file at {path}; create one with `ictray init` "
            "(or pass --settings / set ICTRAY_SETTINGS to use another)"
        )
    if path.exists() and path.is_dir():
        raise db.SettingsFileError(f"the settings path {path} is a folder, not a file")
    if exists:
        db.check_is_sqlite(path)
    elif not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    database = db.connect(path)
    try:
        version = db.read_version(database)
        db.database_proxy.initialize(database)
        migrated_from = None
        if version is None:
            db.create_schema(database, ALL_MODELS)
        elif db.migrate(database, path, version) is not None:
            migrated_from = version
        with database.atomic():
            AppSettings.get_or_create(id=1)
            NotifySettings.get_or_create(id=1)
        settings_id = database.execute_sql(
            "SELECT value FROM meta WHERE key = 'settings_id'"
        ).fetchone()[0]
    except BaseException:
        database.close()
        raise
    backend = find_credential_store() if credential_store is _UNSET else credential_store
    secrets = SecretStore(settings_id, backend)  # type: ignore[arg-type]
    if secrets.in_settings_file:
        db.restrict_to_owner(path)
    settings = Settings(
        path, database, secrets, created=version is None, migrated_from=migrated_from
    )
    from ictray.settings.destinations import move_inline_secrets  # it imports this module

    try:
        settings.notices.extend(move_inline_secrets(settings))
    except BaseException:
        database.close()
        raise
    return settings
