"""API Tester: a live download from the simulator, and the XML Files tab."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ictray.dialogs.context import API_TESTER
from ictray.errors import ValidationError
from ictray.settings import destinations, validation

from .helpers import fill, open_dialog, pump, screenshot, wait_until

TIMEOUT = 60


def _choose(listbox, *names: str) -> None:
    items = list(listbox.get(0, "end"))
    for name in names:
        listbox.selection_set(items.index(name))


def _finished(dialog) -> bool:
    return dialog.status.cget("text").startswith(("finished", "not run"))


def test_download_copies_the_sessions_of_a_window(make_app, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, API_TESTER)
    _choose(dialog.sites, "sim")
    _choose(dialog.destinations, "archive")
    start = (datetime.now() - timedelta(days=10)).strftime("%Y-%m-%d")
    dialog.start_date.set(start)  # the start date picker
    fill(dialog.live, {"duration": "soon"})
    dialog.download_button.invoke()
    with pytest.raises(ValidationError) as expected:
        validation.parse_duration("soon", "duration")
    assert dialog.live.error_text("duration") == expected.value.message
    assert dialog.results.get_children() == ()

    fill(dialog.live, {"duration": "30d"})
    dialog.download_button.invoke()
    wait_until(dialog, lambda: _finished(dialog), TIMEOUT, "the download")
    assert dialog.status.cget("text") == "finished: 40 stored"
    rows = [dialog.results.item(row, "values") for row in dialog.results.get_children()]
    assert [row[:4] for row in rows] == [("sim", "archive", "Session data", "40")]
    assert len(list(wired.folder.rglob("*.xml"))) == 40
    screenshot(dialog, "api-tester-live")


def test_the_xml_tab_stores_what_saved_files_hold(make_app, settings, wired, tmp_path):
    copy = tmp_path / "copy"
    destinations.add_destination(
        settings, name="copy", plugin="filesystem", options={"directory": str(copy)}
    )
    app = make_app(tray=False)
    dialog = open_dialog(app, API_TESTER)
    dialog.notebook.select(dialog.xml)
    pump(dialog)
    _choose(dialog.destinations, "copy")
    dialog.download_button.invoke()
    wait_until(dialog, lambda: _finished(dialog), TIMEOUT, "the check")
    assert dialog.xml.error_text("xml") == "give at least one XML file"

    dialog.notebook.select(dialog.live)
    _choose(dialog.sites, "sim")
    _choose(dialog.destinations, "archive")
    dialog.destinations.selection_clear(list(dialog.destinations.get(0, "end")).index("copy"))
    start = (datetime.now() - timedelta(days=10)).strftime("%Y-%m-%d")
    dialog.start_date.set(start)
    fill(dialog.live, {"duration": "30d"})
    dialog.download_button.invoke()
    wait_until(dialog, lambda: _finished(dialog), TIMEOUT, "the live download")
    saved = sorted(wired.folder.rglob("*.xml"))[:3]
    assert saved

    dialog.notebook.select(dialog.xml)
    for path in saved:
        dialog.file_path.set(str(path))
        dialog.add_typed_file()
    assert list(dialog.files.get(0, "end")) == [str(path) for path in saved]
    dialog.destinations.selection_clear(0, "end")
    _choose(dialog.destinations, "copy")
    fill(dialog.xml, {"xml site": "sim"})
    dialog.download_button.invoke()
    wait_until(dialog, lambda: _finished(dialog), TIMEOUT, "the XML download")
    assert dialog.status.cget("text") == f"finished: {len(saved)} stored"
    assert len(list(copy.rglob("*.xml"))) == len(saved)
    screenshot(dialog, "api-tester-xml")
