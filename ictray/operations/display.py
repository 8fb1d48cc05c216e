"""Times as people read them: local time, to the minute, with the zone."""

from __future__ import annotations

from datetime import datetime, timezone


def local_minute(value: datetime | int | None, *, never: str = "never") -> str:
    """A stored time (naive UTC, or UNIX seconds) as ``2026-11-30 21:41 CET``."""
    if value is None:
        return never
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value, timezone.utc)
    else:
        moment = value.replace(tzinfo=timezone.utc)
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"


def period(every_minutes: int, at_time: str | None = None) -> str:
    """A schedule's Run Every as words: ``every 15 minutes``, ``every day at 02:30``."""
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if every_minutes % size == 0:
            count = every_minutes // size
            text = f"every {unit}" if count == 1 else f"every {count} {unit}s"
            return text + (f" at {at_time}" if at_time else "")
    raise ValueError(f"{every_minutes} is not a number of minutes")
