"""Session ingest: how fast sessions go from the appliance into a database, and at what memory.

For one report size, with the simulator in its own process:

1. the ``SupportSession`` report of the whole window is saved to a file (HTTPS only, timed);
2. the bare reference (``reference.py``) stores that file into a new SQLite database;
3. ictray stores the same file through its parser, row mapping and SQL destination
   ("destination only": parse + rows + insert, no HTTP, no run bookkeeping);
4. ictray runs a real transfer from the simulator, as a schedule would ("end to end": HTTPS,
   parse, rows, insert, and the run's bookkeeping in its settings file).

Each of 2 to 4 is a fresh worker process; its peak resident memory is its own. With repeats,
2 to 4 run in turn that many times and the fastest run of each counts: a shared machine's
speed can change by half within seconds, and interleaving lets each side meet the same
slow and fast moments (the fastest run is the one least disturbed, as ``timeit`` reasons).
"""

from __future__ import annotations

import calendar
import dataclasses
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ictray.appliance import contract, parse
from ictray.appliance.client import ApplianceClient
from ictray.appliance.model import Refusal
from ictray.bench import reference, wiring
from ictray.bench.options import UserDestination
from ictray.bench.processes import BenchError, SimulatorInfo, SimulatorProcess, peak_rss, run_worker
from ictray.datatypes import DataType
from ictray.destinations.base import Destination
from ictray.destinations.sql.plugin import SqlDestination
from ictray.destinations.sql.tables import TABLES
from ictray.settings import open_settings
from ictray.settings.destinations import get_destination, open_destination
from ictray.settings.models import Transfer
from ictray.transfer import collector
from ictray.transfer.engine import TransferRun
from ictray.transfer.job import prepare
from ictray.transfer.options import TransferOptions

#: the site host name the benchmark's sessions are stored under (never a real site)
BENCH_HOST = "ictray-bench.invalid"
#: a busy site: sessions spread at this many a day, as the scale figure assumes
SESSIONS_PER_DAY = 1000


@dataclass
class Measured:
    """What one ingest worker did: sessions and rows stored, seconds, peak memory."""

    sessions: int
    rows: int | None
    seconds: float
    peak_bytes: int
    database_bytes: int | None = None

    @property
    def sessions_per_second(self) -> float:
        return self.sessions / self.seconds


def fastest(runs: list[Measured]) -> Measured:
    """The fastest of repeated runs, with the most memory any of them held."""
    best = min(runs, key=lambda run: run.seconds / max(run.sessions, 1))
    return dataclasses.replace(best, peak_bytes=max(run.peak_bytes for run in runs))


@dataclass
class IngestRun:
    """The three measurements of one report size (the fastest of each), and the report's."""

    sessions: int
    report_bytes: int
    report_seconds: float
    reference: Measured
    from_file: Measured
    end_to_end: Measured
    repeats: int = 1
    #: every run's sessions per second, per measurement, in the order they ran
    rates: dict[str, list[float]] = dataclasses.field(default_factory=dict)


def window_days(sessions: int) -> int:
    """Days the simulator spreads ``sessions`` over: a busy site's rate, at least one day."""
    return max(1, -(-sessions // SESSIONS_PER_DAY))


def measure(
    folder: Path,
    sessions: int,
    destination: UserDestination | None,
    say: Callable[[str], None],
    repeats: int = 1,
) -> IngestRun:
    """Run the three ingest measurements for a report of ``sessions`` sessions.

    A configured destination (``--dest``) is measured once: a second run would replace the
    sessions the first stored, which is other work.
    """
    work = folder / f"ingest-{sessions}"
    work.mkdir()
    days = window_days(sessions)
    start_from = wiring.days_ago(days + 1 / 24)
    since = calendar.timegm(start_from.timetuple()) - TransferOptions().overlap
    repeats = 1 if destination is not None else repeats
    runs: dict[str, list[Measured]] = {"reference": [], "from-file": [], "end-to-end": []}
    with SimulatorProcess(work, sessions=sessions, days=days, recording_size=64 * 1024) as sim:
        report = work / "report.xml"
        say(f"{sessions} sessions: saving the report")
        report_seconds = save_report(sim, report, since)
        report_bytes = report.stat().st_size
        for turn in range(1, repeats + 1):
            of = f" ({turn} of {repeats})" if repeats > 1 else ""
            say(f"{sessions} sessions: bare reference (iterparse + executemany){of}")
            runs["reference"].append(
                _run(
                    work,
                    f"reference-{turn}",
                    {
                        "task": "ingest-reference",
                        "report": str(report),
                        "database": str(work / "reference.db"),
                    },
                )
            )
            say(f"{sessions} sessions: ictray, from the saved report{of}")
            runs["from-file"].append(
                _run(
                    work,
                    f"from-file-{turn}",
                    {
                        "task": "ingest-file",
                        "report": str(report),
                        "database": str(work / "file.db"),
                        "destination": _dest_spec(destination),
                    },
                )
            )
            settings = work / f"settings-{turn}.db"
            wiring.write_settings(
                settings,
                sim,
                plugin="sql",
                options={"connection_string": f"sqlite:///{(work / 'transfer.db').resolve()}"},
                data_types=(DataType.SESSION_DATA,),
                start_from=start_from,
            )
            say(f"{sessions} sessions: ictray, end to end from the simulator{of}")
            runs["end-to-end"].append(
                _run(
                    work,
                    f"end-to-end-{turn}",
                    {
                        "task": "ingest-transfer",
                        "settings": str(settings),
                        "database": str(work / "transfer.db"),
                        "destination": _dest_spec(destination),
                    },
                )
            )
        report.unlink()
    return IngestRun(
        sessions,
        report_bytes,
        report_seconds,
        fastest(runs["reference"]),
        fastest(runs["from-file"]),
        fastest(runs["end-to-end"]),
        repeats,
        {
            name: [round(run.sessions_per_second) for run in measured]
            for name, measured in runs.items()
        },
    )


def _dest_spec(destination: UserDestination | None) -> dict[str, str] | None:
    return None if destination is None else dataclasses.asdict(destination)


def _run(folder: Path, name: str, spec: dict[str, Any]) -> Measured:
    """One worker; its database is removed once measured (a large run fills gigabytes)."""
    answer = run_worker(spec, folder, name)
    Path(spec["database"]).unlink(missing_ok=True)
    return Measured(**answer)


def save_report(simulator: SimulatorInfo, path: Path, since: int) -> float:
    """Save the ``SupportSession`` report of ``since`` until now; return the seconds it took."""
    client = ApplianceClient(
        simulator.host,
        simulator.client_id,
        simulator.client_secret,
        ca_bundle=simulator.ca_bundle,
        site_name="simulator",
    )
    params = {
        contract.GENERATE_REPORT: contract.SUPPORT_SESSION,
        contract.START_TIME: str(since),
        contract.DURATION: "0",
    }
    started = time.perf_counter()
    with client, path.open("wb") as out:
        answer = client.open("GET", contract.REPORTING_PATH, what="the report", params=params)
        with answer:
            for chunk in client.read_all(answer, what="the report"):
                out.write(chunk)
    return time.perf_counter() - started


# -- worker tasks (each runs in a process of its own) ---------------------------------------------


def reference_task(spec: dict[str, Any]) -> dict[str, Any]:
    """The bare reference: iterparse and executemany into a new SQLite database."""
    database = Path(spec["database"])
    started = time.perf_counter()
    sessions, rows = reference.ingest(Path(spec["report"]), database, BENCH_HOST)
    seconds = time.perf_counter() - started
    return _answer(sessions, rows, seconds, database)


def file_task(spec: dict[str, Any]) -> dict[str, Any]:
    """ictray's parser, rows and SQL destination on the saved report, batched as a run does."""
    destination, database = _destination(spec)
    batch_size = TransferOptions().batch_size
    started = time.perf_counter()
    sessions = 0
    # as every run does: the collector paused, and its young generation collected per batch
    with collector.paused_during_run(), destination, Path(spec["report"]).open("rb") as stream:
        parsed = parse.iter_sessions(stream)
        for batch in _batches((s for s in parsed if not isinstance(s, Refusal)), batch_size):
            destination.write_sessions(BENCH_HOST, batch)
            sessions += len(batch)
            del batch
            collector.between_batches()
    seconds = time.perf_counter() - started
    return _answer(sessions, None, seconds, database)


def transfer_task(spec: dict[str, Any]) -> dict[str, Any]:
    """A real run of the transfer in the benchmark's settings file, from the simulator."""
    user = _user_destination(spec)
    with open_settings(Path(spec["settings"]), credential_store=None) as settings:
        prepared = prepare(settings, Transfer.get())
        if user is not None:
            prepared.destination = user
        job = dataclasses.replace(prepared.job, site_host=BENCH_HOST)
        run = TransferRun(job, prepared.client, prepared.destination, prepared.ledger)
        started = time.perf_counter()
        with prepared.client:
            result = run.run()
        seconds = time.perf_counter() - started
    if not result.ok:
        raise BenchError(f"the transfer did not complete: {'; '.join(result.errors[:3])}")
    database = None if user is not None else Path(spec["database"])
    stored = result.count(DataType.SESSION_DATA).stored
    return _answer(stored, None, seconds, database)


def _answer(
    sessions: int, rows: int | None, seconds: float, database: Path | None
) -> dict[str, Any]:
    """The worker's report; with an SQLite database, sessions and rows are counted in it."""
    database_bytes = None
    if database is not None:
        database_bytes = database.stat().st_size
        with sqlite3.connect(database) as connection:
            counts = {
                t: connection.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0] for t in TABLES
            }
        connection.close()
        sessions, rows = counts["session"], sum(counts.values())
    return {
        "sessions": sessions,
        "rows": rows,
        "seconds": seconds,
        "peak_bytes": peak_rss(),
        "database_bytes": database_bytes,
    }


def _destination(spec: dict[str, Any]) -> tuple[Destination, Path | None]:
    user = _user_destination(spec)
    if user is not None:
        return user, None
    database = Path(spec["database"])
    options = {"connection_string": f"sqlite:///{database.resolve()}"}
    return SqlDestination("bench", options), database


def _user_destination(spec: dict[str, Any]) -> Destination | None:
    chosen = spec.get("destination")
    if not chosen:
        return None
    with open_settings(Path(chosen["settings"])) as settings:
        return open_destination(settings, get_destination(chosen["name"]))


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
