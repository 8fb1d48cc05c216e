"""The figures: each value beside its reference from the same run, the ratio, the target.

A figure whose target is missed is marked ``MISSED`` in the table and ``"met": false`` in the
JSON; the benchmark still exits 0, as it is a report, not a test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ictray.bench.downloads import DownloadRun
from ictray.bench.firstcopy import FirstCopyRun
from ictray.bench.idle import IdleRun
from ictray.bench.ingest import IngestRun
from ictray.bench.servers import ServerRun
from ictray.bench.startup import StartupRun

MB = 1e6
MS = 1000  # milliseconds a second
#: the idle budget: 1% of one core is 0.6 CPU seconds a minute
IDLE_BUDGET = 0.6
FLAT_MEMORY = 1.2
SESSIONS_TARGET = 1000.0
#: downloads' memory is bounded when it grows by under 10% of the bytes copied; a few MB of
#: allocator noise are allowed, which decide alone when little is copied (``--small``)
GROWTH_SLACK = 4 * MB
#: a busy site, for the scale figures: sessions a day, and the days an appliance keeps
BUSY_PER_DAY = 1000
KEPT_DAYS = 90
#: a first copy into a database server on the same machine: at most this many times SQLite's
SERVER_TARGET = 1.5
#: a first copy as ``run-now`` makes it, against the bare reference's speed
FIRST_COPY_TARGET = 0.8
#: CPU seconds a scheduled run with nothing new may use in the service
NOOP_BUDGET = 0.3
#: ``ictray --help`` against the start of an interpreter importing ``requests``
STARTUP_TARGET = 2.0


@dataclass(frozen=True)
class Figure:
    """One line of the table; ``met`` is None when the figure has no target."""

    name: str
    value: float
    reference: float
    unit: str
    target: str
    met: bool | None
    reference_is: str
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.reference if self.reference else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def ingest_figures(big: IngestRun, small: IngestRun, destination: str) -> list[Figure]:
    """Rates from the small size (the fastest of its repeats), memory from both sizes."""
    ref, own, e2e = small.reference, small.from_file, small.end_to_end
    bare = "bare iterparse + executemany into SQLite, same report"
    runs = (
        f"{small.sessions:,} sessions, fastest of {small.repeats}"
        if small.repeats > 1
        else f"{small.sessions:,} sessions"
    )
    figures = [
        Figure(
            f"ingest end to end into {destination} ({runs})",
            e2e.sessions_per_second,
            ref.sessions_per_second,
            "sessions/s",
            f">= {SESSIONS_TARGET:,.0f}/s and >= 0.5x",
            e2e.sessions_per_second >= SESSIONS_TARGET
            and e2e.sessions_per_second >= 0.5 * ref.sessions_per_second,
            bare,
            "HTTPS from the simulator's process + parse + rows + insert + the run's bookkeeping",
        ),
    ]
    if e2e.rows is not None and ref.rows is not None:
        own_rows, ref_rows = e2e.rows / e2e.seconds, ref.rows / ref.seconds
        figures.append(
            Figure(
                "rows end to end",
                own_rows,
                ref_rows,
                "rows/s",
                ">= 0.5x",
                own_rows >= 0.5 * ref_rows,
                bare,
                f"{e2e.rows / e2e.sessions:.0f} rows a session in all the tables",
            )
        )
    figures.append(
        Figure(
            f"ingest from the saved report into {destination}",
            own.sessions_per_second,
            ref.sessions_per_second,
            "sessions/s",
            ">= 0.5x",
            own.sessions_per_second >= 0.5 * ref.sessions_per_second,
            bare,
            "destination only: parse + rows + insert, no HTTP, no bookkeeping",
        )
    )
    for label, large, little in (
        ("end to end", big.end_to_end, small.end_to_end),
        ("from the saved report", big.from_file, small.from_file),
    ):
        figures.append(
            Figure(
                f"peak memory {label}, {big.sessions:,} vs {small.sessions:,} sessions",
                large.peak_bytes / MB,
                little.peak_bytes / MB,
                "MB",
                f"<= {FLAT_MEMORY}x (flat)",
                large.peak_bytes <= FLAT_MEMORY * little.peak_bytes,
                f"the same, {small.sessions:,} sessions",
                "peak resident memory of the whole worker process (ru_maxrss)",
            )
        )
    figures.append(
        Figure(
            f"peak memory end to end vs bare, {big.sessions:,} sessions",
            big.end_to_end.peak_bytes / MB,
            big.reference.peak_bytes / MB,
            "MB",
            "-",
            None,
            bare,
            f"the bare reference at {small.sessions:,} sessions: "
            f"{small.reference.peak_bytes / MB:.0f} MB",
        )
    )
    figures += scale_figures(small, big)
    return figures


def spread_notes(run: IngestRun) -> list[str]:
    """How much the repeated runs of each rate differed: how steady the machine was."""
    if run.repeats < 2:
        return []
    parts = [
        f"{name} {min(rates):,.0f} to {max(rates):,.0f}"
        for name, rates in run.rates.items()
        if rates
    ]
    return [f"sessions/s over {run.repeats} runs at {run.sessions:,} sessions: " + ", ".join(parts)]


def scale_figures(rates: IngestRun, sizes: IngestRun) -> list[Figure]:
    """On paper: the first copy of a busy site (at ``rates``' speed) and its database growth
    (from the files of ``sizes``)."""
    sessions = BUSY_PER_DAY * KEPT_DAYS
    e2e, ref = rates.end_to_end, rates.reference
    figures = [
        Figure(
            f"first copy of {KEPT_DAYS} days x {BUSY_PER_DAY:,} sessions",
            sessions / e2e.sessions_per_second / 60,
            sessions / ref.sessions_per_second / 60,
            "minutes",
            "-",
            None,
            "the bare reference's rate",
            "at the end-to-end rate measured above",
        )
    ]
    stored, bare = sizes.end_to_end, sizes.reference
    if stored.database_bytes is not None and bare.database_bytes is not None:
        own_each = stored.database_bytes / stored.sessions
        ref_each = bare.database_bytes / bare.sessions
        figures += [
            Figure(
                "database bytes per session",
                own_each,
                ref_each,
                "bytes",
                "-",
                None,
                "the bare reference's SQLite file",
                "SQLite file size / sessions stored",
            ),
            Figure(
                f"database growth at {BUSY_PER_DAY:,} sessions a day",
                own_each * BUSY_PER_DAY / MB,
                ref_each * BUSY_PER_DAY / MB,
                "MB/day",
                "-",
                None,
                "the bare reference's SQLite file",
                f"{own_each * sessions / 1e9:.1f} GB for {KEPT_DAYS} days",
            ),
        ]
    return figures


def server_figures(run: ServerRun) -> list[Figure]:
    """The first copy into each server against SQLite's, the fastest of each."""
    runs = (
        f"{run.sessions:,} sessions, fastest of {run.repeats}"
        if run.repeats > 1
        else f"{run.sessions:,} sessions"
    )
    sqlite = run.sqlite.seconds
    return [
        Figure(
            f"first copy into {label} vs SQLite ({runs})",
            measured.seconds,
            sqlite,
            "s",
            f"<= {SERVER_TARGET}x",
            measured.seconds <= SERVER_TARGET * sqlite,
            "the same sessions into a new SQLite file, same run, taking turns",
            f"{run.versions.get(label, label)} on this machine; a real transfer from the "
            "simulator: HTTPS, parse, rows, insert, bookkeeping",
        )
        for label, measured in run.servers.items()
    ]


def server_notes(run: ServerRun) -> list[str]:
    """Every first copy's seconds, to show how steady the machine was."""
    if run.repeats < 2:
        return []
    return [
        "first copy seconds over runs: "
        + ", ".join(
            f"{name} {', '.join(f'{s:.1f}' for s in seconds)}"
            for name, seconds in run.seconds.items()
        )
    ]


def download_figures(run: DownloadRun) -> list[Figure]:
    own, bare = run.ictray, run.reference
    count = f"{own.recordings} x {run.size / 1024:,.0f} KiB, {run.concurrency} at a time"
    bare_is = "requests stream=True into files, same recordings, same concurrency"
    return [
        Figure(
            f"recording downloads ({count})",
            own.megabytes_per_second,
            bare.megabytes_per_second,
            "MB/s",
            ">= 0.8x",
            own.megabytes_per_second >= 0.8 * bare.megabytes_per_second,
            bare_is,
            "engine pool + client + atomic, fsynced files + bookkeeping",
        ),
        Figure(
            "memory growth while downloading",
            own.growth_bytes / MB,
            bare.growth_bytes / MB,
            "MB",
            "< 10% of the bytes copied, or 4 MB",
            own.growth_bytes < max(0.1 * own.bytes, GROWTH_SLACK),
            bare_is,
            f"peak resident memory above the start of the downloads; {own.bytes / MB:,.0f} "
            "MB copied",
        ),
    ]


def idle_figures(run: IdleRun) -> list[Figure]:
    per_minute = 60 / run.seconds
    reference = run.reference * per_minute
    sleeping = "an ictray process that only sleeps, same window"
    figures = [
        Figure(
            "idle CPU, ictray service",
            run.service * per_minute,
            reference,
            "CPU s/min",
            f"< {IDLE_BUDGET} (1% of a core)",
            run.service * per_minute < IDLE_BUDGET,
            sleeping,
            f"measured over {run.seconds:g} s",
        )
    ]
    if run.desktop is not None:
        figures.append(
            Figure(
                "idle CPU, desktop app (tray + scheduler)",
                run.desktop * per_minute,
                reference,
                "CPU s/min",
                f"< {IDLE_BUDGET} (1% of a core)",
                run.desktop * per_minute < IDLE_BUDGET,
                sleeping,
                f"measured over {run.seconds:g} s",
            )
        )
    return figures


def first_copy_figures(run: FirstCopyRun) -> list[Figure]:
    """The first copy's speed against the bare reference's, and what a run with nothing new
    costs in CPU, in the service and as a whole ``run-now`` process."""
    own = run.ictray_sessions / run.ictray_best
    bare = run.bare_sessions / run.bare_best
    spread = (
        f"ictray {min(run.ictray_seconds):.1f} to {max(run.ictray_seconds):.1f} s, bare "
        f"{min(run.bare_seconds):.1f} to {max(run.bare_seconds):.1f} s"
    )
    best_of = f", fastest of {run.repeats}" if run.repeats > 1 else ""
    return [
        Figure(
            f"first copy, run-now, {run.sessions:,} sessions over {run.days} days{best_of}",
            own,
            bare,
            "sessions/s",
            f">= {FIRST_COPY_TARGET}x",
            own >= FIRST_COPY_TARGET * bare,
            "a bare process: one request for the whole range, iterparse + executemany into SQLite",
            f"whole processes from start to exit ({run.ictray_best:.2f} s vs "
            f"{run.bare_best:.2f} s; {spread})",
        ),
        Figure(
            "run with nothing new, CPU in the service",
            run.noop_service_cpu * MS,
            run.bare_noop_cpu * MS,
            "CPU ms",
            f"< {NOOP_BUDGET * MS:g} ms",
            run.noop_service_cpu < NOOP_BUDGET,
            "the bare process asking for the sessions since the last run, its start-up not counted",
            f"the schedule's first run after the service started; the next one: "
            f"{run.noop_service_warm_cpu * MS:.0f} ms",
        ),
        Figure(
            "run with nothing new, run-now process CPU",
            run.noop_process_cpu * MS,
            run.bare_noop_process_cpu * MS,
            "CPU ms",
            "-",
            None,
            "the bare process asking for the sessions since the last run, start-up included",
            f"the whole ictray run-now process, start-up included ({run.noop_process_seconds:.2f}"
            " s from start to exit)",
        ),
    ]


def startup_figures(run: StartupRun | None) -> list[Figure]:
    if run is None:
        return []
    own, bare = min(run.help_seconds), min(run.reference_seconds)
    return [
        Figure(
            f"ictray --help, fastest of {run.runs}",
            own * MS,
            bare * MS,
            "ms",
            f"<= {STARTUP_TARGET:g}x",
            own <= STARTUP_TARGET * bare,
            f'python -c "import requests", fastest of {run.runs}',
            "wall time from start to exit: the start-up every ictray command pays (from cached "
            "bytecode, as an installed program starts)",
        )
    ]


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    """The figures as an aligned text table, then what each reference is and the notes."""
    headings = ("figure", "value", "reference", "ratio", "target", "met?")
    rows = []
    for figure in figures:
        ratio = figure.ratio
        rows.append(
            (
                figure.name,
                f"{_number(figure.value)} {figure.unit}",
                f"{_number(figure.reference)} {figure.unit}",
                "-" if ratio is None else f"{ratio:.2f}x",
                figure.target,
                "-" if figure.met is None else ("yes" if figure.met else "MISSED"),
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    lines = [
        "  ".join(text.ljust(w) for text, w in zip(line, widths, strict=True)).rstrip()
        for line in (headings, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    for number, figure in enumerate(figures, start=1):
        lines.append(
            f"{number:2}. {figure.name}: reference = {figure.reference_is}"
            + (f"; {figure.note}" if figure.note else "")
        )
    missed = [figure.name for figure in figures if figure.met is False]
    lines.append("")
    lines.append("MISSED: " + "; ".join(missed) if missed else "every target was met")
    return "\n".join(lines)
