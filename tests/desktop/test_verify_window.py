"""*Verify* in the main window: the check runs in the background, says the archive is complete,
names a stored file that was deleted, saves a report an HTML parser reads, and repairs after
asking — through the real widgets, against the simulator."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ictray.dialogs import verification
from ictray.dialogs.context import MAIN, VERIFY
from ictray.dialogs.widgets import BUSY_COLOUR, ERROR_COLOUR, OK_COLOUR
from ictray.settings import schedules
from ictray.settings.models import RunRecord

from .helpers import pump, screenshot, wait_until
from .test_dialog_states import States
from .test_messages import check_plain

pytestmark = pytest.mark.simulator(sessions=40, days=2, seed=9, recording_size=4096)

TIMEOUT = 120


def _add_schedule(settings) -> None:
    schedules.add_schedule(
        settings,
        name="all",
        every="1d",
        at=(datetime.now() + timedelta(hours=12)).strftime("%H:%M"),
        transfers=[schedules.parse_transfer("sim:archive:session_data,session_recordings")],
    )


def _run(app) -> None:
    app.run_now("all")
    wait_until(
        app.root,
        lambda: (
            RunRecord.select().where(RunRecord.outcome == "completed").exists()
            and not app.scheduler_status().transferring
        ),
        TIMEOUT,
        "the run",
    )


def _checked(window) -> None:
    wait_until(window, lambda: not window.running, TIMEOUT, "the check to end")
    pump(window, 0.05)


def _text(window) -> str:
    return window.text.get("1.0", "end-1c")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Page(HTMLParser):
    """The verdict and the rows of findings of the saved page."""

    def __init__(self) -> None:
        super().__init__()
        self.verdict = ""
        self.rows: list[list[str]] = []
        self._in_verdict = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self._in_verdict = self._in_verdict or attributes.get("id") == "verdict"
        if tag == "tr" and "finding" in (attributes.get("class") or ""):
            self._row = []
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "strong":
            self._in_verdict = False
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict += data
        if self._cell is not None:
            self._cell.append(data)


def test_verify_checks_names_a_deleted_file_saves_the_report_and_repairs(
    make_app, settings, wired, simulator, tmp_path, monkeypatch
) -> None:
    app = make_app(tray=False)
    states = States("verify")
    app.windows[MAIN].buttons["Verify"].invoke()  # the main window's action
    pump(app.root, 0.1)
    window = app.windows[VERIFY]
    _checked(window)
    assert window.verdict.cget("text") == (
        "Nothing to check: no schedule copies a site to a destination yet."
    )
    assert window.buttons[verification.SAVE].instate(["!disabled"])
    assert window.buttons[verification.REPAIR].instate(["disabled"])  # nothing to fetch
    states.shot(window, "empty")

    _add_schedule(settings)
    app.settings_changed()
    _run(app)
    simulator.faults.delay = 0.05  # a slow appliance: the check lasts long enough to be seen
    window.buttons[verification.CHECK].invoke()
    pump(window, 0.3)
    assert window.running
    assert all(window.buttons[name].instate(["disabled"]) for name in ("Check Again", "Repair…"))
    assert window.buttons[verification.SAVE].instate(["disabled"])
    assert window.message.text().endswith("…")
    assert str(window.message.cget("foreground")) == BUSY_COLOUR
    states.shot(window, "busy")
    simulator.faults.delay = 0
    _checked(window)
    assert window.verdict.cget("text") == "The archive is complete."
    assert str(window.verdict.cget("foreground")) == OK_COLOUR
    shown = _text(window)
    assert "site 'sim' -> destination 'archive': complete: nothing missing or damaged" in shown
    assert window.message.text().startswith("Checked ")
    states.shot(window, "filled")

    recordings = sorted(wired.folder.glob("*.flv")) + sorted(wired.folder.glob("*.mp4"))
    deleted = recordings[0]
    digest = _digest(deleted)
    deleted.unlink()
    window.buttons[verification.CHECK].invoke()
    _checked(window)
    assert (
        window.verdict.cget("text") == "The archive is not complete: 1 item(s) missing or damaged."
    )
    assert str(window.verdict.cget("foreground")) == ERROR_COLOUR
    shown = _text(window)
    assert "INCOMPLETE: 1 missing" in shown
    assert "missing: session recordings " in shown and str(deleted) in shown
    assert window.buttons[verification.REPAIR].instate(["!disabled"])
    check_plain(window, "missing")
    states.shot(window, "error")
    states.assert_stable(("empty", "busy", "filled", "error"))

    page = tmp_path / "report.html"
    monkeypatch.setattr(
        verification.filedialog, "asksaveasfilename", lambda **options: str(page)
    )  # the system's file dialog, answered as a person would
    window.buttons[verification.SAVE].invoke()
    assert window.message.text() == f"The report was saved as {page}."
    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert parsed.verdict == "the archive is not complete"
    [row] = parsed.rows
    assert row[0] == "missing" and str(deleted) in row[4]

    window.buttons[verification.REPAIR].invoke()
    pump(window, 0.1)
    assert window.prompt is not None and not window.running  # asked first
    assert "Fetch the 1 missing item(s) again" in window.prompt.text.cget("text")
    screenshot(window.prompt, "verify-repair-prompt")
    window.prompt.buttons["Repair"].invoke()
    assert window.running
    _checked(window)
    assert window.verdict.cget("text") == "The archive is complete. 1 item(s) were fetched again."
    restored = [p for p in wired.folder.iterdir() if p.suffix in (".flv", ".mp4")]
    assert digest in {_digest(path) for path in restored}
    screenshot(window, "verify-repaired")


def test_a_check_that_cannot_reach_the_site_or_save_says_so_plainly(
    make_app, settings, wired, simulator, tmp_path, monkeypatch
) -> None:
    _add_schedule(settings)
    app = make_app(tray=False)
    _run(app)
    simulator.faults.reject_credentials = True
    window = app.open_window(VERIFY)
    _checked(window)
    assert window.verdict.cget("text") == (
        "Not all checked: 1 site and destination pair(s) could not be checked (see below)."
    )
    assert str(window.verdict.cget("foreground")) == ERROR_COLOUR
    check_plain(window, "not checked", "the client secret was rejected", "Site Configuration")
    screenshot(window, "verify-not-reached")

    folder = tmp_path / "a folder"
    folder.mkdir()
    monkeypatch.setattr(verification.filedialog, "asksaveasfilename", lambda **options: str(folder))
    window.buttons[verification.SAVE].invoke()
    assert window.message.text().startswith(f"The report could not be saved as {folder}: ")
    assert str(window.message.cget("foreground")) == ERROR_COLOUR
    check_plain(window, "Choose another folder or name")
    assert list(folder.iterdir()) == []  # no half-written page left behind
