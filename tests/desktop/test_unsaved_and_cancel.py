"""No edit is lost without asking, Cancel cancels, Test works on what is typed, and open
dialogs follow settings saved elsewhere — driven through the real widgets."""

from __future__ import annotations

import json

from ictray.dialogs.context import NOTIFY_SETTINGS, PLUGINS, SCHEDULES, SITES
from ictray.dialogs.widgets import OK_COLOUR
from ictray.settings import destinations, schedules

from .helpers import fill, open_dialog, pump, query, screenshot, wait_until

TIMEOUT = 30


def _skip_walkthrough(app) -> None:
    if app.walkthrough is not None and app.walkthrough.prompt is not None:
        app.walkthrough.prompt.answer("Skip Setup")


def test_closing_with_unsaved_edits_asks_and_each_answer_does_what_it_says(
    make_app, settings, wired
) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.tree.selection_set("sim")
    pump(dialog)
    assert dialog.prompt is None  # nothing typed yet: no question
    fill(dialog.form, {"host": "other.example.com"})
    dialog.close_button.invoke()
    assert dialog.prompt is not None and dialog.winfo_exists()
    assert dialog.prompt.title() == "Unsaved changes"
    screenshot(dialog.prompt, "site-unsaved-prompt")
    dialog.prompt.buttons["Cancel"].invoke()  # back to the form, the edit kept
    assert dialog.winfo_exists() and dialog.form.get("host") == "other.example.com"
    assert query(settings.path, "SELECT host FROM site") == [(wired.site.host,)]

    dialog.close_button.invoke()
    dialog.prompt.buttons["Save"].invoke()
    assert not dialog.winfo_exists()
    assert query(settings.path, "SELECT host FROM site") == [("other.example.com",)]

    dialog = open_dialog(app, SITES)
    dialog.tree.selection_set("sim")
    pump(dialog)
    fill(dialog.form, {"host": "third.example.com"})
    dialog.close_button.invoke()
    dialog.prompt.buttons["Discard"].invoke()
    assert not dialog.winfo_exists()
    assert query(settings.path, "SELECT host FROM site") == [("other.example.com",)]


def test_choosing_another_item_with_edits_asks_and_cancel_keeps_the_choice(
    make_app, settings, wired
) -> None:
    sites_before = query(settings.path, "SELECT name, host FROM site")
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.new_button.invoke()
    fill(dialog.form, {"name": "half typed"})
    dialog.tree.selection_set("sim")
    pump(dialog)
    assert dialog.prompt is not None
    dialog.prompt.buttons["Cancel"].invoke()
    pump(dialog)
    assert dialog.form.get("name") == "half typed"
    assert dialog.tree.selection() == ()  # the list shows what the form holds: the new site
    dialog.tree.selection_set("sim")
    pump(dialog)
    dialog.prompt.buttons["Discard"].invoke()
    pump(dialog)
    assert dialog.current == "sim" and dialog.form.get("name") == "sim"
    assert query(settings.path, "SELECT name, host FROM site") == sites_before


def test_plugin_add_with_a_dirty_form_asks_first(make_app, settings, wired, tmp_path) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    dialog.plugin_choice.set("File System")
    dialog.add_button.invoke()
    fill(dialog.form, {"name": "backups", "directory": str(tmp_path / "backups")})
    dialog.plugin_choice.set("SQL database")
    dialog.add_button.invoke()
    assert dialog.prompt is not None
    dialog.prompt.buttons["Cancel"].invoke()
    assert dialog.form.get("name") == "backups"  # still the File System form
    dialog.add_button.invoke()
    dialog.prompt.buttons["Save"].invoke()
    assert query(settings.path, "SELECT name, plugin FROM destination ORDER BY name") == [
        ("archive", "filesystem"),
        ("backups", "filesystem"),
    ]
    assert dialog.heading.cget("text") == "SQL database plugin"  # then Add went on


def test_first_run_next_after_a_test_without_save_keeps_the_site(
    make_app, settings, simulator
) -> None:
    app = make_app(tray=False)
    walkthrough = app.walkthrough
    walkthrough.prompt.buttons["Continue"].invoke()
    pump(app.root, 0.1)
    dialog = app.windows[SITES]
    dialog.new_button.invoke()
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
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: "accepted" in dialog.test_result.cget("text"), TIMEOUT, "test")
    assert query(settings.path, "SELECT count(*) FROM site") == [(0,)]  # Test saves nothing
    dialog.close_button.invoke()  # "Next"
    assert dialog.prompt is not None
    dialog.prompt.buttons["Save"].invoke()
    pump(app.root, 0.1)
    assert query(settings.path, "SELECT name FROM site") == [("main",)]
    assert walkthrough.prompt is not None
    assert walkthrough.prompt.title() == "Step 3 of 4: a destination"


def test_send_test_mails_the_typed_values_and_saves_nothing(
    make_app, settings, wired, smtp_server
) -> None:
    server = smtp_server()
    app = make_app(tray=False)
    dialog = open_dialog(app, NOTIFY_SETTINGS)
    before = query(settings.path, "SELECT * FROM notify_settings")
    fill(
        dialog.form,
        {
            "smtp host": server.host,
            "port": str(server.port),
            "security": "none (plain SMTP)",
            "from": "ic@example.com",
            "to": "ops@example.com",
        },
    )
    dialog.buttons["Send Test"].invoke()
    wait_until(dialog, lambda: server.inbox.messages, 20, "the test mail")
    wait_until(dialog, lambda: "went to" in dialog.test_result.cget("text"), 5, "the result")
    assert query(settings.path, "SELECT * FROM notify_settings") == before
    dialog.buttons["Cancel"].invoke()  # Cancel really cancels
    assert not dialog.winfo_exists()
    assert query(settings.path, "SELECT * FROM notify_settings") == before


def test_a_destination_is_tested_before_it_is_saved_with_the_checks_of_save(
    make_app, settings, wired, tmp_path
) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    dialog.plugin_choice.set("SQL database")
    dialog.add_button.invoke()
    fill(dialog.form, {"name": "reports", "connection_string": "sqlite:///relative.db"})
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: dialog.buttons["Test"].instate(["!disabled"]), TIMEOUT, "test")
    tested = dialog.form.error_text("connection_string")
    dialog.buttons["Save"].invoke()
    assert tested and dialog.form.error_text("connection_string") == tested  # one validation
    database = tmp_path / "reports.db"
    fill(dialog.form, {"connection_string": f"sqlite:///{database}"})
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: "connected" in dialog.test_result.cget("text"), TIMEOUT, "test")
    assert str(dialog.test_result.cget("foreground")) == OK_COLOUR
    assert query(settings.path, "SELECT count(*) FROM destination WHERE name = 'reports'") == [(0,)]
    dialog.buttons["Save"].invoke()
    ((options,),) = query(settings.path, "SELECT options_json FROM destination WHERE id = 2")
    assert json.loads(options)["connection_string"] == f"sqlite:///{database}"


def test_an_open_schedule_dialog_lists_a_site_saved_meanwhile(
    make_app, settings, wired, simulator
) -> None:
    app = make_app(tray=False)
    schedule_dialog = open_dialog(app, SCHEDULES)
    fill(schedule_dialog.form, {"name": "typing"})
    assert list(schedule_dialog.transfer_form.widgets["site"].cget("values")) == ["sim"]
    site_dialog = open_dialog(app, SITES)
    site_dialog.new_button.invoke()
    fill(
        site_dialog.form,
        {
            "name": "second",
            "host": "second.example.com",
            "client id": "abc",
            "client secret": "s3cret-of-second",
        },
    )
    site_dialog.buttons["Save"].invoke()
    pump(app.root)
    assert list(schedule_dialog.transfer_form.widgets["site"].cget("values")) == [
        "second",
        "sim",
    ]
    assert schedule_dialog.form.get("name") == "typing"  # what was being typed stays

    schedules.add_schedule(
        settings,
        name="hourly",
        every="1h",
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )
    destinations.add_destination(
        settings,
        name="copy",
        plugin="filesystem",
        options={"directory": str(wired.folder.parent / "copy")},
    )
    app.settings_changed()  # the one change signal, as a save in any window sends it
    assert "hourly" in schedule_dialog.tree.get_children()
    assert "copy" in schedule_dialog.transfer_form.widgets["destination"].cget("values")


def test_a_site_in_use_is_refused_before_the_confirmation(make_app, settings, wired) -> None:
    schedules.add_schedule(
        settings,
        name="hourly",
        every="1h",
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.tree.selection_set("sim")
    pump(dialog)
    dialog.delete_button.invoke()
    assert dialog.prompt is None  # no "cannot be undone" for something that cannot be done
    assert "used by schedule(s) hourly" in dialog.message.cget("text")
    assert query(settings.path, "SELECT count(*) FROM site") == [(1,)]


def test_windows_reopen_where_they_were_left(make_app, window_state) -> None:
    app = make_app(tray=False)
    _skip_walkthrough(app)
    dialog = open_dialog(app, SITES)
    width, height = dialog.winfo_width(), dialog.winfo_height()
    dialog.geometry(f"{width + 60}x{height + 40}+40+50")
    pump(dialog, 0.2)
    dialog.close()
    placed = window_state.placement(SITES)
    assert placed is not None and (placed.width, placed.height) == (width + 60, height + 40)
    dialog = open_dialog(app, SITES)
    pump(dialog, 0.2)
    assert (dialog.winfo_width(), dialog.winfo_height()) == (width + 60, height + 40)
    dialog.geometry("100x100")  # the window manager keeps it at its minimum size
    pump(dialog, 0.2)
    assert dialog.winfo_width() >= width and dialog.winfo_height() >= height
