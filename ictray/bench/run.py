"""One benchmark run: ingest at two sizes, downloads, idling, then the figures.

Everything happens in a temporary folder (kept only when asked), with the benchmark's own
settings files and simulators; the only thing outside it a run may touch is the destination
named with ``--dest``.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ictray import __version__
from ictray.bench import downloads, firstcopy, idle, ingest, report, servers, startup
from ictray.bench.options import BenchOptions


@dataclass
class BenchResults:
    options: BenchOptions
    figures: list[report.Figure]
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def missed(self) -> list[report.Figure]:
        return [figure for figure in self.figures if figure.met is False]

    def as_json(self) -> dict[str, Any]:
        return {
            "ictray": __version__,
            "machine": machine(),
            "options": {
                **asdict(self.options),
                "keep": str(self.options.keep or ""),
                **servers.redacted(self.options.postgres, self.options.mysql),
            },
            "figures": [figure.as_dict() for figure in self.figures],
            "missed": [figure.name for figure in self.missed],
            "notes": self.notes,
            "details": self.details,
        }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def run_bench(options: BenchOptions, say: Callable[[str], None]) -> BenchResults:
    options.check()
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="ictray-bench-", dir=options.keep))
    else:
        folder = Path(tempfile.mkdtemp(prefix="ictray-bench-"))
    try:
        return _run(options, folder, say)
    finally:
        if options.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            say(f"kept the work folder {folder}")


def _run(options: BenchOptions, folder: Path, say: Callable[[str], None]) -> BenchResults:
    target = (
        "SQLite" if options.destination is None else f"destination {options.destination.name!r}"
    )
    small = ingest.measure(
        folder, options.small_sessions, options.destination, say, options.repeats
    )
    big = ingest.measure(folder, options.sessions, options.destination, say)
    copied = downloads.measure(
        folder, options.recordings, options.recording_size, options.concurrency, say
    )
    idled = idle.measure(folder, options.idle_seconds, options.desktop, say)
    first = firstcopy.measure(
        folder, options.first_copy_sessions, options.first_copy_days, options.repeats, say
    )
    started = startup.measure(folder, options.startup_runs, say)
    chosen = servers.chosen(options.postgres, options.mysql)
    first_copies = (
        servers.measure(folder, options.small_sessions, chosen, say, options.repeats)
        if chosen
        else None
    )
    figures = [
        *report.ingest_figures(big, small, target),
        *report.download_figures(copied),
        *report.idle_figures(idled),
        *report.first_copy_figures(first),
        *report.startup_figures(started),
        *(report.server_figures(first_copies) if first_copies else []),
    ]
    notes = [
        f"{machine()['cpus']} CPUs, Python {platform.python_version()}, {sys.platform}",
        *report.spread_notes(small),
        f"the report of {big.sessions:,} sessions is {big.report_bytes / 1e6:,.0f} MB; saving "
        f"it over HTTPS alone ran at {big.sessions / big.report_seconds:,.0f} sessions/s "
        "(what the simulator can serve bounds the end-to-end figure)",
        *idled.notes,
        *(report.server_notes(first_copies) if first_copies else [servers.SKIPPED]),
    ]
    if started is None:
        notes.append("start-up: not measured (a frozen program has no interpreter to compare with)")
    details = {
        "ingest": [asdict(small), asdict(big)],
        "downloads": asdict(copied),
        "idle": asdict(idled),
        "first_copy": asdict(first),
        "startup": asdict(started) if started is not None else None,
        "servers": asdict(first_copies) if first_copies else None,
    }
    return BenchResults(options, figures, notes, details)
