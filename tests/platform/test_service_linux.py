"""The Linux twin of the Windows service glue: no service to manage, syslog as the event log."""

from __future__ import annotations

import logging
import socket
import sys
from pathlib import Path

import pytest

from ictray.errors import ValidationError
from ictray.operations import service as operations
from ictray.platform.service import (
    UNAVAILABLE,
    UNAVAILABLE_REASON,
    EventLogHandler,
    ServiceUnavailableError,
    needs_password,
    service_manager,
)
from ictray.platform.service_linux import SYSLOG_UDP, LinuxServiceManager, SyslogEventLog

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the Linux side")


def test_this_system_has_no_windows_service_and_says_what_runs_instead() -> None:
    manager = service_manager()
    assert isinstance(manager, LinuxServiceManager)
    status = manager.status()
    assert (status.state, status.available, status.installed) == (UNAVAILABLE, False, False)
    assert status.detail.startswith("The ictray Windows service does not exist on this platform")
    assert "`ictray service` runs the scheduler in the foreground" in status.detail
    assert not manager.needs_elevation()


@pytest.mark.parametrize(
    "action",
    [
        lambda: operations.install_service(Path("s.db"), Path("logs"), account="CORP\\x"),
        operations.uninstall_service,
        operations.start_service,
        operations.stop_service,
        operations.check_available,
    ],
)
def test_every_action_is_refused_with_the_reason(action) -> None:
    with pytest.raises(ServiceUnavailableError) as refused:
        action()  # also before asking for a password: the reason comes first
    assert str(refused.value) == UNAVAILABLE_REASON
    assert refused.value.exit_code == 1


def test_start_gives_the_schedules_back_when_the_service_does_not_start() -> None:
    calls: list[str] = []
    with pytest.raises(ServiceUnavailableError):
        operations.start_service(
            release=lambda: calls.append("release"), reclaim=lambda: calls.append("reclaim")
        )
    assert calls == []  # refused before anything was let go


@pytest.mark.parametrize(
    ("account", "needed"),
    [
        ("CORP\\svc-ictray", True),
        (".\\ictray", True),
        ("LocalSystem", False),
        ("NT AUTHORITY\\NetworkService", False),
        ("nt authority\\local service", False),
        ("NT SERVICE\\ictray", False),
        ("CORP\\gmsa-ictray$", False),
        (None, False),
    ],
)
def test_which_accounts_need_a_password(account, needed) -> None:
    assert needs_password(account) is needed


def test_syslog_gets_daemon_entries_with_the_level(syslog_server) -> None:
    log = SyslogEventLog(syslog_server.address)
    try:
        log.report(logging.INFO, "started")
        log.report(logging.WARNING, "careful")
        log.report(logging.ERROR, "failed: disk full")
    finally:
        log.close()
    assert syslog_server.wait_for("started").startswith("<30>ictray[")  # daemon.info
    assert syslog_server.wait_for("careful").startswith("<28>ictray[")  # daemon.warning
    assert syslog_server.wait_for("failed: disk full").startswith("<27>ictray[")  # daemon.err


def test_without_a_syslog_socket_it_falls_back_to_udp(tmp_path: Path) -> None:
    log = SyslogEventLog(str(tmp_path / "no-such-socket"))  # no daemon: UDP, lost quietly
    try:
        assert (log._handler.address, log._handler.socktype) == (SYSLOG_UDP, socket.SOCK_DGRAM)
    finally:
        log.close()


class Broken:
    def report(self, level: int, message: str) -> None:
        raise OSError("the event log is full")

    def close(self) -> None:
        return None


def test_a_failing_event_log_never_stops_the_caller(capsys) -> None:
    handler = EventLogHandler(Broken())
    logger = logging.getLogger("ictray.tests.eventlog")
    logger.addHandler(handler)
    try:
        logger.error("something failed")  # reaches the broken log: reported, not raised
    finally:
        logger.removeHandler(handler)
    assert "the event log is full" in capsys.readouterr().err


def test_the_install_asks_for_the_password_of_an_account_that_needs_one(monkeypatch) -> None:
    class Available(LinuxServiceManager):
        def status(self):
            from ictray.platform.service import NOT_INSTALLED, ServiceStatus

            return ServiceStatus(NOT_INSTALLED, "not installed")

    monkeypatch.setattr(operations, "service_manager", Available)
    with pytest.raises(ValidationError) as missing:
        operations.install_service(Path("s.db"), Path("logs"), account="CORP\\svc-ictray")
    assert missing.value.field == "password"
    assert "the service logs on as CORP\\svc-ictray" in missing.value.message
