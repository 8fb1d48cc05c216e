"""Rules for what a person types into settings: names, hosts, periods, times of day, e-mail.

Each function returns the normalised value or raises ``ValidationError`` naming the field and
saying how to fix it. The CLI and the dialogs call the same functions.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from ictray.errors import ValidationError

MAX_NAME = 100
MIN_PERIOD_MINUTES = 1
MAX_PERIOD_MINUTES = 7 * 24 * 60
MINUTES_PER_DAY = 24 * 60

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PERIOD_PART = re.compile(r"(\d+)\s*(minutes?|mins?|hours?|days?|weeks?|[mhdw])", re.I)
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


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


@dataclass(frozen=True)
class HostCheck:
    """A normalised host and, when it was changed, a notice telling the user how."""

    host: str
    notice: str | None = None


def normalise_host(text: str, field: str = "host") -> HostCheck:
    """Turn what a person typed into ``name[:port]``.

    ``https://support.example.com/`` becomes ``support.example.com`` with a notice (the guide:
    https:// must not be included). A path, spaces, or an invalid name are refused.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(field, "the site's host name is required, e.g. support.example.com")
    value = raw
    scheme = re.match(r"^([a-z][a-z0-9+.-]*)://", value, re.I)
    if scheme:
        if scheme.group(1).lower() not in ("https", "http"):
            raise ValidationError(field, f"{raw!r} is not a site address; enter its host name only")
        value = value[scheme.end() :]
    if value.endswith("/"):
        value = value.rstrip("/")
    if any(ch.isspace() for ch in value):
        raise ValidationError(field, f"{raw!r} contains spaces; enter the host name only")
    if "/" in value or "?" in value or "#" in value:
        path = value[min(i for i in (value.find(c) for c in "/?#") if i >= 0) :]
        raise ValidationError(
            field,
            f"{raw!r} contains a path ({path}); enter only the site's host name, "
            "e.g. support.example.com",
        )
    if "@" in value:
        raise ValidationError(field, f"{raw!r} contains '@'; enter the host name only")
    host, port = _split_port(value, raw, field)
    host = _check_host_name(host, raw, field)
    normal = f"{host}:{port}" if port is not None else host
    notice = None
    if normal != raw:
        notice = (
            f"host {raw!r} saved as {normal!r} (https:// and the trailing / are not part of it)"
        )
    return HostCheck(normal, notice)


def _split_port(value: str, raw: str, field: str) -> tuple[str, int | None]:
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValidationError(field, f"{raw!r} has an unclosed '[' IPv6 address")
        host, rest = value[: end + 1], value[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ValidationError(field, f"{raw!r} has text after the IPv6 address")
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        host, port_text = value, None
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValidationError(field, f"{raw!r} has an invalid port {port_text!r} (1 to 65535)")
    return host, None if int(port_text) == 443 else int(port_text)


def _check_host_name(host: str, raw: str, field: str) -> str:
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValidationError(field, f"{raw!r} is not a valid IPv6 address") from None
        return host.lower()
    name = host.lower().rstrip(".")
    try:
        ipaddress.IPv4Address(name)
        return name
    except ValueError:
        pass
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(field, f"{raw!r} is not a valid host name") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(
            field,
            f"{raw!r} is not a valid host name (letters, digits, '-' and '.' only, "
            "e.g. support.example.com)",
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
