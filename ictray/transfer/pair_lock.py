"""One copy at a time per (site, destination) pair, across schedules and processes.

Two schedules may name the same pair (a daily and an hourly one, say); they share its ledger,
and this lock keeps them from copying it at the same moment. It is an OS file lock beside the
settings file (``filelock``), so it is released when the process ends in any way, even killed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from filelock import FileLock, Timeout


class PairLock:
    """Held while one transfer copies a site to a destination."""

    def __init__(self, settings_path: Path, site_id: int, destination_id: int) -> None:
        path = Path(settings_path)
        stem = f"{path.name}.pair-{site_id}-{destination_id}"
        self._lock = FileLock(str(path.with_name(f"{stem}.lock")))
        self._holder_path = path.with_name(f"{stem}.holder")

    def try_acquire(self, holder: str) -> bool:
        """Take the lock if it is free, noting ``holder`` (who copies) for whoever is refused."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        # The note only improves a message; the lock itself is what counts.
        with contextlib.suppress(OSError):
            self._holder_path.write_text(f"{holder} (process {os.getpid()})", encoding="utf-8")
        return True

    def holder(self) -> str:
        """Who holds the lock, as its holder described itself; '' when unknown."""
        try:
            return self._holder_path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def release(self) -> None:
        if self._lock.is_locked:
            self._holder_path.unlink(missing_ok=True)
            self._lock.release()
