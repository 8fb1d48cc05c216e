"""The settings file: creation, refusal of missing/corrupt/newer files, migrations, permissions."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from pathlib import Path

import peewee
import pytest
from playhouse.migrate import SqliteMigrator, migrate

from ictray.settings import SettingsFileError, open_settings
from ictray.settings import db as settings_db
from ictray.settings.migrations import add_notify_allow_unencrypted_auth
from ictray.settings.models import NotifySettings, Site


def test_a_new_file_is_created_with_this_schema(settings_path: Path) -> None:
    with open_settings(settings_path, create=True, credential_store=None) as settings:
        assert settings.created
        assert settings_db.read_version(settings.database) == settings_db.SCHEMA_VERSION
        assert settings.app().scheduler_enabled is True
    with open_settings(settings_path, credential_store=None) as again:
        assert not again.created


def test_a_missing_file_is_not_created_unless_asked(settings_path: Path) -> None:
    with pytest.raises(SettingsFileError, match="ictray init"):
        open_settings(settings_path)
    assert not settings_path.exists()


def test_a_corrupt_file_is_reported_and_left_untouched(settings_path: Path) -> None:
    settings_path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    before = settings_path.read_bytes()
    with pytest.raises(SettingsFileError, match="not an ictray settings file"):
        open_settings(settings_path, create=True)
    assert settings_path.read_bytes() == before


def test_a_damaged_database_is_reported_and_left_untouched(settings_path: Path) -> None:
    with open_settings(settings_path, create=True, credential_store=None):
        pass
    data = bytearray(settings_path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # keep the 100-byte header, wreck every page
    settings_path.write_bytes(bytes(data))
    with pytest.raises(SettingsFileError, match="left untouched"):
        open_settings(settings_path, create=True)
    assert settings_path.read_bytes() == bytes(data)


def test_a_foreign_sqlite_file_is_not_taken_over(settings_path: Path) -> None:
    with sqlite3.connect(settings_path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(SettingsFileError, match="not an ictray settings file"):
        open_settings(settings_path, create=True)
    with sqlite3.connect(settings_path) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == ["invoices"]


def test_a_file_from_a_newer_program_is_refused(settings_path: Path) -> None:
    with open_settings(settings_path, create=True, credential_store=None) as settings:
        settings_db.write_meta(settings.database, "schema_version", "99")
    with pytest.raises(SettingsFileError) as caught:
        open_settings(settings_path, credential_store=None)
    assert "newer ictray" in str(caught.value)
    assert "schema 99" in str(caught.value)


#: The schema this program writes; the steps below play a later program's migrations.
NOW = settings_db.SCHEMA_VERSION


def _old_file(path: Path) -> peewee.SqliteDatabase:
    """A file at today's schema whose site table lacks a column that a 'next version' adds."""
    with open_settings(path, create=True, credential_store=None):
        Site.create(name="main", host="support.example.com", client_id="cid")
    return settings_db.connect(path)


def _add_notes_column(migrator: SqliteMigrator, database: peewee.SqliteDatabase) -> None:
    migrate(migrator.add_column("site", "notes", peewee.TextField(default="")))


def test_migrations_step_up_and_keep_a_copy(settings_path: Path) -> None:
    database = _old_file(settings_path)
    backup = settings_db.migrate(
        database, settings_path, NOW, {NOW + 1: _add_notes_column}, target=NOW + 1
    )
    assert backup is not None and backup.exists()
    assert settings_db.read_version(database) == NOW + 1
    columns = [c.name for c in database.get_columns("site")]
    assert "notes" in columns
    row = database.execute_sql("SELECT name, notes FROM site").fetchone()
    assert row == ("main", "")
    old = settings_db.connect(backup)
    assert settings_db.read_version(old) == NOW
    assert "notes" not in [c.name for c in old.get_columns("site")]
    old.close()
    database.close()


def test_a_failing_migration_leaves_the_last_good_version(settings_path: Path) -> None:
    database = _old_file(settings_path)

    def broken(migrator: SqliteMigrator, db: peewee.SqliteDatabase) -> None:
        db.execute_sql("ALTER TABLE site ADD COLUMN half_done TEXT")
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError):
        settings_db.migrate(
            database,
            settings_path,
            NOW,
            {NOW + 1: _add_notes_column, NOW + 2: broken},
            target=NOW + 2,
        )
    assert settings_db.read_version(database) == NOW + 1
    assert "half_done" not in [c.name for c in database.get_columns("site")]
    database.close()


def test_a_missing_migration_step_is_reported(settings_path: Path) -> None:
    database = _old_file(settings_path)
    with pytest.raises(SettingsFileError, match=f"no migration to settings schema {NOW + 1}"):
        settings_db.migrate(database, settings_path, NOW, {}, target=NOW + 1)
    database.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_file_is_owner_only_when_it_holds_secrets(settings_path: Path) -> None:
    settings_path.touch()
    os.chmod(settings_path, 0o644)
    settings_path.unlink()
    with open_settings(settings_path, create=True, credential_store=None):
        mode = stat.S_IMODE(settings_path.stat().st_mode)
    assert mode == 0o600


def test_a_folder_is_not_a_settings_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsFileError, match="is a folder"):
        open_settings(tmp_path, create=True)


def test_schema_4_adds_the_choice_to_log_in_unencrypted_off(settings_path: Path) -> None:
    """The step of schema 4 on a file without the column: the row is kept, the login over an
    unencrypted connection is not allowed until the user says so."""
    with open_settings(settings_path, create=True, credential_store=None) as settings:
        NotifySettings.update(smtp_host="mail.example.com", username="ic").execute()
        settings.database.execute_sql(
            "ALTER TABLE notify_settings DROP COLUMN allow_unencrypted_auth"
        )
        settings_db.write_meta(settings.database, "schema_version", "3")
    database = settings_db.connect(settings_path)
    steps = {4: add_notify_allow_unencrypted_auth}
    assert settings_db.migrate(database, settings_path, 3, steps, target=4) is not None
    row = database.execute_sql(
        "SELECT smtp_host, username, allow_unencrypted_auth FROM notify_settings"
    ).fetchall()
    assert row == [("mail.example.com", "ic", 0)]
    database.close()
