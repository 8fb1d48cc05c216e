"""Runs one schedule: its transfers side by side, then *Last Run* by the guide's rules.

The guide: if the integration client cannot connect to the appliance or to its destination, it
still marks the schedule complete and updates the last run date; if the integration client itself
experiences an error, it does neither. Both cases are logged (and so mailed).
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ictray.errors import IctrayError
from ictray.scheduler.lock import ScheduleLock
from ictray.settings import Settings
from ictray.settings.models import RunRecord, Schedule, Transfer, utcnow
from ictray.settings.schedules import next_run_after
from ictray.transfer.job import run_transfer
from ictray.transfer.options import TransferOptions
from ictray.transfer.progress import ProgressCallback
from ictray.transfer.result import (
    COMPLETED,
    FAILED,
    INTERRUPTED,
    SEVERITY,
    SKIPPED,
    UNREACHABLE,
    Outcome,
    TransferResult,
)

log = logging.getLogger("ictray.scheduler")

RETRY_AFTER_FAILURE = timedelta(minutes=5)


@dataclass
class ScheduleRun:
    """What one run of one schedule did."""

    schedule: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: Outcome = COMPLETED
    results: list[TransferResult] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == COMPLETED and all(r.ok for r in self.results)


def run_schedule(
    settings: Settings,
    schedule: Schedule,
    *,
    options: TransferOptions | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    client_options: dict[str, object] | None = None,
) -> ScheduleRun:
    """Run every transfer of ``schedule`` at once and record the run; never raises for them."""
    started = utcnow()
    lock = ScheduleLock(settings.path, schedule.id)
    if not lock.try_acquire():
        log.info(
            "schedule %r is still running; not started again",
            schedule.name,
            extra={"schedule": schedule.name},
        )
        return ScheduleRun(schedule.name, started, started, SKIPPED, note="still running")
    try:
        record = RunRecord.create(schedule=schedule, started_at=started)
        transfers = list(schedule.transfers.order_by(Transfer.id))
        log.info(
            "schedule %r started (%d transfer(s))",
            schedule.name,
            len(transfers),
            extra={"schedule": schedule.name},
        )

        def one(transfer: Transfer) -> TransferResult:
            return _run_one(
                settings, transfer, schedule.name, options, progress, stop, client_options
            )

        with ThreadPoolExecutor(
            max_workers=max(1, len(transfers)), thread_name_prefix=f"schedule-{schedule.id}"
        ) as pool:
            results = list(pool.map(one, transfers))
        run = ScheduleRun(schedule.name, started, utcnow(), results=results)
        for result in results:
            if SEVERITY[result.outcome] > SEVERITY[run.outcome]:
                run.outcome = result.outcome
        _finish(schedule, record, run)
        return run
    finally:
        lock.release()


def _run_one(
    settings: Settings,
    transfer: Transfer,
    schedule_name: str,
    options: TransferOptions | None,
    progress: ProgressCallback | None,
    stop: threading.Event | None,
    client_options: dict[str, object] | None,
) -> TransferResult:
    site, destination = transfer.site.name, transfer.destination.name
    context = {"schedule": schedule_name, "site": site, "destination": destination}
    try:
        return run_transfer(
            settings,
            transfer,
            schedule_name=schedule_name,
            options=options,
            progress=progress,
            stop=stop,
            client_options=client_options,
        )
    except IctrayError as error:  # configuration that stops the transfer before it starts
        log.error(
            "transfer from site %r to destination %r cannot start: %s",
            site,
            destination,
            error,
            extra=context,
        )
        return TransferResult(site, destination, UNREACHABLE, errors=[str(error)])
    except Exception as error:
        log.exception(
            "transfer from site %r to destination %r failed: %s",
            site,
            destination,
            error,
            extra=context,
        )
        return TransferResult(
            site, destination, FAILED, errors=[f"ictray failed: {type(error).__name__}: {error}"]
        )


def _finish(schedule: Schedule, record: RunRecord, run: ScheduleRun) -> None:
    """Record the run and apply the guide's *Last Run* rule."""
    schedule = Schedule.get_by_id(schedule.id)  # re-read: settings may have changed meanwhile
    now = run.ended_at or utcnow()
    if run.outcome in (COMPLETED, UNREACHABLE):
        schedule.last_run = run.started_at
        # Counted from the slot the run was due at, so periods never stretch by the time a
        # run takes to start or to finish; a run started by hand leaves the slots as they are.
        schedule.next_run = next_run_after(
            schedule.every_minutes, schedule.at_time, now, schedule.next_run or run.started_at
        )
    elif run.outcome == FAILED:
        retry = now + min(RETRY_AFTER_FAILURE, timedelta(minutes=schedule.every_minutes))
        schedule.next_run = retry
    schedule.save()
    record.ended_at = now
    record.outcome = run.outcome
    record.counts_json = json.dumps(
        [
            {
                "site": r.site,
                "destination": r.destination,
                "outcome": r.outcome,
                "counts": r.counts_dict(),
            }
            for r in run.results
        ]
    )
    record.message = "\n".join(e for r in run.results for e in r.errors)[:10_000]
    record.save()
    level = logging.INFO if run.outcome in (COMPLETED, INTERRUPTED) else logging.WARNING
    log.log(
        level,
        "schedule %r ended: %s",
        schedule.name,
        run.outcome,
        extra={"schedule": schedule.name},
    )
