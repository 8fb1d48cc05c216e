"""The scheduler's decisions with a movable clock, the Last Run rule, and its locks."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ictray.scheduler.lock import ScheduleLock, SchedulerBusyError, SchedulerLock
from ictray.scheduler.runner import SKIPPED, run_schedule
from ictray.scheduler.service import Scheduler, due_schedules
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import RunRecord, Schedule, utcnow
from ictray.settings.schedules import next_run_after
from ictray.transfer.engine import TransferRun
from ictray.transfer.result import COMPLETED, FAILED, UNREACHABLE


@pytest.fixture
def settings(tmp_path: Path):
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as opened:
        sites.add_site(
            opened,
            name="site",
            host="127.0.0.1:1",
            client_id="id",
            client_secret="client-secret-value-0001",
        )
        destinations.add_destination(
            opened, name="files", plugin="filesystem", options={"directory": str(tmp_path / "out")}
        )
        yield opened


def test_due_schedules_follow_the_clock(settings) -> None:
    schedules.add_schedule(settings, name="quarter", every="15m")
    schedules.add_schedule(settings, name="off", every="1m", enabled=False)
    now = utcnow()
    assert [s.name for s in due_schedules(now)] == ["quarter"]  # a new schedule is due at once
    schedule = Schedule.get(Schedule.name == "quarter")
    schedule.next_run = now + timedelta(minutes=15)
    schedule.save()
    assert due_schedules(now + timedelta(minutes=14)) == []
    assert [s.name for s in due_schedules(now + timedelta(minutes=15))] == ["quarter"]


def test_next_run_for_periods_and_times_of_day() -> None:
    start = datetime(2026, 11, 28, 10, 0)
    assert next_run_after(15, None, start) == start
    assert next_run_after(15, None, start, last_run=start) == start + timedelta(minutes=15)
    assert next_run_after(15, None, start + timedelta(hours=2), last_run=start) == (
        start + timedelta(hours=2)
    )  # a missed run happens at once, not many times
    daily = next_run_after(1440, "02:30", start)
    local = daily.replace(tzinfo=__import__("datetime").timezone.utc).astimezone()
    assert (local.hour, local.minute) == (2, 30)
    assert start < daily <= start + timedelta(days=1)
    weekly = next_run_after(7 * 1440, "02:30", daily + timedelta(minutes=1), last_run=daily)
    assert weekly - daily == timedelta(days=7) or abs((weekly - daily) - timedelta(days=7)) <= (
        timedelta(hours=1)
    )  # a daylight-saving change may move it by an hour


def test_unreachable_appliance_still_marks_the_schedule_complete(settings) -> None:
    schedules.add_schedule(
        settings,
        name="s",
        every="15m",
        transfers=[schedules.parse_transfer("site:files:session_data")],
    )
    run = run_schedule(
        settings, schedules.get_schedule("s"), client_options={"max_retries": 0, "timeout": 2}
    )
    assert run.outcome == UNREACHABLE
    message = run.results[0].errors[0]
    assert "could not connect to 127.0.0.1:1" in message
    assert "check the host name" in message
    schedule = schedules.get_schedule("s")
    assert schedule.last_run is not None
    assert schedule.next_run > schedule.last_run
    record = RunRecord.get()
    assert record.outcome == UNREACHABLE and record.message


def test_a_program_failure_marks_neither(settings, monkeypatch) -> None:
    schedules.add_schedule(
        settings,
        name="s",
        every="1h",
        transfers=[schedules.parse_transfer("site:files:session_data")],
    )

    def broken(self):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(TransferRun, "_check_clock", broken)
    run = run_schedule(settings, schedules.get_schedule("s"))
    assert run.outcome == FAILED
    assert "ZeroDivisionError" in run.results[0].errors[0]
    schedule = schedules.get_schedule("s")
    assert schedule.last_run is None
    assert schedule.next_run <= utcnow() + timedelta(minutes=5, seconds=5)  # tried again soon


def test_a_schedule_still_running_is_not_started_twice(settings) -> None:
    schedules.add_schedule(settings, name="s", every="15m")
    schedule = schedules.get_schedule("s")
    held = ScheduleLock(settings.path, schedule.id)
    assert held.try_acquire()
    try:
        run = run_schedule(settings, schedule)
        assert run.outcome == SKIPPED and run.note == "still running"
    finally:
        held.release()
    assert run_schedule(settings, schedule).outcome == COMPLETED


def test_one_scheduler_per_settings_file(settings) -> None:
    first = SchedulerLock(settings.path)
    first.acquire()
    try:
        with pytest.raises(SchedulerBusyError) as caught:
            SchedulerLock(settings.path).acquire()
        assert "another scheduler is already running" in str(caught.value)
        assert str(settings.path) in str(caught.value)
    finally:
        first.release()
    SchedulerLock(settings.path).acquire()


def test_the_scheduler_thread_runs_due_schedules_and_reports(settings) -> None:
    schedules.add_schedule(settings, name="s", every="15m")
    events = []
    finished = threading.Event()

    def on_event(event) -> None:
        events.append(event.kind)
        if event.kind == "finished":
            finished.set()

    scheduler = Scheduler(settings, tick_seconds=0.2, on_event=on_event)
    scheduler.start()
    try:
        assert finished.wait(10)
        with pytest.raises(SchedulerBusyError):
            Scheduler(settings).start()
    finally:
        scheduler.stop(timeout=10)
    assert events[:2] == ["started", "finished"]
    assert schedules.get_schedule("s").last_run is not None
    scheduler.set_paused(True)
    assert settings.app().scheduler_enabled is False
