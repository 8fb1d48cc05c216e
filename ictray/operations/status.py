"""The status the screens show: each schedule's latest finished run, and what runs next.

The main window, the tray icon and its tooltip all read these; they are refreshed every second
while a transfer runs, so the latest run of every schedule is one grouped query, not one query
per schedule. Run outcomes are the names the run history stores (``transfer.result``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from ictray.settings.models import RunRecord, Schedule, utcnow
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
