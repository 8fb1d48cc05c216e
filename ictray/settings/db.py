"""The settings file: opening, creating, version checks and migrations, never silent replacement.

One ``peewee.DatabaseProxy`` is bound to the opened file; models in ``models.py`` use it. The
settings file is SQLite and is kept apart from every storage database (the guide insists).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peewee

from ictray import __version__
from ictray.errors import IctrayError
from ictray.settings.migrations import (
    add_notify_allow_unencrypted_auth,
    data_at_risk,
    to_pair_ledger,
)

if TYPE_CHECKING:
    from playhouse.migrate import SqliteMigrator


class _ImmediateProxy(peewee.DatabaseProxy):
    """The models' database proxy; its transactions take the write lock at once too."""

    def transaction(self, *args: object, **kwargs: object) -> peewee._transaction:
        kwargs.setdefault("lock_type", "IMMEDIATE")
        return super().transaction(*args, **kwargs)


database_proxy = _ImmediateProxy()

#: The schema this program writes. Bump it and add a step to ``MIGRATIONS`` together.
SCHEMA_VERSION = 4

#: ``{version: step}``: ``step(migrator, database)`` turns a file of ``version - 1`` into
#: ``version``. Each step runs inside one transaction, after a copy of the file was made.
Migration = Callable[["SqliteMigrator", peewee.SqliteDatabase], None]
MIGRATIONS: dict[int, Migration] = {
    2: to_pair_ledger,
    3: data_at_risk,
    4: add_notify_allow_unencrypted_auth,
}

SQLITE_MAGIC = b"SQLite format 3\x00"


class SettingsFileError(IctrayError):
    """The settings file is missing, unreadable, corrupt or from a newer program."""

    exit_code = 2


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


def rows(query: peewee.Query) -> list[tuple[Any, ...]]:
    """The rows of a query as plain tuples (peewee's stubs type them as model instances)."""
    return [tuple(row) for row in query.tuples()]


def check_is_sqlite(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise SettingsFileError(
            f"the settings file {path} cannot be read: {error.strerror or error}"
        ) from None
    if header and header != SQLITE_MAGIC:
        raise SettingsFileError(
            f"the settings file {path} is not an ictray settings file (not an SQLite database); "
            "it was left untouched: restore it from a backup or choose another file with --settings"
        )


class SettingsDatabase(peewee.SqliteDatabase):
    """SQLite whose transactions take the write lock when they begin.

    Every transaction on the settings file writes (``atomic()`` begins one through
    ``transaction()``). Begun lazily, two threads (transfers
    running side by side) could each read and then both want to write, which SQLite resolves by
    failing one at once ("database is locked") instead of waiting; ``BEGIN IMMEDIATE`` makes the
    second one wait its turn (up to ``busy_timeout``).
    """

    def transaction(self, *args: object, **kwargs: object) -> peewee._transaction:
        kwargs.setdefault("lock_type", "IMMEDIATE")
        return super().transaction(*args, **kwargs)


def connect(path: Path) -> peewee.SqliteDatabase:
    """Open the SQLite file with settings that suit a small, shared, long-lived file."""
    database = SettingsDatabase(
        str(path),
        pragmas={"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 10_000},
        check_same_thread=False,
    )
    try:
        database.connect(reuse_if_open=True)
        database.execute_sql("PRAGMA quick_check").fetchall()
    except (peewee.DatabaseError, sqlite3.DatabaseError) as error:
        database.close()
        raise SettingsFileError(
            f"the settings file {path} is damaged ({error}); it was left untouched: "
            "restore it from a backup or choose another file with --settings"
        ) from None
    return database


def read_version(database: peewee.SqliteDatabase) -> int | None:
    """The schema version stored in the file, or None for a file with no ictray tables."""
    tables = set(database.get_tables())
    if "meta" not in tables:
        if tables:
            raise SettingsFileError(
                f"the settings file {database.database} holds tables but no ictray schema version; "
                "it is not an ictray settings file and was left untouched"
            )
        return None
    row = database.execute_sql("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        raise SettingsFileError(f"the settings file {database.database} has no schema version")
    return int(row[0])


def write_meta(database: peewee.SqliteDatabase, key: str, value: str) -> None:
    database.execute_sql(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def create_schema(database: peewee.SqliteDatabase, models: list[type[peewee.Model]]) -> None:
    """Create every table of a new settings file and stamp it with this program's version."""
    with database.atomic():
        database.create_tables(models)
        write_meta(database, "schema_version", str(SCHEMA_VERSION))
        write_meta(database, "settings_id", uuid.uuid4().hex)
        write_meta(database, "created_by", f"ictray {__version__}")


def migrate(
    database: peewee.SqliteDatabase,
    path: Path,
    found: int,
    migrations: Mapping[int, Migration] | None = None,
    target: int | None = None,
) -> Path | None:
    """Bring a file of schema ``found`` up to ``target``; return the backup copy made first.

    A file from a newer program is refused. Each step runs in its own transaction, so a failed
    step leaves the file at the last good version (and the copy is there besides).
    """
    steps = MIGRATIONS if migrations is None else migrations
    goal = SCHEMA_VERSION if target is None else target
    if found > goal:
        raise SettingsFileError(
            f"the settings file {path} was written by a newer ictray (settings schema {found}; "
            f"this ictray {__version__} understands up to {goal}); upgrade ictray, or choose "
            "another settings file with --settings"
        )
    if found == goal:
        return None
    backup = path.with_name(f"{path.name}.schema{found}.bak")
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(path, backup)
    # Loaded only to migrate: playhouse.migrate loads peewee's PostgreSQL support, and with it
    # the PostgreSQL driver, which no other command needs (see ictray/_peewee.py).
    from playhouse.migrate import SqliteMigrator

    migrator = SqliteMigrator(database)
    for version in range(found + 1, goal + 1):
        step = steps.get(version)
        if step is None:
            raise SettingsFileError(f"no migration to settings schema {version} is known")
        with database.atomic():
            step(migrator, database)
            write_meta(database, "schema_version", str(version))
    return backup


def restrict_to_owner(path: Path) -> None:
    """Make the file readable and writable by its owner only (where secrets are kept in it)."""
    if sys.platform == "win32":
        return  # files under the user's profile are private; Credential Manager is used there
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists():
            os.chmod(candidate, 0o600)
