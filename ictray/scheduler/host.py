"""The scheduler as a service runs it: settings, logs, mail, the event log, the lock, a clean stop.

``SchedulerHost`` is the body of both ``ictray service`` (in the foreground, stopped by Ctrl+C
or SIGTERM) and the Windows service (stopped by the service control manager or at shutdown):
one piece of code, so both take the same lock, write the same Service log and report failures
the same way — by e-mail when Notification Settings say so, and to the system's event log
(``ictray.platform.service.EventLog``). The platform glue only decides when to call ``start``
and ``stop``.
"""

from __future__ import annotations

import getpass
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from ictray.errors import IctrayError
from ictray.logs import LOGGER_NAME, SERVICE_LOGGERS, add_handler, setup_logging
from ictray.notify import ErrorMailer
from ictray.platform.service import EventLog, EventLogHandler
from ictray.scheduler.lock import FOREGROUND, HOLDER_NAMES, TRAY, WINDOWS_SERVICE
from ictray.scheduler.service import TICK_SECONDS, Scheduler, SchedulerEvent
from ictray.settings import Settings, open_settings
from ictray.settings.models import Schedule, Transfer
from ictray.settings.paths import default_log_folder
from ictray.settings.reporting import log_folder, start_logging
from ictray.transfer.options import TransferOptions

__all__ = ["FOREGROUND", "STOP_TIMEOUT", "TRAY", "WINDOWS_SERVICE", "SchedulerHost"]

log = logging.getLogger("ictray.scheduler")

#: How long a stop waits for each running schedule to finish its current writes.
STOP_TIMEOUT = 30.0


class SchedulerHost:
    """Start the scheduler of one settings file unattended; stop it cleanly when asked.

    ``holder`` says which program this is (``lock.FOREGROUND`` or ``lock.WINDOWS_SERVICE``),
    so others can name it. ``fallback_log_folder`` is where the logs go while the settings
    name no log folder (the Windows service runs as another user than the one who set it up,
    whose default folder the tray app shows). ``console`` also prints warnings to stderr.
    """

    def __init__(
        self,
        settings_path: Path,
        *,
        holder: str = FOREGROUND,
        event_log: EventLog | None = None,
        fallback_log_folder: Path | None = None,
        console: bool = False,
        options: TransferOptions | None = None,
        on_event: Callable[[SchedulerEvent], None] | None = None,
        client_options: dict[str, object] | None = None,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.settings_path = Path(settings_path)
        self.holder = holder
        self.event_log = event_log
        self.fallback_log_folder = fallback_log_folder
        self.console = console
        self.options = options
        self.on_event = on_event
        self.client_options = client_options
        self.tick_seconds = tick_seconds
        #: How long ``serve`` lets running schedules finish their writes once asked to stop
        #: (shorter at a system shutdown, which waits only a few seconds).
        self.stop_timeout: float | None = STOP_TIMEOUT
        self.settings: Settings | None = None
        self.scheduler: Scheduler | None = None
        self.log_folder: Path | None = None
        self._mailer: ErrorMailer | None = None
        self._handlers: list[logging.Handler] = []

    @property
    def name(self) -> str:
        return HOLDER_NAMES.get(self.holder, "the scheduler")

    def serve(
        self, stop_requested: threading.Event, on_running: Callable[[], object] | None = None
    ) -> int:
        """Run until ``stop_requested`` is set, as a service does; 0, or the failure's exit code.

        The service control manager's glue calls this on the service's thread and sets the
        event on *Stop* or at shutdown; ``on_running`` tells it that the start went well.
        """
        try:
            self.start()
        except IctrayError as error:
            return error.exit_code
        if on_running is not None:
            on_running()
        stop_requested.wait()
        self.stop(self.stop_timeout)
        return 0

    def start(self) -> None:
        """Open the settings, start the logs and the reporting, take the lock, start.

        A failure is written to the Service log, mailed (when the settings could be read) and
        sent to the event log, then raised as the ``IctrayError`` it was.
        """
        try:
            self.settings = open_settings(self.settings_path)
        except IctrayError as error:
            self._start_logging(None)
            log.error("%s cannot start: %s", self.name, error)
            self._stop_reporting()
            raise
        self._start_logging(self.settings)
        if self.settings.migrated_from is not None:
            log.info(
                "updated the settings file from schema %d (a copy was kept)",
                self.settings.migrated_from,
            )
        self._check_secrets(self.settings)
        self.scheduler = Scheduler(
            self.settings,
            tick_seconds=self.tick_seconds,
            options=self.options,
            on_event=self.on_event,
            client_options=self.client_options,
            lock_kind=self.holder,
        )
        try:
            self.scheduler.start()
        except IctrayError as error:
            log.error("%s cannot start: %s", self.name, error)
            self.scheduler = None
            self._stop_reporting()
            self.settings.close()
            raise
        message = (
            f"{self.name} runs the schedules of the settings file {self.settings_path}; "
            f"the Service log is in {self.log_folder}"
        )
        log.info("%s", message)
        if self.event_log is not None:
            self.event_log.report(logging.INFO, message)

    def stop(self, timeout: float | None = STOP_TIMEOUT) -> None:
        """Let running transfers finish their current writes, release the lock, report."""
        if self.scheduler is None:
            return
        self.scheduler.stop(timeout)
        self.scheduler = None
        message = f"{self.name} stopped; no schedule runs until it is started again"
        log.info("%s", message)
        if self.event_log is not None:
            self.event_log.report(logging.INFO, message)
        self._stop_reporting()
        if self.settings is not None:
            self.settings.close()

    @property
    def running(self) -> bool:
        return self.scheduler is not None

    # -- reporting ----------------------------------------------------------------------------

    def _start_logging(self, settings: Settings | None) -> None:
        """The logs, and mail, as every command starts them (``settings.reporting``); the
        event log besides. Without readable settings, the logs only, where they would go."""
        if settings is None:
            self.log_folder = self.fallback_log_folder or default_log_folder(self.settings_path)
            setup_logging(self.log_folder, console=self.console)
        else:
            self.log_folder = log_folder(settings, self.fallback_log_folder)
            self._mailer = start_logging(
                settings, console=self.console, fallback_folder=self.fallback_log_folder
            )
            if self._mailer is not None:
                self._handlers.append(self._mailer)
        if self.event_log is not None:
            self._attach(EventLogHandler(self.event_log))

    def _attach(self, handler: logging.Handler) -> None:
        add_handler(handler)
        self._handlers.append(handler)

    def _stop_reporting(self) -> None:
        """Send what waits to be mailed, and take this host's handlers off the logs."""
        if self._mailer is not None:
            self._mailer.flush()
            self._mailer = None
        for handler in self._handlers:
            for name in (LOGGER_NAME, *SERVICE_LOGGERS):
                logging.getLogger(name).removeHandler(handler)
            handler.close()
        self._handlers.clear()

    def _check_secrets(self, settings: Settings) -> None:
        """Say at once when this account cannot read the secrets the schedules need.

        Secrets live in the credential store of the account that set them; a service that
        runs as another account finds none, and every run would fail on its own.
        """
        transfers = Transfer.select().join(Schedule).where(Schedule.enabled)
        sites = {transfer.site.name: transfer.site for transfer in transfers}
        destinations = {transfer.destination.name: transfer.destination for transfer in transfers}
        missing = []
        try:
            for site in sites.values():
                if not settings.secrets.get(site.client_secret_ref):
                    missing.append(f"the client secret of site {site.name!r}")
            for destination in destinations.values():
                for key in destination.secret_keys:
                    if settings.secrets.get(destination.secret_ref(key)) is None:
                        missing.append(f"{key} of destination {destination.name!r}")
        except IctrayError as error:
            missing.append(str(error))
        if missing:
            account = getpass.getuser()
            log.error(
                "%s runs as %s and cannot read %s. Secrets are kept in the credential store "
                "of the account that set them: run the service as that account, or set them "
                "again as %s",
                self.name,
                account,
                ", ".join(missing),
                account,
            )
