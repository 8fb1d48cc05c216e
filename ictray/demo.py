"""``ictray demo``: the whole program at work on this computer in seconds, with nothing set up.

A simulated appliance (``ictray.simulator``) serves generated sessions over HTTPS on loopback;
a throw-away settings file gets a site for it, a File System destination, an SQLite destination
and a schedule that copies every data type to the folder and the session data to SQLite; the
schedule runs once through the same code as ``ictray run-now``. Nothing outside the demo's own
folder is touched: the secrets stay in that settings file (never in the user's credential
store), and the simulator's CA, the logs and the copied data live there too.

This module does the work and reports what happened; ``ictray.cli.demo_cmd`` prints it.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ictray.datatypes import DataType
from ictray.destinations.sql.tables import TABLES
from ictray.errors import IctrayError, ValidationError
from ictray.scheduler.runner import ScheduleRun, run_schedule
from ictray.settings import destinations, open_settings, preferences, schedules, sites
from ictray.simulator.generate import SimulatedSite
from ictray.simulator.server import SimulatorServer
from ictray.transfer.progress import ProgressCallback

#: The simulated site: enough to show every data type, small enough to copy in seconds.
SESSIONS = 200
DAYS = 3
RECORDING_SIZE = 4 * 1024
SEED = 1

#: Names in the demo's settings file.
SITE = "simulator"
FOLDER_DESTINATION = "folder"
SQLITE_DESTINATION = "sqlite"
SCHEDULE = "demo"

#: What the demo folder holds.
SETTINGS_FILE = "settings.db"
ARCHIVE = "archive"
DATABASE = "sessions.db"
LOGS = "logs"
CA = "simulator-ca"

EXAMPLE_QUERY = "SELECT host_name, COUNT(*) AS sessions FROM session GROUP BY host_name"


@dataclass(frozen=True)
class FileKind:
    """The files of one extension in the demo's folder destination."""

    extension: str
    count: int
    examples: tuple[str, ...]


@dataclass
class DemoReport:
    """What the demo did and where everything landed."""

    appliance: str
    run: ScheduleRun
    settings_file: Path
    logs: Path
    archive: Path
    files: list[FileKind]
    database: Path
    table_rows: dict[str, int]
    query_columns: list[str]
    query_rows: list[tuple[object, ...]]

    @property
    def ok(self) -> bool:
        return self.run.ok


@contextlib.contextmanager
def demo_folder(keep: str | Path | None = None) -> Iterator[Path]:
    """The folder the demo works in: ``keep`` (new or empty, kept), else a temp folder, removed.

    A folder that holds anything already is refused, so nothing of the user's is mixed with
    the demo's files (or overwritten by them).
    """
    if keep is None:
        folder = Path(tempfile.mkdtemp(prefix="ictray-demo-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    folder = Path(keep).expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValidationError(
            "keep", f"{folder} is not an empty folder; give a new or empty folder for the demo"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValidationError(
            "keep", f"cannot create the folder {folder}: {error.strerror or error}"
        ) from None
    yield folder


def start_simulator(folder: Path) -> SimulatorServer:
    """A simulated appliance on a free loopback port, its CA kept in ``folder``."""
    site = SimulatedSite(
        sessions=SESSIONS, days=DAYS, seed=SEED, host="127.0.0.1", recording_size=RECORDING_SIZE
    )
    try:
        return SimulatorServer(site, host="127.0.0.1", port=0, ca_dir=folder / CA).start()
    except OSError as error:
        raise IctrayError(
            f"the demo cannot start its simulated appliance on 127.0.0.1: {error.strerror or error}"
        ) from None


def sqlite_url(path: Path) -> str:
    """``sqlite:///`` and the absolute path, as the SQL destination's connection string takes it."""
    return f"sqlite:///{quote(path.as_posix(), safe='/:')}"


def run_demo(folder: Path, *, progress: ProgressCallback | None = None) -> DemoReport:
    """Configure a settings file in ``folder`` against a simulator, run its schedule once."""
    archive, database = folder / ARCHIVE, folder / DATABASE
    server = start_simulator(folder)
    try:
        with open_settings(folder / SETTINGS_FILE, create=True, credential_store=None) as settings:
            preferences.set_app(settings, log_folder=str(folder / LOGS))
            sites.add_site(
                settings,
                name=SITE,
                host=server.address,
                client_id=server.client_id,
                client_secret=server.client_secret,
                ca_bundle=str(server.ca_bundle),
            )
            destinations.add_destination(
                settings,
                name=FOLDER_DESTINATION,
                plugin="filesystem",
                options={"directory": str(archive)},
            )
            destinations.add_destination(
                settings,
                name=SQLITE_DESTINATION,
                plugin="sql",
                options={"connection_string": sqlite_url(database)},
            )
            schedule = schedules.add_schedule(
                settings,
                name=SCHEDULE,
                every="1d",
                transfers=[
                    schedules.TransferSpec(SITE, FOLDER_DESTINATION, tuple(DataType)),
                    schedules.TransferSpec(SITE, SQLITE_DESTINATION, (DataType.SESSION_DATA,)),
                ],
            )
            run = run_schedule(settings, schedule, progress=progress)
            logs = preferences.log_folder(settings)
    finally:
        server.stop()
    columns, rows = example_query(database)
    return DemoReport(
        appliance=f"https://{server.address}/",
        run=run,
        settings_file=folder / SETTINGS_FILE,
        logs=logs,
        archive=archive,
        files=file_kinds(archive),
        database=database,
        table_rows=table_rows(database),
        query_columns=columns,
        query_rows=rows,
    )


def file_kinds(folder: Path) -> list[FileKind]:
    """The files under ``folder`` by extension, with two example names of each."""
    names: dict[str, list[str]] = defaultdict(list)
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file():
                names[path.suffix.lower()].append(path.relative_to(folder).as_posix())
    kinds = []
    for extension, found in sorted(names.items()):
        found.sort()
        examples = tuple(dict.fromkeys([found[0], found[-1]]))  # first and last: varied names
        kinds.append(FileKind(extension, len(found), examples))
    return kinds


def table_rows(database: Path) -> dict[str, int]:
    """Rows per standard table (none when the database was not created)."""
    if not database.is_file():
        return {}
    with _read_only(database) as db:
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in TABLES
        }


def example_query(database: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    """The README's example reporting query, run on the demo's database: columns and rows."""
    if not database.is_file():
        return [], []
    with _read_only(database) as db:
        cursor = db.execute(EXAMPLE_QUERY)
        return [column[0] for column in cursor.description], [tuple(row) for row in cursor]


def _read_only(database: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True))
