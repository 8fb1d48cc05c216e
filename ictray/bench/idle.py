"""Idle cost: CPU seconds that ictray uses while it waits for the next schedule.

Three processes idle side by side over the same window, on a settings file whose only schedule
is a day away: ``ictray service`` (the scheduler without a screen), the desktop app (tray icon,
Tk and the same scheduler) when it can start here, and, as the reference, an ictray process
that has imported the same modules and only sleeps. Each one's user + system CPU time is read
from the operating system at the start and the end of the window; their own start-up is not
counted. On Linux without a display, the desktop app gets a virtual one (Xvfb) with a tray
host (trayer); the X server's own CPU is not counted.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ictray.bench import wiring
from ictray.bench.processes import (
    BenchError,
    SimulatorInfo,
    cpu_seconds,
    ictray_command,
    stop_process,
)
from ictray.datatypes import DataType

READY_TIMEOUT = 60
#: seconds each process is given after it said it is ready, before the window opens
SETTLE_SECONDS = 3.0
READY = "ready to idle"
#: an address nothing answers on: the idle schedule is never due, so it is never asked
UNUSED_SITE = SimulatorInfo("127.0.0.1:9", "ictray-bench", "never-sent-to-any-appliance", None)


@dataclass
class IdleRun:
    """CPU seconds each process used over ``seconds`` of idling (None: not measured)."""

    seconds: float
    service: float
    reference: float
    desktop: float | None = None
    notes: list[str] = field(default_factory=list)


def sleep_task(spec: dict[str, Any]) -> dict[str, Any]:
    """The reference: an ictray process with the benchmark's modules imported, only sleeping."""
    print(READY, flush=True)
    time.sleep(spec["seconds"])
    return {}


def measure(folder: Path, seconds: float, desktop: bool, say: Callable[[str], None]) -> IdleRun:
    """Idle the service, the desktop app (if wanted and possible) and the reference together."""
    work = folder / "idle"
    work.mkdir()
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    service_settings = _settings(work / "service")
    desktop_settings = _settings(work / "desktop")
    spec = work / "sleep.json"
    spec.write_text(f'{{"task": "idle", "seconds": {seconds + 2 * READY_TIMEOUT}}}')
    notes: list[str] = []
    with (
        _started(
            [*ictray_command(), "--settings", str(service_settings), "service", "--quiet"],
            env,
            "scheduler running",
            "ictray service",
            work / "service.stderr.txt",
        ) as service,
        _started(
            [*ictray_command(), "bench", "--worker", str(spec)],
            env,
            READY,
            "the sleeping reference",
            work / "sleep.stderr.txt",
        ) as sleeper,
        _desktop(desktop, desktop_settings, env, work, notes) as app,
    ):
        say(f"idling for {seconds:g} s")
        time.sleep(SETTLE_SECONDS)
        watched = {"ictray service": service, "the sleeping reference": sleeper}
        if app is not None:
            watched["the desktop app"] = app
        before = {name: cpu_seconds(process.pid) for name, process in watched.items()}
        time.sleep(seconds)
        for name, process in watched.items():
            if process.poll() is not None:
                raise BenchError(f"{name} stopped while idling")
        used = {name: cpu_seconds(p.pid) - before[name] for name, p in watched.items()}
    return IdleRun(
        seconds,
        used["ictray service"],
        used["the sleeping reference"],
        used.get("the desktop app"),
        notes,
    )


def _settings(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "settings.db"
    wiring.write_settings(
        path,
        UNUSED_SITE,
        plugin="filesystem",
        options={"directory": str(folder / "files")},
        data_types=(DataType.SESSION_DATA,),
        start_from=None,
    )
    return path


@contextmanager
def _started(
    command: list[str], env: dict[str, str], ready: str, what: str, errors: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A process that prints ``ready`` once it has started; stopped on leaving."""
    with errors.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env)
    try:
        _wait_for_line(process, ready, what, errors)
        yield process
    finally:
        stop_process(process)


def _wait_for_line(process: subprocess.Popen[bytes], text: str, what: str, errors: Path) -> None:
    """Read the output until a line holding ``text``; it is then read on, unheeded."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    threading.Thread(target=pump, name="bench-output", daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            tail = errors.read_text(errors="replace").strip()[-600:]
            raise BenchError(f"{what} stopped before it was ready:\n{tail}")
        if text in line:
            return
    raise BenchError(f"{what} did not start within {READY_TIMEOUT} s")


@contextmanager
def _desktop(
    wanted: bool, settings: Path, env: dict[str, str], work: Path, notes: list[str]
) -> Iterator[subprocess.Popen[bytes] | None]:
    """The desktop app on this display, or on a virtual one; None when it cannot run here."""
    if not wanted:
        yield None
        return
    if find_spec("ictray.tray") is None:
        notes.append("desktop app: not measured (this build has no desktop app)")
        yield None
        return
    with _display(env, notes) as display_env:
        if display_env is None:
            yield None
            return
        errors = work / "desktop.stderr.txt"
        with errors.open("wb") as stderr:
            app = subprocess.Popen(
                [*ictray_command(), "--settings", str(settings)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=display_env,
            )
        try:
            time.sleep(SETTLE_SECONDS)  # the app prints nothing when it is up
            if app.poll() is not None:
                tail = errors.read_text(errors="replace").strip()[-300:]
                notes.append(f"desktop app: not measured (it stopped at once: {tail})")
                yield None
            else:
                yield app
        finally:
            stop_process(app)


@contextmanager
def _display(env: dict[str, str], notes: list[str]) -> Iterator[dict[str, str] | None]:
    """The environment for a desktop app: this display, or Xvfb with trayer on Linux."""
    if not sys.platform.startswith("linux") or env.get("DISPLAY"):
        yield env
        return
    missing = [tool for tool in ("Xvfb", "trayer") if shutil.which(tool) is None]
    if missing:
        notes.append(
            f"desktop app: not measured (no display, and {' and '.join(missing)} not installed; "
            "apt-get install xvfb trayer)"
        )
        yield None
        return
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    tray: subprocess.Popen[bytes] | None = None
    try:
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        if not number.isdigit():
            notes.append("desktop app: not measured (Xvfb did not start)")
            yield None
            return
        display_env = {**env, "DISPLAY": f":{number}", "PYSTRAY_BACKEND": "xorg"}
        tray = subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--SetDockType", "true"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=display_env,
        )
        time.sleep(1.0)  # trayer takes the tray selection
        notes.append(f"desktop app: on a virtual display (Xvfb :{number}, trayer)")
        yield display_env
    finally:
        for process in (tray, xvfb):
            if process is not None:
                stop_process(process)
