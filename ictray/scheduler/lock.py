"""One scheduler per settings file: a lock file beside it, held while a scheduler runs.

The lock is an OS file lock (``filelock``), so it is released when the process ends in any way,
even killed; a stale lock file never blocks the next start.
"""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock, Timeout

from ictray.errors import IctrayError


class SchedulerBusyError(IctrayError):
    """Another scheduler (the tray app or ``ictray service``) already uses this settings file."""

    exit_code = 1


class SchedulerLock:
    def __init__(self, settings_path: Path) -> None:
        self.settings_path = Path(settings_path)
        self.path = self.settings_path.with_name(self.settings_path.name + ".scheduler.lock")
        self.owner_path = self.settings_path.with_name(self.settings_path.name + ".scheduler.pid")
        self._lock = FileLock(str(self.path))

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            owner = self._owner()
            raise SchedulerBusyError(
                f"another scheduler is already running on the settings file {self.settings_path}"
                f"{f' (process {owner})' if owner else ''}: the tray app or `ictray service`; "
                "stop it first, or use `ictray run-now` which works beside it"
            ) from None
        self.owner_path.write_text(str(os.getpid()))

    def release(self) -> None:
        if self._lock.is_locked:
            self.owner_path.unlink(missing_ok=True)
            self._lock.release()

    def _owner(self) -> str:
        try:
            return self.owner_path.read_text().strip()
        except OSError:
            return ""

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
