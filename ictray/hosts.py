"""What a person types as a host: ``name[:port]``, checked and normalised once for everyone.

The site settings (with a notice when what was typed was changed), the SMTP settings and the
appliance client all take hosts through ``normalise_host``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ictray.errors import ValidationError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class HostCheck:
    """A normalised host and, when it was changed, a notice telling the user how."""

    host: str
    notice: str | None = None


def normalise_host(text: str, field: str = "host", *, https_only: bool = False) -> HostCheck:
    """Turn what a person typed into ``name[:port]``.

    ``https://support.example.com/`` becomes ``support.example.com`` with a notice (the guide:
    https:// must not be included); so does ``http://``, as ictray always uses HTTPS, unless
    ``https_only`` (an address given to the appliance client) refuses it. A path, spaces, or
    an invalid name are refused.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(
            field,
            "'' is not a host name: the site's host name is required, e.g. support.example.com",
        )
    value = raw
    scheme = re.match(r"^([a-z][a-z0-9+.-]*)://", value, re.I)
    if scheme:
        kind = scheme.group(1).lower()
        if kind not in ("https", "http"):
            raise ValidationError(field, f"{raw!r} is not a site address; enter its host name only")
        if kind == "http" and https_only:
            raise ValidationError(
                field,
                f"{raw!r}: the appliance is reached over HTTPS only; give its host name, e.g. "
                "support.example.com",
            )
        value = value[scheme.end() :]
    if value.endswith("/"):
        value = value.rstrip("/")
    if any(ch.isspace() for ch in value):
        raise ValidationError(field, f"{raw!r} contains spaces; enter the host name only")
    if "/" in value or "?" in value or "#" in value:
        path = value[min(i for i in (value.find(c) for c in "/?#") if i >= 0) :]
        raise ValidationError(
            field,
            f"{raw!r} is not a host name: it contains a path ({path}); enter only the site's "
            "host name, e.g. support.example.com",
        )
    if "@" in value:
        raise ValidationError(
            field, f"{raw!r} is not a host name: it contains '@'; enter the host name only"
        )
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
