"""Logs belong to the settings file they describe, and nothing lands in the user's home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: what would send a program's files elsewhere than its home
FOLDER_VARIABLES = (
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "LOCALAPPDATA",
    "APPDATA",
)


def _env(home: Path) -> dict[str, str]:
    """A person's environment with ``home`` as home and nothing else set for ictray: the
    folders of programs derive from ``HOME``, as on a machine where XDG is not configured."""
    drop = ("ICTRAY_", "PYTHON_KEYRING", *FOLDER_VARIABLES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["HOME"] = str(home)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return env


def _ictray(home: Path, *args: str, stdin: str | None = None, **extra: str) -> Any:
    completed = subprocess.run(
        [sys.executable, "-m", "ictray", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(home), **extra},
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed


def _configure(home: Path, settings: Path, simulator: Any, folder: Path) -> None:
    common = ("--settings", str(settings))
    _ictray(
        home,
        *common,
        "site",
        "add",
        "sim",
        "--host",
        simulator.address,
        "--client-id",
        simulator.client_id,
        "--client-secret-stdin",
        "--ca-bundle",
        str(simulator.ca_bundle),
        stdin=simulator.client_secret + "\n",
    )
    _ictray(
        home,
        *common,
        "dest",
        "add",
        "files",
        "--plugin",
        "filesystem",
        "--option",
        f"directory={folder}",
    )
    _ictray(
        home,
        *common,
        "schedule",
        "add",
        "often",
        "--every",
        "1h",
        "--transfer",
        "sim:files:session_data",
    )


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_configuration_and_its_runs_write_nothing_into_the_home(simulator, tmp_path) -> None:
    """Before, every run of any settings file wrote into ~/.local/state/ictray/log."""
    home = tmp_path / "home"
    home.mkdir()
    settings = tmp_path / "trial" / "trial.db"
    _configure(home, settings, simulator, tmp_path / "archive")
    run = _ictray(home, "--settings", str(settings), "run-now")
    assert "schedule 'often': completed" in run.stdout, run.stdout + run.stderr
    shown = _ictray(home, "--settings", str(settings), "log", "--service")
    assert "transfer site 'sim' to destination 'files' ended (completed)" in shown.stdout
    assert _files(home) == []
    logs = tmp_path / "trial" / "trial-logs"
    assert list(logs.glob("service-*.log"))
    described = json.loads(
        _ictray(home, "--settings", str(settings), "settings", "app", "--json").stdout
    )
    assert described["log_folder"] == str(logs)


def test_ictray_log_shows_the_runs_of_its_own_settings_file_only(simulator, tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    _configure(home, first, simulator, tmp_path / "archive")
    _ictray(home, "--settings", str(second), "init")
    _ictray(home, "--settings", str(first), "run-now")
    own = _ictray(home, "--settings", str(first), "log", "--service")
    assert "ended (completed)" in own.stdout
    other = _ictray(home, "--settings", str(second), "log", "--service")
    assert other.stdout.strip() == (
        f"the Service log is empty (no files in {tmp_path / 'second-logs'} yet)"
    )
    moved = tmp_path / "chosen-logs"
    _ictray(home, "--settings", str(second), "settings", "app", "--log-folder", str(moved))
    _configure(home, second, simulator, tmp_path / "archive-2")
    _ictray(home, "--settings", str(second), "run-now")
    assert (
        "ended (completed)" in _ictray(home, "--settings", str(second), "log", "--service").stdout
    )
    assert list(moved.glob("service-*.log"))  # Application Settings' Log Folder wins
    assert not (tmp_path / "second-logs").exists()


def test_the_default_settings_file_keeps_the_per_user_folders(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _ictray(home, "init")
    described = json.loads(_ictray(home, "settings", "app", "--json").stdout)
    assert described["settings_file"] == str(home / ".local/share/ictray/settings.db")
    assert described["log_folder"] == str(home / ".local/state/ictray/log")
    written = _files(home)
    assert ".local/share/ictray/settings.db" in written
    assert all(
        name in (".local", ".local/share") or name.startswith(".local/share/ictray")
        for name in written
    ), written
