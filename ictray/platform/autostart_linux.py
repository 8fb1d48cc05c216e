"""Start with the session on Linux: an XDG autostart entry, ``ictray.desktop``.

Desktop environments that follow the XDG Autostart specification (GNOME, KDE Plasma, Xfce,
Cinnamon, MATE, LXQt...) start every ``*.desktop`` file in ``$XDG_CONFIG_HOME/autostart`` when
the user logs in. An entry with ``Hidden=true``, or GNOME's ``X-GNOME-Autostart-enabled=false``,
is switched off: the user may have done that in the desktop's own settings.

The ``Exec`` line follows the Desktop Entry Specification: an argument holding a space or
another reserved character goes in double quotes, with a backslash before each double quote,
backtick, dollar sign and backslash in it; ``%`` is doubled (it starts field codes); then the
whole value is escaped as every string value is (a backslash doubled again, a newline as
``\\n``). A path with a backslash thus carries four of them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

FILE_NAME = "ictray.desktop"
ICON = "idle.png"  # of resources/icons: the tray's own "idle" image

#: Characters that make an Exec argument need quotes (Desktop Entry Specification, "The Exec key").
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
#: Inside double quotes these keep a backslash before them.
_ESCAPED_IN_QUOTES = frozenset('"`$\\')
#: Escapes of every string value, applied to the Exec line as a whole.
_VALUE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def autostart_folder() -> Path:
    """``$XDG_CONFIG_HOME/autostart``, or ``~/.config/autostart`` (a relative value is ignored)."""
    configured = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(configured) if configured and Path(configured).is_absolute() else None
    return (base or Path.home() / ".config") / "autostart"


def entry_path() -> Path:
    return autostart_folder() / FILE_NAME


def location() -> str:
    """Where the entry is (or would be), for listings and messages."""
    return str(entry_path())


def is_enabled() -> bool:
    """True when the entry exists and the desktop would start it."""
    try:
        text = entry_path().read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return False
    values = _entry_values(text)
    return (
        values.get("Hidden", "false") != "true"
        and values.get("X-GNOME-Autostart-enabled", "true") != "false"
    )


def write_entry(command: Sequence[str]) -> None:
    """Write the entry starting ``command``; replaces an existing one (also a switched-off one)."""
    path = entry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{FILE_NAME}.tmp")  # not *.desktop: never read half-written
    temporary.write_text(desktop_entry(command), encoding="utf-8")
    os.replace(temporary, path)


def remove_entry() -> None:
    entry_path().unlink(missing_ok=True)


def desktop_entry(command: Sequence[str]) -> str:
    """The text of ``ictray.desktop`` for ``command`` (the program first, with its full path)."""
    if not command:
        raise ValueError("the autostart command is empty")
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",
        "Name=ictray",
        "GenericName=Integration Client",
        "Comment=Copies session logs, recordings and backups from a BeyondTrust Remote Support "
        "appliance",
        f"Exec={exec_value(command)}",
    ]
    if Path(command[0]).is_absolute():
        lines.append(f"TryExec={_escape_value(command[0])}")  # gone: the desktop skips it
    icon = resources.files("ictray.resources") / "icons" / ICON
    if isinstance(icon, Path) and icon.is_file():
        lines.append(f"Icon={_escape_value(str(icon))}")
    lines += ["Terminal=false", "X-GNOME-Autostart-enabled=true"]
    return "\n".join(lines) + "\n"


def exec_value(command: Sequence[str]) -> str:
    """The ``Exec`` value that runs ``command`` exactly, however its paths are spelled."""
    return _escape_value(" ".join(_quote_argument(argument) for argument in command))


def _quote_argument(argument: str) -> str:
    text = argument.replace("%", "%%")
    if text and not any(character in _RESERVED for character in text):
        return text
    escaped = "".join(f"\\{c}" if c in _ESCAPED_IN_QUOTES else c for c in text)
    return f'"{escaped}"'


def _escape_value(text: str) -> str:
    return "".join(_VALUE_ESCAPES.get(character, character) for character in text)


def _entry_values(text: str) -> dict[str, str]:
    """The keys of the ``[Desktop Entry]`` group (values as written, not unescaped)."""
    values: dict[str, str] = {}
    in_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_group = line == "[Desktop Entry]"
        elif in_group and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
