"""The tray icon docks in a real tray (trayer), shows the status, and its menu drives the app."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from typing import Any

import pytest

from ictray.dialogs.context import MAIN, PAUSED, RUNNING, STOPPED
from ictray.scheduler.lock import SchedulerLock
from ictray.settings import schedules
from ictray.settings.models import RunRecord
from ictray.tray.icons import FAILED, IDLE, TRANSFERRING
from ictray.tray.icons import STOPPED as STOPPED_ICON

from .helpers import (
    ARTIFACTS,
    find_tray_icons,
    icon_on_screen,
    pump,
    screenshot,
    status_colour,
    wait_until,
)

TIMEOUT = 30
pytestmark = pytest.mark.usefixtures("tray_host")


def _later_today() -> str:
    """A time of day twelve hours away, so a daily schedule is not due during the test."""
    return (datetime.now() + timedelta(hours=12)).strftime("%H:%M")


@pytest.fixture
def nightly(settings, wired):
    return schedules.add_schedule(
        settings,
        name="nightly",
        every="1d",
        at=_later_today(),
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )


def _our_icon(app) -> Any:
    """The X window of this app's icon, once the tray shows its current tooltip."""
    found: list[Any] = []

    def check() -> bool:
        found[:] = [w for w in find_tray_icons() if w.title == app.view.tooltip]
        return bool(found)

    wait_until(app.root, lambda: app.tray.shown, TIMEOUT, "the tray to take the icon")
    wait_until(app.root, check, TIMEOUT, f"an icon titled {app.view.tooltip!r} in the tray")
    return found[0]


def _wait_for_icon(app, status: str, name: str) -> Any:
    """Wait until the docked icon shows ``status``; keep a picture of it."""
    holder: list[Any] = []

    def check() -> bool:
        # a whole icon in the tray (not a sliver while the tray lays it out)
        windows = [w for w in find_tray_icons() if w.docked_in_trayer and w.geometry[2] >= 16]
        holder[:] = [w for w in windows if status_colour(icon_on_screen(w)) == status]
        return bool(holder)

    wait_until(app.root, check, TIMEOUT, f"the tray icon to turn {status}")
    image = icon_on_screen(holder[0])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.resize((image.width * 4, image.height * 4)).save(ARTIFACTS / f"tray-{name}.png")
    return holder[0]


def _menu_item(app, *path: str) -> Any:
    """The pystray menu item at ``path`` (e.g. "Run now", "nightly"), as the tray shows it."""
    items = app.tray.icon.menu.items
    for index, text in enumerate(path):
        item = next(entry for entry in items if entry.text == text)
        if index < len(path) - 1:
            items = item.submenu.items
    return item


def _click(app, text: str, *path: str) -> None:
    """Do what pystray does when the item is chosen: call it with the icon."""
    _menu_item(app, text, *path)(app.tray.icon)


def test_the_icon_docks_in_the_tray_with_the_status_as_tooltip(make_app, nightly) -> None:
    app = make_app()
    wait_until(app.root, lambda: app.tray.shown, TIMEOUT, "the icon to be shown")
    icon = _our_icon(app)
    assert icon.docked_in_trayer, icon.ancestors
    assert app.scheduler_status().state == RUNNING
    assert icon.title.startswith("ictray: scheduler running")
    assert "Last run: never" in icon.title
    assert "Next run: nightly" in icon.title
    _wait_for_icon(app, IDLE, "idle")


def test_run_now_from_the_menu_runs_a_transfer_and_the_icon_follows(
    make_app, nightly, wired, simulator
) -> None:
    app = make_app()
    _wait_for_icon(app, IDLE, "idle-before-run")
    simulator.faults.delay = 0.03  # a slow appliance: the run lasts long enough to be seen
    _click(app, "Run now", "All schedules")
    _wait_for_icon(app, TRANSFERRING, "transferring")
    assert app.scheduler_status().transferring == ("nightly",)
    wait_until(
        app.root,
        lambda: RunRecord.select().where(RunRecord.outcome == "completed").exists(),
        TIMEOUT,
        "the run to complete",
    )
    simulator.faults.delay = 0
    _wait_for_icon(app, IDLE, "idle-after-run")
    icon = _our_icon(app)
    assert "Last run: nightly" in icon.title and "completed" in icon.title
    stored = list(wired.folder.rglob("*.xml"))
    assert len(stored) == 40  # every session of the simulated site
    main = app.windows[MAIN]
    wait_until(app.root, lambda: "completed" in main.last_run_text.cget("text"), 5, "main window")
    screenshot(main, "main-after-run")

    simulator.faults.reject_credentials = True
    _click(app, "Run now", "nightly")
    _wait_for_icon(app, FAILED, "failed")
    icon = _our_icon(app)
    assert "failed: not reached" in icon.title  # a failure says so (no longer "unreachable")
    assert "Last run: nightly" in icon.title
    assert "Next run: nightly" in icon.title


def test_pause_and_resume_from_the_menu(make_app, nightly, settings) -> None:
    app = make_app()
    _wait_for_icon(app, IDLE, "idle-before-pause")
    assert _menu_item(app, "Pause Scheduler")
    _click(app, "Pause Scheduler")
    _wait_for_icon(app, STOPPED_ICON, "paused")
    assert app.scheduler_status().state == PAUSED
    assert settings.app().scheduler_enabled is False
    assert "scheduler paused" in _our_icon(app).title
    _click(app, "Resume Scheduler")
    _wait_for_icon(app, IDLE, "resumed")
    assert settings.app().scheduler_enabled is True


def test_a_busy_settings_file_leaves_the_scheduler_stopped_and_says_why(
    make_app, nightly, settings
) -> None:
    lock = SchedulerLock(settings.path)
    lock.acquire()
    try:
        app = make_app()
        status = app.scheduler_status()
        assert status.state == STOPPED
        assert status.detail.startswith("Another scheduler is already running on the settings")
        _wait_for_icon(app, STOPPED_ICON, "busy")
        main = app.windows[MAIN]
        assert main.scheduler_text.cget("text").startswith(
            "Stopped. Another scheduler is already running on the settings file"
        )
        screenshot(main, "main-scheduler-busy")
    finally:
        lock.release()
    _click(app, "Start Scheduler")
    wait_until(app.root, lambda: app.scheduler_status().state == RUNNING, 5, "a second start")


def test_without_a_tray_menu_a_click_opens_the_main_window(make_app, nightly) -> None:
    app = make_app()
    icon = _our_icon(app)
    assert app.tray.has_menu is False  # plain X11: pystray's xorg backend has no menu
    app.windows[MAIN].close()
    pump(app.root, 0.1)
    assert not app.windows[MAIN].winfo_exists()
    assert not app.closed  # the tray keeps the app alive
    x, y, width, height = icon.geometry
    subprocess.run(
        ["xdotool", "mousemove", str(x + width // 2), str(y + height // 2), "click", "1"],
        check=True,
        timeout=10,
    )
    wait_until(app.root, lambda: app.windows[MAIN].winfo_exists(), TIMEOUT, "the main window")


def test_quit_from_the_menu_takes_the_icon_down(make_app, nightly) -> None:
    app = make_app()
    icon = _our_icon(app)
    _click(app, "Quit")
    wait_until(app.root, lambda: app.closed, 10, "the app to quit")
    assert not any(w.window_id == icon.window_id for w in find_tray_icons())
    assert not app.scheduler.started
    assert all(not window.winfo_exists() for window in app.windows.values())
