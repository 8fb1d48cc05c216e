"""The status the screens show: each schedule's latest finished run in one query, next runs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ictray.operations import status
from ictray.settings import Settings, open_settings, schedules
from ictray.settings.models import RunRecord, utcnow


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as opened:
        yield opened


class _Queries(logging.Handler):
    """Counts the SQL statements peewee sends."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _run(schedule, minutes_ago: int, outcome: str, message: str = "") -> RunRecord:
    started = utcnow() - timedelta(minutes=minutes_ago)
    return RunRecord.create(
        schedule=schedule,
        started_at=started,
        ended_at=started + timedelta(seconds=30),
        outcome=outcome,
        message=message,
    )


def test_the_latest_finished_run_of_every_schedule_in_one_query(settings: Settings) -> None:
    hourly = schedules.add_schedule(settings, name="hourly", every="1h")
    nightly = schedules.add_schedule(settings, name="nightly", every="1d")
    schedules.add_schedule(settings, name="never ran", every="1d")
    _run(hourly, 120, "completed")
    _run(hourly, 60, "unreachable", "site sim: the client secret was refused\nsecond error")
    _run(hourly, 1, status.RUNNING)  # still running: not a finished run
    _run(nightly, 600, "failed", "the disk is full")
    _run(nightly, 300, "completed")

    peewee_log = logging.getLogger("peewee")
    counter, level = _Queries(), peewee_log.level
    peewee_log.addHandler(counter)
    peewee_log.setLevel(logging.DEBUG)
    try:
        runs = status.last_runs()
    finally:
        peewee_log.removeHandler(counter)
        peewee_log.setLevel(level)

    assert counter.count == 1
    assert sorted(runs) == ["hourly", "nightly"]
    assert (runs["hourly"].outcome, runs["hourly"].failed) == ("unreachable", True)
    assert runs["hourly"].cause == "site sim: the client secret was refused"
    assert (runs["nightly"].outcome, runs["nightly"].failed, runs["nightly"].cause) == (
        "completed",
        False,
        "",
    )
    assert [run.schedule for run in status.latest_runs()] == ["hourly", "nightly"]


def test_the_last_program_run_counts_runs_still_going_and_removed_schedules(
    settings: Settings,
) -> None:
    assert status.last_program_run() is None
    gone = schedules.add_schedule(settings, name="gone", every="1h")
    _run(gone, 5, "completed")
    schedules.remove_schedule(settings, "gone")
    assert status.last_program_run() == status.ProgramRun(
        "", RunRecord.get().started_at, "completed"
    )
    hourly = schedules.add_schedule(settings, name="hourly", every="1h")
    _run(hourly, 0, status.RUNNING)
    latest = status.last_program_run()
    assert latest is not None and (latest.schedule, latest.outcome) == ("hourly", "running")


def test_a_missed_run_is_next_at_the_next_wake_up_never_in_the_past() -> None:
    now = datetime(2026, 11, 28, 12, 0, 30)
    assert status.upcoming(now - timedelta(days=2), now) == datetime(2026, 11, 28, 12, 1)
    assert status.upcoming(now + timedelta(hours=3), now) == now + timedelta(hours=3)
