"""The code stays lint-clean, and the Windows-only code type-checks as Windows would see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "ictray", "tests", "resources")
    assert result.returncode == 0, result.stdout + result.stderr


def test_windows_side_type_checks_for_win32() -> None:
    result = _run("mypy", "--platform", "win32", "--no-error-summary", "ictray/platform")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_folder_is_installed() -> None:
    """setup.cfg lists packages by hand (resources/ is mapped in); a new folder must be added."""
    listed = (ROOT / "setup.cfg").read_text()
    for init in (ROOT / "ictray").rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(ROOT).parts)
        assert f"    {package}\n" in listed, f"{package} is missing from setup.cfg packages"
