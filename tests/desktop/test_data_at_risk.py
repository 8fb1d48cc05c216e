"""Data at risk on the desktop: a waiting recording nearing the appliance's retention turns the
tray icon red with the reason in its tooltip, tells it once as a notification, and is said in
red in the main window, beside how far each site is copied — with the simulator's clock moved
84 days on, as ``tests/scheduler/test_watch.py`` does for ``ictray status`` and the mail."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from ictray.dialogs.context import MAIN, PAUSED
from ictray.dialogs.main_window import AT_RISK
from ictray.dialogs.widgets import ERROR_COLOUR, OK_COLOUR
from ictray.operations.display import local_minute
from ictray.settings import schedules
from ictray.settings.models import RunRecord, Watermark
from ictray.tray.icons import FAILED, STOPPED
from ictray.tray.status import MAX_TOOLTIP

from .helpers import (
    ARTIFACTS,
    find_tray_icons,
    icon_on_screen,
    pump,
    screenshot,
    status_colour,
    wait_until,
)
from .test_dialog_states import States
from .test_messages import check_plain

pytestmark = pytest.mark.simulator(sessions=30, days=2, seed=3, recording_size=4096)

DAY = 86_400
TIMEOUT = 120
LOCAL_MINUTE = r"\d{4}-\d\d-\d\d \d\d:\d\d \S+"


@pytest.fixture
def copying(settings, wired):
    """A daily schedule (not due during the test) copying sessions and their recordings."""
    return schedules.add_schedule(
        settings,
        name="all",
        every="1d",
        at=(datetime.now() + timedelta(hours=12)).strftime("%H:%M"),
        transfers=[schedules.parse_transfer("sim:archive:session_data,session_recordings")],
    )


def _run(app) -> None:
    """Run the schedule now, as *Run Now* does, and wait for it to end."""
    before = RunRecord.select().count()
    app.run_now("all")
    wait_until(
        app.root,
        lambda: (
            RunRecord.select().where(RunRecord.outcome != "running").count() > before
            and not app.scheduler_status().transferring
        ),
        TIMEOUT,
        "the run to end",
    )
    app.refresh()
    pump(app.root, 0.1)


def _make_risk(app, simulator) -> None:
    """Recordings that cannot be fetched, then 84 days on: the first have 6 days left."""
    simulator.faults.cut_downloads, simulator.faults.cut_after = 100_000, 100
    _run(app)
    simulator.server.advance_clock(84 * DAY)
    _run(app)


def _pair_row(main) -> dict:
    [row] = main.pairs.get_children()
    item = main.pairs.item(row)
    return {"text": item["text"], "values": item["values"], "tags": item["tags"]}


def test_the_main_window_shows_how_far_each_site_is_copied_and_what_is_at_risk(
    make_app, copying, simulator
) -> None:
    app = make_app(tray=False)
    main = app.windows[MAIN]
    states = States("main-status")
    assert _pair_row(main)["values"] == ["nothing yet", "-", "nothing"]
    assert main.risk_line.text() == "No data at risk."
    assert str(main.risk_line.label.cget("foreground")) == OK_COLOUR
    states.shot(main, "empty")

    simulator.faults.cut_downloads, simulator.faults.cut_after = 100_000, 100
    _run(app)  # the sessions are stored; every recording waits
    row = _pair_row(main)
    copied_until = min(mark.watermark for mark in Watermark.select())
    assert row["text"] == "sim → archive"
    assert row["values"][0] == local_minute(copied_until)  # appliance time, local, the zone
    assert re.fullmatch(LOCAL_MINUTE, row["values"][1])
    waiting = r"(\d+ in progress, )?\d+ session recordings"
    assert re.fullmatch(waiting, row["values"][2]), row
    assert main.risk_line.text() == "No data at risk."
    assert re.match(rf"{LOCAL_MINUTE} \(all: ", main.last_run_text["text"])
    states.shot(main, "filled")

    simulator.server.advance_clock(84 * DAY)
    _run(app)
    shown = main.risk_line.text()
    assert shown.startswith("Data at risk: site 'sim' to destination 'archive': "), shown
    assert "still waiting to be copied will be deleted by the appliance soon" in shown
    assert re.search(rf"the oldest, from {LOCAL_MINUTE}, from {LOCAL_MINUTE}$", shown), shown
    assert str(main.risk_line.label.cget("foreground")) == ERROR_COLOUR
    assert _pair_row(main)["tags"] == [AT_RISK]
    assert str(main.pairs.tag_configure(AT_RISK, "foreground")) == ERROR_COLOUR
    assert "will be deleted by the appliance" in main._risk_tip()  # the tooltip: every risk
    check_plain(main, "Data at risk")
    states.shot(main, "risk")
    states.assert_stable(("empty", "filled", "risk"))

    simulator.faults.reset()
    _run(app)  # the recordings are fetched: the risk is over
    assert main.risk_line.text() == "No data at risk."
    assert _pair_row(main)["values"][2] == "nothing"


def _docked_colour(app) -> str | None:
    icons = [w for w in find_tray_icons() if w.docked_in_trayer and w.geometry[2] >= 16]
    return status_colour(icon_on_screen(icons[0])) if icons else None


@pytest.mark.usefixtures("tray_host")
def test_the_tray_turns_red_with_the_reason_and_tells_it_once(
    make_app, copying, simulator, monkeypatch
) -> None:
    app = make_app()
    wait_until(app.root, lambda: app.tray.shown, TIMEOUT, "the tray to take the icon")
    told: list[tuple[str, str]] = []
    notify = app.tray.notify
    monkeypatch.setattr(app.tray, "notify", lambda *args: told.append(args) or notify(*args))
    # Paused, the icon is grey whatever the last run did: only data at risk turns it red.
    app.set_scheduler_paused(True)
    assert app.scheduler_status().state == PAUSED
    wait_until(app.root, lambda: _docked_colour(app) == STOPPED, TIMEOUT, "the grey icon")

    _make_risk(app, simulator)
    wait_until(app.root, lambda: _docked_colour(app) == FAILED, TIMEOUT, "the red icon")
    tooltip = app.view.tooltip
    lines = tooltip.splitlines()
    assert lines[0] == "ictray: scheduler paused"
    assert re.fullmatch(
        r"Data at risk: sim -> archive: waiting items deleted (in \d+ days|within \d+ h)", lines[1]
    ), tooltip
    assert len(tooltip) <= MAX_TOOLTIP
    wait_until(
        app.root,
        lambda: any(window.title == tooltip for window in find_tray_icons()),
        TIMEOUT,
        "the tray to show the tooltip",
    )
    risky = [text for title, text in told if title == "ictray: data at risk"]
    assert len(risky) == 1, told  # (each failed run is told too, as before)
    text = risky[0]
    assert text.startswith("site 'sim' to destination 'archive': ")
    assert "will be deleted by the appliance" in text
    image = icon_on_screen(next(w for w in find_tray_icons() if w.docked_in_trayer))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.resize((image.width * 4, image.height * 4)).save(ARTIFACTS / "tray-data-at-risk.png")
    screenshot(app.windows[MAIN], "main-data-at-risk-paused")

    app.refresh()
    assert [title for title, _ in told].count("ictray: data at risk") == 1  # not every refresh

    simulator.faults.reset()
    _run(app)
    wait_until(app.root, lambda: _docked_colour(app) == STOPPED, TIMEOUT, "grey again")
    assert "Data at risk" not in app.view.tooltip
