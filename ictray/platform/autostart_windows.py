"""Start with Windows: a value under the current user's ``Run`` key starts the desktop app.

``HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`` holds one command line
per program to start at log-on; it needs no administrator rights and follows the user, not the
machine. Task Manager's *Startup* tab switches such an entry off without removing it, by a value
of the same name under ``Explorer\\StartupApproved\\Run`` whose first byte is odd; an entry
switched off there counts as off, and switching autostart on again clears that mark.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
VALUE_NAME = "ictray"


def location() -> str:
    """Where the entry is (or would be), for listings and messages."""
    return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{VALUE_NAME}"


def command_line(command: Sequence[str]) -> str:
    """``command`` as one Windows command line (paths with spaces quoted)."""
    if not command:
        raise ValueError("the autostart command is empty")
    return subprocess.list2cmdline(list(command))


def is_enabled() -> bool:
    """True when the Run value exists and Task Manager has not switched it off."""
    if sys.platform != "win32":
        raise OSError("the Run key exists only on Windows")
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.QueryValueEx(key, VALUE_NAME)
    except FileNotFoundError:
        return False
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, APPROVED_KEY) as key:
            approval, _ = winreg.QueryValueEx(key, VALUE_NAME)
    except FileNotFoundError:
        return True
    switched_off = isinstance(approval, bytes) and len(approval) > 0 and approval[0] % 2 == 1
    return not switched_off


def write_entry(command: Sequence[str]) -> None:
    """Set the Run value to ``command`` and clear a *disabled* mark left by Task Manager."""
    if sys.platform != "win32":
        raise OSError("the Run key exists only on Windows")
    import winreg

    with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        winreg.SetValueEx(key, VALUE_NAME, 0, winreg.REG_SZ, command_line(command))
    _delete_value(APPROVED_KEY)


def remove_entry() -> None:
    _delete_value(RUN_KEY)
    _delete_value(APPROVED_KEY)


def _delete_value(key_path: str) -> None:
    """Delete our value under ``key_path``; a value or key that is not there is fine."""
    if sys.platform != "win32":
        raise OSError("the Run key exists only on Windows")
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key_path, 0, winreg.KEY_SET_VALUE) as key:
            winreg.DeleteValue(key, VALUE_NAME)
    except FileNotFoundError:
        return
