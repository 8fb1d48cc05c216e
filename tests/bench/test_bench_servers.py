"""The first copy into database servers against SQLite's: measured for real when the test
servers are given (``ICTRAY_TEST_POSTGRES``, ``ICTRAY_TEST_MYSQL``), its figures, its options.

Nothing here asserts a speed: the run must work, copy the same sessions everywhere, say what
each figure is measured against, and leave no database behind on the servers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ictray.bench import servers
from ictray.bench.ingest import Measured
from ictray.bench.report import SERVER_TARGET, server_figures, server_notes
from ictray.bench.servers import ServerRun, _execute
from ictray.destinations.sql.connstr import MYSQL, POSTGRESQL

SERVER_VARIABLES = {POSTGRESQL: "ICTRAY_TEST_POSTGRES", MYSQL: "ICTRAY_TEST_MYSQL"}


def _measured(seconds: float) -> Measured:
    return Measured(5000, None, seconds, 90_000_000)


def test_each_server_is_a_figure_against_sqlite_with_the_target() -> None:
    run = ServerRun(
        5000,
        3,
        _measured(8.0),
        {"PostgreSQL": _measured(11.0), "MariaDB": _measured(13.0)},
        {"PostgreSQL": "PostgreSQL 15.2", "MariaDB": "MariaDB 10.11.6"},
        {
            "SQLite": [8.5, 8.0, 9.0],
            "PostgreSQL": [11.0, 12.0, 11.5],
            "MariaDB": [13.0, 14.0, 13.5],
        },
    )
    postgres, mariadb = server_figures(run)
    assert postgres.name == "first copy into PostgreSQL vs SQLite (5,000 sessions, fastest of 3)"
    assert (postgres.value, postgres.reference, postgres.unit) == (11.0, 8.0, "s")
    assert postgres.met is True and postgres.ratio == pytest.approx(11 / 8)
    assert mariadb.met is False  # 13 s is more than 1.5 x 8 s
    assert postgres.target == f"<= {SERVER_TARGET}x"
    assert "PostgreSQL 15.2" in postgres.note and "MariaDB 10.11.6" in mariadb.note
    (note,) = server_notes(run)
    assert note == (
        "first copy seconds over runs: SQLite 8.5, 8.0, 9.0, PostgreSQL 11.0, "
        "12.0, 11.5, MariaDB 13.0, 14.0, 13.5"
    )


def test_server_urls_are_checked_and_their_passwords_never_shown() -> None:
    assert servers.check_url("postgres", "postgresql://u@h/db") == "postgresql://u@h/db"
    with pytest.raises(ValueError, match="--mysql takes a mysql:// URL"):
        servers.check_url("mysql", "postgresql://u:secret@h/db")
    shown = servers.redacted("postgresql://u:secret@h:5432/db", None)
    assert shown == {"postgres": "postgresql://u:***@h:5432/db", "mysql": None}
    assert servers.chosen(None, "mysql://r@h/db") == {MYSQL: "mysql://r@h/db"}


def test_the_command_line_refuses_a_url_of_the_wrong_kind(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICTRAY_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ictray",
            "bench",
            "--small",
            "--mysql",
            "postgresql://u:secret@127.0.0.1/db",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 2
    assert "--mysql takes a mysql:// URL" in done.stderr and "secret" not in done.stderr


def _bench_databases(url: str) -> list[str]:
    if url.startswith("postgresql"):
        rows = _execute(url, "SELECT datname FROM pg_database WHERE datname LIKE 'ictray_bench_%'")
    else:
        rows = _execute(url, "SHOW DATABASES LIKE 'ictray\\_bench\\_%'")
    return [str(row[0]) for row in rows]


def test_the_same_sessions_go_into_each_server_and_no_database_is_left(tmp_path: Path) -> None:
    chosen = {
        dialect: os.environ[variable]
        for dialect, variable in SERVER_VARIABLES.items()
        if os.environ.get(variable)
    }
    if not chosen:
        pytest.skip("neither ICTRAY_TEST_POSTGRES nor ICTRAY_TEST_MYSQL is set")
    before = {dialect: _bench_databases(url) for dialect, url in chosen.items()}
    said: list[str] = []
    run = servers.measure(tmp_path, 120, chosen, said.append, repeats=2)
    assert run.sqlite.sessions > 100
    assert len(run.servers) == len(chosen)
    for measured in run.servers.values():
        assert measured.sessions == run.sqlite.sessions and measured.seconds > 0
    assert all(len(seconds) == 2 for seconds in run.seconds.values())
    assert [line.split(" into ")[1] for line in said[: 1 + len(chosen)]] == [
        "SQLite (1 of 2)",
        *(f"{name} (1 of 2)" for name in run.servers),
    ]
    names = [figure.name for figure in server_figures(run)]
    assert names == [
        f"first copy into {name} vs SQLite (120 sessions, fastest of 2)" for name in run.servers
    ]
    assert {dialect: _bench_databases(url) for dialect, url in chosen.items()} == before
