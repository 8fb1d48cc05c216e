"""``ictray`` with no command starts the desktop app; the commands never load the desktop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import _wait_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="X11 (Xvfb) only")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env.update(extra)
    return env


def test_the_commands_load_neither_tk_nor_pystray(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from ictray.cli import main\n"
        f"code = main(['--settings', {str(tmp_path / 'settings.db')!r}, 'init'])\n"
        "loaded = sorted(m for m in ('tkinter', 'pystray', 'Xlib') if m in sys.modules)\n"
        "print('LOADED', loaded)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout


def test_without_a_display_the_app_says_what_to_use_instead(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env.pop("DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "ictray"], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert "the desktop app needs a display" in result.stderr
    assert "ictray service" in result.stderr


def _window(name: str) -> str | None:
    found = subprocess.run(
        ["xdotool", "search", "--name", name], capture_output=True, text=True, timeout=10
    ).stdout.split()
    return found[0] if found else None


def test_ictray_without_a_command_starts_with_the_settings_file(
    x_display: str, tmp_path: Path
) -> None:
    settings = tmp_path / "first" / "settings.db"
    app = subprocess.Popen(
        [sys.executable, "-m", "ictray", "--settings", str(settings)],
        env=_env(tmp_path, DISPLAY=x_display),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _window("Welcome to ictray") is not None, 30, "the first-run window")
        window = _window("Welcome to ictray")
        subprocess.run(
            ["xdotool", "windowfocus", "--sync", str(window), "key", "Return"],
            check=True,
            timeout=10,
        )
        _wait_for(settings.is_file, 30, "the settings file")
        _wait_for(lambda: _window("Step 2 of 4") is not None, 30, "the walkthrough")
        assert _window("Integration Client Tools") is not None  # the main window
        time.sleep(0.2)
        app.send_signal(signal.SIGINT)  # Ctrl+C in the terminal: quit cleanly
        _, errors = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
    assert app.returncode == 0, errors
    # The logs of a settings file other than the default one are beside it.
    log = "".join(path.read_text() for path in (tmp_path / "first").rglob("ic-*.log"))
    assert not list((tmp_path / "state").rglob("*.log"))
    assert "desktop app started on the settings file" in log
    assert "desktop app quitting" in log
