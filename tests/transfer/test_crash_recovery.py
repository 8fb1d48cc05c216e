"""A write a crash cut short is settled by identity, never by a file name.

Each case puts the ledger and the folder in a state a crash leaves behind (the moments between
the steps of a write: marked ``writing``, name announced, file named, marked ``stored``), with
name formats under which several items share a name, and checks that the next run ends with
every item stored exactly once, against the simulator's own data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.settings import destinations
from ictray.settings.models import Destination, LedgerItem

from .expect import closed, expected_recordings, folder_contents

pytestmark = pytest.mark.simulator(sessions=80, days=2, seed=7, recording_size=4096)

NAME_FORMATS = {
    "no %LSID%": "%EXTERNAL_KEY%.%EXTENSION%",
    "no %INSTANCE%": "%LSID%.%EXTENSION%",
}


def _stored(data_type: DataType) -> list[LedgerItem]:
    """What the folder destination holds of ``data_type``, by the ledger."""
    return list(
        LedgerItem.select()
        .join(Destination)
        .where(
            (Destination.name == "files")
            & (LedgerItem.data_type == data_type.value)
            & (LedgerItem.state == "stored")
        )
        .order_by(LedgerItem.key)
    )


def _cut_short(item: LedgerItem, *, keep_file: bool, announced: bool = True) -> None:
    """Put ``item`` back to how a crash left it: being written, its file there or not."""
    if not keep_file:
        Path(item.location).unlink()
    item.state = "writing"
    if not announced:
        item.location, item.size, item.sha256 = "", None, None
    item.save()


def _assert_holds_exactly(wired) -> None:
    site = wired.simulator.site
    sessions, presentations, recordings = folder_contents(wired.folder)
    assert sessions == closed(site)
    assert presentations == closed(site, presentations=True)
    assert recordings == expected_recordings(site)


@pytest.mark.parametrize("names", list(NAME_FORMATS))
def test_writes_cut_short_are_settled_by_identity(wired, names: str) -> None:
    destinations.edit_destination(
        wired.settings, "files", options={"name_format": NAME_FORMATS[names]}
    )
    assert wired.run().outcome == "completed"
    _assert_holds_exactly(wired)

    sessions = _stored(DataType.SESSION_DATA)
    shells = _stored(DataType.COMMAND_SHELL_RECORDINGS)
    assert len(sessions) > 6 and len(shells) > 3
    # Named and announced, the final mark lost: kept as it is, not written a second time.
    _cut_short(sessions[0], keep_file=True)
    _cut_short(shells[0], keep_file=True)
    # Announced, never named: written again.
    _cut_short(sessions[1], keep_file=False)
    _cut_short(shells[1], keep_file=False)
    # Never announced (the crash came before): its file cannot exist; written again.
    _cut_short(sessions[2], keep_file=False, announced=False)
    # Another item's file now has the announced name: the name proves nothing, the bytes do.
    for ours, theirs in ((sessions[3], sessions[4]), (shells[2], shells[3])):
        Path(ours.location).unlink()
        shutil.move(theirs.location, ours.location)
        _cut_short(ours, keep_file=True)

    second = wired.run()
    assert second.outcome == "completed", [r.errors for r in second.results]
    _assert_holds_exactly(wired)
    # Only what was lost was written again: the session announced but never named, the one
    # never announced and the one whose name another file took; two recordings likewise.
    files = wired.results_of(second, "files")
    assert files.count(DataType.SESSION_DATA).stored == 3
    assert files.count(DataType.COMMAND_SHELL_RECORDINGS).stored == 2
    assert not LedgerItem.select().where(LedgerItem.state == "writing").exists()
