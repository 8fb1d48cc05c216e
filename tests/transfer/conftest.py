"""A settings file wired to the simulator, with a folder and an SQLite destination."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.scheduler.runner import ScheduleRun, run_schedule
from ictray.settings import Settings, destinations, open_settings, schedules, sites
from ictray.transfer.options import TransferOptions
from ictray.transfer.result import TransferResult

from .private_postgres import PrivatePostgres, find_bin

ALL_TYPES = ",".join(t.value for t in DataType)
FILE_TYPES = ALL_TYPES
SQL_TYPES = DataType.SESSION_DATA.value
FAST_CLIENT = {
    "timeout": 5,
    "max_retries": 4,
    "max_retry_time": 20,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
}


@dataclass
class Wired:
    settings: Settings
    folder: Path
    sqlite_path: Path
    simulator: object

    def run(self, name: str = "all", **options: object) -> ScheduleRun:
        return run_schedule(
            self.settings,
            schedules.get_schedule(name),
            options=TransferOptions(**{"concurrency": 3, **options}),
            client_options=FAST_CLIENT,
        )

    @staticmethod
    def results_of(run: ScheduleRun, destination: str) -> TransferResult:
        return next(r for r in run.results if r.destination == destination)


@pytest.fixture
def wired(simulator, tmp_path: Path) -> Iterator[Wired]:
    folder = tmp_path / "archive"
    sqlite_path = tmp_path / "reports.db"
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="files", plugin="filesystem", options={"directory": str(folder)}
        )
        destinations.add_destination(
            settings,
            name="reports",
            plugin="sql",
            options={"connection_string": f"sqlite:///{sqlite_path}"},
        )
        schedules.add_schedule(
            settings,
            name="all",
            every="15m",
            transfers=[
                schedules.parse_transfer(f"sim:files:{FILE_TYPES}"),
                schedules.parse_transfer(f"sim:reports:{SQL_TYPES}"),
            ],
        )
        yield Wired(settings, folder, sqlite_path, simulator)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    if find_bin() is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
    except Exception as error:
        server.remove()
        pytest.skip(f"a private PostgreSQL server cannot start here: {error}")
    yield server
    with contextlib.suppress(Exception):
        server.stop()
    server.remove()
