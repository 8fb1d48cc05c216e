"""Plugin Configuration: the fields come from the plugin; the SQL helper composes the string."""

from __future__ import annotations

import json

import pytest

from ictray.destinations.base import load_plugin
from ictray.destinations.filesystem import check_directory
from ictray.dialogs.context import PLUGINS
from ictray.dialogs.widgets import OK_COLOUR, WARNING_COLOUR

from .helpers import fill, open_dialog, pump, query, screenshot, wait_until


def _add(dialog, plugin_label: str) -> None:
    dialog.plugin_choice.set(plugin_label)
    dialog.add_button.invoke()
    pump(dialog)


def test_a_folder_destination_from_the_plugins_own_fields(make_app, settings, wired, tmp_path):
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    _add(dialog, "File System")
    plugin = load_plugin("filesystem")
    shown = [dialog.form.labels[spec.key].cget("text") for spec in plugin.options]
    assert shown == [spec.label for spec in plugin.options]
    assert dialog.form.get("conflict_handling") == "AppendNumber"  # the plugin's default
    fill(dialog.form, {"name": "backups", "directory": "relative/folder"})
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValueError) as expected:
        check_directory("relative/folder")
    assert dialog.form.error_text("directory") == str(expected.value)
    assert query(settings.path, "SELECT count(*) FROM destination WHERE name = 'backups'") == [(0,)]
    screenshot(dialog, "plugin-configuration-invalid")

    folder = tmp_path / "backups"
    fill(dialog.form, {"directory": str(folder), "conflict_handling": "Overwrite"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("directory") == ""
    ((plugin_name, options_json),) = query(
        settings.path, "SELECT plugin, options_json FROM destination WHERE name = 'backups'"
    )
    options = json.loads(options_json)
    assert plugin_name == "filesystem"
    assert options["directory"] == str(folder)
    assert options["conflict_handling"] == "Overwrite"
    assert "backups" in dialog.tree.get_children()

    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: "testing" not in dialog.test_result.cget("text"), 20, "the test")
    assert dialog.test_result.cget("text").startswith("destination 'backups': ")
    assert str(dialog.test_result.cget("foreground")) == OK_COLOUR
    assert folder.is_dir()  # the test made sure the folder can be written
    screenshot(dialog, "plugin-configuration-tested")


def test_saving_a_format_under_which_one_file_replaces_another_warns(
    make_app, settings, wired, tmp_path
):
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    _add(dialog, "File System")
    fill(
        dialog.form,
        {
            "name": "by-key",
            "directory": str(tmp_path / "by-key"),
            "name_format": "%EXTERNAL_KEY%.%EXTENSION%",
            "conflict_handling": "Overwrite",
        },
    )
    dialog.buttons["Save"].invoke()
    pump(dialog)
    text = dialog.message.cget("text")
    assert text.startswith(
        "The destination 'by-key' was added. The File Name Format has no "
        "%LSID%, so two sessions can get the same file name"
    ), text
    assert str(dialog.message.cget("foreground")) == WARNING_COLOUR
    assert query(settings.path, "SELECT count(*) FROM destination WHERE name = 'by-key'") == [(1,)]
    screenshot(dialog, "plugin-configuration-caution")

    fill(dialog.form, {"conflict_handling": "AppendNumber"})
    dialog.buttons["Save"].invoke()
    pump(dialog)
    assert dialog.message.cget("text") == "The destination 'by-key' was saved."
    assert str(dialog.message.cget("foreground")) == OK_COLOUR


def test_the_sql_helper_composes_a_connection_string_whose_password_is_kept_apart(
    make_app, settings, wired
) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    _add(dialog, "SQL database")
    fill(dialog.form, {"name": "reports"})
    dialog.form.buttons["connection_string"].invoke()  # the "…" button beside the field
    helper = dialog.helper
    assert helper is not None
    pump(helper, 0.1)
    fill(
        helper.form,
        {
            "database type": "PostgreSQL",
            "server": "db.example.com",
            "port": "5433",
            "database": "ic",
            "user": "ic_writer",
            "password": "s3cret;pw",
        },
    )
    screenshot(helper, "connection-string-helper")
    helper.buttons["OK"].invoke()
    # the composed string is split: the password goes to its own field, hidden while shown
    composed = dialog.form.get("connection_string")
    assert composed == "postgresql://ic_writer@db.example.com:5433/ic"
    assert dialog.form.get("password") == "s3cret;pw"
    assert dialog.form.widgets["password"].cget("show") == "•"
    screenshot(dialog, "plugin-configuration-sql")
    dialog.buttons["Save"].invoke()
    ((options_json,),) = query(
        settings.path, "SELECT options_json FROM destination WHERE name = 'reports'"
    )
    assert "s3cret" not in options_json  # the password went to the secret store
    assert query(
        settings.path, "SELECT value FROM stored_secret WHERE ref LIKE 'destination/%'"
    ) == [("s3cret;pw",)]

    # changing another field keeps the stored password
    dialog.tree.selection_set("reports")
    pump(dialog)
    assert "s3cret" not in dialog.form.get("connection_string")
    box = dialog.form.widgets["store_system_information"]  # True/False is a check box
    assert dialog.form.flag("store_system_information") is True
    box.invoke()
    dialog.buttons["Save"].invoke()
    ((options_json,),) = query(
        settings.path, "SELECT options_json FROM destination WHERE name = 'reports'"
    )
    assert json.loads(options_json)["store_system_information"] == "false"
    assert query(
        settings.path, "SELECT value FROM stored_secret WHERE ref LIKE 'destination/%'"
    ) == [("s3cret;pw",)]


def test_the_helper_reports_what_the_plugin_refuses(make_app, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    _add(dialog, "SQL database")
    dialog.form.buttons["connection_string"].invoke()
    helper = dialog.helper
    fill(helper.form, {"database type": "SQLite file", "database": "relative.db"})
    helper.buttons["OK"].invoke()
    assert helper.winfo_exists()
    assert "is relative; give the absolute path" in helper.message.cget("text")
    helper.buttons["Cancel"].invoke()
    assert dialog.form.get("connection_string") == ""
