"""Windows adapt to what the appliance returns: a quiet site's first copy takes a few wide
windows, a busy one stays narrow; either way everything is stored and watermarks end at now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ictray.appliance import contract
from ictray.datatypes import DataType
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import Transfer, Watermark
from ictray.transfer.engine import TransferRun
from ictray.transfer.job import prepare, run_transfer
from ictray.transfer.options import TransferOptions
from ictray.transfer.progress import Progress

from .conftest import FAST_CLIENT
from .expect import sql_sessions


def _first_copy(simulator, tmp_path: Path, **options: int) -> tuple[int, list[Progress]]:
    """Copy the site's session data into SQLite once; the reports asked for, and progress."""
    database = tmp_path / "sessions.db"
    seen: list[Progress] = []
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings,
            name="db",
            plugin="sql",
            options={"connection_string": f"sqlite:///{database}"},
        )
        schedule = schedules.add_schedule(
            settings,
            name="s",
            every="1h",
            transfers=[schedules.parse_transfer("sim:db:session_data")],
        )
        before = simulator.server.count(contract.REPORTING_PATH)
        result = run_transfer(
            settings,
            schedule.transfers[0],
            options=TransferOptions(**options),
            progress=seen.append,
            client_options=FAST_CLIENT,
        )
        assert result.ok, result.errors
        requests = simulator.server.count(contract.REPORTING_PATH) - before
        [mark] = list(Watermark.select())
        assert abs(mark.watermark - simulator.site.now) <= 5
    everything = {s.lsid for s in simulator.site.iter_sessions(start_from=0)}
    assert set(sql_sessions(database)) == everything
    return requests, [p for p in seen if p.data_type is DataType.SESSION_DATA]


@pytest.mark.simulator(sessions=40, days=60, seed=4, recording_size=4096)
def test_a_quiet_site_is_copied_in_one_wide_window(simulator, tmp_path: Path) -> None:
    requests, progress = _first_copy(simulator, tmp_path)
    # 90 days kept: one report a day would be 90 requests and 90 watermark commits. The
    # listing of the whole stretch shows 40 sessions: one window holds them all.
    assert len(progress) == 1, [p.text for p in progress]
    assert requests == 2, requests  # the listing, then the report


@pytest.mark.simulator(sessions=1500, days=2, seed=4, recording_size=4096)
def test_a_busy_site_keeps_windows_narrow(simulator, tmp_path: Path) -> None:
    _, progress = _first_copy(simulator, tmp_path, window_target=200)
    # The quiet 88 days pass in a few windows; the 1,500 sessions of the last two days are
    # asked for in windows of about 200, whatever wide window came before them.
    busy = [p for p in progress if p.done > p.total - 2 * 86_400]
    assert len(busy) >= 1500 // 400, [p.text for p in progress]


@pytest.mark.simulator(sessions=1500, days=2, seed=4, recording_size=4096)
def test_a_stretch_its_listing_shows_empty_is_not_asked_for(simulator, tmp_path: Path) -> None:
    asked: list[dict[str, str]] = []
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings,
            name="db",
            plugin="sql",
            options={"connection_string": f"sqlite:///{tmp_path / 'sessions.db'}"},
        )
        schedules.add_schedule(
            settings,
            name="s",
            every="1h",
            transfers=[schedules.parse_transfer("sim:db:session_data")],
        )
        prepared = prepare(settings, Transfer.get(), client_options=FAST_CLIENT)
        sent = prepared.client.open

        def noted(method: str, path: str, **options: Any) -> Any:
            asked.append(dict(options.get("params") or {}))
            return sent(method, path, **options)

        prepared.client.open = noted  # type: ignore[method-assign]
        with prepared.client:
            result = TransferRun(
                prepared.job,
                prepared.client,
                prepared.destination,
                prepared.ledger,
                options=TransferOptions(window_target=200),
            ).run()
    counts = result.count(DataType.SESSION_DATA)
    assert result.ok and counts.stored + counts.in_progress == 1500, counts

    def windows(report: str) -> list[tuple[int, int]]:
        return [
            (int(a[contract.START_TIME]), int(a[contract.DURATION]))
            for a in asked
            if a.get(contract.GENERATE_REPORT) == report and contract.START_TIME in a
        ]

    def holds(window: tuple[int, int]) -> bool:
        since, duration = window
        return any(simulator.site.iter_summaries(start_from=since, start_to=since + duration))

    listed, fetched = windows(contract.SUPPORT_SESSION_LISTING), windows(contract.SUPPORT_SESSION)
    empty = [window for window in listed if not holds(window)]
    # the quiet days before the busy two are listed empty, and never asked for in full
    assert empty, listed
    assert not set(empty) & set(fetched), (empty, fetched)
