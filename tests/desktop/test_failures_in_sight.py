"""A failed run shows where people look: the list, the status line, the log, the tray."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta

import pytest

from ictray.dialogs import outcomes
from ictray.dialogs.context import LOG_FILE, MAIN
from ictray.dialogs.widgets import ERROR_COLOUR
from ictray.logs import SERVICE_LOG
from ictray.settings import schedules
from ictray.settings.models import RunRecord
from ictray.tray.icons import COLOURS, FAILED

from .helpers import (
    ARTIFACTS,
    find_tray_icons,
    icon_on_screen,
    pump,
    screenshot,
    status_colour,
    wait_until,
)

TIMEOUT = 30


@pytest.fixture
def two_schedules(settings, wired):
    later = (datetime.now() + timedelta(hours=12)).strftime("%H:%M")
    for name in ("nightly", "other"):
        schedules.add_schedule(
            settings,
            name=name,
            every="1d",
            at=later,
            transfers=[schedules.parse_transfer("sim:archive:session_data")],
        )


def _ended(outcome: str):
    return lambda: RunRecord.select().where(RunRecord.outcome == outcome).exists()


def test_a_rejected_secret_is_red_with_its_cause_and_leads_to_the_lines_of_its_run(
    make_app, two_schedules, simulator
) -> None:
    app = make_app(tray=False)
    main = app.windows[MAIN]
    app.run_now("other")  # a good run of another schedule: its lines are not this run's
    wait_until(app.root, _ended("completed"), TIMEOUT, "the good run")
    simulator.faults.reject_credentials = True
    app.run_now("nightly")
    wait_until(app.root, _ended("unreachable"), TIMEOUT, "the failed run")
    wait_until(app.root, lambda: main.status_run and main.status_run.failed, 5, "main window")

    row = main.tree.item("nightly")
    assert row["tags"] == ["unreachable"]
    assert row["image"] and str(row["image"][0]) == str(outcomes.icon(main, "unreachable"))
    assert row["values"][-1] == "Failed: not reached"
    assert str(main.tree.tag_configure("unreachable", "foreground")) == ERROR_COLOUR
    assert main.tree.item("other")["tags"] == ["completed"]
    status = main.status_text.cget("text")
    assert status.startswith("nightly: failed: not reached at ")
    assert "client secret was rejected" in status
    assert "\n" not in status  # the cause in one line
    assert str(main.status_text.cget("foreground")) == ERROR_COLOUR
    assert "client secret was rejected" in main.message.cget("text")  # told when it ended
    screenshot(main, "main-failed-run")

    main.log_button.invoke()
    pump(app.root, 0.2)
    viewer = app.windows[LOG_FILE]
    service = viewer.tabs[SERVICE_LOG]
    wait_until(viewer, lambda: "client secret was rejected" in service.content(), 10, "lines")
    lines = service.content().splitlines()
    assert lines and all("[nightly]" in line for line in lines if line[:4].isdigit())
    assert any("schedule 'nightly' ended: unreachable" in line for line in lines)
    assert viewer.notebook.select() == str(service)
    screenshot(viewer, "log-file-run")
    viewer.show_all()
    assert "[other]" in service.content()


@pytest.mark.usefixtures("tray_host")
def test_the_tray_turns_red_and_its_tooltip_says_failed_and_what_is_next(
    make_app, two_schedules, simulator
) -> None:
    simulator.faults.reject_credentials = True
    app = make_app()
    app.run_now("nightly")
    wait_until(app.root, _ended("unreachable"), TIMEOUT, "the failed run")
    app.refresh()

    def red_icon() -> bool:
        icons = [w for w in find_tray_icons() if w.docked_in_trayer and w.geometry[2] >= 16]
        return any(status_colour(icon_on_screen(w)) == FAILED for w in icons)

    wait_until(app.root, red_icon, TIMEOUT, "the red icon")
    tooltip = app.view.tooltip
    assert "Last run: nightly" in tooltip and "failed: not reached" in tooltip
    assert "Next run: " in tooltip
    # plain X11 trays show no notifications; the main window told instead (see above), and
    # on trays that have them (Windows, AppIndicator) the same text goes to icon.notify
    assert app.tray.icon.HAS_NOTIFICATION is False


@pytest.mark.usefixtures("tray_host")
def test_the_tray_icon_is_square_and_clean_at_the_size_the_tray_gives(make_app, wired) -> None:
    app = make_app()
    wait_until(app.root, lambda: app.tray.shown, TIMEOUT, "the icon")

    def docked():
        found = [w for w in find_tray_icons() if w.docked_in_trayer and w.geometry[2] >= 16]
        return found[0] if found and status_colour(icon_on_screen(found[0])) else None

    wait_until(app.root, docked, TIMEOUT, "the docked icon")
    window = docked()
    grabs = [icon_on_screen(window).convert("RGB")]

    def painted_fully() -> bool:
        """Two grabs alike: the tray has finished painting (a busy machine grabs mid-paint)."""
        grabs.append(icon_on_screen(window).convert("RGB"))
        return grabs[-1].tobytes() == grabs[-2].tobytes()

    wait_until(app.root, painted_fully, TIMEOUT, "the icon painted")
    image = grabs[-1]
    image.resize((image.width * 4, image.height * 4)).save(ARTIFACTS / "tray-icon-square.png")
    colour = COLOURS[app.view.icon]
    painted = [
        (x, y)
        for x in range(image.width)
        for y in range(image.height)
        if all(abs(a - b) <= 40 for a, b in zip(image.getpixel((x, y)), colour, strict=True))
    ]
    xs, ys = [x for x, _ in painted], [y for _, y in painted]
    width, height = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    assert abs(width - height) <= 1, (width, height, image.size)  # square, not stretched
    assert width >= min(image.size) - 4  # as large as the tray allows
    corners = [(0, 0), (image.width - 1, 0), (0, image.height - 1)]
    corners.append((image.width - 1, image.height - 1))
    background = image.getpixel((0, 0))
    assert all(image.getpixel(point) == background for point in corners)
    assert background != (0, 0, 0)  # no black box behind the rounded corners


@pytest.mark.usefixtures("tray_host")
def test_a_right_click_on_a_plain_x11_icon_opens_the_menu(make_app, wired) -> None:
    app = make_app()
    wait_until(app.root, lambda: app.tray.shown, TIMEOUT, "the icon")
    icons = []
    wait_until(
        app.root,
        lambda: icons.extend(w for w in find_tray_icons() if w.docked_in_trayer) or icons,
        TIMEOUT,
        "the docked icon",
    )
    x, y, width, height = icons[0].geometry
    subprocess.run(
        ["xdotool", "mousemove", str(x + width // 2), str(y + height // 2), "click", "3"],
        check=True,
        timeout=10,
    )
    wait_until(app.root, lambda: getattr(app, "popup", None) is not None, TIMEOUT, "the menu")
    menu = app.popup
    labels = [
        menu.entrycget(i, "label")
        for i in range(menu.index("end") + 1)
        if menu.type(i) != "separator"
    ]
    assert labels[:3] == ["Open Integration Client", "Run now", "Setup"]
    assert "Pause Scheduler" in labels and labels[-1] == "Quit"
    menu.unpost()
