"""The scheduler's decisions with a movable clock, the Last Run rule, and its locks."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ictray.scheduler.lock import ScheduleLock, SchedulerBusyError, SchedulerLock
from ictray.scheduler.runner import SKIPPED, run_schedule
from ictray.scheduler.service import Scheduler, due_schedules
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import RunRecord, Schedule, utcnow
from ictray.settings.schedules import local_zone, next_run_after
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
    assert next_run_after(15, None, start) == start  # never ran: at the next wake-up
    assert next_run_after(15, None, start, slot=start) == start + timedelta(minutes=15)
    assert next_run_after(15, None, start + timedelta(hours=2), slot=start) == (
        start + timedelta(hours=2, minutes=15)
    )  # slots missed meanwhile are passed over: it runs once, not once per slot
    daily = next_run_after(1440, "02:30", start)
    local = daily.replace(tzinfo=timezone.utc).astimezone(local_zone())
    assert (local.hour, local.minute) == (2, 30)
    assert start < daily <= start + timedelta(days=1)
    weekly = next_run_after(7 * 1440, "02:30", daily + timedelta(minutes=1), slot=daily)
    again = weekly.replace(tzinfo=timezone.utc).astimezone(local_zone())
    assert (again.hour, again.minute) == (2, 30)
    assert abs((weekly - daily) - timedelta(days=7)) <= timedelta(hours=1)


@pytest.mark.parametrize("minutes", [1, 15, 60])
def test_periods_are_counted_from_the_slot_not_from_the_start_of_the_run(minutes: int) -> None:
    """A run starts a moment after its slot and takes a while: the next slot does not move."""
    slot = datetime(2026, 11, 30, 20, 41)
    started = slot + timedelta(milliseconds=5)
    ended = started + timedelta(seconds=min(50, minutes * 60 - 1))
    following = next_run_after(minutes, None, ended, slot=slot)
    assert following == slot + timedelta(minutes=minutes)
    # At the wake-up on that minute it is due.
    assert following <= following + timedelta(milliseconds=1)
    # A run longer than its period: the slots it overran are passed over.
    late = next_run_after(minutes, None, slot + timedelta(minutes=minutes, seconds=30), slot=slot)
    assert late == slot + timedelta(minutes=2 * minutes)
    # A slot a moment off (as a run's start time is) still counts from its minute.
    assert next_run_after(minutes, None, ended, slot=started) == following


def test_a_run_started_by_hand_leaves_the_slots_as_they_are() -> None:
    due = datetime(2026, 11, 30, 11, 0)
    by_hand_ended = datetime(2026, 11, 30, 10, 31, 20)
    assert next_run_after(60, None, by_hand_ended, slot=due) == due
    # 11:00 in Berlin is 10:00 UTC in November.
    due_local = datetime(2026, 11, 30, 10, 0)
    ended = datetime(2026, 11, 30, 9, 31, 20)
    assert next_run_after(1440, "11:00", ended, slot=due_local, zone=BERLIN) == due_local


BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("zone", "slot_local", "next_local"),
    [
        # Spring: clocks go forward, the day has 23 hours.
        (BERLIN, datetime(2026, 3, 28, 8, 0), datetime(2026, 3, 29, 8, 0)),
        (NEW_YORK, datetime(2026, 3, 7, 8, 0), datetime(2026, 3, 8, 8, 0)),
        # Autumn: clocks go back, the day has 25 hours.
        (BERLIN, datetime(2026, 10, 24, 8, 0), datetime(2026, 10, 25, 8, 0)),
        (NEW_YORK, datetime(2026, 10, 31, 8, 0), datetime(2026, 11, 1, 8, 0)),
    ],
)
def test_a_time_of_day_stays_put_across_daylight_saving_changes(
    zone: ZoneInfo, slot_local: datetime, next_local: datetime
) -> None:
    def utc(local: datetime) -> datetime:
        return local.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)

    slot = utc(slot_local)
    ended = slot + timedelta(minutes=3)
    following = next_run_after(1440, "08:00", ended, slot=slot, zone=zone)
    assert following == utc(next_local)
    assert following - slot != timedelta(days=1)  # the UTC distance changed with the clocks
    weekly = next_run_after(7 * 1440, "08:00", ended, slot=slot, zone=zone)
    assert weekly == utc(slot_local + timedelta(days=7))


def test_a_time_of_day_that_does_not_exist_that_day_runs_once_all_the_same() -> None:
    """02:30 does not exist in Berlin on 29 March 2026: the run comes at 03:30, once."""
    slot = datetime(2026, 3, 28, 1, 30)  # 02:30 CET
    following = next_run_after(1440, "02:30", slot + timedelta(minutes=1), slot=slot, zone=BERLIN)
    assert following.replace(tzinfo=timezone.utc).astimezone(BERLIN).hour == 3
    after = next_run_after(
        1440, "02:30", following + timedelta(minutes=1), slot=following, zone=BERLIN
    )
    assert after.replace(tzinfo=timezone.utc).astimezone(BERLIN) == datetime(
        2026, 3, 30, 2, 30, tzinfo=BERLIN
    )


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


def test_an_every_minute_schedule_is_due_again_at_the_next_minute(settings) -> None:
    """The run's start a few milliseconds after the tick must not push it to the minute after."""
    schedules.add_schedule(
        settings,
        name="minutely",
        every="1m",
        transfers=[schedules.parse_transfer("site:files:session_data")],
    )
    if utcnow().second > 45:  # the run must end within the minute it was due in
        time.sleep(61 - utcnow().second)
    slot = utcnow().replace(second=0, microsecond=0)
    schedule = schedules.get_schedule("minutely")
    schedule.next_run = slot
    schedule.save()
    scheduler = Scheduler(settings, client_options={"max_retries": 0, "timeout": 2})
    assert scheduler.tick(slot + timedelta(milliseconds=5), wait=True) == ["minutely"]
    schedule = schedules.get_schedule("minutely")
    assert schedule.last_run is not None and schedule.last_run > slot
    assert schedule.next_run == slot + timedelta(minutes=1)
    assert [s.name for s in due_schedules(slot + timedelta(minutes=1, milliseconds=3))] == [
        "minutely"
    ]
