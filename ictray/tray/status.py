"""What the tray icon shows: which status icon, and the tooltip with last run, outcome, next run.

``tray_view`` reads the run history and the schedules from the settings file; ``choose_icon``
and ``tooltip_text`` decide from plain values, so the rules are easy to read and to test.
Priority: a transfer running now, then a stopped scheduler, then a failed last run, else idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ictray.dialogs.context import SchedulerStatus, local_time
from ictray.settings.models import RunRecord, Schedule
from ictray.transfer.result import FAILED as RUN_FAILED
from ictray.transfer.result import UNREACHABLE
from ictray.tray.icons import FAILED, IDLE, STOPPED, TRANSFERRING

#: Windows cuts tray tooltips at 127 characters
MAX_TOOLTIP = 127
FAILED_OUTCOMES = (RUN_FAILED, UNREACHABLE)


@dataclass(frozen=True)
class LastRun:
    """The latest finished run of one schedule."""

    schedule: str
    started_at: datetime  # naive UTC, as stored
    outcome: str

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


@dataclass(frozen=True)
class TrayView:
    icon: str  # one of icons.STATUSES
    tooltip: str


def latest_runs() -> list[LastRun]:
    """Each schedule's latest finished run, newest first."""
    runs = []
    for schedule in Schedule.select().order_by(Schedule.name):
        record = (
            RunRecord.select()
            .where((RunRecord.schedule == schedule) & (RunRecord.outcome != "running"))
            .order_by(RunRecord.started_at.desc(), RunRecord.id.desc())
            .first()
        )
        if record is not None:
            runs.append(LastRun(schedule.name, record.started_at, record.outcome))
    return sorted(runs, key=lambda run: run.started_at, reverse=True)


def next_due() -> tuple[str, datetime] | None:
    """The enabled schedule that runs next, and when."""
    schedule = (
        Schedule.select()
        .where(Schedule.enabled & Schedule.next_run.is_null(False))
        .order_by(Schedule.next_run, Schedule.name)
        .first()
    )
    return None if schedule is None else (schedule.name, schedule.next_run)


def choose_icon(scheduler: SchedulerStatus, runs: list[LastRun]) -> str:
    if scheduler.transferring:
        return TRANSFERRING
    if not scheduler.scheduling:
        return STOPPED
    if any(run.failed for run in runs):
        return FAILED
    return IDLE


def short_time(value: datetime, now: datetime | None = None) -> str:
    """Local time, without the date when it is today."""
    local = value.replace(tzinfo=timezone.utc).astimezone()
    today = (now or datetime.now(timezone.utc)).astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local_time(value)


def tooltip_text(
    scheduler: SchedulerStatus,
    runs: list[LastRun],
    upcoming: tuple[str, datetime] | None,
    now: datetime | None = None,
) -> str:
    if scheduler.transferring:
        lines = [f"ictray: transferring {', '.join(scheduler.transferring)}"]
    else:
        lines = [f"ictray: scheduler {scheduler.label}"]
    if runs:
        last = runs[0]
        lines.append(
            f"Last run: {last.schedule} {short_time(last.started_at, now)}, {last.outcome}"
        )
        others = [run.schedule for run in runs[1:] if run.failed]
        if others:
            lines.append(f"Last run failed: {', '.join(others)}")
    else:
        lines.append("Last run: never")
    if upcoming is not None and scheduler.scheduling:
        lines.append(f"Next run: {upcoming[0]} {short_time(upcoming[1], now)}")
    text = "\n".join(lines)
    return text if len(text) <= MAX_TOOLTIP else text[: MAX_TOOLTIP - 1] + "…"


def tray_view(scheduler: SchedulerStatus) -> TrayView:
    runs = latest_runs()
    return TrayView(choose_icon(scheduler, runs), tooltip_text(scheduler, runs, next_due()))
