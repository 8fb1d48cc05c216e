"""A scheduled run with nothing new, inside a process set up as ``ictray service`` sets up.

``python -m ictray.bench.servicerun SPEC`` opens the settings file, starts the logs, and runs
its one schedule twice, as the service would each time the schedule is due. The CPU of the
whole process (every thread) is read around each run alone: the first run after the process
started, and the next one. It prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ictray.bench.processes import BenchError
from ictray.scheduler.runner import run_schedule
from ictray.scheduler.service import pick_schedules
from ictray.settings import open_settings
from ictray.settings.reporting import start_logging


def noop_runs(spec: dict[str, Any]) -> dict[str, Any]:
    """CPU seconds of the first and the next run of the settings' one schedule."""
    used = []
    with open_settings(Path(spec["settings"]), credential_store=None) as settings:
        start_logging(settings)
        (schedule,) = pick_schedules(None)
        for _ in range(2):
            started = time.process_time()
            run = run_schedule(settings, schedule)
            used.append(time.process_time() - started)
            if not run.ok:
                raise BenchError(f"the schedule's run did not complete: {run.outcome}")
    return {"first": used[0], "warm": used[1]}


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(noop_runs(spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
