"""The service body, run as the service control manager runs it: started on a thread of its
own, stopped by setting its stop event, reporting to a real SMTP server and a real syslog
receiver on loopback (syslog is the Linux twin of the Windows event log)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from ictray.logs import MASK
from ictray.platform.service_linux import SyslogEventLog
from ictray.scheduler.host import WINDOWS_SERVICE, SchedulerHost
from ictray.scheduler.lock import TRAY, SchedulerBusyError, SchedulerLock
from ictray.settings import destinations, open_settings, preferences, schedules, sites
from ictray.settings.schedules import parse_transfer

FAST_CLIENT = {
    "timeout": 5,
    "max_retries": 1,
    "max_retry_time": 5,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
}
# syslog priorities of facility daemon (3): <3 * 8 + severity>
SYSLOG_INFO, SYSLOG_ERROR = "<30>", "<27>"


@pytest.fixture(autouse=True)
def no_credential_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a server without one: secrets are read from the settings file."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    import logging

    names = ("ictray", "ictray.scheduler", "ictray.transfer")
    saved = {name: list(logging.getLogger(name).handlers) for name in names}
    yield
    for name, handlers in saved.items():
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()


@dataclass
class Setup:
    settings_path: Path
    archive: Path
    logs: Path
    mails: list = field(default_factory=list)


def configure(tmp_path: Path, simulator, *, smtp=None, credential_store=None) -> Setup:
    """A settings file as a person sets it up: the simulator, a folder, one schedule."""
    path = tmp_path / "settings.db"
    archive = tmp_path / "archive"
    with open_settings(path, create=True, credential_store=credential_store) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="files", plugin="filesystem", options={"directory": str(archive)}
        )
        schedules.add_schedule(
            settings,
            name="often",
            every="1m",
            transfers=[parse_transfer("sim:files:session_data")],
        )
        if smtp is not None:
            preferences.set_notify(
                settings,
                enabled=True,
                host=smtp.host,
                port=smtp.port,
                security="none",
                sender="ictray@example.com",
                recipients=["admin@example.com"],
            )
    return Setup(path, archive, tmp_path / "service-logs")


@dataclass
class ServiceThread:
    """``SchedulerHost.serve`` on its own thread, as the service control manager runs it."""

    host: SchedulerHost
    stop_requested: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)
    exit_code: int | None = None
    thread: threading.Thread | None = None

    def start(self) -> ServiceThread:
        def serve() -> None:
            self.exit_code = self.host.serve(self.stop_requested, on_running=self.running.set)

        self.thread = threading.Thread(target=serve, name="service", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float = 60) -> int | None:
        """The control manager's *Stop*: set the event, wait for the service to end."""
        self.stop_requested.set()
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the service did not stop"
        return self.exit_code


@pytest.fixture
def service(restore_logging, syslog_server) -> Iterator[Callable[..., ServiceThread]]:
    started: list[ServiceThread] = []

    def start(setup: Setup, **options) -> ServiceThread:
        options.setdefault("client_options", FAST_CLIENT)
        host = SchedulerHost(
            setup.settings_path,
            holder=WINDOWS_SERVICE,
            event_log=SyslogEventLog(syslog_server.address),
            **{"fallback_log_folder": setup.logs, **options},
        )
        runner = ServiceThread(host).start()
        started.append(runner)
        return runner

    yield start
    for runner in started:
        if runner.thread is not None and runner.thread.is_alive():
            runner.stop()


def wait_for(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def text_of(mail) -> str:
    return mail.get_payload(decode=True).decode("utf-8")


def service_log(folder: Path) -> str:
    return "".join(path.read_text() for path in sorted(folder.glob("service-*.log")))


def runs(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT s.name, r.outcome FROM run_record r JOIN schedule s ON s.id = r.schedule_id "
            "WHERE r.ended_at IS NOT NULL"
        ).fetchall()


def test_the_service_runs_the_schedules_and_stops_when_asked(
    tmp_path: Path, simulator, service, syslog_server
) -> None:
    setup = configure(tmp_path, simulator)
    runner = service(setup)
    assert runner.running.wait(30), "the service did not report running"
    holder = SchedulerLock(setup.settings_path).holder()
    assert holder is not None and (holder.pid, holder.kind) == (os.getpid(), WINDOWS_SERVICE)

    wait_for(lambda: runs(setup.settings_path), 60, "the first run of the schedule")
    assert runs(setup.settings_path) == [("often", "completed")]
    assert list(setup.archive.glob("*.xml"))
    with pytest.raises(SchedulerBusyError) as busy:  # the tray app, the CLI: all refused
        SchedulerLock(setup.settings_path, TRAY).acquire()
    assert "the ictray Windows service" in str(busy.value)
    assert f"(process {os.getpid()})" in str(busy.value)

    assert runner.stop() == 0
    lock = SchedulerLock(setup.settings_path)
    assert lock.holder() is None
    lock.acquire()  # released: the next scheduler can start
    lock.release()
    text = service_log(setup.logs)
    assert (
        f"the ictray Windows service runs the schedules of the settings file "
        f"{setup.settings_path}; the Service log is in {setup.logs}" in text
    )
    assert "transfer site 'sim' to destination 'files' ended (completed)" in text
    assert "the ictray Windows service stopped" in text
    started = syslog_server.wait_for("runs the schedules of the settings file")
    assert started.startswith(SYSLOG_INFO) and f"ictray[{os.getpid()}]: " in started
    assert syslog_server.wait_for("the ictray Windows service stopped").startswith(SYSLOG_INFO)


def test_failures_are_mailed_and_sent_to_the_event_log(
    tmp_path: Path, simulator, service, syslog_server, smtp_server
) -> None:
    smtp = smtp_server()
    setup = configure(tmp_path, simulator, smtp=smtp)
    simulator.faults.reject_credentials = True
    runner = service(setup)
    assert runner.running.wait(30)
    wait_for(lambda: smtp.inbox.messages, 60, "the notification mail")
    mail = smtp.inbox.messages[0]
    assert "error" in mail["Subject"]
    body = text_of(mail)
    assert "site 'sim'" in body and "the client secret was rejected" in body
    entry = syslog_server.wait_for("the client secret was rejected")
    assert entry.startswith(SYSLOG_ERROR)
    assert runner.stop() == 0
    assert runs(setup.settings_path) == [("often", "unreachable")]
    everything = "".join(syslog_server.messages) + service_log(setup.logs) + body
    assert simulator.client_secret not in everything


def test_a_service_that_finds_the_schedules_taken_says_so_everywhere(
    tmp_path: Path, simulator, service, syslog_server, smtp_server
) -> None:
    smtp = smtp_server()
    setup = configure(tmp_path, simulator, smtp=smtp)
    tray = SchedulerLock(setup.settings_path, TRAY)
    tray.acquire()  # the tray app runs the schedules
    try:
        runner = service(setup)
        runner.thread.join(30)
        assert runner.exit_code == 1 and not runner.running.is_set()
        assert SchedulerLock(setup.settings_path).holder().kind == TRAY  # still the tray's
    finally:
        tray.release()
    reason = "another scheduler is already running on the settings file"
    entry = syslog_server.wait_for(reason)
    assert entry.startswith(SYSLOG_ERROR) and "the tray app" in entry
    assert f"the ictray Windows service cannot start: {reason}" in service_log(setup.logs)
    wait_for(lambda: smtp.inbox.messages, 10, "the notification mail")
    assert reason in text_of(smtp.inbox.messages[0])
    assert runs(setup.settings_path) == []


def test_a_missing_settings_file_is_reported_to_the_event_log_and_the_service_log(
    tmp_path: Path, service, syslog_server
) -> None:
    setup = Setup(tmp_path / "gone.db", tmp_path / "archive", tmp_path / "service-logs")
    runner = service(setup)
    runner.thread.join(30)
    assert runner.exit_code == 2
    message = f"there is no settings file at {setup.settings_path}"
    assert syslog_server.wait_for(message).startswith(SYSLOG_ERROR)
    assert message in service_log(setup.logs)


def test_secrets_this_account_cannot_read_are_named_at_start(
    tmp_path: Path, simulator, service, syslog_server
) -> None:
    keyring = PlaintextKeyring()  # the store of the account that set ictray up
    keyring.file_path = str(tmp_path / "keyring.cfg")
    setup = configure(tmp_path, simulator, credential_store=keyring)
    runner = service(setup)  # runs with no credential store: another account's view
    assert runner.running.wait(30)
    entry = syslog_server.wait_for("cannot read the client secret of site 'sim'")
    assert entry.startswith(SYSLOG_ERROR)
    assert "run the service as that account" in entry
    assert runner.stop() == 0


def test_secrets_in_errors_are_masked_in_the_event_log(
    tmp_path: Path, simulator, service, syslog_server
) -> None:
    setup = configure(tmp_path, simulator)
    runner = service(setup)
    assert runner.running.wait(30)
    import logging

    logging.getLogger("ictray.scheduler").error("failed with password=hunter2-secret here")
    entry = syslog_server.wait_for("failed with password=")
    assert "hunter2-secret" not in entry and MASK in entry
    assert runner.stop() == 0


def test_without_a_fallback_the_logs_go_where_ictray_log_reads_them(
    tmp_path: Path, simulator, service
) -> None:
    """``ictray service`` in the foreground names no fallback folder: its Service log goes with
    the settings file, where ``ictray log`` and the desktop app look for it."""
    setup = configure(tmp_path, simulator)
    with open_settings(setup.settings_path) as settings:
        expected = preferences.log_folder(settings)
    assert expected != setup.logs
    runner = service(setup, fallback_log_folder=None)
    assert runner.running.wait(30), "the service did not start"
    wait_for(lambda: runs(setup.settings_path), 60, "the first run")
    assert runner.stop() == 0
    assert runner.host.log_folder == expected
    assert "runs the schedules of the settings file" in service_log(expected)
    assert not setup.logs.exists()
