"""Schedule Configuration: transfer rows with data-type check boxes, Run Every, time of day."""

from __future__ import annotations

import pytest

from ictray.datatypes import DataType
from ictray.dialogs.context import SCHEDULES
from ictray.errors import ValidationError
from ictray.settings import destinations, validation

from .helpers import fill, open_dialog, pump, query, screenshot


@pytest.fixture
def reports(settings, wired, tmp_path):
    return destinations.add_destination(
        settings,
        name="reports",
        plugin="sql",
        options={"connection_string": f"sqlite:///{tmp_path / 'reports.db'}"},
    )


def _add_transfer(dialog, site: str, destination: str):
    fill(dialog.transfer_form, {"site": site, "destination": destination})
    dialog.add_button.invoke()
    pump(dialog)
    return dialog.transfer_rows[-1]


def _every(dialog, count: str, unit: str) -> None:
    dialog.every_count.set(count)
    dialog.every_unit_box.set(unit)
    dialog.every_unit_box.event_generate("<<ComboboxSelected>>")
    pump(dialog)


def test_a_schedule_with_two_transfers_is_saved(make_app, settings, reports) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SCHEDULES)
    dialog.new_button.invoke()
    fill(dialog.form, {"name": "nightly"})
    files = _add_transfer(dialog, "sim", "archive")
    assert files.types[DataType.SESSION_DATA].get()  # the first data type is ticked for you
    files.boxes[DataType.SESSION_RECORDINGS].invoke()
    files.boxes[DataType.SITE_BACKUPS].invoke()
    database = _add_transfer(dialog, "sim", "reports")
    for refused in (DataType.SESSION_RECORDINGS, DataType.SITE_BACKUPS):
        assert database.boxes[refused].instate(["disabled"])  # SQL cannot store files
    assert not database.boxes[DataType.SESSION_DATA].instate(["disabled"])

    # Run Every is a number and a unit; a time of day applies to whole days only, so the
    # pickers are off for hours (the settings' rule is never met as an error here)
    _every(dialog, "2", "hours")
    assert dialog.at_check.instate(["disabled"]) and dialog.hour_spin.instate(["disabled"])
    _every(dialog, "8", "days")
    dialog.at_check.invoke()
    dialog.at_hour.set("02")
    dialog.at_minute.set("30")
    assert not dialog.hour_spin.instate(["disabled"])
    dialog.buttons["Save"].invoke()
    with pytest.raises(ValidationError) as expected:
        validation.parse_period("8d")
    assert dialog.when.error_text("every") == expected.value.message
    assert query(settings.path, "SELECT count(*) FROM schedule") == [(0,)]
    screenshot(dialog, "schedule-configuration-invalid")

    _every(dialog, "1", "days")
    dialog.buttons["Save"].invoke()
    assert dialog.when.error_text("every") == ""
    assert query(settings.path, "SELECT name, every_minutes, at_time FROM schedule") == [
        ("nightly", 1440, "02:30")
    ]
    rows = query(
        settings.path,
        "SELECT d.name, t.data_types_text FROM transfer t "
        "JOIN destination d ON d.id = t.destination_id ORDER BY t.id",
    )
    assert rows == [
        ("archive", "session_data,session_recordings,site_backups"),
        ("reports", "session_data"),
    ]
    assert dialog.tree.item("nightly", "values")[:2] == ("2", "1d")
    screenshot(dialog, "schedule-configuration")


def test_a_transfer_needs_a_data_type_and_rows_can_be_removed(make_app, settings, wired):
    app = make_app(tray=False)
    dialog = open_dialog(app, SCHEDULES)
    fill(dialog.form, {"name": "empty"})
    row = _add_transfer(dialog, "sim", "archive")
    row.boxes[DataType.SESSION_DATA].invoke()  # untick the only data type
    dialog.buttons["Save"].invoke()
    assert dialog.transfer_form.error_text("transfer") == (
        "choose at least one data type to transfer"
    )
    row.remove_button.invoke()
    assert dialog.transfer_rows == []
    dialog.buttons["Save"].invoke()
    assert query(settings.path, "SELECT name FROM schedule") == [("empty",)]
    assert query(settings.path, "SELECT count(*) FROM transfer") == [(0,)]


def test_add_without_a_site_says_what_to_choose(make_app, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SCHEDULES)
    dialog.add_button.invoke()
    assert "choose a site and a destination" in dialog.transfer_form.error_text("transfer")
    assert dialog.transfer_rows == []
