"""The processes a benchmark runs: the simulator, the workers, and what is read of them.

Each measurement runs in a worker process (``ictray bench --worker SPEC``) so that its peak
memory is its own and the simulator, in yet another process, never competes for its GIL. The
command starting them is the one that started this program: ``python -m ictray``, or the
frozen executable itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from ictray.errors import IctrayError

#: seconds a worker may take before the benchmark gives up on it
WORKER_TIMEOUT = 3600
STARTUP_TIMEOUT = 60


class BenchError(IctrayError):
    """A benchmark step could not run; the message names the step and what it printed."""


def ictray_command() -> list[str]:
    """How to start ``ictray`` again: this interpreter with ``-m ictray``, or the frozen program."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "ictray"]


def peak_rss() -> int:
    """The most memory this process has held, in bytes (``ru_maxrss``, or Windows' peak set).

    Resident memory as the operating system counts it: the interpreter, the modules, SQLite's
    page cache and every buffer, not only Python objects.
    """
    if sys.platform == "win32":
        return int(psutil.Process().memory_info().peak_wset)
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds process ``pid`` has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def run_worker(spec: dict[str, Any], folder: Path, name: str) -> dict[str, Any]:
    """Run one measurement in a fresh process and return what it reports (one JSON object)."""
    spec_path = folder / f"{name}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    errors = folder / f"{name}.stderr.txt"
    with errors.open("wb") as stderr:
        try:
            done = subprocess.run(
                [*ictray_command(), "bench", "--worker", str(spec_path)],
                stdout=subprocess.PIPE,
                stderr=stderr,
                timeout=WORKER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BenchError(f"the {name} step took more than {WORKER_TIMEOUT} s") from None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BenchError(
            f"the {name} step failed (exit code {done.returncode}):\n{_tail(errors)}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@dataclass(frozen=True)
class SimulatorInfo:
    """Where a simulator listens and the API account to use (as ``ictray simulate`` prints)."""

    host: str
    client_id: str
    client_secret: str
    ca_bundle: str | None


class SimulatorProcess:
    """``ictray simulate`` in a process of its own, on a free loopback port, until ``stop()``."""

    def __init__(
        self, folder: Path, *, sessions: int, days: int, recording_size: int, seed: int = 1
    ) -> None:
        self.folder = folder
        self.arguments = [
            "simulate", "--json", "--port", "0", "--host", "127.0.0.1",
            "--sessions", str(sessions), "--days", str(days), "--seed", str(seed),
            "--recording-size", str(recording_size), "--ca-dir", str(folder / "simulator-ca"),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.info: SimulatorInfo | None = None

    def start(self) -> SimulatorInfo:
        errors = self.folder / "simulator.stderr.txt"
        with errors.open("wb") as stderr:
            self.process = subprocess.Popen(
                [*ictray_command(), *self.arguments], stdout=subprocess.PIPE, stderr=stderr
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise BenchError(f"the simulator did not start:\n{_tail(errors)}")
        self.info = SimulatorInfo(**json.loads(line))
        return self.info

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> SimulatorInfo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Ask a process to stop, and end it when it does not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
