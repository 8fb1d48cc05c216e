"""What one benchmark run measures, and how big: the options of ``ictray bench``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ictray.errors import ValidationError
from ictray.transfer.options import TransferOptions


@dataclass(frozen=True)
class UserDestination:
    """A destination configured in a person's settings file, to measure instead of SQLite."""

    settings: str
    name: str


@dataclass(frozen=True)
class BenchOptions:
    """Sizes of one run; the defaults are the full benchmark (several minutes)."""

    sessions: int = 50_000
    small_sessions: int = 5_000
    #: runs of each rate measurement at the small size, interleaved; the fastest counts
    repeats: int = 3
    recordings: int = 200
    recording_size: int = 1024 * 1024
    concurrency: int = TransferOptions.concurrency
    idle_seconds: float = 60.0
    #: a quiet site's first copy, run as ``ictray run-now``: sessions, over this many days
    first_copy_sessions: int = 5_000
    first_copy_days: int = 60
    #: starts of ``ictray --help`` (and of the reference); the fastest counts
    startup_runs: int = 5
    desktop: bool = True
    destination: UserDestination | None = None
    keep: Path | None = None
    #: servers to compare the first copy into with SQLite's (URLs of a login that may create
    #: databases); None: that figure is skipped
    postgres: str | None = None
    mysql: str | None = None

    def check(self) -> None:
        if not 0 < self.small_sessions < self.sessions:
            raise ValidationError(
                "sessions", "give more sessions than small sessions, both above 0"
            )
        if self.repeats < 1:
            raise ValidationError("repeats", "measure each rate at least once")
        if self.recordings < 1 or self.recording_size < 1024 or self.concurrency < 1:
            raise ValidationError(
                "recordings", "give at least 1 recording of 1024 bytes or more, 1 at a time"
            )
        if self.idle_seconds < 1:
            raise ValidationError("idle seconds", "idle for at least 1 second")
        if self.first_copy_sessions < 1 or self.first_copy_days < 1:
            raise ValidationError(
                "first copy", "give at least 1 session over at least 1 day for the first copy"
            )
        if self.startup_runs < 1:
            raise ValidationError("start-up runs", "start ictray at least once")


#: ``--small``: every figure, at sizes CI can afford (well under a minute)
SMALL = BenchOptions(
    sessions=2_000,
    small_sessions=500,
    recordings=12,
    recording_size=64 * 1024,
    idle_seconds=3.0,
    first_copy_sessions=500,
)
