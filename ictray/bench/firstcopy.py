"""A quiet site's first copy and a run with nothing new, as a person runs them.

The simulator (its own process) holds ``sessions`` sessions spread over ``days`` days. Then,
``repeats`` times and in alternating order:

- ``ictray run-now`` copies them all into a new SQLite database: a real process started
  from the command line, with a settings file holding the simulator as a site, timed from its
  start to its exit (interpreter start-up, imports, the run, its bookkeeping);
- the bare reference (``barecopy.py``, a process too) asks for the same sessions in one request
  and stores them with iterparse and executemany.

The fastest of each counts. Then, with nothing new on the appliance, the copy is run again:
``ictray run-now`` beside the bare reference asking for the sessions since the last run (CPU of
each whole process), and a run of the schedule inside a process that imported what the service
imports (``ictray bench --worker``), whose CPU is read around the run alone, as the service
would spend it each time the schedule is due.
"""

from __future__ import annotations

import calendar
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ictray.bench import wiring
from ictray.bench.processes import (
    BenchError,
    SimulatorInfo,
    SimulatorProcess,
    Timed,
    ictray_command,
    installed_env,
    run_timed,
)
from ictray.datatypes import DataType
from ictray.transfer.engine import TransferOptions


@dataclass
class FirstCopyRun:
    """Seconds of every first copy (in the order they ran) and CPU seconds of the no-op runs."""

    sessions: int
    days: int
    repeats: int
    ictray_seconds: list[float]
    bare_seconds: list[float]
    #: sessions each side stored (the same in every run)
    ictray_sessions: int
    bare_sessions: int
    #: ``ictray run-now`` with nothing new: CPU of the whole process, and its wall seconds
    noop_process_cpu: float
    noop_process_seconds: float
    #: the bare reference asking for what is new: CPU of its whole process
    bare_noop_process_cpu: float
    #: the schedule's run inside a service process: the first run after it started, and the next
    noop_service_cpu: float
    noop_service_warm_cpu: float
    #: the bare reference's no-op inside its process (start-up and imports not counted)
    bare_noop_cpu: float

    @property
    def ictray_best(self) -> float:
        return min(self.ictray_seconds)

    @property
    def bare_best(self) -> float:
        return min(self.bare_seconds)


def measure(
    folder: Path, sessions: int, days: int, repeats: int, say: Callable[[str], None]
) -> FirstCopyRun:
    work = folder / "first-copy"
    work.mkdir()
    env = installed_env(folder)
    start_from = wiring.days_ago(days + 1 / 24)
    since = calendar.timegm(start_from.timetuple()) - TransferOptions().overlap
    copies: dict[str, list[float]] = {"ictray": [], "bare": []}
    stored: dict[str, int] = {}
    settings = work / "settings-0.db"
    with SimulatorProcess(work, sessions=sessions, days=days, recording_size=1024) as sim:
        # Not timed: the simulator's first answers, and the first start of each process
        # (the bytecode of what it imports is cached then, as an installed program has it).
        say("first copy: starting each process once")
        recent = int(time.time()) - 3 * 3600
        _bare(work, "warm-up", sim, recent, env)
        _run_now(work, settings, sim, wiring.days_ago(3 / 24), env, first=True)
        _service(work, settings, "service-warm-up", env)
        for turn in range(1, repeats + 1):
            of = f" ({turn} of {repeats})" if repeats > 1 else ""
            sides = ("bare", "ictray") if turn % 2 else ("ictray", "bare")
            for side in sides:
                if side == "bare":
                    say(f"first copy of {sessions:,} sessions over {days} days: bare reference{of}")
                    timed, count = _bare(work, f"copy-{turn}", sim, since, env)
                else:
                    say(f"first copy of {sessions:,} sessions over {days} days: ictray run-now{of}")
                    settings = work / f"settings-{turn}.db"
                    timed, count = _run_now(work, settings, sim, start_from, env, first=True)
                copies[side].append(timed.seconds)
                stored[side] = count
        noop: dict[str, list[Timed]] = {"ictray": [], "bare": []}
        service: list[dict[str, Any]] = []
        for turn in range(1, repeats + 1):
            of = f" ({turn} of {repeats})" if repeats > 1 else ""
            say(f"a run with nothing new: ictray run-now, the bare reference, the service{of}")
            noop["ictray"].append(_run_now(work, settings, sim, start_from, env, first=False)[0])
            noop["bare"].append(
                _bare(
                    work, f"noop-{turn}", sim, int(time.time()) - (TransferOptions().overlap), env
                )[0]
            )
            service.append(_service(work, settings, f"service-{turn}", env))
    quickest = min(noop["ictray"], key=lambda timed: timed.cpu)
    return FirstCopyRun(
        sessions,
        days,
        repeats,
        copies["ictray"],
        copies["bare"],
        stored["ictray"],
        stored["bare"],
        quickest.cpu,
        quickest.seconds,
        min(timed.cpu for timed in noop["bare"]),
        min(answer["first"] for answer in service),
        min(answer["warm"] for answer in service),
        min(_answer(timed)["cpu"] for timed in noop["bare"]),
    )


def _bare(
    work: Path, name: str, sim: SimulatorInfo, since: int, env: dict[str, str]
) -> tuple[Timed, int]:
    """One bare copy of the sessions since ``since`` into a new database; (timing, sessions)."""
    database = work / f"bare-{name}.db"
    spec = {
        "task": "bare-copy",
        "host": sim.host,
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "ca_bundle": sim.ca_bundle,
        "since": since,
        "database": str(database),
    }
    spec_path = work / f"bare-{name}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    timed = run_timed(
        own_process("ictray.bench.barecopy", spec_path),
        env,
        stderr=work / f"bare-{name}.stderr.txt",
    )
    if timed.returncode != 0:
        raise BenchError(f"the bare reference ({name}) failed (exit code {timed.returncode})")
    sessions = int(_answer(timed)["sessions"])
    database.unlink(missing_ok=True)
    return timed, sessions


def own_process(module: str, spec: Path) -> list[str]:
    """A process running ``module``'s ``main`` on ``spec``: this interpreter with only that
    module's imports, or the frozen program's benchmark worker (which imports more)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "bench", "--worker", str(spec)]
    return [sys.executable, "-m", module, str(spec)]


def _service(work: Path, settings: Path, name: str, env: dict[str, str]) -> dict[str, Any]:
    """CPU seconds of the schedule's first and next run inside a service process."""
    spec_path = work / f"{name}.json"
    spec_path.write_text(
        json.dumps({"task": "noop-service", "settings": str(settings)}), encoding="utf-8"
    )
    timed = run_timed(
        own_process("ictray.bench.servicerun", spec_path),
        env,
        stderr=work / f"{name}.stderr.txt",
    )
    if timed.returncode != 0:
        tail = (work / f"{name}.stderr.txt").read_text(errors="replace")[-600:]
        raise BenchError(f"the service's run with nothing new failed:\n{tail}")
    return _answer(timed)


def _answer(timed: Timed) -> dict[str, Any]:
    """The JSON line a measuring process printed last."""
    lines = timed.stdout.strip().splitlines()
    if not lines:
        raise BenchError("a benchmark process printed nothing")
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def _run_now(
    work: Path,
    settings: Path,
    sim: SimulatorInfo,
    start_from: Any,
    env: dict[str, str],
    *,
    first: bool,
) -> tuple[Timed, int]:
    """``ictray run-now`` on ``settings`` (written first for a first copy); (timing, sessions
    in its database)."""
    database = settings.with_suffix(".sessions.db")
    if first:
        wiring.write_settings(
            settings,
            sim,
            plugin="sql",
            options={"connection_string": f"sqlite:///{database.resolve()}"},
            data_types=(DataType.SESSION_DATA,),
            start_from=start_from,
        )
    errors = work / f"{settings.stem}-run-now.stderr.txt"
    timed = run_timed(
        [*ictray_command(), "--settings", str(settings), "run-now", "--quiet"],
        env,
        stderr=errors,
    )
    if timed.returncode != 0:
        raise BenchError(
            f"ictray run-now failed (exit code {timed.returncode}):\n{timed.stdout[-600:]}"
        )
    with sqlite3.connect(database) as connection:
        sessions = int(connection.execute("SELECT COUNT(*) FROM session").fetchone()[0])
    connection.close()
    return timed, sessions
