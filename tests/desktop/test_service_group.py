"""The Windows service in Application Settings, and the tray app beside another scheduler."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ictray.dialogs.context import APP_SETTINGS, ELSEWHERE, RUNNING
from ictray.dialogs.service_group import (
    INSTALL,
    START,
    STOP,
    SYSTEM_ACCOUNT,
    UNINSTALL,
    ServiceAccountDialog,
)
from ictray.scheduler.lock import WINDOWS_SERVICE
from ictray.tray.icons import IDLE

from .helpers import fill, open_dialog, pump, screenshot

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Windows has the service")

HOLD_LOCK = """
import sys
from ictray.scheduler.lock import SchedulerLock
lock = SchedulerLock(sys.argv[1], sys.argv[2])
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


@pytest.fixture
def other_scheduler(settings) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the settings file's scheduler lock, as the service would."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.path), WINDOWS_SERVICE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.communicate("\n", timeout=30)


def test_the_service_group_says_why_it_is_disabled_here(make_app, settings) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    group = dialog.service
    assert group.cget("text") == "Windows service"
    assert group.state_text.cget("text") == (
        "Not available here: the Windows service exists only on Windows. On this computer, "
        "this app runs the schedules while it is open; to copy unattended, run the scheduler "
        "service from the system's service manager."
    )
    assert list(group.buttons) == [INSTALL, UNINSTALL, START, STOP]
    assert all(button.instate(["disabled"]) for button in group.buttons.values())
    assert dialog.pause_box.instate(["!disabled"])  # this app's scheduler still works
    assert app.scheduler_status().state == RUNNING
    screenshot(dialog, "application-settings-windows-service")


def test_the_tray_app_leaves_the_schedules_to_the_service_and_shows_it(
    make_app, settings, other_scheduler
) -> None:
    app = make_app(tray=False)
    status = app.scheduler_status()
    assert status.state == ELSEWHERE and not app.scheduler.started
    assert status.detail == (
        f"The ictray Windows service runs the schedules (process {other_scheduler.pid}); "
        "this app shows what they did, and Run now still works."
    )
    assert app.view.tooltip.splitlines()[0] == "ictray: scheduler run by the ictray Windows service"
    assert app.view.icon == IDLE
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.scheduler_text.cget("text").startswith(
        "The scheduler is run by the ictray Windows service. The ictray Windows service runs"
    )
    # Pausing is a setting of the settings file: it pauses whichever scheduler runs it.
    assert dialog.pause_box.instate(["!disabled"])
    screenshot(dialog, "application-settings-service-runs-the-schedules")
    app.toggle_scheduler()  # the tray menu's "Start scheduler": refused, with the reason
    assert not app.scheduler.started
    assert "another scheduler is already running" in app.scheduler.problem


def test_after_the_service_stops_the_app_can_take_the_schedules_back(
    make_app, settings, tk_root
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.path), WINDOWS_SERVICE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    app = make_app(tray=False)
    assert app.scheduler_status().state == ELSEWHERE
    process.communicate("\n", timeout=30)  # the service stops
    assert app.scheduler_status().state == "stopped"
    app.toggle_scheduler()
    assert app.scheduler_status().state == RUNNING
    pump(tk_root, 0.05)


def test_the_install_prompt_asks_for_the_account_and_its_password(tk_root: object) -> None:
    chosen: list[tuple[str | None, str | None]] = []
    dialog = ServiceAccountDialog(tk_root, "CORP\\ictray", lambda *answer: chosen.append(answer))
    pump(dialog, 0.1)
    assert dialog.form.get("account") == "CORP\\ictray"
    dialog.buttons["OK"].invoke()
    assert dialog.form.error_text("password") == "the password of CORP\\ictray is needed"
    assert chosen == []
    screenshot(dialog, "install-windows-service")
    fill(dialog.form, {"password": "Pa55-word"})
    dialog.buttons["OK"].invoke()
    assert chosen == [("CORP\\ictray", "Pa55-word")]
    assert not dialog.winfo_exists()

    system = ServiceAccountDialog(tk_root, "CORP\\ictray", lambda *answer: chosen.append(answer))
    pump(system, 0.1)
    fill(system.form, {"log on as": SYSTEM_ACCOUNT})
    system.buttons["OK"].invoke()
    assert chosen[-1] == ("LocalSystem", None)


def test_a_gone_process_in_the_lock_note_is_not_shown_as_the_holder(
    make_app, settings, tmp_path: Path
) -> None:
    note = settings.path.with_name(settings.path.name + ".scheduler.pid")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    note.write_text(f"{dead.stdout.strip()} {WINDOWS_SERVICE}")  # left by a killed service
    app = make_app(tray=False)
    assert app.scheduler_status().state == RUNNING  # the lock was free: the app took it
