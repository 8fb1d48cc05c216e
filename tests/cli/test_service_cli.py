"""``ictray service status|install|uninstall|start|stop`` where no Windows service exists."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .test_run_cli import CLI, _read_until

UNAVAILABLE = "the ictray Windows service does not exist on this platform"
FOREGROUND = "`ictray service` runs the scheduler in the foreground"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Windows has the service")


def test_status_says_there_is_no_windows_service_here_and_what_runs_instead(cli: CLI) -> None:
    result = cli("service", "status")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "Windows service: unavailable"
    assert "The ictray Windows service does not exist on this platform" in result.out
    assert FOREGROUND in result.out
    assert "Scheduler: not running on" in result.out


@pytest.mark.parametrize("action", ["install", "uninstall", "start", "stop"])
def test_changing_the_service_is_refused_with_the_reason(cli: CLI, action: str) -> None:
    result = cli("service", action)
    assert result.code == 1
    assert (
        result.err.strip() == f"ictray: error: {UNAVAILABLE}; {FOREGROUND} "
        "(start it from systemd or a terminal to copy unattended)"
    )
    assert result.out == ""


def test_status_names_the_scheduler_that_runs_the_schedules(
    cli: CLI, cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert cli("init").code == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "ictray", "service"],
        env=cli_env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _read_until(process, "scheduler running on", 30)
        text = cli("service", "status")
        listed = cli("service", "status", "--json")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
    settings = cli_env["ICTRAY_SETTINGS"]
    assert f"Scheduler: run by `ictray service` (process {process.pid}) on {settings}" in text.out
    status = json.loads(listed.out)
    assert status["service"] == "unavailable"
    assert status["scheduler"] == {
        "settings_file": settings,
        "running": True,
        "holder": "`ictray service`",
        "pid": process.pid,
    }
    after = json.loads(cli("service", "status", "--json").out)
    assert after["scheduler"]["running"] is False
