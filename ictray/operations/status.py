"""The status the screens show: each schedule's latest finished run, and what runs next.

The main window, the tray icon and its tooltip all read these; they are refreshed every second
while a transfer runs, so the latest run of every schedule is one grouped query, not one query
per schedule. Run outcomes are the names the run history stores (``transfer.result``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from ictray.datatypes import DataType
from ictray.scheduler.lock import SchedulerLock
from ictray.scheduler.watch import Risk, find_risks
from ictray.settings import Settings
from ictray.settings.db import rows
from ictray.settings.models import (
    Destination,
    LedgerItem,
    RunRecord,
    Schedule,
    Site,
    Transfer,
    Watermark,
    utcnow,
)
from ictray.transfer.result import COMPLETED, FAILED, INTERRUPTED, UNREACHABLE

#: the outcome of a run that has not ended yet (the run history's default)
RUNNING = str(RunRecord.outcome.default)
FAILED_OUTCOMES = (FAILED, UNREACHABLE)
OUTCOMES = (COMPLETED, UNREACHABLE, FAILED, INTERRUPTED)


@dataclass(frozen=True)
class LastRun:
    """The latest finished run of one schedule: when, how it ended and, when it failed, why."""

    schedule: str
    started_at: datetime  # naive UTC, as stored
    outcome: str
    ended_at: datetime | None = None
    message: str = ""  # the errors of the run, one a line

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES

    @property
    def cause(self) -> str:
        """The first error of the run, in one line ("" when it had none)."""
        return next((line.strip() for line in self.message.splitlines() if line.strip()), "")


def last_runs() -> dict[str, LastRun]:
    """Each schedule's latest finished run, by schedule name (one query)."""
    latest = (
        RunRecord.select(peewee.fn.MAX(RunRecord.id))
        .where((RunRecord.outcome != RUNNING) & RunRecord.schedule.is_null(False))
        .group_by(RunRecord.schedule)
    )
    query = (
        RunRecord.select(
            RunRecord.started_at,
            RunRecord.outcome,
            RunRecord.ended_at,
            RunRecord.message,
            Schedule.name,
        )
        .join(Schedule)  # the schedule comes with the row: no query per schedule
        .where(RunRecord.id.in_(latest))
    )
    runs = {}
    for row in query:
        schedule = row.schedule
        if schedule is not None:  # always, by the join: said for the type checker
            runs[schedule.name] = LastRun(
                schedule.name, row.started_at, row.outcome, row.ended_at, row.message
            )
    return runs


def latest_runs() -> list[LastRun]:
    """Each schedule's latest finished run, newest first."""
    return sorted(last_runs().values(), key=lambda run: run.started_at, reverse=True)


@dataclass(frozen=True)
class ProgramRun:
    """The newest run of any schedule, finished or not (the guide's *Last Program Run*)."""

    schedule: str  # "" when the schedule was removed since
    started_at: datetime
    outcome: str


def last_program_run() -> ProgramRun | None:
    record = (
        RunRecord.select(RunRecord.started_at, RunRecord.outcome, Schedule.name)
        .join(Schedule, peewee.JOIN.LEFT_OUTER)
        .order_by(RunRecord.started_at.desc(), RunRecord.id.desc())
        .namedtuples()
        .first()
    )
    if record is None:
        return None
    return ProgramRun(record.name or "", record.started_at, record.outcome)


def next_due() -> tuple[str, datetime] | None:
    """The enabled schedule that runs next, and when (never before the next minute)."""
    schedule = (
        Schedule.select()
        .where(Schedule.enabled & Schedule.next_run.is_null(False))
        .order_by(Schedule.next_run, Schedule.name)
        .first()
    )
    return None if schedule is None else (schedule.name, upcoming(schedule.next_run))


def upcoming(next_run: datetime, now: datetime | None = None) -> datetime:
    """When a schedule due at ``next_run`` will run: a schedule already due (it was missed
    while nothing ran) runs at the scheduler's next wake-up, the start of the next minute."""
    now = now or utcnow()
    if next_run > now:
        return next_run
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


# -- the whole picture (``ictray status`` and the main window's status area) --------------------


@dataclass(frozen=True)
class SchedulerState:
    """Who runs the schedules of this settings file, if anyone."""

    state: str  # RUNNING, PAUSED or NOT_RUNNING
    holder: str  # the program and its process, "" when none
    text: str  # one line for people


SCHEDULER_RUNNING = "running"
SCHEDULER_PAUSED = "paused"
SCHEDULER_NOT_RUNNING = "not running"


def scheduler_state(settings: Settings) -> SchedulerState:
    """Running in which program, paused, or not running anywhere (from the scheduler's lock)."""
    holder = SchedulerLock(settings.path).holder()
    paused = not settings.app().scheduler_enabled
    if holder is None:
        return SchedulerState(
            SCHEDULER_NOT_RUNNING,
            "",
            "not running anywhere: schedules run only when started by hand, until the desktop "
            "app or the scheduler service is started",
        )
    who = f"{holder.name} (process {holder.pid})"
    if paused:
        return SchedulerState(
            SCHEDULER_PAUSED, who, f"paused in {who}: no schedule runs until it is resumed"
        )
    return SchedulerState(SCHEDULER_RUNNING, who, f"running in {who}")


@dataclass(frozen=True)
class ScheduleState:
    name: str
    enabled: bool
    every_minutes: int
    at_time: str | None
    last: LastRun | None
    next_run: datetime | None  # naive UTC; None when it will not run on its own


@dataclass(frozen=True)
class PairState:
    """How far one site has been copied to one destination, and what is still waiting."""

    site: str
    destination: str
    data_types: tuple[DataType, ...]
    copied_until: int | None  # appliance time up to which everything is stored (the lowest)
    copied_at: datetime | None  # naive UTC: when that was last moved on
    open_sessions: int  # sessions and presentations in progress, stored once they close
    waiting: dict[DataType, int]  # recordings not fetched yet and writes cut short, per type


@dataclass(frozen=True)
class Overview:
    scheduler: SchedulerState
    schedules: list[ScheduleState]
    pairs: list[PairState]
    risks: list[Risk]


def overview(settings: Settings, now: datetime | None = None) -> Overview:
    """Everything ``ictray status`` and the main window show, in a handful of queries."""
    now = now or utcnow()
    scheduler = scheduler_state(settings)
    runs = last_runs()
    schedules = [
        ScheduleState(
            schedule.name,
            schedule.enabled,
            schedule.every_minutes,
            schedule.at_time,
            runs.get(schedule.name),
            upcoming(schedule.next_run, now)
            if schedule.enabled
            and schedule.next_run is not None
            and scheduler.state == SCHEDULER_RUNNING
            else None,
        )
        for schedule in Schedule.select().order_by(Schedule.name)
    ]
    return Overview(scheduler, schedules, _pair_states(), find_risks(now))


def _pair_states() -> list[PairState]:
    types: dict[tuple[int, int], set[DataType]] = {}
    names: dict[tuple[int, int], tuple[str, str]] = {}
    for transfer in (
        Transfer.select(Transfer, Site, Destination).join(Site).switch(Transfer).join(Destination)
    ):
        key = (transfer.site_id, transfer.destination_id)
        types.setdefault(key, set()).update(transfer.data_types)
        names[key] = (transfer.site.name, transfer.destination.name)
    marks: dict[tuple[int, int], list[Watermark]] = {}
    for mark in Watermark.select().where(Watermark.watermark.is_null(False)):
        marks.setdefault((mark.site_id, mark.destination_id), []).append(mark)
    counts: dict[tuple[int, int], dict[str, int]] = {}
    waiting_rows = (
        LedgerItem.select(
            LedgerItem.site,
            LedgerItem.destination,
            LedgerItem.data_type,
            LedgerItem.state,
            peewee.fn.COUNT(LedgerItem.id),
        )
        .where(LedgerItem.state.in_(("open", "pending", "writing")))
        .group_by(LedgerItem.site, LedgerItem.destination, LedgerItem.data_type, LedgerItem.state)
    )
    for site_id, destination_id, data_type, state, count in rows(waiting_rows):
        bucket = counts.setdefault((site_id, destination_id), {})
        if state != "open":
            bucket[data_type] = bucket.get(data_type, 0) + count
        elif not DataType(data_type).is_recording:  # open recordings: their session is open
            bucket["open"] = bucket.get("open", 0) + count
    states = []
    for key, data_types in types.items():
        pair_marks = [m for m in marks.get(key, []) if m.data_type != DataType.SITE_BACKUPS.value]
        bucket = counts.get(key, {})
        states.append(
            PairState(
                *names[key],
                tuple(t for t in DataType if t in data_types),
                min((m.watermark for m in pair_marks if m.watermark is not None), default=None),
                min((m.updated_at for m in pair_marks), default=None),
                bucket.get("open", 0),
                {DataType(name): count for name, count in bucket.items() if name != "open"},
            )
        )
    return sorted(states, key=lambda state: (state.site, state.destination))
