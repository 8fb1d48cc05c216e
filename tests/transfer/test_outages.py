"""A hard kill in the middle of a run, and a disk that fills up: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.transfer.result import COMPLETED, UNREACHABLE

from .expect import assert_holds_exactly

pytestmark = pytest.mark.simulator(sessions=80, days=2, seed=7, recording_size=64 * 1024)


def test_killed_hard_mid_run_then_started_again(wired, tmp_path: Path) -> None:
    wired.simulator.faults.delay = 0.03  # slow enough to be caught in the middle
    env = {
        **os.environ,
        "ICTRAY_SETTINGS": str(wired.settings.path),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "ictray", "run-now", "--quiet", "all"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if wired.folder.exists() and len(list(wired.folder.iterdir())) >= 40:
            break
        time.sleep(0.02)
    assert child.poll() is None, "the run ended before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    stored_before = len(list(wired.folder.iterdir()))
    assert stored_before >= 40
    wired.simulator.faults.delay = 0
    run = wired.run()
    assert run.outcome == COMPLETED, [r.errors for r in run.results]
    assert_holds_exactly(wired)
    # Temporary files of the killed run never carry a final name; once they are old enough
    # not to belong to another writer still at work, the next run sweeps them away.
    leftovers = [p for p in wired.folder.iterdir() if p.name.startswith(".")]
    assert all(p.name.endswith(".partial") for p in leftovers)
    an_hour_and_more = time.time() - 3700
    for path in leftovers:
        os.utime(path, (an_hour_and_more, an_hour_and_more))
    wired.run()
    assert [p for p in wired.folder.iterdir() if p.name.startswith(".")] == []
    assert_holds_exactly(wired)


@pytest.fixture
def small_disk(tmp_path: Path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_during_downloads(wired, small_disk: Path) -> None:
    from ictray.settings import destinations

    destinations.edit_destination(
        wired.settings, "files", options={"directory": str(small_disk / "archive")}
    )
    wired.folder = small_disk / "archive"
    first = wired.run()
    files = wired.results_of(first, "files")
    assert files.outcome == UNREACHABLE
    message = " ".join(files.errors)
    assert "No space left on device" in message or "disk is full" in message
    assert str(small_disk / "archive") in message
    partial = [p.name for p in wired.folder.iterdir() if p.name.startswith(".")]
    assert partial == [], "a partial download was kept"
    waiting = sum(files.count(t).waiting for t in DataType if t.is_recording)
    assert waiting > 0
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    second = wired.run()
    assert second.outcome == COMPLETED, [r.errors for r in second.results]
    assert_holds_exactly(wired)
