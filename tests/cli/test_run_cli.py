"""``ictray run-now`` and ``ictray service`` against the simulator, as a person runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CLI = Callable[..., Any]


@pytest.fixture
def scheduled(cli: CLI, add_simulator_site, tmp_path: Path) -> Path:
    add_simulator_site()
    folder = tmp_path / "archive"
    assert (
        cli(
            "dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={folder}"
        ).code
        == 0
    )
    assert (
        cli(
            "schedule",
            "add",
            "often",
            "--every",
            "1m",
            "--transfer",
            "sim:files:session_data,session_recordings",
        ).code
        == 0
    )
    assert cli("settings", "app", "--log-folder", str(tmp_path / "logs")).code == 0
    return folder


def test_run_now_prints_a_summary_and_exits_0(
    cli: CLI, simulator, scheduled: Path, tmp_path: Path
) -> None:
    result = cli("run-now")
    assert result.code == 0, result.out + result.err
    assert "schedule 'often': completed" in result.out
    closed = [s for s in simulator.site.iter_sessions(start_from=0) if s.end_time is not None]
    assert f"session data: {len(closed)} stored" in result.out
    assert len(list(scheduled.glob("*.xml"))) == len(closed)
    listed = cli("schedule", "list", "--json")
    assert '"last_run": null' not in listed.out
    log = cli("log", "--service", "--lines", "200")
    assert "transfer site 'sim' to destination 'files' ended (completed)" in log.out
    logs_text = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log"))
    assert simulator.client_secret not in logs_text


def test_run_now_exits_1_when_the_site_refuses(cli: CLI, simulator, scheduled: Path) -> None:
    simulator.faults.reject_credentials = True
    result = cli("run-now", "often")
    assert result.code == 1
    assert "schedule 'often': unreachable" in result.out
    assert "the client secret was rejected; was it regenerated on the appliance?" in result.out
    assert simulator.client_secret not in result.out + result.err


def test_run_now_of_an_unknown_schedule(cli: CLI, scheduled: Path) -> None:
    result = cli("run-now", "nope")
    assert result.code == 2
    assert "there is no schedule named 'nope' (schedules: often)" in result.err


def _start_service(cli_env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ictray", "service"],
        env=cli_env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _read_until(process: subprocess.Popen[str], text: str, seconds: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"{text!r} not seen; got {lines!r}")


def test_the_service_runs_due_schedules_and_stops_on_sigterm(
    cli: CLI, cli_env: dict[str, str], scheduled: Path
) -> None:
    service = _start_service(cli_env)
    try:
        _read_until(service, "scheduler running on", 30)
        _read_until(service, "schedule 'often': completed", 60)
        second = cli("service")
        assert second.code == 1
        assert "another scheduler is already running on the settings file" in second.err
        service.send_signal(signal.SIGTERM)
        rest, errors = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            os.kill(service.pid, signal.SIGKILL)
    assert service.returncode == 0, errors
    assert "scheduler stopped" in rest
    assert list(scheduled.glob("*.xml"))
