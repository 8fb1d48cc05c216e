"""What a window may ask of the running app: the settings, the UI queue, the scheduler.

The desktop app (``ictray.tray.app.DesktopApp``) implements ``Controller``; windows depend on
this small protocol only, so they can be opened and tested without a tray icon.
"""

from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from ictray.dialogs.ui_state import WindowState
from ictray.dialogs.worker import UiQueue
from ictray.names import TextName
from ictray.settings import Settings


class SchedulerState(TextName):
    """Where the app's scheduler stands (see ``SchedulerStatus``)."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"  # it could not start
    ELSEWHERE = "elsewhere"  # another program (the Windows service) runs the schedules


RUNNING = SchedulerState.RUNNING
PAUSED = SchedulerState.PAUSED
STOPPED = SchedulerState.STOPPED
ELSEWHERE = SchedulerState.ELSEWHERE
PAUSE_SCHEDULER = "Pause Scheduler"
RESUME_SCHEDULER = "Resume Scheduler"
START_SCHEDULER = "Start Scheduler"  # it could not start (another scheduler holds the file)

# Window names for Controller.open_window
MAIN = "main"
SITES = "sites"
PLUGINS = "plugins"
SCHEDULES = "schedules"
APP_SETTINGS = "app-settings"
NOTIFY_SETTINGS = "notify-settings"
API_TESTER = "api-tester"
LOG_FILE = "log-file"
VERIFY = "verify"
SETUP_WINDOWS = (
    (SITES, "Site Configuration"),
    (PLUGINS, "Plugin Configuration"),
    (SCHEDULES, "Schedule Configuration"),
    (APP_SETTINGS, "Application Settings"),
    (NOTIFY_SETTINGS, "Notification Settings"),
)


def local_time(value: datetime | None, *, never: str = "never") -> str:
    """A stored (naive UTC) time as this computer's local time, to the minute."""
    if value is None:
        return never
    return value.replace(tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class SchedulerStatus:
    """The embedded scheduler as people see it.

    ``state`` is running, paused (switched off in Application Settings), elsewhere (``holder``
    runs the schedules: the Windows service, ``ictray service``) or stopped (it could not
    start: ``detail`` says why); ``transferring`` names the schedules running now.
    """

    state: SchedulerState
    detail: str
    transferring: tuple[str, ...] = ()
    holder: str = ""

    @property
    def label(self) -> str:
        if self.state == ELSEWHERE:
            return f"run by {self.holder}"
        return {RUNNING: "running", PAUSED: "paused"}.get(self.state, "stopped")

    @property
    def action(self) -> str:
        """The one name of what the scheduler button and menu item do now, everywhere."""
        return {RUNNING: PAUSE_SCHEDULER, PAUSED: RESUME_SCHEDULER}.get(self.state, START_SCHEDULER)

    @property
    def scheduling(self) -> bool:
        """True when some scheduler (this app's or another program's) runs the schedules."""
        return self.state in (RUNNING, ELSEWHERE)


class Controller(Protocol):
    """The running app, as windows see it."""

    settings: Settings
    ui: UiQueue
    window_state: WindowState
    client_options: dict[str, object] | None  # how windows that reach a site talk to it

    def open_window(self, name: str) -> tk.Toplevel:
        """Open (or bring to the front) one of the named windows above."""

    def run_now(self, schedule: str | None) -> None:
        """Run one schedule, or every enabled one, now."""

    def toggle_scheduler(self) -> None:
        """Pause a running scheduler; resume a paused one; try again to start a stopped one."""

    def set_scheduler_paused(self, paused: bool) -> None:
        """Pause or resume the scheduler (Application Settings, on Save)."""

    def show_run(self, schedule: str) -> None:
        """Open the Log File at the lines of the schedule's latest run."""

    def scheduler_status(self) -> SchedulerStatus: ...

    def release_scheduler(self) -> None:
        """Stop this app's scheduler so the Windows service can take the schedules (any thread)."""

    def reclaim_scheduler(self) -> None:
        """Start this app's scheduler again, when the service did not start (any thread)."""

    def settings_changed(self) -> None:
        """Something was saved: the one change signal; the icon, the menu and every open
        window show the settings as they are now."""

    def logging_changed(self) -> None:
        """The log folder or removal days changed: write the logs where they now belong."""

    def quit(self) -> None: ...
