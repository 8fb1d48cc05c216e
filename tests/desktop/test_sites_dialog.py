"""Site Configuration: filled in, tested against the simulator and saved through the widgets."""

from __future__ import annotations

import itertools

import pytest

from ictray.dialogs.context import SITES
from ictray.errors import ValidationError
from ictray.settings import sites, validation

from .helpers import fill, open_dialog, press, pump, query, screenshot, wait_until


def _skip_walkthrough(app) -> None:
    if app.walkthrough is not None and app.walkthrough.prompt is not None:
        app.walkthrough.prompt.answer("Skip Setup")


def test_a_new_site_is_tested_then_saved_with_enter(make_app, settings, simulator) -> None:
    app = make_app(tray=False)
    _skip_walkthrough(app)
    dialog = open_dialog(app, SITES)
    dialog.new_button.invoke()
    fill(
        dialog.form,
        {
            "name": "main",
            "host": f"https://{simulator.address}/",
            "client id": simulator.client_id,
            "client secret": simulator.client_secret,
            "ca bundle": str(simulator.ca_bundle),
        },
    )
    dialog.buttons["Test"].invoke()
    wait_until(
        dialog, lambda: "credentials accepted" in dialog.test_result.cget("text"), 20, "the test"
    )
    answer = dialog.test_result.cget("text")
    assert "API version:" in answer and "clock skew:" in answer
    screenshot(dialog, "site-configuration-tested")

    press(dialog.form.widgets["client id"], "<Return>")  # Enter is Save
    assert query(settings.path, "SELECT name, host, client_id, ca_bundle FROM site") == [
        ("main", simulator.address, simulator.client_id, str(simulator.ca_bundle))
    ]
    stored = query(settings.path, "SELECT value FROM stored_secret WHERE ref LIKE 'site/%'")
    assert stored == [(simulator.client_secret,)]
    assert "saved as" in dialog.message.cget("text")  # the host lost its https:// and /
    assert dialog.form.get("client secret") == ""  # a secret is never shown again
    assert dialog.tree.get_children() == ("main",)


def test_invalid_fields_show_the_settings_message_and_nothing_is_saved(make_app, settings) -> None:
    app = make_app(tray=False)
    _skip_walkthrough(app)
    dialog = open_dialog(app, SITES)
    typed_host = "support.example.com/login"
    fill(
        dialog.form,
        {"name": "main", "host": typed_host, "client id": "abc", "client secret": "s3"},
    )
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValidationError) as expected:
        validation.normalise_host(typed_host)
    assert dialog.form.error_text("host") == expected.value.message
    assert dialog.form.error_text("name") == ""
    screenshot(dialog, "site-configuration-invalid")

    fill(dialog.form, {"host": "support.example.com", "client id": "has spaces"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("host") == ""
    with pytest.raises(ValidationError) as expected:
        sites.check_client_id("has spaces")
    assert dialog.form.error_text("client id") == expected.value.message
    assert query(settings.path, "SELECT count(*) FROM site") == [(0,)]


def test_editing_keeps_the_secret_and_delete_asks_first(make_app, settings, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.tree.selection_set("sim")
    pump(dialog)
    assert dialog.form.get("host") == wired.site.host
    assert dialog.form.get("client secret") == ""
    fill(dialog.form, {"name": "simulated"})
    dialog.buttons["Save"].invoke()
    assert query(settings.path, "SELECT name FROM site") == [("simulated",)]
    assert query(settings.path, "SELECT count(*) FROM stored_secret WHERE ref LIKE 'site/%'") == [
        (1,)
    ]

    dialog.delete_button.invoke()
    assert dialog.prompt is not None
    screenshot(dialog.prompt, "site-delete-prompt")
    dialog.prompt.buttons["Cancel"].invoke()
    assert query(settings.path, "SELECT count(*) FROM site") == [(1,)]
    dialog.delete_button.invoke()
    dialog.prompt.buttons["Delete"].invoke()
    assert query(settings.path, "SELECT count(*) FROM site") == [(0,)]
    assert "deleted" in dialog.message.cget("text")


def test_a_rejected_test_names_the_site_and_escape_closes(make_app, wired, simulator) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.tree.selection_set("sim")
    pump(dialog)
    simulator.faults.reject_credentials = True
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: "testing" not in dialog.test_result.cget("text"), 20, "the test")
    answer = dialog.test_result.cget("text")
    assert "sim" in answer and "credentials accepted" not in answer
    press(dialog.form.widgets["name"], "<Escape>")
    assert not dialog.winfo_exists()


def test_tab_moves_through_the_fields_in_order(make_app, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    order = ["name", "host", "client id", "client secret", "backup password"]
    for current, following in itertools.pairwise(order):
        press(dialog.form.widgets[current], "<Tab>")
        assert dialog.focus_get() is dialog.form.widgets[following], current


def test_a_client_secret_too_short_is_refused_in_the_dialog(make_app, settings) -> None:
    app = make_app(tray=False)
    _skip_walkthrough(app)
    dialog = open_dialog(app, SITES)
    fill(
        dialog.form,
        {"name": "main", "host": "support.example.com", "client id": "abc", "client secret": "s3"},
    )
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValidationError) as expected:
        sites.check_client_secret("s3")
    assert "too short to be a client secret" in expected.value.message
    assert dialog.form.error_text("client secret") == expected.value.message
    assert dialog.form.error_text("host") == ""
    assert query(settings.path, "SELECT count(*) FROM site") == [(0,)]


def test_retention_days_are_saved_and_checked_by_test_and_save_alike(
    make_app, settings, wired, simulator
) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.tree.selection_set("sim")
    pump(dialog)
    assert dialog.form.get("retention days") == "90"  # what an appliance keeps by default
    fill(dialog.form, {"retention days": "a quarter"})
    with pytest.raises(ValidationError) as expected:
        validation.check_retention_days("a quarter")
    dialog.buttons["Test"].invoke()  # Test checks what Save checks, before it connects
    pump(dialog)
    assert dialog.form.error_text("retention days") == expected.value.message
    assert dialog.buttons["Test"].instate(["!disabled"])  # nothing was started
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("retention days") == expected.value.message
    assert "Retention Days:" in dialog.message.cget("text")
    assert query(settings.path, "SELECT retention_days FROM site") == [(90,)]
    screenshot(dialog, "site-configuration-retention-invalid")

    fill(dialog.form, {"retention days": "30"})
    dialog.buttons["Save"].invoke()
    assert dialog.form.error_text("retention days") == ""
    assert query(settings.path, "SELECT retention_days FROM site") == [(30,)]
    dialog.new_button.invoke()
    assert dialog.form.get("retention days") == "90"
    dialog.tree.selection_set("sim")
    pump(dialog)
    assert dialog.form.get("retention days") == "30"

    dialog.new_button.invoke()
    fill(
        dialog.form,
        {
            "name": "second",
            "host": "second.example.com",
            "client id": "abc",
            "client secret": "s3cret-of-the-second",
            "retention days": "365",
        },
    )
    dialog.buttons["Save"].invoke()
    assert query(settings.path, "SELECT name, retention_days FROM site ORDER BY name") == [
        ("second", 365),
        ("sim", 30),
    ]
