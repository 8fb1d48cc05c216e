"""The worker side: ``ictray bench --worker SPEC`` runs one measurement and prints its result.

``SPEC`` is a JSON file naming the task and its inputs; the result is one JSON line on
standard output, which the parent reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ictray.bench import barecopy, downloads, idle, ingest, servers, servicerun
from ictray.bench.processes import BenchError

Task = Callable[[dict[str, Any]], dict[str, Any]]

TASKS: dict[str, Task] = {
    "ingest-reference": ingest.reference_task,
    "ingest-file": ingest.file_task,
    "ingest-transfer": ingest.transfer_task,
    "downloads-bare": downloads.bare_task,
    "downloads-transfer": downloads.transfer_task,
    "idle": idle.sleep_task,
    "servers-first-copy": servers.first_copy_task,
    "bare-copy": barecopy.copy,
    "noop-service": servicerun.noop_runs,
}


def run(spec_path: Path) -> int:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    task = TASKS.get(spec.get("task", ""))
    if task is None:
        raise BenchError(f"{spec_path} names no known benchmark task")
    print(json.dumps(task(spec)), flush=True)
    return 0
