"""*Start with Windows*: the command line in the Run key, and the key itself on Windows.

The registry test writes the current user's real Run key and puts back what was there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ictray import platform
from ictray.platform import autostart_windows

on_windows = pytest.mark.skipif(sys.platform != "win32", reason="the Run key exists on Windows")


def test_the_command_line_quotes_paths_with_spaces() -> None:
    command = [r"C:\Program Files\ictray\ictray.exe", "--settings", r"D:\IC data\settings.db"]
    assert autostart_windows.command_line(command) == (
        r'"C:\Program Files\ictray\ictray.exe" --settings "D:\IC data\settings.db"'
    )
    with pytest.raises(ValueError):
        autostart_windows.command_line([])


@pytest.fixture
def run_key_restored() -> Iterator[None]:
    import winreg

    keys = (autostart_windows.RUN_KEY, autostart_windows.APPROVED_KEY)
    saved = {}
    for key_path in keys:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key_path) as key:
                saved[key_path] = winreg.QueryValueEx(key, autostart_windows.VALUE_NAME)
        except FileNotFoundError:
            continue
    yield
    for key_path in keys:
        if key_path not in saved:
            autostart_windows._delete_value(key_path)
            continue
        value, kind = saved[key_path]
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key_path, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, autostart_windows.VALUE_NAME, 0, kind, value)


def _value(key_path: str) -> object:
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key_path) as key:
            return winreg.QueryValueEx(key, autostart_windows.VALUE_NAME)[0]
    except FileNotFoundError:
        return None


@on_windows
def test_the_run_key_starts_the_app_until_switched_off(run_key_restored: None) -> None:
    import winreg

    command = [r"C:\Program Files\ictray\ictray.exe", "--settings", r"D:\IC data\settings.db"]
    platform.set_autostart(True, command)
    assert _value(autostart_windows.RUN_KEY) == autostart_windows.command_line(command)
    assert platform.autostart_enabled()

    with winreg.CreateKeyEx(
        winreg.HKEY_CURRENT_USER, autostart_windows.APPROVED_KEY, 0, winreg.KEY_SET_VALUE
    ) as key:  # what Task Manager's Disable writes
        winreg.SetValueEx(
            key, autostart_windows.VALUE_NAME, 0, winreg.REG_BINARY, bytes([3]) + bytes(11)
        )
    assert not platform.autostart_enabled()

    platform.set_autostart(True, command)
    assert platform.autostart_enabled()
    assert _value(autostart_windows.APPROVED_KEY) is None

    platform.set_autostart(False)
    assert not platform.autostart_enabled()
    assert _value(autostart_windows.RUN_KEY) is None


@on_windows
def test_an_installed_ictray_starts_without_a_console_window() -> None:
    command = platform.autostart_command()
    assert Path(command[0]).name.lower() == "pythonw.exe"
    assert command[1:] == ["-m", "ictray"]
