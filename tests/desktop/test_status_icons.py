"""The status icons and the rules that pick the icon and write the tooltip (no display needed)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageChops

from ictray.dialogs.context import PAUSED, RUNNING, STOPPED, SchedulerStatus
from ictray.scheduler.watch import EXPIRING, STALE, Risk
from ictray.tray.icons import (
    COLOURS,
    FAILED,
    ICO_SIZES,
    IDLE,
    STATUSES,
    TRANSFERRING,
    draw_icon,
    write_icons,
)
from ictray.tray.icons import STOPPED as STOPPED_ICON
from ictray.tray.status import MAX_TOOLTIP, LastRun, choose_icon, risk_reason, tooltip_text
from ictray.tray.x11 import window_name

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
RUNNING_STATUS = SchedulerStatus(RUNNING, "")


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def test_the_committed_icons_are_what_the_generator_draws(tmp_path: Path) -> None:
    written = write_icons(tmp_path)
    assert sorted(path.name for path in written) == sorted(
        f"{status}.{ext}" for status in STATUSES for ext in ("png", "ico")
    )
    for status in STATUSES:
        committed = Image.open(ICONS / f"{status}.png").convert("RGBA")
        difference = ImageChops.difference(committed, draw_icon(status).convert("RGBA"))
        assert max(band_max for _, band_max in difference.getextrema()) <= 8, status
        with Image.open(ICONS / f"{status}.ico") as ico:
            assert set(ico.info["sizes"]) == set(ICO_SIZES)


def test_each_status_has_its_own_colour_and_symbol() -> None:
    images = {status: draw_icon(status, 32).convert("RGBA") for status in STATUSES}
    corners = {status: image.getpixel((4, 16))[:3] for status, image in images.items()}
    assert corners == {status: COLOURS[status] for status in STATUSES}
    symbols = {
        status: image.point(lambda value: 255 if value > 200 else 0).convert("1").tobytes()
        for status, image in ((s, i.convert("L")) for s, i in images.items())
    }
    assert len(set(symbols.values())) == len(STATUSES)


def test_the_icon_shows_what_matters_most() -> None:
    failed_run = [LastRun("nightly", _naive(NOW), "unreachable")]
    busy = SchedulerStatus(RUNNING, "", ("nightly",))
    assert choose_icon(busy, failed_run) == TRANSFERRING
    assert choose_icon(SchedulerStatus(STOPPED, "busy"), failed_run) == STOPPED_ICON
    assert choose_icon(SchedulerStatus(PAUSED, ""), []) == STOPPED_ICON
    assert choose_icon(RUNNING_STATUS, failed_run) == FAILED
    assert choose_icon(RUNNING_STATUS, [LastRun("nightly", _naive(NOW), "completed")]) == IDLE
    assert choose_icon(RUNNING_STATUS, [LastRun("n", _naive(NOW), "interrupted")]) == IDLE


def test_the_tooltip_tells_the_last_run_its_outcome_and_the_next_run() -> None:
    runs = [
        LastRun("hourly", _naive(NOW - timedelta(minutes=5)), "completed"),
        LastRun("backups", _naive(NOW - timedelta(days=2)), "failed"),
    ]
    upcoming = ("hourly", _naive(NOW + timedelta(minutes=55)))
    text = tooltip_text(RUNNING_STATUS, runs, upcoming, now=NOW)
    local = (NOW - timedelta(minutes=5)).astimezone().strftime("%H:%M")
    lines = text.splitlines()
    assert lines[0] == "ictray: scheduler running"
    assert lines[1] == f"Last run: hourly {local}, completed"
    assert lines[2] == "Last run failed: backups"
    assert lines[3].startswith("Next run: hourly ")
    paused = tooltip_text(SchedulerStatus(PAUSED, ""), [], upcoming, now=NOW)
    assert paused == "ictray: scheduler paused\nLast run: never"


def test_a_long_tooltip_is_cut_to_what_windows_shows() -> None:
    names = tuple(f"schedule-number-{i}" for i in range(12))
    text = tooltip_text(SchedulerStatus(RUNNING, "", names), [], None, now=NOW)
    assert len(text) == MAX_TOOLTIP and text.endswith("…")


def _risk(kind: str, deadline: datetime | None, site: str = "sim") -> Risk:
    return Risk(site, "files", kind, f"site {site!r} to destination 'files': ...", deadline)


def test_data_at_risk_turns_the_icon_red_unless_a_transfer_runs() -> None:
    risk = [_risk(EXPIRING, _naive(NOW + timedelta(days=5)))]
    done = [LastRun("nightly", _naive(NOW), "completed")]
    assert choose_icon(RUNNING_STATUS, done, risk) == FAILED
    assert choose_icon(SchedulerStatus(PAUSED, ""), done, risk) == FAILED  # not merely grey
    assert choose_icon(SchedulerStatus(STOPPED, "busy"), [], risk) == FAILED
    assert choose_icon(SchedulerStatus(RUNNING, "", ("nightly",)), done, risk) == TRANSFERRING


def test_the_tooltip_gives_the_risk_in_a_few_words_right_under_the_first_line() -> None:
    runs = [LastRun("nightly", _naive(NOW - timedelta(minutes=5)), "completed")]
    upcoming = ("nightly", _naive(NOW + timedelta(hours=1)))
    expiring = _risk(EXPIRING, _naive(NOW + timedelta(days=5, hours=3)))
    text = tooltip_text(RUNNING_STATUS, runs, upcoming, now=NOW, risks=[expiring])
    lines = text.splitlines()
    assert lines[0] == "ictray: scheduler running"
    assert lines[1] == "Data at risk: sim -> files: waiting items deleted in 5 days"
    assert lines[2].startswith("Last run: nightly ")
    soon = _risk(EXPIRING, _naive(NOW + timedelta(hours=20)))
    assert risk_reason(soon, 24, NOW) == "sim -> files: waiting items deleted within 20 h"
    assert risk_reason(_risk(STALE, _naive(NOW)), 48, NOW) == (
        "sim -> files: nothing copied for over 48 h"
    )
    assert risk_reason(_risk(STALE, None), 24, NOW) == "sim -> files: nothing copied yet"
    two = tooltip_text(RUNNING_STATUS, runs, upcoming, now=NOW, risks=[expiring, soon])
    assert two.splitlines()[1].endswith(" (+1 more)")


def test_a_long_tooltip_keeps_the_risk_and_drops_whole_lines() -> None:
    runs = [LastRun("nightly", _naive(NOW - timedelta(minutes=5)), "completed")]
    upcoming = ("nightly", _naive(NOW + timedelta(hours=1)))
    long_site = _risk(EXPIRING, _naive(NOW + timedelta(days=5)), site="the-main-support-site")
    text = tooltip_text(RUNNING_STATUS, runs, upcoming, now=NOW, risks=[long_site] * 3)
    assert len(text) <= MAX_TOOLTIP
    assert "waiting items deleted in 5 days (+2 more)" in text
    assert not text.endswith("…") and "Next run" not in text  # dropped whole, not cut
    endless = _risk(EXPIRING, _naive(NOW + timedelta(days=5)), site="x" * 150)
    cut = tooltip_text(RUNNING_STATUS, runs, upcoming, now=NOW, risks=[endless])
    assert len(cut) == MAX_TOOLTIP and cut.endswith("…")
    assert cut.splitlines()[1].startswith("Data at risk: xxx")


def test_a_plain_x11_tray_gets_a_tooltip_it_can_carry() -> None:
    title = "ictray: scheduler running\nData at risk: 東京 → files…"
    name = window_name(title)
    name.encode("latin-1")  # an X11 STRING: anything else would fail the update
    assert name == "ictray: scheduler running\nData at risk: ?? -> files..."
    assert window_name("Zürich: ok") == "Zürich: ok"
