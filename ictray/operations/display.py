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
