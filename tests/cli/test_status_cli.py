"""``ictray status``: who runs the schedules, in words and in JSON, times in local time."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ictray.scheduler.lock import TRAY, SchedulerLock


def test_status_names_who_runs_the_schedules(cli, cli_env) -> None:
    assert cli("init").code == 0
    assert cli("schedule", "add", "nightly", "--every", "1d", "--at", "02:30").code == 0
    alone = cli("status")
    assert alone.code == 0, alone.err
    assert alone.out.startswith("scheduler: not running anywhere")
    assert "  nightly: every day at 02:30\n    last run: never" in alone.out
    assert "next run: when a scheduler runs" in alone.out
    assert alone.out.rstrip().endswith("no data at risk")

    lock = SchedulerLock(Path(cli_env["ICTRAY_SETTINGS"]), TRAY)
    lock.acquire()
    try:
        running = cli("status")
        assert f"scheduler: running in the tray app (process {os.getpid()})" in running.out
        next_run = re.search(r"next run: (\d{4}-\d\d-\d\d \d\d:\d\d) (\S+)", running.out)
        assert next_run is not None, running.out  # local time, to the minute, with the zone
        assert cli("settings", "app", "--scheduler", "off").code == 0
        paused = json.loads(cli("status", "--json").out)
        assert paused["scheduler"]["state"] == "paused"
        assert paused["scheduler"]["text"].startswith("paused in the tray app")
        assert paused["schedules"][0]["next_run"] is None
    finally:
        lock.release()
