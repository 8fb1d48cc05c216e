"""Runs against the simulator over real HTTPS into a real folder and a real SQLite database."""

from __future__ import annotations

import time

import pytest

from ictray.datatypes import DataType
from ictray.settings.models import LedgerItem, Watermark
from ictray.simulator.faults import COUNTERS
from ictray.transfer.result import COMPLETED, UNREACHABLE

from .expect import assert_holds_exactly, closed, sql_sessions, stored_sessions

# Two sessions are still in progress on this site when the tests start.
pytestmark = pytest.mark.simulator(sessions=80, days=2, seed=7, recording_size=4096)


def test_a_first_run_copies_everything_the_appliance_holds(wired) -> None:
    run = wired.run()
    assert run.outcome == COMPLETED, [r.errors for r in run.results]
    assert_holds_exactly(wired)
    site = wired.simulator.site
    assert any(s.end_time is None for s in site.iter_sessions(start_from=0)), (
        "the simulated site should have sessions in progress for this test to mean something"
    )


def test_runs_again_store_nothing_twice(wired) -> None:
    wired.run()
    before = {
        p.name: p.stat().st_mtime_ns for p in wired.folder.iterdir() if not p.name.endswith(".nsb")
    }
    second = wired.run(overlap=3 * 86400)  # an overlap covering every session ever seen
    assert second.outcome == COMPLETED
    files = wired.results_of(second, "files")
    assert files.count(DataType.SESSION_DATA).stored == 0
    assert files.count(DataType.SESSION_DATA).skipped > 0
    after = {
        p.name: p.stat().st_mtime_ns for p in wired.folder.iterdir() if not p.name.endswith(".nsb")
    }
    assert after == before
    assert_holds_exactly(wired)


def test_sessions_in_progress_are_stored_when_they_close(wired) -> None:
    site = wired.simulator.site
    wired.run()
    open_before = {s.lsid for s in site.iter_sessions(start_from=0) if s.end_time is None}
    assert open_before
    assert not open_before & set(stored_sessions(wired.folder))
    assert all(sql_sessions(wired.sqlite_path)[lsid] is None for lsid in open_before)
    site.advance(2 * 86400)  # they close, and new sessions appear
    run = wired.run()
    assert run.outcome == COMPLETED
    assert_holds_exactly(wired)
    stored = stored_sessions(wired.folder)
    closed_now = {lsid for lsid in open_before if lsid in closed(site)}
    assert closed_now and closed_now <= set(stored)
    in_sql = sql_sessions(wired.sqlite_path)
    assert all(in_sql[lsid] is not None for lsid in closed_now)


def test_watermarks_follow_the_appliance_clock_not_this_computers(wired) -> None:
    wired.simulator.faults.clock_offset = -3600  # the appliance is an hour behind
    run = wired.run()
    assert run.outcome == COMPLETED
    result = wired.results_of(run, "files")
    assert result.clock_skew == pytest.approx(3600, abs=5)
    with wired.simulator.client() as client:
        appliance_now = client.get_api_info().timestamp
    assert appliance_now < time.time() - 3000
    marks = {row.watermark for row in Watermark.select()}
    assert marks and all(abs(mark - appliance_now) <= 5 for mark in marks)


def test_expired_recordings_are_noted_and_not_asked_for_again(wired) -> None:
    wired.simulator.site.expire_recordings(0.3)
    first = wired.run()
    files = wired.results_of(first, "files")
    expired = sum(files.count(t).expired for t in DataType if t.is_recording)
    assert expired > 0
    assert LedgerItem.select().where(LedgerItem.state == "expired").count() == expired
    assert first.outcome == COMPLETED
    assert_holds_exactly(wired)
    second = wired.run()
    again = wired.results_of(second, "files")
    assert sum(again.count(t).expired for t in DataType if t.is_recording) == 0


@pytest.mark.parametrize(
    "fault",
    [
        {"rate_limit": 4, "retry_after": 1},  # what one request may meet within its tries
        {"server_errors": 3},
        {"cut_downloads": 5, "cut_after": 500},
    ],
    ids=["429", "5xx", "cut-downloads"],
)
def test_retries_absorb_passing_faults_within_the_run(wired, fault) -> None:
    """Every answer the fault spoiled was asked again: the first run itself is complete."""
    faults = wired.simulator.faults
    for name, value in fault.items():
        setattr(faults, name, value)
    first = wired.run()
    assert first.outcome == COMPLETED, [r.errors for r in first.results]
    counter = next(name for name in fault if name in COUNTERS)
    assert getattr(faults, counter) == 0, f"the run met only part of the {counter} faults"
    assert_holds_exactly(wired)
    second = wired.run()
    assert second.outcome == COMPLETED
    assert sum(r.count(DataType.SESSION_DATA).stored for r in second.results) == 0
    assert_holds_exactly(wired)


@pytest.mark.simulator(sessions=80, days=2, seed=7, recording_size=4096, token_lifetime=1)
def test_tokens_expiring_every_second_are_renewed_within_the_run(wired) -> None:
    # Every answer waits a tenth of a second: the run outlives a token however few windows
    # its sessions take.
    wired.simulator.faults.delay = 0.1
    started = time.monotonic()
    first = wired.run()
    assert time.monotonic() - started > 1, "the run was too short to outlive a token"
    assert first.outcome == COMPLETED, [r.errors for r in first.results]
    assert_holds_exactly(wired)


def test_a_broken_report_ends_its_own_step_and_the_others_go_on(wired) -> None:
    """Every session report breaks off: the recordings already waiting and the site backup
    are copied in the same run, the sessions on the next one."""
    faults = wired.simulator.faults
    recording_types = [t for t in DataType if t.is_recording]
    faults.cut_downloads, faults.cut_after = 100_000, 100  # every download breaks off
    first = wired.run()
    waiting = sum(wired.results_of(first, "files").count(t).waiting for t in recording_types)
    assert waiting > 0
    faults.reset()
    faults.malformed_reports = 100_000  # every report that lists something breaks off
    second = wired.run()
    assert second.outcome == UNREACHABLE
    errors = " ".join(e for r in second.results for e in r.errors)
    assert "not well-formed XML" in errors
    files = wired.results_of(second, "files")
    assert sum(files.count(t).stored for t in recording_types) == waiting
    assert files.count(DataType.SITE_BACKUPS).stored == 1
    faults.reset()
    third = wired.run()
    assert third.outcome == COMPLETED, [r.errors for r in third.results]
    assert_holds_exactly(wired)


def test_rejected_credentials_are_reported_and_the_schedule_still_marked(wired) -> None:
    wired.simulator.faults.reject_credentials = True
    run = wired.run()
    assert run.outcome == UNREACHABLE
    message = " ".join(e for r in run.results for e in r.errors)
    assert "the client secret was rejected" in message
    from ictray.settings.schedules import get_schedule

    assert get_schedule("all").last_run is not None  # the guide: still marked complete


def test_sessions_a_careless_appliance_sends_are_refused_alone_and_said_once(
    wired, caplog: pytest.LogCaptureFixture
) -> None:
    """Nested 500 deep, an lseq out of range, no lsid: each is one line naming the session, the
    field and what was wrong, recorded as refused, and not said again; the rest is copied."""
    wired.simulator.faults.hostile_sessions = 1_000_000  # in every report that lists sessions
    with caplog.at_level("ERROR", logger="ictray.transfer"):
        first = wired.run()
    assert first.outcome == UNREACHABLE
    errors = [line for result in first.results for line in result.errors]
    nested, too_big, no_lsid = "e" * 31 + "1", "e" * 31 + "2", "no-lsid-"
    for destination in ("files", "reports"):
        said = [line for line in wired.results_of(first, destination).errors if "refused" in line]
        assert len(said) == 3, said
        assert any(nested in line and "nests elements deeper than" in line for line in said)
        assert any(too_big in line and "lseq" in line for line in said)
        assert any(no_lsid in line and "@lsid is missing" in line for line in said)
    assert all("\n" not in line and "Traceback" not in line for line in errors)
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(logged) == 6  # logged (and so mailed) once per destination
    assert_holds_exactly(wired)  # every other session is stored
    gone = LedgerItem.select().where(LedgerItem.state == "gone")
    assert {row.key[:8] for row in gone} >= {nested[:8], no_lsid}
    caplog.clear()
    with caplog.at_level("ERROR", logger="ictray.transfer"):
        second = wired.run(overlap=3 * 86400)  # the same reports again
    assert second.outcome == COMPLETED, [r.errors for r in second.results]
    assert not [r for r in caplog.records if "refused" in r.getMessage()]
    assert_holds_exactly(wired)
