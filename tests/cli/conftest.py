"""Run the real ``ictray`` command line against a settings file of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str


CLI = Callable[..., Result]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment with its own settings file and no credential store (the server case)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env["ICTRAY_SETTINGS"] = str(tmp_path / "settings.db")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    return env


@pytest.fixture
def cli(cli_env: dict[str, str]) -> CLI:
    """``cli("site", "list", stdin="...", env={...})`` runs ``python -m ictray`` for real."""

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "ictray", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env={**cli_env, **(env or {})},
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    return run
