"""Rules for what a person types into settings: names, hosts, periods, times of day, e-mail.

Each function returns the normalised value or raises ``ValidationError`` naming the field and
saying how to fix it. The CLI and the dialogs call the same functions.
"""

from __future__ import annotations

import re
from datetime import datetime

from ictray.errors import ValidationError
from ictray.hosts import HostCheck, normalise_host

__all__ = ["HostCheck", "normalise_host"]  # what people type as a host is checked there

MAX_NAME = 100
MIN_PERIOD_MINUTES = 1
MAX_PERIOD_MINUTES = 7 * 24 * 60
MINUTES_PER_DAY = 24 * 60

_PERIOD_PART = re.compile(r"(\d+)\s*(minutes?|mins?|hours?|days?|weeks?|[mhdw])", re.I)
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")

#: How the SMTP connection is secured: not at all, upgraded with STARTTLS, or TLS from the start.
SECURITY_MODES = ("none", "starttls", "ssl")


def check_name(field: str, text: str) -> str:
    """A display name for a site, destination or schedule."""
    name = (text or "").strip()
    if not name:
        raise ValidationError(field, "a name is required")
    if len(name) > MAX_NAME:
        raise ValidationError(field, f"the name is longer than {MAX_NAME} characters")
    if any(ord(ch) < 32 for ch in name):
        raise ValidationError(field, "the name contains control characters")
    if ":" in name:
        raise ValidationError(
            field, "the name cannot contain ':' (it separates the names in a transfer)"
        )
    return name


def parse_period(text: str, field: str = "every") -> int:
    """``15m``, ``2h``, ``1d``, ``1h30m`` or plain minutes → minutes, from 1 minute to 7 days."""
    minutes = parse_duration(text, field, minimum=0)
    if not MIN_PERIOD_MINUTES <= minutes <= MAX_PERIOD_MINUTES:
        raise ValidationError(
            field, f"{text.strip()!r} is outside the allowed range: from 1 minute to 7 days"
        )
    return minutes


def parse_duration(text: str, field: str, minimum: int = 1) -> int:
    """``15m``, ``2h``, ``30d``, ``1h30m`` or plain minutes → minutes (at least ``minimum``)."""
    raw = (text or "").strip()
    if raw.isdigit():
        minutes = int(raw)
    else:
        compact = raw.replace(" ", "")
        parts = _PERIOD_PART.findall(compact)
        if not parts or "".join(n + u for n, u in parts).lower() != compact.lower():
            raise ValidationError(
                field, f"{raw!r} is not a period; use e.g. 15m, 2h, 1d or 7d (1 minute to 7 days)"
            )
        factor = {"m": 1, "h": 60, "d": MINUTES_PER_DAY, "w": 7 * MINUTES_PER_DAY}
        minutes = sum(int(n) * factor[u[0].lower()] for n, u in parts)
    if minutes < minimum:
        raise ValidationError(field, f"{raw!r} is shorter than {minimum} minute(s)")
    return minutes


def format_period(minutes: int) -> str:
    """Minutes as a person reads them: ``15m``, ``2h``, ``1d``, ``1h30m``."""
    if minutes % MINUTES_PER_DAY == 0:
        return f"{minutes // MINUTES_PER_DAY}d"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}h{rest}m"
    return f"{hours}h" if hours else f"{rest}m"


def parse_time_of_day(text: str, every_minutes: int, field: str = "at") -> str | None:
    """``HH:MM`` for periods of whole days; refused for shorter or partial-day periods."""
    raw = (text or "").strip()
    if not raw:
        return None
    if every_minutes % MINUTES_PER_DAY != 0:
        raise ValidationError(
            field, "a time of day applies only to periods of whole days (e.g. every 1 day)"
        )
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValidationError(field, f"{raw!r} is not a time of day; use HH:MM, e.g. 02:30")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def check_port(text: str | int, field: str = "port") -> int:
    value = str(text).strip()
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ValidationError(field, f"{value!r} is not a port number (1 to 65535)")
    return int(value)


def check_email(text: str, field: str) -> str:
    address = (text or "").strip()
    if not _EMAIL.match(address):
        raise ValidationError(field, f"{address!r} is not an e-mail address")
    return address


def check_days(text: str | int | None, field: str) -> int | None:
    """A number of days (1 or more), or None for 'never' when empty."""
    value = "" if text is None else str(text).strip()
    if value == "" or value.lower() in ("never", "none", "off"):
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValidationError(field, f"{value!r} is not a number of days (1 or more, or empty)")
    return int(value)


def check_count(text: str | int, field: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    value = str(text).strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise ValidationError(field, f"{value!r} is not a whole number from {low} to {high}")
    return int(value)


#: How long an appliance keeps sessions and recordings unless its site says otherwise.
DEFAULT_RETENTION_DAYS = 90


def check_retention_days(text: str | int | None, field: str = "retention days") -> int:
    """How many days the appliance keeps sessions: 1 to 3650 (empty: the default, 90)."""
    value = "" if text is None else str(text).strip()
    if value == "":
        return DEFAULT_RETENTION_DAYS
    if not value.isdigit() or not 1 <= int(value) <= 3650:
        raise ValidationError(
            field,
            f"{value!r} is not a number of days the appliance keeps sessions (1 to 3650; "
            f"{DEFAULT_RETENTION_DAYS} is what an appliance keeps at most by default)",
        )
    return int(value)


def parse_local_time(text: str, field: str) -> int:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` (this computer's local time) → UNIX seconds."""
    value = (text or "").strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            field, f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DD HH:MM"
        ) from None
    return int(moment.astimezone().timestamp())
