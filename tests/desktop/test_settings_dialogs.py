"""Application Settings and Notification Settings, saved through their widgets."""

from __future__ import annotations

import logging

import pytest

from ictray.dialogs.context import APP_SETTINGS, NOTIFY_SETTINGS, PAUSED, RUNNING
from ictray.errors import ValidationError
from ictray.settings import validation

from .helpers import fill, open_dialog, query, screenshot, wait_until


def test_application_settings_keep_the_logs_where_asked(make_app, settings, wired, tmp_path):
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.form.get("settings file") == str(settings.path)
    fill(dialog.form, {"log removal days": "soon"})
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValidationError) as expected:
        validation.check_days("soon", "log removal days")
    assert dialog.form.error_text("log removal days") == expected.value.message
    screenshot(dialog, "application-settings-invalid")

    folder = tmp_path / "other-logs"
    fill(dialog.form, {"log removal days": "30", "log folder": str(folder)})
    dialog.buttons["Save"].invoke()
    assert not dialog.winfo_exists()
    assert query(settings.path, "SELECT log_folder, log_removal_days FROM app_settings") == [
        (str(folder), 30)
    ]
    logging.getLogger("ictray.desktop").info("written after the change")
    assert "written after the change" in "".join(
        path.read_text() for path in folder.glob("ic-*.log")
    )


def test_the_scheduler_is_paused_and_resumed_from_application_settings_on_save(
    make_app, settings, wired
) -> None:
    """Pausing is a setting like the others: it acts on Save, and Cancel leaves it alone."""
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.pause_box.cget("text").startswith("Pause Scheduler")
    assert dialog.paused.get() is False
    screenshot(dialog, "application-settings")
    dialog.pause_box.invoke()
    assert app.scheduler_status().state == RUNNING  # nothing happens before Save
    assert query(settings.path, "SELECT scheduler_enabled FROM app_settings") == [(1,)]
    dialog.buttons["Cancel"].invoke()
    assert not dialog.winfo_exists()
    assert app.scheduler_status().state == RUNNING
    assert query(settings.path, "SELECT scheduler_enabled FROM app_settings") == [(1,)]

    dialog = open_dialog(app, APP_SETTINGS)
    dialog.pause_box.invoke()
    dialog.buttons["Save"].invoke()
    assert app.scheduler_status().state == PAUSED
    assert query(settings.path, "SELECT scheduler_enabled FROM app_settings") == [(0,)]
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.paused.get() is True
    assert "paused" in dialog.scheduler_text.cget("text")
    dialog.pause_box.invoke()
    dialog.buttons["Save"].invoke()
    assert app.scheduler_status().state == RUNNING
    assert query(settings.path, "SELECT scheduler_enabled FROM app_settings") == [(1,)]


def test_notification_settings_send_a_test_mail(make_app, settings, wired, smtp_server):
    server = smtp_server()
    app = make_app(tray=False)
    dialog = open_dialog(app, NOTIFY_SETTINGS)
    dialog.form.widgets["enabled"].invoke()
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("smtp host") == "required when notifications are enabled"
    fill(
        dialog.form,
        {
            "smtp host": server.host,
            "port": str(server.port),
            "security": "none (plain SMTP)",
            "from": "ic@example.com",
            "to": "ops@example.com, boss@example.com",
        },
    )
    dialog.buttons["Send Test"].invoke()
    wait_until(dialog, lambda: server.inbox.messages, 20, "the test mail")
    wait_until(dialog, lambda: "test message went" in dialog.test_result.cget("text"), 5, "result")
    message = server.inbox.messages[0]
    assert message["To"] == "ops@example.com, boss@example.com"
    assert "test" in message["Subject"]
    screenshot(dialog, "notification-settings")
    dialog.buttons["Save"].invoke()
    assert not dialog.winfo_exists()
    assert query(
        settings.path, "SELECT enabled, smtp_host, smtp_port, sender FROM notify_settings"
    ) == [(1, server.host, server.port, "ic@example.com")]


def test_a_bad_address_is_shown_next_to_its_field(make_app, settings, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, NOTIFY_SETTINGS)
    fill(dialog.form, {"smtp host": "mail.example.com", "from": "not an address"})
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValidationError) as expected:
        validation.check_email("not an address", "from")
    assert dialog.form.error_text("from") == expected.value.message
    assert query(settings.path, "SELECT smtp_host FROM notify_settings") == [("",)]


def test_start_with_the_session_from_application_settings(
    make_app, settings, wired, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = tmp_path / "config" / "autostart" / "ictray.desktop"
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.form.flag("start with session") is False
    dialog.form.set("start with session", True)
    dialog.buttons["Save"].invoke()
    assert entry.is_file()
    text = entry.read_text()
    assert "[Desktop Entry]" in text and str(settings.path) in text
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.form.flag("start with session") is True
    dialog.form.set("start with session", False)
    dialog.buttons["Save"].invoke()
    assert not entry.exists()


def test_a_login_without_encryption_needs_the_box_that_names_the_risk(
    make_app, settings, wired, smtp_server
) -> None:
    server = smtp_server(security="none", login=True)
    app = make_app(tray=False)
    dialog = open_dialog(app, NOTIFY_SETTINGS)
    box = dialog.form.widgets["allow unencrypted auth"]
    assert "without encryption" in str(box.cget("text"))
    assert "password readable" in str(box.cget("text"))
    fill(
        dialog.form,
        {
            "smtp host": server.host,
            "port": str(server.port),
            "security": "none (plain SMTP)",
            "username": server.user,
            "smtp password": server.password,
            "from": "ic@example.com",
            "to": "ops@example.com",
        },
    )
    dialog.buttons["Send Test"].invoke()
    assert "password unencrypted" in dialog.form.error_text("security")
    assert server.logins == [] and server.inbox.messages == []
    box.invoke()
    dialog.buttons["Send Test"].invoke()
    wait_until(dialog, lambda: server.inbox.messages, 20, "the test mail")
    assert server.logins == [f"PLAIN {server.user}"]
    screenshot(dialog, "notification-settings-unencrypted-login")
    dialog.buttons["Save"].invoke()
    assert query(settings.path, "SELECT username, allow_unencrypted_auth FROM notify_settings") == [
        (server.user, 1)
    ]


def test_application_settings_say_when_to_warn_of_data_at_risk(make_app, settings, wired):
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    assert dialog.form.get("warn after hours") == "24"
    assert dialog.form.get("warn margin days") == "7"
    fill(dialog.form, {"warn after hours": "0"})
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValidationError) as expected:
        validation.check_count("0", "warn after hours", 1, 24 * 90)
    assert dialog.form.error_text("warn after hours") == expected.value.message
    assert "Warn After (hours):" in dialog.message.cget("text")
    assert dialog.winfo_exists()
    screenshot(dialog, "application-settings-warn-invalid")
    fill(dialog.form, {"warn after hours": "48", "warn margin days": "90"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("warn after hours") == ""
    assert "from 0 to 89" in dialog.form.error_text("warn margin days")
    stored = "SELECT warn_after_hours, warn_margin_days FROM app_settings"
    assert query(settings.path, stored) == [(24, 7)]  # nothing saved while a field is wrong

    fill(dialog.form, {"warn margin days": "10"})
    dialog.buttons["Save"].invoke()
    assert not dialog.winfo_exists()
    assert query(settings.path, stored) == [(48, 10)]
    dialog = open_dialog(app, APP_SETTINGS)
    assert (dialog.form.get("warn after hours"), dialog.form.get("warn margin days")) == (
        "48",
        "10",
    )

    fill(dialog.form, {"warn margin days": "14"})
    dialog.close()  # Escape or the close box, with an edit not saved
    assert dialog.prompt is not None and dialog.winfo_exists()
    dialog.prompt.buttons["Discard"].invoke()
    assert not dialog.winfo_exists()
    assert query(settings.path, stored) == [(48, 10)]
    dialog = open_dialog(app, APP_SETTINGS)
    fill(dialog.form, {"warn margin days": "14"})
    dialog.close()
    dialog.prompt.buttons["Save"].invoke()
    assert query(settings.path, stored) == [(48, 14)]
