"""``ictray simulate`` for real: a script reads its settings, and ``ictray site`` uses them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ictray.appliance import reports
from ictray.appliance.client import ApplianceClient
from ictray.appliance.errors import PermissionRefusedError
from ictray.simulator.contract import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Its own settings file, secrets kept in it (no credential store)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    return {
        **base,
        "ICTRAY_SETTINGS": str(tmp_path / "settings.db"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }


def _ictray(env: dict[str, str], *args: str, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "ictray", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_simulate_prints_its_settings_serves_them_and_stops_on_ctrl_c(tmp_path, env):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ictray",
            "simulate",
            "--port",
            "0",
            "--json",
            "--sessions",
            "12",
            "--days",
            "2",
            "--seed",
            "5",
            "--ca-dir",
            str(tmp_path / "ca"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        settings = json.loads(process.stdout.readline())
        assert set(settings) == {"host", "client_id", "client_secret", "ca_bundle"}
        assert (settings["client_id"], settings["client_secret"]) == (
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
        )
        assert Path(settings["ca_bundle"]) == tmp_path / "ca" / "simulator-ca.pem"
        human = process.stdout.readline()
        assert settings["host"] in human

        client = ApplianceClient(
            settings["host"],
            settings["client_id"],
            settings["client_secret"],
            ca_bundle=settings["ca_bundle"],
            timeout=10,
        )
        with client:
            info = client.get_api_info()
            sessions = list(
                reports.iter_sessions(client, reports.TimeWindow(info.timestamp - 3 * 86400))
            )
        assert len(sessions) == 12

        added = _ictray(
            env,
            "site",
            "add",
            "lab",
            "--host",
            settings["host"],
            "--client-id",
            settings["client_id"],
            "--ca-bundle",
            settings["ca_bundle"],
            "--client-secret-stdin",
            stdin=settings["client_secret"] + "\n",
        )
        assert added.returncode == 0, added.stderr
        tested = _ictray(env, "site", "test", "lab")
        assert tested.returncode == 0, tested.stderr
        assert "credentials accepted" in tested.stdout
    finally:
        if os.name == "nt":
            process.terminate()
        else:
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    if os.name != "nt":
        assert process.returncode == 0, err
        assert "simulator stopped" in out


def test_simulate_refuses_a_port_in_use(tmp_path, env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _ictray(env, "simulate", "--port", str(port), "--ca-dir", str(tmp_path))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "choose another --port" in result.stderr


def test_simulate_checks_its_options(tmp_path, env):
    result = _ictray(env, "simulate", "--days", "0", "--ca-dir", str(tmp_path))
    assert result.returncode == 2
    assert "days must be at least 1" in result.stderr


def test_simulate_serves_the_account_and_forms_asked_for(tmp_path, env):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ictray",
            "simulate",
            "--port",
            "0",
            "--json",
            "--sessions",
            "40",
            "--ca-dir",
            str(tmp_path / "ca"),
            "--account",
            "guide",
            "--no-presentation-reporting",
            "--recording-instance-base",
            "1",
            "--show-my-screen",
            "flat",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        settings = json.loads(process.stdout.readline())
        human = process.stdout.readline()
        assert "perm_command=deny" in human and "perm_reporting_presentation=0" in human
        assert "perm_backup=1" in human
        client = ApplianceClient(
            settings["host"],
            settings["client_id"],
            settings["client_secret"],
            ca_bundle=settings["ca_bundle"],
            timeout=10,
        )
        with client:
            clock = client.read_clock()
            assert clock.source == "the Date header"
            window = reports.TimeWindow(clock.now - 8 * 86400)
            sessions = list(reports.iter_sessions(client, window))
            assert len(sessions) == 40
            with pytest.raises(PermissionRefusedError):
                list(reports.iter_presentations(client, window))
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_simulate_refuses_an_unknown_account(tmp_path, env):
    result = _ictray(env, "simulate", "--account", "root", "--ca-dir", str(tmp_path))
    assert result.returncode == 2
    assert "invalid choice: 'root'" in result.stderr
