"""The code stays lint-clean and formatted, and the whole package type-checks as Linux and
as Windows see it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "ictray", "tests", "resources")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_kept() -> None:
    """One layout for all the code: ``ruff format`` would change nothing."""
    result = _run("ruff", "format", "--check", "ictray", "tests", "resources")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_the_whole_package_type_checks(platform: str) -> None:
    """mypy over all of ictray, as Linux and as Windows see it (the service glue, the
    registry, the credential store)."""
    result = _run("mypy", "--platform", platform, "--no-error-summary", "ictray")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_windows_service_glue_is_checked_against_the_pywin32_stubs() -> None:
    """Without the stubs every pywin32 name would pass unchecked as Any."""
    result = _run(
        "mypy",
        "--platform",
        "win32",
        "--follow-imports=silent",
        "--no-error-summary",
        "--disallow-any-unimported",
        "--ignore-missing-imports",
        "--no-incremental",
        "-c",
        "import win32service, servicemanager, win32serviceutil\n"
        "x: int = win32service.SERVICE_RUNNING\n"
        "servicemanager.LogErrorMsg(1)\n",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Argument 1 to "LogErrorMsg" has incompatible type "int"' in result.stdout


def test_every_package_folder_is_installed() -> None:
    """setup.cfg lists packages by hand (resources/ is mapped in); a new folder must be added."""
    listed = (ROOT / "setup.cfg").read_text()
    for init in (ROOT / "ictray").rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(ROOT).parts)
        assert f"    {package}\n" in listed, f"{package} is missing from setup.cfg packages"
