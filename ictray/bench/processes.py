"""The processes a benchmark runs: the simulator, the workers, and what is read of them.

Each measurement runs in a worker process (``ictray bench --worker SPEC``) so that its peak
memory is its own and the simulator, in yet another process, never competes for its GIL. The
command starting them is the one that started this program: ``python -m ictray``, or the
frozen executable itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
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
        raise BenchError(f"the {name} step failed (exit code {done.returncode}):\n{_tail(errors)}")
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
            "simulate",
            "--json",
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--sessions",
            str(sessions),
            "--days",
            str(days),
            "--seed",
            str(seed),
            "--recording-size",
            str(recording_size),
            "--ca-dir",
            str(folder / "simulator-ca"),
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


@dataclass(frozen=True)
class Timed:
    """One process run to its end: wall seconds from start to exit, its CPU seconds (user and
    system, with what its own children used), its exit code and standard output."""

    seconds: float
    cpu: float
    returncode: int
    stdout: str


def run_timed(
    command: list[str], env: dict[str, str] | None = None, *, stderr: Path | None = None
) -> Timed:
    """Run ``command`` to its end and time it, as a person starting it would wait for it.

    The CPU is read from the operating system: on POSIX from the resources of reaped children
    (only one child is started at a time here), on Windows from the process just before it
    ends, as closely as polling allows.
    """
    errors = stderr.open("wb") if stderr is not None else None
    try:
        if sys.platform == "win32":
            return _run_polled(command, env, errors)
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=errors or subprocess.DEVNULL,
            env=env,
            timeout=WORKER_TIMEOUT,
            check=False,
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Timed(seconds, cpu, done.returncode, done.stdout.decode("utf-8", "replace"))
    finally:
        if errors is not None:
            errors.close()


def _run_polled(command: list[str], env: dict[str, str] | None, errors: Any) -> Timed:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors or subprocess.DEVNULL, env=env
    )
    watched = psutil.Process(process.pid)
    cpu = 0.0
    output: list[bytes] = []
    reader = threading.Thread(
        target=lambda: output.append(process.stdout.read() if process.stdout else b""),
        daemon=True,
    )
    reader.start()
    while process.poll() is None:
        try:
            times = watched.cpu_times()
            cpu = float(times.user + times.system)
        except psutil.Error:
            break
        time.sleep(0.005)
    process.wait()
    seconds = time.perf_counter() - started
    reader.join()
    return Timed(seconds, cpu, process.returncode, b"".join(output).decode("utf-8", "replace"))


def installed_env(folder: Path) -> dict[str, str]:
    """The environment to start ``ictray`` and its references in as an installed program runs.

    An installed program starts from compiled bytecode (pip writes it at install, a frozen
    program carries it); a source tree run with ``PYTHONDONTWRITEBYTECODE`` (as some
    development and CI setups set) would compile every module at every start instead, and
    every start-up figure would measure the compiler. Bytecode is cached in ``folder`` (through
    ``PYTHONPYCACHEPREFIX``, so nothing is written beside the sources): ictray's own modules
    are compiled at once; what else the processes import is compiled by the first run of
    each, which the caller does not time. Credential stores are left alone.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if getattr(sys, "frozen", False):
        return env
    cache = folder / "bytecode"
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if not cache.is_dir():
        package = Path(__file__).resolve().parent.parent
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(package)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=STARTUP_TIMEOUT * 5,
            check=False,
        )
    return env
