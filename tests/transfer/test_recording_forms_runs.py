"""A whole run against an appliance that numbers recording instances from 1 and types its videos
as application/octet-stream: every recording still lands once, with its own extension."""

from __future__ import annotations

from collections import Counter

import pytest

from ictray.simulator.dialect import Dialect
from ictray.transfer.result import COMPLETED

from .expect import assert_holds_exactly


@pytest.mark.simulator(
    sessions=60,
    days=2,
    seed=11,
    recording_size=4096,
    dialect=Dialect(recording_instance_base=1, recording_content_type="bare"),
)
def test_recordings_numbered_from_1_and_untyped_are_all_copied(wired) -> None:
    run = wired.run()
    assert run.outcome == COMPLETED, [r.errors for r in run.results]
    assert_holds_exactly(wired)
    suffixes = Counter(p.suffix for p in wired.folder.iterdir() if p.suffix in (".flv", ".mp4"))
    assert suffixes[".flv"] and suffixes[".mp4"]
    for path in wired.folder.glob("*.mp4"):
        assert path.read_bytes()[4:8] == b"ftyp"
