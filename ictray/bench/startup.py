"""How long a command takes to start: ``ictray --help`` beside ``python -c "import requests"``.

Every ``ictray`` command pays its start-up (the interpreter, then the modules it imports)
before it does anything; ``--help`` does nothing else. The reference is the same interpreter
importing ``requests`` alone, the least an HTTPS client of the appliance needs. Both run
``runs`` times, interleaved, and the fastest of each counts. A frozen program has no separate
interpreter to compare with: then nothing is measured.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ictray.bench.processes import BenchError, ictray_command, installed_env, run_timed

REFERENCE = "import requests"


@dataclass
class StartupRun:
    """Wall seconds of each start, in the order they ran."""

    runs: int
    help_seconds: list[float]
    reference_seconds: list[float]


def measure(folder: Path, runs: int, say: Callable[[str], None]) -> StartupRun | None:
    if getattr(sys, "frozen", False):
        return None
    work = folder / "startup"
    work.mkdir()
    env = installed_env(folder)
    say(f"start-up: ictray --help and python -c {REFERENCE!r}, {runs} times each")
    commands = {
        "help": [*ictray_command(), "--help"],
        "reference": [sys.executable, "-c", REFERENCE],
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # not timed: caches the bytecode of what it imports
        run_timed(command, env)
    for turn in range(runs):
        order = list(commands) if turn % 2 == 0 else list(reversed(commands))
        for name in order:
            timed = run_timed(commands[name], env, stderr=work / f"{name}.stderr.txt")
            if timed.returncode != 0:
                raise BenchError(f"{' '.join(commands[name][-2:])} failed")
            seconds[name].append(timed.seconds)
    return StartupRun(runs, seconds["help"], seconds["reference"])
