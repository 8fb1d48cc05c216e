"""The running desktop app: Tk windows, the tray icon and the embedded scheduler, on one queue.

Tk owns the thread that creates it (a withdrawn root; every window is a ``Toplevel``). The
tray icon and the scheduler live on threads of their own and only post calls to ``ui``, which
the Tk thread drains. ``DesktopApp`` implements ``dialogs.context.Controller``: it opens the
windows (one of each at a time), runs schedules now, pauses and resumes the scheduler, and
refreshes the icon, its tooltip and the main window whenever something happens.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from functools import partial

from ictray.dialogs import messages, outcomes
from ictray.dialogs.api_tester import ApiTesterDialog
from ictray.dialogs.app_settings import AppSettingsDialog
from ictray.dialogs.context import (
    API_TESTER,
    APP_SETTINGS,
    LOG_FILE,
    MAIN,
    NOTIFY_SETTINGS,
    PAUSED,
    PLUGINS,
    RUNNING,
    SCHEDULES,
    SETUP_WINDOWS,
    SITES,
    VERIFY,
    SchedulerStatus,
)
from ictray.dialogs.first_run import Walkthrough
from ictray.dialogs.log_viewer import LogViewer
from ictray.dialogs.main_window import MainWindow
from ictray.dialogs.notify_settings import NotifySettingsDialog
from ictray.dialogs.plugins import PluginDialog
from ictray.dialogs.schedules import ScheduleDialog
from ictray.dialogs.sites import SiteDialog
from ictray.dialogs.ui_state import WindowState
from ictray.dialogs.verification import VerifyWindow
from ictray.dialogs.widgets import Window, use_theme
from ictray.dialogs.worker import UiQueue
from ictray.errors import IctrayError
from ictray.notify import ErrorMailer
from ictray.operations.status import FAILED_OUTCOMES
from ictray.scheduler.runner import SKIPPED, ScheduleRun
from ictray.scheduler.service import SchedulerEvent
from ictray.scheduler.watch import Risk
from ictray.settings import Settings
from ictray.settings.models import Destination, Schedule, Site
from ictray.settings.reporting import start_logging
from ictray.settings.schedules import list_schedules
from ictray.tray.icon import TrayIcon
from ictray.tray.icons import draw_icon
from ictray.tray.scheduler_host import EmbeddedScheduler
from ictray.tray.status import TrayView, tray_view

log = logging.getLogger("ictray.desktop")

WINDOWS: dict[str, Callable[[tk.Misc, DesktopApp], Window]] = {
    MAIN: MainWindow,
    SITES: SiteDialog,
    PLUGINS: PluginDialog,
    SCHEDULES: ScheduleDialog,
    APP_SETTINGS: AppSettingsDialog,
    NOTIFY_SETTINGS: NotifySettingsDialog,
    API_TESTER: ApiTesterDialog,
    LOG_FILE: LogViewer,
    VERIFY: VerifyWindow,
}
REFRESH_IDLE_MS = 30_000  # next-run times in the tooltip stay current
REFRESH_BUSY_MS = 1_000  # while a transfer runs
#: Windows shows at most 255 characters of a notification's text
MAX_NOTIFICATION = 255
TRAY_SOURCE_SIZE = 256  # the tray scales it to the size it asks for, crisp


class DesktopApp:
    def __init__(
        self,
        root: tk.Misc,
        settings: Settings,
        *,
        tray: bool = True,
        client_options: dict[str, object] | None = None,
        on_quit: Callable[[], None] | None = None,
        window_state: WindowState | None = None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.client_options = client_options
        self.window_state = window_state or WindowState()
        self.ui = UiQueue()
        self.scheduler = EmbeddedScheduler(
            settings, self.ui.post, self.on_scheduler_event, client_options
        )
        self.tray = TrayIcon(self, self.ui.post) if tray else None
        self.windows: dict[str, Window] = {}
        self.walkthrough: Walkthrough | None = None
        self.view: TrayView | None = None
        self.closed = False
        self._on_quit = on_quit
        self._mailer: ErrorMailer | None = None
        self._refresh_job: str | None = None
        self._risks_told: set[tuple[str, str, str]] = set()

    # -- life cycle -------------------------------------------------------------------------

    def start(self, *, first_run: bool = False) -> None:
        """Logs, scheduler, tray icon, main window; then the walkthrough for what is missing."""
        use_theme(self.root)
        self.ui.attach(self.root)
        self._mailer = start_logging(self.settings, console=False)
        log.info("desktop app started on the settings file %s", self.settings.path)
        self.scheduler.start(defer_to_service=True)
        status = self.scheduler.status()
        self.view = tray_view(status)
        image = draw_icon(self.view.icon, TRAY_SOURCE_SIZE)
        if self.tray is not None and not self.tray.start(image, self.view.tooltip):
            self.tray = None
        self.open_window(MAIN)
        self.refresh()
        missing = [
            step
            for step, model in ((SITES, Site), (PLUGINS, Destination), (SCHEDULES, Schedule))
            if not model.select().exists()
        ]
        if first_run or SITES in missing:
            self.walkthrough = Walkthrough(self.root, missing, self.open_window)
            self.walkthrough.start()

    def quit(self) -> None:
        """Tray icon down first (or the process hangs at exit), then scheduler, then windows."""
        if self.closed:
            return
        self.closed = True
        log.info("desktop app quitting")
        if self.tray is not None:
            self.tray.stop()
        self.scheduler.stop()
        if self._refresh_job is not None:
            self.root.after_cancel(self._refresh_job)
        self.ui.detach()
        if self.walkthrough is not None:
            self.walkthrough.close()
        for window in list(self.windows.values()):
            if window.winfo_exists():
                window.close_now()
        if self._mailer is not None:
            self._mailer.flush()
        if self._on_quit is not None:
            self._on_quit()

    # -- windows ----------------------------------------------------------------------------

    def open_window(self, name: str) -> Window:
        window = self.windows.get(name)
        if window is not None and window.winfo_exists():
            window.bring_up()
            return window
        window = WINDOWS[name](self.root, self)
        self.windows[name] = window
        if name == MAIN:
            window.when_closed(self._main_closed)
        window.after_idle(window.bring_up)
        return window

    def _main_closed(self) -> None:
        """Without a tray icon, nothing could bring the window back: closing it quits."""
        if not self.closed and (self.tray is None or not self.tray.shown):
            self.quit()

    def _tell(self, text: str, *, error: bool = False) -> None:
        main = self.windows.get(MAIN)
        if isinstance(main, MainWindow) and main.winfo_exists():
            main.show_message(text, error=error)
        (log.warning if error else log.info)("%s", text)

    # -- scheduler --------------------------------------------------------------------------

    def scheduler_status(self) -> SchedulerStatus:
        return self.scheduler.status()

    def run_now(self, schedule: str | None) -> None:
        try:
            started = self.scheduler.run_now([schedule] if schedule else None)
        except IctrayError as error:
            self._tell(messages.describe(error), error=True)
            return
        if started:
            self._tell(f"Started now: {', '.join(started)}.")
        elif schedule:
            self._tell(f"The schedule {schedule!r} is already running.")
        else:
            self._tell("Nothing to run: there is no enabled schedule, or they are all running.")
        self.refresh()

    def set_scheduler_paused(self, paused: bool) -> None:
        self.scheduler.set_paused(paused)
        self.refresh()

    def show_run(self, schedule: str) -> None:
        viewer = self.open_window(LOG_FILE)
        if isinstance(viewer, LogViewer):
            viewer.show_run(schedule)

    def toggle_scheduler(self) -> None:
        state = self.scheduler.status().state
        if state in (RUNNING, PAUSED):
            self.scheduler.set_paused(state == RUNNING)
        elif not self.scheduler.start():
            self._tell(f"the scheduler did not start: {self.scheduler.problem}", error=True)
        elif self.scheduler.status().state == PAUSED:
            self.scheduler.set_paused(False)  # "Start scheduler" also ends a pause
        self.refresh()

    def release_scheduler(self) -> None:
        """Let the Windows service take the schedules: stop this app's scheduler (any thread)."""
        self.scheduler.stop(reason="it was stopped for the Windows service to run the schedules")

    def reclaim_scheduler(self) -> None:
        """The service did not start: run the schedules here again (any thread)."""
        self.scheduler.start()

    def on_scheduler_event(self, event: SchedulerEvent) -> None:
        """Tk thread: a scheduler event, posted from a scheduler thread."""
        main = self.windows.get(MAIN)
        if event.kind == "progress" and event.progress is not None:
            if isinstance(main, MainWindow) and main.winfo_exists():
                item = event.progress
                main.show_activity(
                    f"{event.schedule}: {item.site} → {item.destination}: {item.text}"
                )
            return
        if event.kind == "finished" and event.run is not None:
            self._finished(event.schedule, event.run)
        self.refresh()

    def _finished(self, schedule: str, run: ScheduleRun) -> None:
        """Say how a run ended: in the main window and, for a failure, as a tray notification."""
        if run.outcome == SKIPPED:
            return
        causes = [error for result in run.results for error in result.errors]
        failed = run.outcome in FAILED_OUTCOMES
        text = f"Schedule {schedule!r}: {outcomes.label(run.outcome).lower()}"
        if failed and causes:
            text += f": {messages.scrub(causes[0])}"
        self._tell(text, error=failed)
        if failed and self.tray is not None:
            self.tray.notify(f"ictray: {schedule} failed", text)

    # -- what people see ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Bring the icon, tooltip, menu and open windows up to date."""
        if self.closed:
            return
        status = self.scheduler.status()
        self.view = tray_view(status)
        self._tell_new_risks(self.view.risks)
        if self.tray is not None:
            names = tuple(s.name for s in list_schedules() if s.enabled)
            image = draw_icon(self.view.icon, TRAY_SOURCE_SIZE)
            self.tray.show(image, self.view.tooltip, names, status.action)
        for name in (MAIN, APP_SETTINGS):
            window = self.windows.get(name)
            if isinstance(window, (MainWindow, AppSettingsDialog)) and window.winfo_exists():
                window.refresh()
        if self._refresh_job is not None:
            self.root.after_cancel(self._refresh_job)
        delay = REFRESH_BUSY_MS if status.transferring else REFRESH_IDLE_MS
        self._refresh_job = self.root.after(delay, self.refresh)

    def _tell_new_risks(self, risks: tuple[Risk, ...]) -> None:
        """A tray notification for each risk that started since the last look (and for those
        found when the app starts): the icon turned red, this says why."""
        current = {(risk.site, risk.destination, risk.kind) for risk in risks}
        for risk in risks:
            if (risk.site, risk.destination, risk.kind) in self._risks_told:
                continue
            log.info("the tray tells of data at risk: %s", risk.message)
            if self.tray is not None:
                text = messages.scrub(risk.message)
                if len(text) > MAX_NOTIFICATION:
                    text = text[: MAX_NOTIFICATION - 1] + "…"
                self.tray.notify("ictray: data at risk", text)
        self._risks_told = current

    def settings_changed(self) -> None:
        """The one change signal: every open window shows the settings as they are now."""
        for window in list(self.windows.values()):
            if window.winfo_exists():
                window.settings_changed()
        self.refresh()

    def tray_menu(self, x: int, y: int) -> None:
        """The tray menu as a Tk pop-up at (x, y), for trays whose icon has no menu of its
        own (a right-click on a plain X11 tray icon)."""
        menu = tk.Menu(self.root, tearoff=False)
        menu.add_command(label="Open Integration Client", command=lambda: self.open_window(MAIN))
        run = tk.Menu(menu, tearoff=False)
        run.add_command(label="All schedules", command=lambda: self.run_now(None))
        names = [s.name for s in list_schedules() if s.enabled]
        if names:
            run.add_separator()
        for name in names:
            run.add_command(label=name, command=partial(self.run_now, name))
        menu.add_cascade(label="Run now", menu=run)
        setup = tk.Menu(menu, tearoff=False)
        for key, label in SETUP_WINDOWS:
            setup.add_command(label=label, command=partial(self.open_window, key))
        menu.add_cascade(label="Setup", menu=setup)
        menu.add_command(label="API Tester", command=lambda: self.open_window(API_TESTER))
        menu.add_command(label="Log File", command=lambda: self.open_window(LOG_FILE))
        menu.add_command(label=self.scheduler.status().action, command=self.toggle_scheduler)
        menu.add_separator()
        menu.add_command(label="Quit", command=self.quit)
        self.popup = menu
        menu.tk_popup(x, y)

    def logging_changed(self) -> None:
        if self._mailer is not None:
            self._mailer.flush()
        self._mailer = start_logging(self.settings, console=False)
        log.info("log and notification settings applied")
