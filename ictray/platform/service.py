"""The scheduler as a system service: what the front ends may ask, whatever the system.

Windows runs the scheduler as a real service (``service_windows``: the service control
manager starts ``ictray-service.exe``, which hosts ``SchedulerHost``). Other systems have no
such service here (``service_linux``): ``ictray service`` runs the same scheduler in the
foreground, for systemd or a terminal. ``service_manager()`` gives the one for this system;
``system_event_log()`` the system's own log of failures (the Windows event log, syslog).

Nothing here imports the scheduler: the service body (``ictray.scheduler.host``) and the
front ends (``ictray.operations.service``) build on these names.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ictray.errors import IctrayError

SERVICE_NAME = "ictray"
DISPLAY_NAME = "ictray scheduler"
DESCRIPTION = (
    "Runs the ictray schedules: copies session logs, recordings and site backups from "
    "BeyondTrust Remote Support to folders and SQL databases, also while nobody is logged in."
)
#: The account a service runs as when none is named (Windows' own name for it).
LOCAL_SYSTEM = "LocalSystem"
#: The frozen build's service program, beside ``ictray.exe`` and ``ictray-cli.exe``.
SERVICE_PROGRAM = "ictray-service"

# States, as the guide's Application Settings show them
RUNNING = "running"
STOPPED = "stopped"
STARTING = "starting"
STOPPING = "stopping"
NOT_INSTALLED = "not installed"
UNAVAILABLE = "unavailable"

UNAVAILABLE_REASON = (
    "the ictray Windows service does not exist on this platform; `ictray service` runs the "
    "scheduler in the foreground (start it from systemd or a terminal to copy unattended)"
)


class ServiceError(IctrayError):
    """The service could not be installed, removed, started, stopped or asked about."""

    exit_code = 1


class ServiceUnavailableError(ServiceError):
    """This system has no Windows service to install, start or stop."""


class ElevationRefusedError(ServiceError):
    """Windows asked for administrator rights and they were not given."""


@dataclass(frozen=True)
class ServiceStatus:
    """The service as Application Settings and ``ictray service status`` show it.

    ``state`` is one of the states above; ``detail`` says in a sentence what that means
    (or why nothing can be done); ``account`` and ``settings_path`` are what it was
    installed with, when it is installed.
    """

    state: str
    detail: str
    account: str | None = None
    settings_path: str | None = None

    @property
    def available(self) -> bool:
        return self.state != UNAVAILABLE

    @property
    def installed(self) -> bool:
        return self.state not in (NOT_INSTALLED, UNAVAILABLE)


@dataclass(frozen=True)
class InstallRequest:
    """How to install the service: as whom, for which settings file, logging where.

    ``account`` None means Local System. ``log_folder`` is where the service writes its logs
    while the settings file names no log folder: the installing user's default one, so the
    tray app's log viewer and the service share the Service log.
    """

    settings_path: Path
    log_folder: Path
    account: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ServiceOptions:
    """What the installed service reads when it starts (kept with the service's registration)."""

    settings_path: Path
    log_folder: Path | None = None


class ServiceManager(Protocol):
    """Installs, removes, starts, stops and describes the ictray service of this system."""

    def status(self) -> ServiceStatus: ...

    def install(self, request: InstallRequest) -> None: ...

    def uninstall(self) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def needs_elevation(self) -> bool:
        """True when changing the service needs rights this process does not have."""

    def default_account(self) -> str:
        """The account to offer at install: the user who set ictray up (``DOMAIN\\user``)."""

    def run_elevated(self, arguments: list[str], password: str | None) -> tuple[int, str]:
        """Run ``ictray <arguments>`` with administrator rights; its exit code and message.

        The password travels in a file only that user can read back (``--password-file``),
        the answer in ``--result-file``: both options are added here.
        """

    def read_password_file(self, path: Path) -> str:
        """The password ``run_elevated`` handed over (the file is removed once read)."""


class EventLog(Protocol):
    """The system's own log, which administrators watch (the Windows event log, syslog)."""

    def report(self, level: int, message: str) -> None:
        """Write one entry; ``level`` is a ``logging`` level (INFO, WARNING, ERROR)."""

    def close(self) -> None: ...


class EventLogHandler(logging.Handler):
    """Sends the service's failures (ERROR and worse) to the system's event log.

    Attach it with ``ictray.logs.add_handler`` so secrets are masked as in the log files.
    A failure to write there must never stop the scheduler: it goes to ``handleError``.
    """

    def __init__(self, event_log: EventLog, level: int = logging.ERROR) -> None:
        super().__init__(level)
        self.event_log = event_log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.event_log.report(record.levelno, record.getMessage())
        except Exception:
            self.handleError(record)


#: Accounts Windows logs on without a password: its own service accounts, virtual accounts
#: (``NT SERVICE\\...``) and group managed service accounts (``DOMAIN\\name$``).
_PASSWORDLESS = frozenset(
    {
        "localsystem",
        "nt authority\\system",
        "nt authority\\localservice",
        "nt authority\\local service",
        "nt authority\\networkservice",
        "nt authority\\network service",
    }
)


def needs_password(account: str | None) -> bool:
    """True when the service can only log on as ``account`` with its password."""
    if not account:
        return False
    name = account.strip().lower()
    return not (name in _PASSWORDLESS or name.startswith("nt service\\") or name.endswith("$"))


def service_manager() -> ServiceManager:
    """The service manager of this system."""
    if sys.platform == "win32":
        from ictray.platform.service_windows import WindowsServiceManager

        return WindowsServiceManager()
    from ictray.platform.service_linux import LinuxServiceManager

    return LinuxServiceManager()


def system_event_log() -> EventLog:
    """The system's event log, as the running service should write to it."""
    if sys.platform == "win32":
        from ictray.platform.service_windows import WindowsEventLog

        return WindowsEventLog()
    from ictray.platform.service_linux import SyslogEventLog

    return SyslogEventLog()
