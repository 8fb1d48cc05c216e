"""First copy into database servers: PostgreSQL and MySQL/MariaDB against SQLite, same run.

With ``--postgres URL`` and/or ``--mysql URL`` (a login that may create databases), the same
sessions are copied by a real transfer from the simulator (HTTPS, parse, rows, insert, the
run's bookkeeping) into a new SQLite file and into a new database on each server, in turns,
``repeats`` times; the fastest run of each counts. Each server run gets its own database,
``ictray_bench_<random>``, dropped once measured, so nothing is left on the server.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ictray.bench import ingest, wiring
from ictray.bench.ingest import Measured, fastest
from ictray.bench.processes import (
    BenchError,
    SimulatorInfo,
    SimulatorProcess,
    peak_rss,
    run_worker,
)
from ictray.datatypes import DataType
from ictray.destinations.sql.connstr import MYSQL, POSTGRESQL, parse_connection_string
from ictray.destinations.sql.dialects import Connection, dialect_for
from ictray.settings import open_settings
from ictray.settings.models import Transfer
from ictray.transfer.engine import TransferRun
from ictray.transfer.job import prepare

#: the dialect each bench option names
SERVERS = {"postgres": POSTGRESQL, "mysql": MYSQL}
SKIPPED = (
    "first copy into PostgreSQL / MySQL/MariaDB vs SQLite: skipped; give --postgres URL "
    "and/or --mysql URL (a login that may create databases) to measure it"
)


@dataclass
class ServerRun:
    """The fastest first copy into SQLite and into each server, and every run's seconds."""

    sessions: int
    repeats: int
    sqlite: Measured
    servers: dict[str, Measured]
    #: each server's name and version (``MariaDB 10.11.6``), by the name ``servers`` uses
    versions: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)


def check_url(option: str, url: str) -> str:
    """``url`` when it names a database of the kind ``--<option>`` is for; else ``ValueError``."""
    info = parse_connection_string(url)
    if info.dialect != SERVERS[option] or "://" not in url:
        raise ValueError(f"--{option} takes a {SERVERS[option]}:// URL, not {info.redacted()}")
    return url


def chosen(postgres: str | None, mysql: str | None) -> dict[str, str]:
    """The servers to measure, by dialect (``--postgres``, ``--mysql``), in that order."""
    return {dialect: url for dialect, url in ((POSTGRESQL, postgres), (MYSQL, mysql)) if url}


def redacted(postgres: str | None, mysql: str | None) -> dict[str, str | None]:
    """The server options as they may be shown: passwords masked."""
    return {
        option: parse_connection_string(url).redacted() if url else None
        for option, url in (("postgres", postgres), ("mysql", mysql))
    }


def measure(
    folder: Path,
    sessions: int,
    servers: dict[str, str],
    say: Callable[[str], None],
    repeats: int = 1,
) -> ServerRun:
    """Copy ``sessions`` into SQLite and into each of ``servers`` (dialect: URL) in turns."""
    work = folder / f"servers-{sessions}"
    work.mkdir()
    days = ingest.window_days(sessions)
    start_from = wiring.days_ago(days + 1 / 24)
    versions = {dialect: _version(url) for dialect, url in servers.items()}
    names = {dialect: version.split(" ")[0] for dialect, version in versions.items()}
    runs: dict[str, list[Measured]] = {"SQLite": [], **{name: [] for name in names.values()}}
    with SimulatorProcess(work, sessions=sessions, days=days, recording_size=1024) as sim:
        for turn in range(1, repeats + 1):
            of = f" ({turn} of {repeats})" if repeats > 1 else ""
            database = work / f"first-copy-{turn}.db"
            say(f"{sessions} sessions: first copy into SQLite{of}")
            runs["SQLite"].append(
                _copy(
                    work,
                    f"first-copy-sqlite-{turn}",
                    sim,
                    start_from,
                    f"sqlite:///{database.resolve()}",
                )
            )
            database.unlink(missing_ok=True)
            for dialect, url in servers.items():
                say(f"{sessions} sessions: first copy into {names[dialect]}{of}")
                with _new_database(url) as new_url:
                    runs[names[dialect]].append(
                        _copy(work, f"first-copy-{dialect}-{turn}", sim, start_from, new_url)
                    )
    return ServerRun(
        sessions,
        repeats,
        fastest(runs["SQLite"]),
        {name: fastest(runs[name]) for name in names.values()},
        {names[dialect]: version for dialect, version in versions.items()},
        {name: [round(run.seconds, 2) for run in measured] for name, measured in runs.items()},
    )


def _copy(
    folder: Path, name: str, sim: SimulatorInfo, start_from: datetime, connection_string: str
) -> Measured:
    settings = folder / f"{name}.settings.db"
    wiring.write_settings(
        settings,
        sim,
        plugin="sql",
        options={"connection_string": connection_string},
        data_types=(DataType.SESSION_DATA,),
        start_from=start_from,
    )
    answer = run_worker({"task": "servers-first-copy", "settings": str(settings)}, folder, name)
    return Measured(**answer)


def first_copy_task(spec: dict[str, Any]) -> dict[str, Any]:
    """One real transfer run from the benchmark's settings file (its secrets in the file)."""
    with open_settings(Path(spec["settings"]), credential_store=None) as settings:
        prepared = prepare(settings, Transfer.get())
        run = TransferRun(prepared.job, prepared.client, prepared.destination, prepared.ledger)
        started = time.perf_counter()
        with prepared.client:
            result = run.run()
        seconds = time.perf_counter() - started
    if not result.ok:
        raise BenchError(f"the first copy did not complete: {'; '.join(result.errors[:3])}")
    return {
        "sessions": result.count(DataType.SESSION_DATA).stored,
        "rows": None,
        "seconds": seconds,
        "peak_bytes": peak_rss(),
    }


# -- the servers' databases ----------------------------------------------------------------------


def _admin(url: str) -> Connection:
    info = parse_connection_string(url)
    connection = dialect_for(info).connect(info)
    if info.dialect == POSTGRESQL:
        connection.autocommit = True  # type: ignore[attr-defined]  # CREATE DATABASE needs it
    return connection


def _execute(url: str, sql: str) -> list[Any]:
    connection = _admin(url)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        rows = list(cursor.fetchall()) if cursor.description else []
        connection.commit()
        return rows
    finally:
        connection.close()


def _version(url: str) -> str:
    """The server's name and version, e.g. ``PostgreSQL 15.2`` or ``MariaDB 10.11.6``."""
    dialect = parse_connection_string(url).dialect
    if dialect == POSTGRESQL:
        ((version,),) = _execute(url, "SHOW server_version")
        return f"PostgreSQL {str(version).split(' ')[0]}"
    ((version,),) = _execute(url, "SELECT VERSION()")
    kind = "MariaDB" if "mariadb" in str(version).lower() else "MySQL"
    return f"{kind} {str(version).split('-')[0]}"


@contextmanager
def _new_database(url: str) -> Iterator[str]:
    """The URL of a new, empty database next to the one ``url`` names; dropped on leaving."""
    dialect = parse_connection_string(url).dialect
    name = f"ictray_bench_{secrets.token_hex(6)}"
    quoted = f'"{name}"' if dialect == POSTGRESQL else f"`{name}`"
    suffix = "" if dialect == POSTGRESQL else " CHARACTER SET utf8mb4"
    _execute(url, f"CREATE DATABASE {quoted}{suffix}")
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        _execute(url, f"DROP DATABASE IF EXISTS {quoted}")
