"""What the tray icon shows: which status icon, and the tooltip with last run, outcome, next run.

``tray_view`` reads the run history, the schedules (``operations.status``) and the data at risk
(``scheduler.watch``); ``choose_icon`` and ``tooltip_text`` decide from plain values, so the
rules are easy to read and to test. Priority: a transfer running now, then data at risk (red,
the reason in the tooltip), then a stopped scheduler, then a failed last run, else idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from ictray.dialogs.context import SchedulerStatus, local_time
from ictray.operations.status import LastRun, latest_runs, next_due
from ictray.scheduler.watch import EXPIRING, Risk, find_risks
from ictray.settings.models import AppSettings
from ictray.transfer.result import FAILED as FAILED_RUN
from ictray.transfer.result import UNREACHABLE
from ictray.tray.icons import FAILED, IDLE, STOPPED, TRANSFERRING

#: Windows cuts tray tooltips at 127 characters
MAX_TOOLTIP = 127
#: how the tooltip words an outcome (as the main window does)
OUTCOME_WORDS: dict[str, str] = {
    UNREACHABLE: "failed: not reached",
    FAILED_RUN: "failed: program error",
}

__all__ = [
    "MAX_TOOLTIP",
    "LastRun",
    "TrayView",
    "choose_icon",
    "risk_reason",
    "tooltip_text",
    "tray_view",
]


@dataclass(frozen=True)
class TrayView:
    icon: str  # one of icons.STATUSES
    tooltip: str
    risks: tuple[Risk, ...] = ()  # data at risk now (the app tells when one starts)


def choose_icon(scheduler: SchedulerStatus, runs: list[LastRun], risks: Sequence[Risk] = ()) -> str:
    if scheduler.transferring:
        return TRANSFERRING
    if risks:
        return FAILED  # a paused or stopped scheduler is often why: red says it is urgent
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


def _within(deadline: datetime, now: datetime | None) -> str:
    """How long until ``deadline`` (naive UTC), in the words a glance needs."""
    moment = deadline.replace(tzinfo=timezone.utc)
    hours = (moment - (now or datetime.now(timezone.utc))).total_seconds() / 3600
    if hours <= 0:
        return "from now on"
    if hours < 48:
        return f"within {max(1, round(hours))} h"
    return f"in {int(hours // 24)} days"


def risk_reason(risk: Risk, stale_hours: int, now: datetime | None = None) -> str:
    """One risk in a few words for the tooltip (the main window and the mail say it whole)."""
    pair = f"{risk.site} -> {risk.destination}"
    if risk.kind == EXPIRING and risk.deadline is not None:
        return f"{pair}: waiting items deleted {_within(risk.deadline, now)}"
    if risk.deadline is None:
        return f"{pair}: nothing copied yet"
    return f"{pair}: nothing copied for over {stale_hours} h"


def _fit(lines: list[str], keep: int) -> str:
    """The lines that fit in a tooltip: the first ``keep`` cut short if need be, the others
    whole or not at all (a half line says less than none)."""
    text = ""
    for index, line in enumerate(lines):
        joined = f"{text}\n{line}" if text else line
        if len(joined) <= MAX_TOOLTIP:
            text = joined
        elif index < keep:
            return joined[: MAX_TOOLTIP - 1] + "…"
        else:
            break
    return text


def tooltip_text(
    scheduler: SchedulerStatus,
    runs: list[LastRun],
    upcoming: tuple[str, datetime] | None,
    now: datetime | None = None,
    risks: Sequence[Risk] = (),
    stale_hours: int = 24,
) -> str:
    if scheduler.transferring:
        lines = [f"ictray: transferring {', '.join(scheduler.transferring)}"]
    else:
        lines = [f"ictray: scheduler {scheduler.label}"]
    if risks:
        more = f" (+{len(risks) - 1} more)" if len(risks) > 1 else ""
        lines.append(f"Data at risk: {risk_reason(risks[0], stale_hours, now)}{more}")
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
    return _fit(lines, 2 if risks else 1)


def tray_view(scheduler: SchedulerStatus) -> TrayView:
    runs = latest_runs()
    risks = find_risks()
    stale_hours = AppSettings.get_by_id(1).warn_after_hours
    return TrayView(
        choose_icon(scheduler, runs, risks),
        tooltip_text(scheduler, runs, next_due(), risks=risks, stale_hours=stale_hours),
        tuple(risks),
    )
