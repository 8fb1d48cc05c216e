"""The mapped-drive check behind the Destination Directory, on both systems."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ictray import platform
from ictray.platform import linux, windows

ROOT = Path(__file__).resolve().parents[2]


def test_the_running_systems_module_is_chosen() -> None:
    expected = windows if sys.platform == "win32" else linux
    assert platform.is_mapped_drive is expected.is_mapped_drive


@pytest.mark.parametrize("path", ["Z:\\Bomgar", "/mnt/share", "\\\\server\\share", ""])
def test_linux_has_no_mapped_drives(path: str) -> None:
    assert linux.is_mapped_drive(path) is False


@pytest.mark.parametrize(
    ("path", "root"),
    [
        ("Z:\\Bomgar\\Data", "Z:\\"),
        ("z:/data", "Z:\\"),
        ("C:", "C:\\"),
        ("\\\\?\\Y:\\long\\path", "Y:\\"),
        ("\\\\server\\share\\folder", None),
        ("\\\\?\\UNC\\server\\share\\folder", None),
        ("\\Bomgar", None),
        ("relative\\folder", None),
    ],
)
def test_the_drive_letter_of_a_windows_path(path: str, root: str | None) -> None:
    assert windows.drive_root(path) == root


def test_unc_paths_are_never_mapped_drives() -> None:
    assert windows.is_mapped_drive("\\\\server\\share\\folder") is False


@pytest.mark.skipif(sys.platform != "win32", reason="asks Windows for the drive type")
def test_the_system_drive_is_not_a_mapped_drive() -> None:
    assert windows.is_mapped_drive(os.environ.get("SYSTEMDRIVE", "C:") + "\\") is False


def test_the_windows_side_type_checks_for_win32() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--platform",
            "win32",
            "--no-error-summary",
            "--follow-imports=silent",
            "ictray/platform",
            "ictray/destinations/atomic.py",
            "ictray/destinations/filesystem.py",
            "ictray/destinations/filenames.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
