"""Start the desktop app with the user's session: *Start with Windows*, XDG autostart on Linux.

Application Settings and ``ictray settings app --autostart on|off`` call these. The entry lives
where the system keeps it (the current user's ``Run`` key on Windows, ``~/.config/autostart`` on
Linux), not in the settings file: it belongs to the user's log-on, and one settings file may be
shared by several users. The OS-specific halves are ``autostart_windows`` and
``autostart_linux``; each has ``is_enabled``, ``write_entry``, ``remove_entry`` and ``location``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ictray.errors import IctrayError

if sys.platform == "win32":
    from ictray.platform import autostart_windows as _system
else:
    from ictray.platform import autostart_linux as _system

#: what the option is called where people see it: Windows' own words on Windows
AUTOSTART_LABEL = "Start with Windows" if sys.platform == "win32" else "Start when I log in"

#: The windowed desktop app of a frozen build (beside the console ``ictray-cli``).
FROZEN_APP = "ictray.exe" if sys.platform == "win32" else "ictray"


class AutostartError(IctrayError):
    """The autostart entry could not be written or removed; the message says where and why."""


def desktop_app_command() -> list[str]:
    """The command that starts this installation's desktop app, with full paths.

    A frozen build starts its windowed ``ictray`` executable (also when the console
    ``ictray-cli`` asks); otherwise this Python runs ``-m ictray`` — on Windows through
    ``pythonw.exe``, so no console window opens at log-on.
    """
    executable = Path(sys.executable)
    if getattr(sys, "frozen", False):
        app = executable.with_name(FROZEN_APP)
        return [str(app if app.is_file() else executable)]
    windowless = executable.with_name("pythonw.exe")
    python = windowless if sys.platform == "win32" and windowless.is_file() else executable
    return [str(python), "-m", "ictray"]


def autostart_command(settings_path: Path | None = None) -> list[str]:
    """The desktop app's command, with ``--settings`` for a settings file other than the default.

    Pass ``settings_path`` only when it is not the default file (compare with
    ``ictray.settings.paths.default_settings_path()``): the default one is found without it,
    and ``$ICTRAY_SETTINGS`` is not set at log-on.
    """
    command = desktop_app_command()
    if settings_path is not None:
        command += ["--settings", str(Path(settings_path).resolve())]
    return command


def autostart_enabled() -> bool:
    """True when the desktop app starts with the user's session (False when unreadable)."""
    try:
        return _system.is_enabled()
    except OSError:
        return False


def autostart_location() -> str:
    """Where the entry is kept (a registry value or a file), for messages and listings."""
    return _system.location()


def set_autostart(enabled: bool, command: Sequence[str] | None = None) -> None:
    """Switch starting with the session on (running ``command``) or off.

    ``command`` defaults to ``autostart_command()``; switching on again replaces the entry.
    """
    try:
        if enabled:
            _system.write_entry(list(command) if command is not None else autostart_command())
        else:
            _system.remove_entry()
    except OSError as error:
        action = "write" if enabled else "remove"
        raise AutostartError(
            f"cannot {action} the autostart entry {_system.location()}: {error.strerror or error}"
        ) from None
