"""The Linux twin of the Windows service glue: no service to manage, syslog as the event log.

Linux has no Windows service control manager; ``ictray service`` runs the scheduler in the
foreground, which is what a systemd unit (or a terminal) starts. So the manager answers
every question with ``UNAVAILABLE_REASON``, and the event log is syslog: the service body
reports its failures there, as it reports them to the Windows event log on Windows.
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
from logging.handlers import SysLogHandler
from pathlib import Path

from ictray.platform.service import (
    SERVICE_NAME,
    UNAVAILABLE,
    UNAVAILABLE_REASON,
    InstallRequest,
    ServiceStatus,
    ServiceUnavailableError,
)

DEV_LOG = "/dev/log"
SYSLOG_UDP = ("localhost", 514)


class LinuxServiceManager:
    """Says, for every action, that the Windows service does not exist here and what does."""

    def status(self) -> ServiceStatus:
        return ServiceStatus(UNAVAILABLE, UNAVAILABLE_REASON[0].upper() + UNAVAILABLE_REASON[1:])

    def install(self, request: InstallRequest) -> None:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)

    def uninstall(self) -> None:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)

    def start(self) -> None:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)

    def stop(self) -> None:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)

    def needs_elevation(self) -> bool:
        return False

    def default_account(self) -> str:
        return getpass.getuser()

    def run_elevated(self, arguments: list[str], password: str | None) -> tuple[int, str]:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)

    def read_password_file(self, path: Path) -> str:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)


class SyslogEventLog:
    """Entries in syslog as ``ictray[PID]: message``, facility *daemon*.

    ``address`` is a Unix socket path or a ``(host, port)`` for UDP; by default the local
    ``/dev/log`` (journald or rsyslog), else UDP to localhost, which is lost quietly when no
    syslog daemon listens: a missing syslog must not stop the scheduler.
    """

    def __init__(self, address: str | tuple[str, int] | None = None) -> None:
        self._handler = self._open(address)
        self._handler.ident = f"{SERVICE_NAME}[{os.getpid()}]: "

    @staticmethod
    def _open(address: str | tuple[str, int] | None) -> SysLogHandler:
        facility = SysLogHandler.LOG_DAEMON
        address = DEV_LOG if address is None else address
        if isinstance(address, str) and not Path(address).is_socket():
            return SysLogHandler(SYSLOG_UDP, facility, socket.SOCK_DGRAM)
        return SysLogHandler(address, facility)

    def report(self, level: int, message: str) -> None:
        record = logging.LogRecord("ictray.service", level, __file__, 0, message, None, None)
        self._handler.handle(record)

    def close(self) -> None:
        self._handler.close()
