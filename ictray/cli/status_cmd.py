"""``ictray status``: the scheduler, each schedule's last and next run, how far each site has
been copied, and any data at risk."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ictray.cli.common import open_from_args, print_json
from ictray.operations.display import local_minute, period

if TYPE_CHECKING:
    from ictray.operations.status import Overview


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "status",
        help="the scheduler, last and next runs, how far each site is copied, data at risk",
        description="Show who runs the schedules, each schedule's last run (with its outcome "
        "and cause) and next run, how far each site has been copied to each destination "
        "(the appliance time up to which everything is stored) and what is still waiting, "
        "and any data at risk of being deleted by the appliance before it is copied. "
        "Exit 1 when data is at risk.",
    )
    command.add_argument("--json", action="store_true", help="print JSON, for monitoring tools")
    command.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ictray.operations.status import overview

    with open_from_args(args) as settings:
        view = overview(settings)
    if args.json:
        print_json(as_dict(view))
    else:
        print(as_text(view))
    return 1 if view.risks else 0


def _utc(value: datetime | int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        value = datetime.fromtimestamp(value, timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def as_dict(view: Overview) -> dict[str, Any]:
    """The overview for machines: local times to show, and UTC ones (``*_utc``) to compute."""
    return {
        "scheduler": {
            "state": view.scheduler.state,
            "holder": view.scheduler.holder,
            "text": view.scheduler.text,
        },
        "schedules": [
            {
                "name": schedule.name,
                "enabled": schedule.enabled,
                "period": period(schedule.every_minutes, schedule.at_time),
                "last_run": None
                if schedule.last is None
                else {
                    "started": local_minute(schedule.last.started_at),
                    "started_utc": _utc(schedule.last.started_at),
                    "outcome": schedule.last.outcome,
                    "cause": schedule.last.cause,
                },
                "next_run": None if schedule.next_run is None else local_minute(schedule.next_run),
                "next_run_utc": _utc(schedule.next_run),
            }
            for schedule in view.schedules
        ],
        "transfers": [
            {
                "site": pair.site,
                "destination": pair.destination,
                "data_types": [t.value for t in pair.data_types],
                "copied_until": None
                if pair.copied_until is None
                else local_minute(pair.copied_until),
                "copied_until_utc": _utc(pair.copied_until),
                "last_copied": None if pair.copied_at is None else local_minute(pair.copied_at),
                "sessions_in_progress": pair.open_sessions,
                "waiting": {t.value: n for t, n in pair.waiting.items()},
            }
            for pair in view.pairs
        ],
        "at_risk": bool(view.risks),
        "risks": [
            {
                "site": risk.site,
                "destination": risk.destination,
                "kind": risk.kind,
                "message": risk.message,
                "deadline": None if risk.deadline is None else local_minute(risk.deadline),
                "deadline_utc": _utc(risk.deadline),
            }
            for risk in view.risks
        ],
    }


def as_text(view: Overview) -> str:
    lines = [f"scheduler: {view.scheduler.text}", ""]
    lines.append("schedules:" if view.schedules else "no schedules yet")
    for schedule in view.schedules:
        state = "" if schedule.enabled else " (disabled)"
        lines.append(
            f"  {schedule.name}{state}: {period(schedule.every_minutes, schedule.at_time)}"
        )
        if schedule.last is None:
            lines.append("    last run: never")
        else:
            lines.append(
                f"    last run: {local_minute(schedule.last.started_at)}, {schedule.last.outcome}"
            )
            if schedule.last.cause:
                lines.append(f"      cause: {schedule.last.cause}")
        if schedule.next_run is not None:
            lines.append(f"    next run: {local_minute(schedule.next_run)}")
        elif schedule.enabled:
            lines.append("    next run: when a scheduler runs (see above)")
    if view.pairs:
        lines += ["", "transfers:"]
    for pair in view.pairs:
        lines.append(f"  {pair.site} -> {pair.destination}")
        if pair.copied_until is None:
            lines.append("    copied: nothing yet")
        else:
            lines.append(
                f"    copied: everything up to {local_minute(pair.copied_until)} (appliance "
                f"time), last on {local_minute(pair.copied_at)}"
            )
        waiting = [f"{n} {t.label.lower()}" for t, n in pair.waiting.items()]
        if pair.open_sessions:
            waiting.insert(0, f"{pair.open_sessions} session(s) in progress")
        lines.append(f"    waiting: {', '.join(waiting) if waiting else 'nothing'}")
    lines.append("")
    if view.risks:
        lines.append("DATA AT RISK:")
        lines += [f"  - {risk.message}" for risk in view.risks]
    else:
        lines.append("no data at risk")
    return "\n".join(lines)
