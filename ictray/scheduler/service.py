"""The scheduler: wakes every minute, starts the schedules that are due, one thread each.

It runs embedded in the tray app or headless in ``ictray service``; in both it holds the
settings file's single-instance lock. It reports what happens through ``on_event`` (the tray
turns that into its icon and tooltip; the service into terminal lines). ``tick()`` is the whole
decision of one wake-up and takes the time as an argument, so it is tested with a movable clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ictray.scheduler.lock import SchedulerLock
from ictray.scheduler.runner import ScheduleRun, run_schedule
from ictray.scheduler.watch import RiskWatch
from ictray.settings import Settings
from ictray.settings.models import Schedule, utcnow
from ictray.settings.schedules import get_schedule
from ictray.transfer.options import TransferOptions
from ictray.transfer.progress import Progress

log = logging.getLogger("ictray.scheduler")

TICK_SECONDS = 60.0


@dataclass(frozen=True)
class SchedulerEvent:
    """``kind`` is started, progress, finished, paused or resumed."""

    kind: str
    schedule: str = ""
    run: ScheduleRun | None = None
    progress: Progress | None = None


def due_schedules(now: datetime) -> list[Schedule]:
    """Enabled schedules whose next run has come, oldest due first."""
    return list(
        Schedule.select()
        .where(Schedule.enabled & (Schedule.next_run <= now))
        .order_by(Schedule.next_run, Schedule.name)
    )


def pick_schedules(names: list[str] | None) -> list[Schedule]:
    """The named schedules (refusing unknown names), or every enabled one."""
    if not names:
        return list(Schedule.select().where(Schedule.enabled).order_by(Schedule.name))
    return [get_schedule(name) for name in names]


class Scheduler:
    def __init__(
        self,
        settings: Settings,
        *,
        tick_seconds: float = TICK_SECONDS,
        options: TransferOptions | None = None,
        on_event: Callable[[SchedulerEvent], None] | None = None,
        client_options: dict[str, object] | None = None,
        lock_kind: str = "",
    ) -> None:
        self.settings = settings
        self.tick_seconds = tick_seconds
        self.options = options
        self.on_event = on_event or (lambda event: None)
        self.client_options = client_options
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._lock = SchedulerLock(settings.path, lock_kind)  # lock_kind: which program holds it
        self._thread: threading.Thread | None = None
        self._running: dict[str, threading.Thread] = {}
        self._guard = threading.Lock()
        self.last_runs: dict[str, ScheduleRun] = {}
        self.watch = RiskWatch(settings)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Take the settings file's scheduler lock and start waking up every minute."""
        self._lock.acquire()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()
        log.info("scheduler started on %s", self.settings.path)

    def stop(self, timeout: float | None = None) -> None:
        """Ask running transfers to finish their current writes, wait for them, release."""
        self.stop_event.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for thread in list(self._running.values()):
            thread.join(timeout)
        self._lock.release()
        log.info("scheduler stopped")

    @property
    def paused(self) -> bool:
        return not self.settings.app().scheduler_enabled

    def set_paused(self, paused: bool) -> None:
        app = self.settings.app()
        app.scheduler_enabled = not paused
        app.save()
        log.info("scheduler %s", "paused" if paused else "resumed")
        self.on_event(SchedulerEvent("paused" if paused else "resumed"))
        self._wake.set()

    def running(self) -> list[str]:
        with self._guard:
            return [name for name, thread in self._running.items() if thread.is_alive()]

    # -- work ---------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                if not self.paused:
                    self.tick(utcnow())
            except Exception:
                log.exception("the scheduler could not check its schedules")
            try:
                self.watch.check()  # paused or not: a paused scheduler puts data at risk too
            except Exception:
                log.exception("the scheduler could not check for data at risk")
            self._wake.wait(self._until_next_tick())
            self._wake.clear()

    def _until_next_tick(self) -> float:
        now = utcnow()
        elapsed = now.second + now.microsecond / 1e6
        return max(0.05, self.tick_seconds - elapsed % self.tick_seconds)

    def tick(self, now: datetime, *, wait: bool = False) -> list[str]:
        """Start every due schedule that is not already running; return their names."""
        started = []
        for schedule in due_schedules(now):
            if self.start_schedule(schedule, wait=wait):
                started.append(schedule.name)
        return started

    def run_now(self, names: list[str] | None = None, *, wait: bool = False) -> list[str]:
        """Start these schedules (all enabled ones when None) at once, due or not."""
        return [s.name for s in pick_schedules(names) if self.start_schedule(s, wait=wait)]

    def start_schedule(self, schedule: Schedule, *, wait: bool = False) -> bool:
        with self._guard:
            current = self._running.get(schedule.name)
            if current is not None and current.is_alive():
                return False
            thread = threading.Thread(
                target=self._run, args=(schedule,), name=f"schedule {schedule.name}", daemon=True
            )
            self._running[schedule.name] = thread
            thread.start()
        if wait:
            thread.join()
        return True

    def _run(self, schedule: Schedule) -> None:
        self.on_event(SchedulerEvent("started", schedule.name))

        def progress(item: Progress) -> None:
            self.on_event(SchedulerEvent("progress", schedule.name, progress=item))

        try:
            run = run_schedule(
                self.settings,
                schedule,
                options=self.options,
                progress=progress,
                stop=self.stop_event,
                client_options=self.client_options,
            )
        except Exception:
            log.exception(
                "schedule %r could not run", schedule.name, extra={"schedule": schedule.name}
            )
            return
        self.last_runs[schedule.name] = run
        self.on_event(SchedulerEvent("finished", schedule.name, run=run))
