"""What the tray icon shows: which status icon, and the tooltip with last run, outcome, next run.

``tray_view`` reads the run history and the schedules (``operations.status``); ``choose_icon``
and ``tooltip_text`` decide from plain values, so the rules are easy to read and to test.
Priority: a transfer running now, then a stopped scheduler, then a failed last run, else idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ictray.dialogs.context import SchedulerStatus, local_time
from ictray.operations.status import LastRun, latest_runs, next_due
from ictray.transfer.result import FAILED as FAILED_RUN
from ictray.transfer.result import UNREACHABLE
from ictray.tray.icons import FAILED, IDLE, STOPPED, TRANSFERRING

#: Windows cuts tray tooltips at 127 characters
MAX_TOOLTIP = 127
#: how the tooltip words an outcome (as the main window does)
OUTCOME_WORDS = {UNREACHABLE: "failed: not reached", FAILED_RUN: "failed: program error"}

__all__ = ["MAX_TOOLTIP", "LastRun", "TrayView", "choose_icon", "tooltip_text", "tray_view"]


@dataclass(frozen=True)
class TrayView:
    icon: str  # one of icons.STATUSES
    tooltip: str


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
            f"Last run: {last.schedule} {short_time(last.started_at, now)}, "
            f"{OUTCOME_WORDS.get(last.outcome, last.outcome)}"
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
