"""One scheduler per settings file: a lock file beside it, held while a scheduler runs.

The lock is an OS file lock (``filelock``), so it is released when the process ends in any way,
even killed; a stale lock file never blocks the next start. Beside it, the holder writes who it
is (its process id and kind: the tray app, ``ictray service`` or the Windows service), so the
others can say who runs the schedules. The lock stays the one truth; that note only names it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

from ictray.errors import IctrayError

# Who holds the lock
TRAY = "tray"
FOREGROUND = "foreground"
WINDOWS_SERVICE = "windows-service"
HOLDER_NAMES = {
    TRAY: "the tray app",
    FOREGROUND: "`ictray service`",
    WINDOWS_SERVICE: "the ictray Windows service",
}


@dataclass(frozen=True)
class LockHolder:
    """The process that runs the schedules of a settings file, and what kind of program it is."""

    pid: int
    kind: str = ""

    @property
    def name(self) -> str:
        return HOLDER_NAMES.get(self.kind, "the tray app or `ictray service`")


class SchedulerBusyError(IctrayError):
    """Another scheduler (the tray app or ``ictray service``) already uses this settings file."""

    exit_code = 1

    def __init__(self, message: str, holder: LockHolder | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class SchedulerLock:
    def __init__(self, settings_path: Path, kind: str = "") -> None:
        self.settings_path = Path(settings_path)
        self.kind = kind
        self.path = self.settings_path.with_name(self.settings_path.name + ".scheduler.lock")
        self.owner_path = self.settings_path.with_name(self.settings_path.name + ".scheduler.pid")
        self._lock = FileLock(str(self.path))

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            holder = self.holder()
            process = f" (process {holder.pid})" if holder else ""
            raise SchedulerBusyError(
                f"another scheduler is already running on the settings file {self.settings_path}"
                f"{process}: {holder.name if holder else LockHolder(0).name}; "
                "stop it first, or use `ictray run-now` which works beside it",
                holder,
            ) from None
        self.owner_path.write_text(f"{os.getpid()} {self.kind}".rstrip())

    def release(self) -> None:
        if self._lock.is_locked:
            self.owner_path.unlink(missing_ok=True)
            self._lock.release()

    def holder(self) -> LockHolder | None:
        """Who holds the lock now, from its note; None when nobody (or a process long gone)."""
        if self._lock.is_locked:
            return LockHolder(os.getpid(), self.kind)
        try:
            pid_text, _, kind = self.owner_path.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            return None
        return LockHolder(pid, kind.strip()) if psutil.pid_exists(pid) else None

    def __enter__(self) -> SchedulerLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


class ScheduleLock:
    """Held while one schedule runs, so no process starts it twice at once."""

    def __init__(self, settings_path: Path, schedule_id: int) -> None:
        path = Path(settings_path)
        self._lock = FileLock(str(path.with_name(f"{path.name}.schedule-{schedule_id}.lock")))

    def try_acquire(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()
