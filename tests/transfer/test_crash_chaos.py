"""``kill -9`` of ``ictray run-now`` at random points, in every configuration that names files
differently, loses nothing and stores nothing twice.

Each cell runs the real command line against the simulator and kills it at random moments
(the simulator's clock moves on between runs, so sessions close and new ones arrive, as on a
real site), then lets one run finish. What the destinations hold is then checked against the
simulator's own data, never against ictray's bookkeeping: every closed session, presentation
and recording exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.settings import destinations, open_settings, schedules, sites

from .expect import closed, expected_recordings, folder_contents

pytestmark = [
    pytest.mark.slow,
    pytest.mark.simulator(sessions=360, days=2, seed=23, recording_size=16384),
]

NAME_FORMATS = {
    "default names": "",
    "no %LSID%": "%EXTERNAL_KEY%.%EXTENSION%",
    "no %INSTANCE%": "%LSID%.%EXTENSION%",
}
KILLS = 5  # kills that landed while the run was still going, per cell
MAX_ATTEMPTS = 30
FILE_TYPES = [t for t in DataType if t is not DataType.SITE_BACKUPS]


def _run_now(settings: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ictray", "--settings", str(settings), "run-now", "chaos"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _sql_sessions(url: str) -> Counter[str]:
    """lsid -> how many rows of the session table hold it; and whether each is closed."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute("SELECT lsid, end_time FROM session").fetchall()
    else:
        import psycopg

        with psycopg.connect(url) as connection:
            rows = connection.execute("SELECT lsid, end_time FROM session").fetchall()
    return Counter(f"{lsid}:{'closed' if end is not None else 'open'}" for lsid, end in rows)


def _difference(found: Counter[str], wanted: Mapping[str, int]) -> str:
    """How ``found`` differs from ``wanted``, short enough to read."""
    wanted = Counter(wanted)
    twice = [key for key, count in found.items() if count > 1]
    extra = sorted(found.keys() - wanted.keys())
    missing = sorted(wanted.keys() - found.keys())
    return (
        f"{len(missing)} missing {missing[:3]}, {len(twice)} stored more than once {twice[:3]}, "
        f"{len(extra)} not on the appliance {extra[:3]}"
    )


@pytest.mark.parametrize("store", ["folder", "sqlite", "postgresql"])
@pytest.mark.parametrize("names", list(NAME_FORMATS))
def test_kill_9_at_random_points_loses_nothing_and_stores_nothing_twice(
    simulator, tmp_path: Path, names: str, store: str, server_database: Callable[[str], str]
) -> None:
    site = simulator.site
    folder = tmp_path / "archive"
    settings_path = tmp_path / "settings.db"
    sql_url = None
    if store == "sqlite":
        sql_url = f"sqlite:///{(tmp_path / 'sessions.db').as_posix()}"
    elif store == "postgresql":
        sql_url = server_database("postgresql")
    with open_settings(settings_path, create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        options = {"directory": str(folder)}
        if NAME_FORMATS[names]:
            options["name_format"] = NAME_FORMATS[names]
        destinations.add_destination(settings, name="files", plugin="filesystem", options=options)
        file_types = FILE_TYPES
        transfers = []
        if sql_url is not None:
            destinations.add_destination(
                settings, name="db", plugin="sql", options={"connection_string": sql_url}
            )
            transfers.append(schedules.parse_transfer("sim:db:session_data"))
            file_types = [t for t in FILE_TYPES if t is not DataType.SESSION_DATA]
        types = ",".join(t.value for t in file_types)
        transfers.append(schedules.parse_transfer(f"sim:files:{types}"))
        schedules.add_schedule(settings, name="chaos", every="15m", transfers=transfers)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        HOME=str(tmp_path / "home"),
        XDG_DATA_HOME=str(tmp_path / "home" / "data"),
        XDG_STATE_HOME=str(tmp_path / "home" / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
    )
    chance = random.Random(f"{names}/{store}")
    kills: list[float] = []
    latest = 4.0  # the latest moment a kill is drawn from: soon below the length of a run
    for _ in range(MAX_ATTEMPTS):
        if len(kills) >= KILLS:
            break
        run = _run_now(settings_path, env)
        started = time.monotonic()
        delay = chance.uniform(0.3, latest)
        while run.poll() is None and time.monotonic() - started < delay:
            time.sleep(0.02)
        if run.poll() is None:
            os.kill(run.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
            kills.append(round(delay, 2))
        else:  # it ended first: draw the next kill from within the length of a run
            latest = max(0.5, 0.9 * (time.monotonic() - started))
        run.communicate(timeout=120)
        # Hours to a day pass on the appliance: sessions close, new ones arrive to copy.
        site.advance(chance.randint(3 * 3600, 24 * 3600))
    assert len(kills) >= KILLS, f"runs ended before they could be killed: {kills}"

    final = _run_now(settings_path, env)
    _, errors = final.communicate(timeout=600)
    assert final.returncode == 0, errors.decode(errors="replace")[-3000:]

    where = f"{names}, {store}, killed after {kills} s"
    sessions, presentations, recordings = folder_contents(folder)
    if sql_url is None:
        wanted = closed(site)
        assert sessions == wanted, f"{where}: session files: {_difference(sessions, wanted)}"
    else:
        assert not sessions, f"{where}: session files in a folder that takes no session data"
        everything = {
            f"{s.lsid}:{'closed' if s.end_time is not None else 'open'}": 1
            for s in site.iter_sessions(start_from=0)
        }
        in_sql = _sql_sessions(sql_url)
        assert in_sql == Counter(everything), f"{where}: rows: {_difference(in_sql, everything)}"
    wanted_presentations = closed(site, presentations=True)
    assert presentations == wanted_presentations, (
        f"{where}: presentation files: {_difference(presentations, wanted_presentations)}"
    )
    wanted_recordings = expected_recordings(site)
    assert recordings == wanted_recordings, (
        f"{where}: recordings: {_difference(recordings, wanted_recordings)}"
    )
