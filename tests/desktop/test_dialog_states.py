"""Every window in its empty, filled, error and busy states: a screenshot of each, one size.

The screenshots land under test-artifacts/desktop/<window>-<state>.png. A window that grew
or shrank between its states (an error line pushing the buttons down, a longer form widening
it) fails here: each window has one layout, its largest, from the start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ictray.datatypes import DataType
from ictray.dialogs.connstr import ConnectionStringHelper
from ictray.dialogs.context import (
    API_TESTER,
    APP_SETTINGS,
    LOG_FILE,
    MAIN,
    NOTIFY_SETTINGS,
    PLUGINS,
    SCHEDULES,
    SITES,
)
from ictray.dialogs.first_run import SettingsFileDialog
from ictray.settings import open_settings, schedules

from .helpers import (
    SilentServer,
    fill,
    open_dialog,
    pump,
    screenshot,
    wait_until,
    window_size,
)

TIMEOUT = 30
STATES = ("empty", "filled", "error", "busy")


class States:
    """Screenshots and sizes of one window, state by state."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sizes: dict[str, tuple[int, int]] = {}

    def shot(self, window, state: str) -> None:
        self.sizes[state] = window_size(window)
        screenshot(window, f"{self.name}-{state}")

    def assert_stable(self, states: tuple[str, ...] = STATES) -> None:
        assert tuple(self.sizes) == states
        assert len(set(self.sizes.values())) == 1, f"{self.name} changed size: {self.sizes}"


@pytest.fixture
def nightly(settings, wired):
    return schedules.add_schedule(
        settings,
        name="nightly",
        every="1d",
        at=(datetime.now() + timedelta(hours=12)).strftime("%H:%M"),
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )


def _run_slowly(app, simulator, schedule: str = "nightly") -> None:
    simulator.faults.delay = 0.05
    app.run_now(schedule)
    wait_until(app.root, lambda: app.scheduler_status().transferring, TIMEOUT, "a transfer")


def _run_finished(app) -> bool:
    return not app.scheduler_status().transferring


def test_the_main_window(make_app, settings, wired, simulator) -> None:
    app = make_app(tray=False)
    states = States("main")
    main = app.windows[MAIN]
    states.shot(main, "empty")
    schedules.add_schedule(
        settings,
        name="nightly",
        every="1d",
        at="03:00",
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )
    app.run_now("nightly")
    wait_until(app.root, lambda: "completed" in main.last_run_text.cget("text"), TIMEOUT, "a run")
    states.shot(main, "filled")
    simulator.faults.reject_credentials = True
    app.run_now("nightly")
    wait_until(app.root, lambda: main.status_run and main.status_run.failed, TIMEOUT, "failure")
    states.shot(main, "error")
    simulator.faults.reject_credentials = False
    _run_slowly(app, simulator)
    states.shot(main, "busy")
    simulator.faults.delay = 0
    wait_until(app.root, lambda: _run_finished(app), TIMEOUT, "the run to end")
    states.assert_stable()


def test_site_configuration(make_app, settings, simulator) -> None:
    app = make_app(tray=False)
    app.walkthrough.close()
    states = States("site-configuration")
    dialog = open_dialog(app, SITES)
    states.shot(dialog, "empty")
    fill(
        dialog.form,
        {
            "name": "main",
            "host": simulator.address,
            "client id": simulator.client_id,
            "client secret": simulator.client_secret,
            "ca bundle": str(simulator.ca_bundle),
        },
    )
    states.shot(dialog, "filled")
    simulator.faults.delay = 2
    dialog.buttons["Test"].invoke()
    pump(dialog, 0.2)
    assert "testing" in dialog.test_result.cget("text")
    states.shot(dialog, "busy")
    wait_until(dialog, lambda: "accepted" in dialog.test_result.cget("text"), TIMEOUT, "test")
    simulator.faults.delay = 0
    fill(dialog.form, {"host": "support.example.com/login"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("host")
    states.shot(dialog, "error")
    states.assert_stable(("empty", "filled", "busy", "error"))


def test_plugin_configuration(make_app, settings, wired, tmp_path) -> None:
    app = make_app(tray=False)
    states = States("plugin-configuration")
    dialog = open_dialog(app, PLUGINS)
    states.shot(dialog, "empty")
    dialog.plugin_choice.set("File System")
    dialog.add_button.invoke()
    fill(dialog.form, {"name": "files", "directory": str(tmp_path / "files")})
    states.shot(dialog, "filled")
    dialog.form.set("name", "")
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("name")
    states.shot(dialog, "error")
    dialog.buttons["Save"].invoke()  # nothing changes: still in error
    dialog.plugin_choice.set("SQL database")
    dialog.add_button.invoke()
    dialog.prompt.buttons["Discard"].invoke()
    server = SilentServer()
    try:
        fill(
            dialog.form,
            {
                "name": "reports",
                "connection_string": f"postgresql://ic@127.0.0.1:{server.port}/ic",
                "password": "pw-of-ic",
            },
        )
        dialog.buttons["Test"].invoke()
        pump(dialog, 0.3)
        assert dialog.buttons["Test"].instate(["disabled"])
        states.shot(dialog, "busy")
    finally:
        server.close()
    wait_until(dialog, lambda: not dialog.buttons["Test"].instate(["disabled"]), TIMEOUT, "test")
    states.assert_stable()


def test_schedule_configuration(make_app, settings, nightly, simulator) -> None:
    app = make_app(tray=False)
    states = States("schedule-configuration")
    dialog = open_dialog(app, SCHEDULES)
    states.shot(dialog, "empty")
    dialog.tree.selection_set("nightly")
    pump(dialog)
    fill(dialog.transfer_form, {"site": "sim", "destination": "archive"})
    states.shot(dialog, "filled")
    dialog.transfer_rows[0].boxes[DataType.SESSION_DATA].invoke()
    dialog.buttons["Save"].invoke()
    assert dialog.transfer_form.error_text("transfer")
    states.shot(dialog, "error")
    dialog.transfer_rows[0].boxes[DataType.SESSION_DATA].invoke()
    _run_slowly(app, simulator)
    app.settings_changed()
    states.shot(dialog, "busy")
    simulator.faults.delay = 0
    wait_until(app.root, lambda: _run_finished(app), TIMEOUT, "the run to end")
    states.assert_stable()


def test_application_settings(make_app, settings, nightly, simulator) -> None:
    app = make_app(tray=False)
    states = States("application-settings")
    dialog = open_dialog(app, APP_SETTINGS)
    states.shot(dialog, "empty")
    fill(dialog.form, {"log removal days": "30"})
    dialog.pause_box.invoke()
    states.shot(dialog, "filled")
    fill(dialog.form, {"log removal days": "soon"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("log removal days")
    states.shot(dialog, "error")
    _run_slowly(app, simulator)
    states.shot(dialog, "busy")
    simulator.faults.delay = 0
    wait_until(app.root, lambda: _run_finished(app), TIMEOUT, "the run to end")
    states.assert_stable()


def test_notification_settings(make_app, settings, wired) -> None:
    app = make_app(tray=False)
    states = States("notification-settings")
    dialog = open_dialog(app, NOTIFY_SETTINGS)
    states.shot(dialog, "empty")
    server = SilentServer()
    try:
        fill(
            dialog.form,
            {
                "smtp host": "127.0.0.1",
                "port": str(server.port),
                "from": "ic@example.com",
                "to": "ops@example.com",
            },
        )
        states.shot(dialog, "filled")
        dialog.buttons["Send Test"].invoke()
        pump(dialog, 0.2)
        assert "Sending" in dialog.test_result.cget("text")
        states.shot(dialog, "busy")
    finally:
        server.close()
    wait_until(dialog, lambda: "Sending" not in dialog.test_result.cget("text"), TIMEOUT, "mail")
    fill(dialog.form, {"from": "not an address"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("from")
    states.shot(dialog, "error")
    states.assert_stable(("empty", "filled", "busy", "error"))


def test_the_api_tester(make_app, settings, wired, simulator) -> None:
    app = make_app(tray=False)
    states = States("api-tester")
    dialog = open_dialog(app, API_TESTER)
    states.shot(dialog, "empty")
    dialog.sites.selection_set(0)
    dialog.destinations.selection_set(0)
    dialog.start_date.set((datetime.now() - timedelta(days=10)).strftime("%Y-%m-%d"))
    fill(dialog.live, {"duration": "30d"})
    states.shot(dialog, "filled")
    fill(dialog.live, {"duration": "soon"})
    dialog.download_button.invoke()
    assert dialog.live.error_text("duration")
    states.shot(dialog, "error")
    fill(dialog.live, {"duration": "30d"})
    simulator.faults.delay = 0.05
    dialog.download_button.invoke()
    pump(dialog, 0.3)
    states.shot(dialog, "busy")
    simulator.faults.delay = 0
    wait_until(dialog, lambda: "finished" in dialog.status.cget("text"), 60, "the download")
    states.assert_stable()


def test_the_log_file(make_app, settings, nightly, simulator) -> None:
    app = make_app(tray=False)
    states = States("log-file")
    viewer = open_dialog(app, LOG_FILE)
    viewer.search.set("no line says this")
    states.shot(viewer, "empty")
    viewer.search.set("")
    wait_until(viewer, lambda: "desktop app started" in viewer.tabs["ic"].content(), 10, "log")
    states.shot(viewer, "filled")
    simulator.faults.reject_credentials = True
    app.run_now("nightly")
    wait_until(app.root, lambda: _run_finished(app) and app.scheduler.scheduler.last_runs, 30, "")
    viewer.notebook.select(viewer.tabs["service"])
    viewer.level.set("Errors only")
    viewer.refilter()
    wait_until(viewer, lambda: "ERROR" in viewer.tabs["service"].content(), 10, "an error")
    states.shot(viewer, "error")
    viewer.level.set("All lines")
    viewer.refilter()
    simulator.faults.reject_credentials = False
    _run_slowly(app, simulator)
    wait_until(viewer, lambda: "started" in viewer.tabs["service"].content(), 10, "follow")
    states.shot(viewer, "busy")
    simulator.faults.delay = 0
    wait_until(app.root, lambda: _run_finished(app), TIMEOUT, "the run to end")
    states.assert_stable()


def test_the_connection_string_helper(tk_root) -> None:
    """A small dialog of fields: it has no busy state (it composes, it does not connect)."""
    states = States("connection-string-helper")
    helper = ConnectionStringHelper(tk_root, "", lambda text: None)
    helper.settle()
    pump(helper, 0.1)
    states.shot(helper, "empty")
    fill(helper.form, {"server": "db.example.com", "database": "ic", "user": "ic"})
    states.shot(helper, "filled")
    fill(helper.form, {"database type": "SQLite file", "database": "relative.db"})
    helper.buttons["OK"].invoke()
    assert helper.winfo_exists()
    states.shot(helper, "error")
    helper.close()
    states.assert_stable(("empty", "filled", "error"))


def test_the_first_run_settings_file(tk_root, tmp_path) -> None:
    """Creating the settings file is instant: empty, filled and error states."""

    def create(path) -> None:
        with open_settings(path, create=True, credential_store=None):
            pass

    states = States("first-run-settings-file")
    dialog = SettingsFileDialog(tk_root, tmp_path / "settings.db", create, lambda: None)
    dialog.settle()
    pump(dialog, 0.1)
    fill(dialog.form, {"settings file": ""})
    states.shot(dialog, "empty")
    fill(dialog.form, {"settings file": str(tmp_path / "mine" / "settings.db")})
    states.shot(dialog, "filled")
    fill(dialog.form, {"settings file": str(tmp_path)})  # a folder, not a file
    dialog.buttons["Create Settings File"].invoke()
    assert "is a folder" in dialog.message.cget("text")
    states.shot(dialog, "error")
    dialog.close()
    states.assert_stable(("empty", "filled", "error"))
