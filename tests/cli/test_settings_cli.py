"""``ictray settings app|notify`` (with *Send Test*) and ``ictray log``."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

CLI = Callable[..., Any]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        self.received.set()
        return "250 OK"


@pytest.fixture
def plain_smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_application_settings_round_trip(cli: CLI, tmp_path: Path) -> None:
    result = cli(
        "settings",
        "app",
        "--scheduler",
        "off",
        "--log-folder",
        str(tmp_path / "logs"),
        "--log-removal-days",
        "30",
        "--json",
    )
    assert result.code == 0, result.err
    values = json.loads(result.out)
    assert values["scheduler_enabled"] is False
    assert values["log_folder"] == str((tmp_path / "logs").resolve())
    assert values["log_removal_days"] == 30
    cleared = json.loads(cli("settings", "app", "--log-removal-days", "never", "--json").out)
    assert cleared["log_removal_days"] is None
    bad = cli("settings", "app", "--log-removal-days", "-3")
    assert bad.code == 2 and "log removal days:" in bad.err


def test_notification_settings_and_send_test(cli: CLI, plain_smtp) -> None:
    port, inbox = plain_smtp
    incomplete = cli("settings", "notify", "--enable", "--smtp-host", "127.0.0.1")
    assert incomplete.code == 2 and "required when notifications are enabled" in incomplete.err
    result = cli(
        "settings",
        "notify",
        "--enable",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--from",
        "ic@example.com",
        "--to",
        "ops@example.com,b@example.com",
        "--user",
        "mailer",
        "--password-env",
        "SMTP_PW",
        "--allow-unencrypted-auth",
        "--json",
        env={"SMTP_PW": "mail-pass-123"},
    )
    assert result.code == 0, result.err
    values = json.loads(result.out)
    assert values["password"] == "********" and values["to"] == ["ops@example.com", "b@example.com"]
    assert "mail-pass-123" not in result.out + result.err
    cli("settings", "notify", "--user", "")  # this test server offers no login
    sent = cli("settings", "notify", "--send-test")
    assert sent.code == 0, sent.err
    assert "a test message went to ops@example.com, b@example.com" in sent.out
    assert inbox.received.wait(5)
    assert inbox.messages[0]["Subject"] == "ictray: test notification"


def test_send_test_to_nowhere_fails_with_exit_1(cli: CLI) -> None:
    cli(
        "settings",
        "notify",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "1",
        "--from",
        "ic@example.com",
        "--to",
        "ops@example.com",
    )
    result = cli("settings", "notify", "--send-test")
    assert result.code == 1
    assert "SMTP server 127.0.0.1:1 cannot be reached" in result.err


def test_security_mode_moves_the_default_port(cli: CLI) -> None:
    cli("init")
    values = json.loads(cli("settings", "notify", "--security", "ssl", "--json").out)
    assert (values["security"], values["smtp_port"]) == ("ssl", 465)
    values = json.loads(cli("settings", "notify", "--security", "starttls", "--json").out)
    assert (values["security"], values["smtp_port"]) == ("starttls", 587)
    bad = cli("settings", "notify", "--smtp-host", "mail.example.com:25")
    assert bad.code == 2 and "--smtp-port" in bad.err


def test_log_shows_the_chosen_log(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    cli("settings", "app", "--log-folder", str(folder))
    empty = cli("log", "--service")
    assert empty.code == 0 and "the Service log is empty" in empty.out
    folder.mkdir(exist_ok=True)
    (folder / "service-2026-11-27.log").write_text("old line\n")
    (folder / "service-2026-11-28.log").write_text("line one\nline two\nline three\n")
    shown = cli("log", "--service", "--lines", "2")
    assert shown.out == "line two\nline three\n"
    assert "service-2026-11-28.log" in shown.err
