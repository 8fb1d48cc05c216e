"""The main window and its menus, the log viewer, and the first run's walkthrough."""

from __future__ import annotations

import logging
from pathlib import Path
from tkinter import ttk

from ictray.dialogs.context import (
    API_TESTER,
    LOG_FILE,
    MAIN,
    PLUGINS,
    SCHEDULES,
    SETUP_WINDOWS,
    SITES,
)
from ictray.dialogs.first_run import SettingsFileDialog
from ictray.dialogs.widgets import ERROR, OK, Window
from ictray.logs import IC_LOG, SERVICE_LOG
from ictray.settings import open_settings, schedules

from .helpers import fill, open_dialog, press, pump, query, screenshot, wait_until


def test_the_main_window_lists_the_schedules_and_its_menus_open_the_dialogs(
    make_app, settings, wired
) -> None:
    schedules.add_schedule(
        settings,
        name="hourly",
        every="1h",
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )
    schedules.add_schedule(settings, name="weekly backup", every="7d", at="03:00", enabled=False)
    app = make_app(tray=False)
    main = app.windows[MAIN]
    main.refresh()
    rows = {name: main.tree.item(name, "values") for name in main.tree.get_children()}
    assert rows["hourly"][:2] == ("1", "1h")
    assert rows["weekly backup"][:2] == ("0", "7d")
    assert rows["weekly backup"][3] == "disabled"
    assert main.scheduler_text.cget("text").startswith("Running.")
    screenshot(main, "main-window")

    setup = main.menus["Setup"]
    for index, (name, label) in enumerate(SETUP_WINDOWS):
        assert setup.entrycget(index, "label") == label
        setup.invoke(index)
        pump(main)
        assert app.windows[name].winfo_exists(), label
        app.windows[name].close()
    tools = main.menus["Tools"]
    labels = [
        tools.entrycget(i, "label")
        for i in range(tools.index("end") + 1)
        if tools.type(i) == "command"
    ]
    for label, name in (("API Tester", API_TESTER), ("Log File", LOG_FILE)):
        tools.invoke(labels.index(label))
        pump(main)
        assert app.windows[name].winfo_exists(), label


def test_the_log_viewer_follows_both_logs(make_app, wired) -> None:
    app = make_app(tray=False)
    viewer = open_dialog(app, LOG_FILE)
    ic_tab, service_tab = viewer.tabs[IC_LOG], viewer.tabs[SERVICE_LOG]
    wait_until(viewer, lambda: "desktop app started" in ic_tab.content(), 10, "the IC log")
    wait_until(viewer, lambda: "scheduler started" in service_tab.content(), 10, "the Service log")
    logging.getLogger("ictray.desktop").warning("a line written while the viewer is open")
    wait_until(
        viewer,
        lambda: "a line written while the viewer is open" in ic_tab.content(),
        10,
        "the new line",
    )
    assert "a line written while the viewer is open" not in service_tab.content()
    screenshot(viewer, "log-file")
    viewer.close()
    assert viewer.stop.is_set()


def test_the_log_viewer_opens_at_the_newest_lines_finds_text_and_filters_levels(
    make_app, wired
) -> None:
    app = make_app(tray=False)
    log = logging.getLogger("ictray.desktop")
    for number in range(300):
        log.info("filler line %d", number)
    log.warning("the newest warning")
    viewer = open_dialog(app, LOG_FILE)
    ic_tab = viewer.tabs[IC_LOG]
    wait_until(viewer, lambda: "the newest warning" in ic_tab.content(), 10, "the IC log")
    pump(viewer, 0.1)
    assert ic_tab.text.yview()[1] == 1.0  # it opens at the newest lines
    viewer.search.set("FILLER LINE 29")  # upper or lower case alike
    pump(viewer)
    assert ic_tab.content().count("filler line 29") == 11  # 29 and 290..299
    assert "the newest warning" not in ic_tab.content()
    viewer.search.set("")
    viewer.level.set("Warnings and errors")
    viewer.refilter()
    assert "the newest warning" in ic_tab.content()
    assert "filler line" not in ic_tab.content()
    log.warning("written while filtered")
    log.info("an info line while filtered")
    wait_until(viewer, lambda: "written while filtered" in ic_tab.content(), 10, "following")
    assert "an info line while filtered" not in ic_tab.content()


def test_the_log_viewer_shows_this_settings_files_logs_only(
    make_app, settings, wired, tmp_path
) -> None:
    other = tmp_path / "other-logs"
    other.mkdir()
    (other / "ic-2026-01-01.log").write_text("a line of another configuration\n")
    app = make_app(tray=False)
    viewer = open_dialog(app, LOG_FILE)
    wait_until(viewer, lambda: "desktop app started" in viewer.tabs[IC_LOG].content(), 10, "")
    assert "another configuration" not in viewer.tabs[IC_LOG].content()
    assert str(tmp_path / "logs") in viewer.tabs[IC_LOG].where.cget("text")


def test_the_first_run_creates_the_settings_file(tk_root, tmp_path: Path) -> None:
    created: list[Path] = []

    def create(path: Path) -> None:
        with open_settings(path, create=True, credential_store=None):
            created.append(path)

    folder = tmp_path / "a folder"
    folder.mkdir()
    dialog = SettingsFileDialog(tk_root, tmp_path / "ictray" / "settings.db", create, lambda: None)
    pump(dialog, 0.1)
    screenshot(dialog, "first-run-settings-file")
    fill(dialog.form, {"settings file": str(folder)})
    dialog.buttons["Create Settings File"].invoke()
    assert f"the settings path {folder} is a folder" in dialog.message.cget("text")
    assert dialog.winfo_exists()

    chosen = tmp_path / "mine" / "settings.db"
    fill(dialog.form, {"settings file": str(chosen)})
    press(dialog.form.widgets["settings file"], "<Return>")
    assert created == [chosen]
    assert chosen.is_file()
    assert not dialog.winfo_exists()


def test_the_walkthrough_goes_site_then_plugin_then_schedule(make_app, settings) -> None:
    app = make_app(tray=False)
    walkthrough = app.walkthrough
    assert walkthrough is not None
    seen = []
    for window_name in (SITES, PLUGINS, SCHEDULES):
        prompt = walkthrough.prompt
        assert prompt is not None
        seen.append(prompt.title())
        if window_name == SITES:
            screenshot(prompt, "first-run-step-site")
        prompt.buttons["Continue"].invoke()
        pump(app.root, 0.1)
        window = app.windows[window_name]
        assert walkthrough.window is window
        assert window.close_button.cget("text") == "Next"
        window.close_button.invoke()
        pump(app.root)
    assert seen == [
        "Step 2 of 4: the site",
        "Step 3 of 4: a destination",
        "Step 4 of 4: a schedule",
    ]
    assert walkthrough.prompt is not None and walkthrough.prompt.title() == "ictray is set up"
    walkthrough.prompt.buttons["OK"].invoke()
    assert query(settings.path, "SELECT count(*) FROM site") == [(0,)]  # nothing was forced


def test_skipping_the_walkthrough_ends_it(make_app) -> None:
    app = make_app(tray=False)
    app.walkthrough.prompt.buttons["Skip Setup"].invoke()
    pump(app.root)
    assert app.walkthrough.prompt is None
    assert SITES not in app.windows


def test_a_message_with_its_icon_wraps_within_the_window(tk_root) -> None:
    """The icon comes with the text; the lines must leave it room (not run past the edge)."""
    window = Window(tk_root, "A window")
    ttk.Label(window.body, text="x" * 60).pack()
    window.settle()
    pump(window, 0.1)
    words = " ".join(f"word{number}" for number in range(80))
    for kind in (ERROR, OK, ""):
        window.show_message(words, kind=kind)
        pump(window, 0.05)
        label = window.message.label
        edge = label.winfo_x() + label.winfo_reqwidth()
        assert edge <= window.message.winfo_width(), (kind, edge, window.message.winfo_width())
    window.close()
