"""Whole runs (settings file, schedule, run) with API accounts set up as a real installation's:
as the guide says (reporting and backup permissions, no command API), and without the backup
permission. Both into a folder and an SQLite database, from the simulator over HTTPS."""

from __future__ import annotations

import pytest

from ictray.appliance import contract
from ictray.datatypes import DataType
from ictray.settings.models import Watermark
from ictray.transfer.result import COMPLETED, UNREACHABLE

from .expect import assert_holds_exactly

SITE = {"sessions": 60, "days": 2, "seed": 11, "recording_size": 4096}


@pytest.mark.simulator(**SITE, account="guide")
def test_a_guide_account_copies_sessions_recordings_and_the_backup(wired) -> None:
    simulator = wired.simulator
    simulator.faults.clock_offset = -1800  # the appliance half an hour behind this computer
    run = wired.run()
    assert run.outcome == COMPLETED, [r.errors for r in run.results]
    assert_holds_exactly(wired)
    files = wired.results_of(run, "files")
    assert files.count(DataType.SITE_BACKUPS).stored == 1
    assert len(list(wired.folder.glob("*.nsb"))) == 1
    assert files.clock_skew == pytest.approx(1800, abs=5)
    # The window ends at the appliance's clock, read from the Date header.
    marks = {row.watermark for row in Watermark.select()}
    assert marks and all(abs(mark - (simulator.site.now - 1800)) <= 5 for mark in marks)
    # Asked at most once by each of the two transfers starting together; the refusal is
    # remembered for the site, so later runs do not ask again.
    asked = simulator.server.count(contract.COMMAND_PATH)
    assert 1 <= asked <= 2
    simulator.server.advance_clock(3600)
    again = wired.run()
    assert again.outcome == COMPLETED, [r.errors for r in again.results]
    assert simulator.server.count(contract.COMMAND_PATH) == asked
    assert_holds_exactly(wired)


@pytest.mark.simulator(**SITE, account="no-backup")
def test_without_the_backup_permission_everything_else_is_copied(wired) -> None:
    run = wired.run()
    assert run.outcome == UNREACHABLE
    files = wired.results_of(run, "files")
    (error,) = files.errors
    assert error.startswith("site sim: the API account may not use the backup API")
    assert f"grant it the permission '{contract.BACKUP.label}'" in error
    assert files.count(DataType.SITE_BACKUPS).stored == 0
    assert not list(wired.folder.glob("*.nsb"))
    assert wired.results_of(run, "reports").outcome == COMPLETED
    assert_holds_exactly(wired)  # sessions, presentations and recordings: all of them
