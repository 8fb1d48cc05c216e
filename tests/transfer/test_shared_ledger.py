"""What has been stored belongs to (site, destination, data type), not to a schedule.

Two schedules naming the same site and destination share one ledger and one watermark per data
type, never copy that pair at the same moment, and a settings file of schema 1 (one ledger per
transfer) is merged into the shared one when it is opened.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.scheduler.runner import run_schedule
from ictray.settings import db as settings_db
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import LedgerItem, Site, Transfer, Watermark
from ictray.transfer.options import TransferOptions
from ictray.transfer.result import COMPLETED

from .conftest import FAST_CLIENT
from .expect import closed, expected_recordings, stored_recordings, stored_sessions

pytestmark = pytest.mark.simulator(sessions=60, days=2, seed=5, recording_size=4096)

TYPES = ",".join(t.value for t in DataType if t is not DataType.SITE_BACKUPS)


@pytest.fixture
def two_schedules(simulator, tmp_path: Path):
    """A daily and an hourly schedule, both copying the simulator to the same folder."""
    folder = tmp_path / "archive"
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="files", plugin="filesystem", options={"directory": str(folder)}
        )
        for name, every in (("daily", "1d"), ("hourly", "1h")):
            schedules.add_schedule(
                settings,
                name=name,
                every=every,
                transfers=[schedules.parse_transfer(f"sim:files:{TYPES}")],
            )
        yield settings, folder


def _run(settings, name: str):
    return run_schedule(
        settings,
        schedules.get_schedule(name),
        options=TransferOptions(concurrency=2),
        client_options=FAST_CLIENT,
    )


def test_two_schedules_on_one_pair_store_each_session_once(simulator, two_schedules) -> None:
    settings, folder = two_schedules
    site = simulator.site
    daily = _run(settings, "daily")
    assert daily.outcome == COMPLETED, [r.errors for r in daily.results]
    files = sorted(folder.iterdir())
    hourly = _run(settings, "hourly")
    assert hourly.outcome == COMPLETED
    [result] = hourly.results
    # The daily run's watermark is the hourly one's too: it starts where the daily one ended.
    assert not any(counts.stored for counts in result.counts.values())
    assert sorted(folder.iterdir()) == files
    site.advance(6 * 3600)  # sessions close, new ones arrive; either schedule takes them
    for name in ("hourly", "daily", "hourly"):
        assert _run(settings, name).outcome == COMPLETED
    assert stored_sessions(folder) == closed(site)
    assert sum(stored_sessions(folder).values()) == len(closed(site))
    assert stored_recordings(folder) == expected_recordings(site)
    # One watermark per data type for the pair, whichever schedule moved it.
    assert Watermark.select().count() == len(TYPES.split(","))


def test_two_schedules_never_copy_one_pair_at_the_same_time(simulator, two_schedules) -> None:
    settings, folder = two_schedules
    simulator.faults.delay = 0.05  # a slow appliance: the daily run is still going
    started = threading.Event()
    runs = {}

    def daily() -> None:
        started.set()
        runs["daily"] = _run(settings, "daily")

    thread = threading.Thread(target=daily)
    thread.start()
    started.wait(5)
    holder = settings.path.with_name(f"{settings.path.name}.pair-1-1.holder")
    for _ in range(500):
        if holder.exists():
            break
        threading.Event().wait(0.01)
    runs["hourly"] = _run(settings, "hourly")
    thread.join(120)
    [hourly] = runs["hourly"].results
    assert runs["hourly"].outcome == COMPLETED
    assert "is being copied by schedule 'daily'" in hourly.summary()
    assert not hourly.counts, "the second schedule copied beside the first"
    assert runs["daily"].outcome == COMPLETED
    simulator.faults.delay = 0
    assert _run(settings, "hourly").outcome == COMPLETED
    assert stored_sessions(folder) == closed(simulator.site)
    assert stored_recordings(folder) == expected_recordings(simulator.site)


# -- a settings file of schema 1 ---------------------------------------------------------------

_SCHEMA_1_TABLES = (
    'CREATE TABLE "sync_state" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"transfer_id" INTEGER NOT NULL, "data_type" VARCHAR(255) NOT NULL, "watermark" INTEGER, '
    '"details_json" TEXT NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("transfer_id") '
    'REFERENCES "transfer" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "transfer_item" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"transfer_id" INTEGER NOT NULL, "data_type" VARCHAR(255) NOT NULL, '
    '"key" VARCHAR(255) NOT NULL, "state" VARCHAR(255) NOT NULL, "session_start" INTEGER, '
    '"attempts" INTEGER NOT NULL, "detail" TEXT NOT NULL, "location" TEXT NOT NULL, '
    '"meta_json" TEXT NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("transfer_id") '
    'REFERENCES "transfer" ("id") ON DELETE CASCADE)',
    'CREATE UNIQUE INDEX "transfer_item_transfer_id_data_type_key" '
    'ON "transfer_item" ("transfer_id", "data_type", "key")',
)
_NOW = "2024-05-01 10:00:00"


def _schema_1_file(path: Path, simulator) -> None:
    """A settings file as ictray of schema 1 left it: a daily and an hourly schedule on one
    pair, each with its own items and watermarks, plus a second destination of its own."""
    with open_settings(path, create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        for name in ("files", "other"):
            destinations.add_destination(
                settings,
                name=name,
                plugin="filesystem",
                options={"directory": str(path.parent / name)},
            )
        schedules.add_schedule(
            settings,
            name="daily",
            every="1d",
            transfers=[schedules.parse_transfer("sim:files:session_data,session_recordings")],
        )
        schedules.add_schedule(
            settings,
            name="hourly",
            every="1h",
            transfers=[
                schedules.parse_transfer("sim:files:session_data"),
                schedules.parse_transfer("sim:other:session_data"),
            ],
        )
        ids = {(t.schedule.name, t.destination.name): t.id for t in Transfer.select()}
    database = settings_db.connect(path)
    with database.atomic():
        database.execute_sql('DROP TABLE "ledger_item"')
        database.execute_sql('DROP TABLE "watermark"')
        for table, column in (  # what schemas 3 and 4 added
            ("site", "retention_days"),
            ("app_settings", "warn_after_hours"),
            ("app_settings", "warn_margin_days"),
            ("app_settings", "risk_mailed_at"),
            ("notify_settings", "allow_unencrypted_auth"),
        ):
            database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        for statement in _SCHEMA_1_TABLES:
            database.execute_sql(statement)
        items = [
            # the same session: stored by the daily schedule, still open for the hourly one
            (ids["daily", "files"], "session_data", "a" * 32, "stored", "/f/a.xml"),
            (ids["hourly", "files"], "session_data", "a" * 32, "open", ""),
            # stored for one, cut short by a crash for the other: stored says more
            (ids["daily", "files"], "session_recordings", "b" * 32, "pending", ""),
            (ids["daily", "files"], "session_data", "b" * 32, "stored", "/f/b.xml"),
            (ids["hourly", "files"], "session_data", "b" * 32, "writing", ""),
            (ids["hourly", "other"], "session_data", "a" * 32, "open", ""),
        ]
        for transfer, data_type, key, state, location in items:
            database.execute_sql(
                'INSERT INTO "transfer_item" (transfer_id, data_type, key, state, session_start, '
                "attempts, detail, location, meta_json, updated_at) "
                "VALUES (?, ?, ?, ?, 1714550000, 0, '', ?, '{}', ?)",
                (transfer, data_type, key, state, location, _NOW),
            )
        for transfer, data_type, mark in (
            (ids["daily", "files"], "session_data", 1714500000),
            (ids["hourly", "files"], "session_data", 1714560000),
            (ids["daily", "files"], "session_recordings", 1714500000),
            (ids["hourly", "other"], "session_data", 1714560000),
        ):
            database.execute_sql(
                'INSERT INTO "sync_state" (transfer_id, data_type, watermark, details_json, '
                "updated_at) VALUES (?, ?, ?, '{}', ?)",
                (transfer, data_type, mark, _NOW),
            )
        settings_db.write_meta(database, "schema_version", "1")
    database.close()


def test_a_schema_1_file_is_merged_into_one_ledger_per_pair(simulator, tmp_path: Path) -> None:
    path = tmp_path / "settings.db"
    _schema_1_file(path, simulator)
    with open_settings(path, credential_store=None) as settings:
        assert settings.migrated_from == 1
        assert path.with_name("settings.db.schema1.bak").exists()
        rows = {
            (row.destination.name, row.data_type, row.key): (row.state, row.location)
            for row in LedgerItem.select()
        }
        assert rows == {
            ("files", "session_data", "a" * 32): ("stored", "/f/a.xml"),
            ("files", "session_data", "b" * 32): ("stored", "/f/b.xml"),
            ("files", "session_recordings", "b" * 32): ("pending", ""),
            ("other", "session_data", "a" * 32): ("open", ""),
        }
        marks = {(m.destination.name, m.data_type): m.watermark for m in Watermark.select()}
        assert marks == {
            ("files", "session_data"): 1714500000,  # the earlier of the two: nothing skipped
            ("files", "session_recordings"): 1714500000,
            ("other", "session_data"): 1714560000,
        }
        tables = set(settings.database.get_tables())
        assert {"transfer_item", "sync_state"}.isdisjoint(tables)
        assert [site.retention_days for site in Site.select()] == [90]
