"""The scheduler embedded in the desktop app, reporting to the Tk thread through its queue.

The scheduler runs on threads of its own (``ictray.scheduler.service``); its events arrive on
those threads and are posted to the Tk thread, progress at most every ``PROGRESS_INTERVAL``.
When another scheduler (the Windows service, ``ictray service`` or a second app) holds the
settings file, this one stays stopped and shows who runs the schedules; *Run now* still works
beside it, as ``ictray run-now`` does. The settings file's scheduler lock is the one truth of
who runs them; an installed Windows service is only a reason not to take it at start.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from ictray.dialogs.context import ELSEWHERE, PAUSED, RUNNING, STOPPED, SchedulerStatus
from ictray.operations.service import service_installed
from ictray.scheduler.lock import TRAY, SchedulerBusyError, SchedulerLock
from ictray.scheduler.service import Scheduler, SchedulerEvent
from ictray.settings import Settings

log = logging.getLogger("ictray.desktop")

PROGRESS_INTERVAL = 0.25
STOP_TIMEOUT = 10.0


class EmbeddedScheduler:
    """Start, stop, pause and run-now, with the state the tray and the windows show."""

    def __init__(
        self,
        settings: Settings,
        post: Callable[..., None],
        on_event: Callable[[SchedulerEvent], None],
        client_options: dict[str, object] | None = None,
    ) -> None:
        self._post = post
        self._on_event = on_event
        self.scheduler = Scheduler(
            settings, on_event=self._event, client_options=client_options, lock_kind=TRAY
        )
        self._lock_note = SchedulerLock(settings.path)  # read only: who holds the lock
        self.started = False
        self.problem = "it has not been started yet"
        self._last_progress: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, *, defer_to_service: bool = False) -> bool:
        """Take the settings file's scheduler lock and start; False (with ``problem``) if busy.

        With ``defer_to_service`` (the app starting), an installed Windows service is left to
        run the schedules, even while it is stopped: it may be starting, or stopped on purpose.
        """
        if defer_to_service and service_installed():
            self.problem = (
                "the Windows service is installed and runs the schedules; start or stop it in "
                "Application Settings"
            )
            log.info("the embedded scheduler was not started: %s", self.problem)
            return False
        try:
            self.scheduler.start()
        except SchedulerBusyError as error:
            self.problem = str(error)
            log.warning("the embedded scheduler did not start: %s", error)
            return False
        self.started, self.problem = True, ""
        return True

    def stop(self, timeout: float = STOP_TIMEOUT, reason: str = "the app is quitting") -> None:
        """Let running transfers finish their current writes (at most ``timeout`` each)."""
        if self.started:
            self.scheduler.stop(timeout)
            self.started = False
            self.problem = reason

    def status(self) -> SchedulerStatus:
        running = tuple(sorted(self.scheduler.running()))
        if not self.started:
            holder = self._lock_note.holder()
            if holder is not None and holder.pid != os.getpid():
                name = holder.name
                return SchedulerStatus(
                    ELSEWHERE,
                    f"{name[:1].upper()}{name[1:]} runs the schedules (process {holder.pid}); "
                    "this app shows what they did, and Run now still works.",
                    running,
                    name,
                )
            detail = self.problem[:1].upper() + self.problem[1:] + "."
            return SchedulerStatus(STOPPED, detail, running)
        if self.scheduler.paused:
            return SchedulerStatus(
                PAUSED,
                "No schedule runs on its own until it is started again; Run now still works.",
                running,
            )
        return SchedulerStatus(
            RUNNING, "Every minute it starts the schedules that are due.", running
        )

    def set_paused(self, paused: bool) -> None:
        self.scheduler.set_paused(paused)

    def run_now(self, names: list[str] | None) -> list[str]:
        """Start these schedules (all enabled ones for None); the names actually started."""
        return self.scheduler.run_now(names)

    def _event(self, event: SchedulerEvent) -> None:
        """Scheduler threads: pass the event to the Tk thread, progress only now and then."""
        if event.kind == "progress":
            now = time.monotonic()
            with self._lock:
                if now - self._last_progress.get(event.schedule, 0.0) < PROGRESS_INTERVAL:
                    return
                self._last_progress[event.schedule] = now
        self._post(self._on_event, event)
