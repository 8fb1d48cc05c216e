"""One PyInstaller build of ``build_exe.spec`` per test session, into a temporary folder."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "build_exe.spec"
BUILD_TIMEOUT = 900
NO_PYINSTALLER = "PyInstaller is not installed (it comes with `pip install -e '.[test]'`)"


@dataclass(frozen=True)
class FrozenApp:
    """The built folder: the windowed desktop program and the console one beside it."""

    folder: Path

    def program(self, name: str) -> Path:
        return self.folder / (f"{name}.exe" if sys.platform == "win32" else name)


def _why_pyinstaller_cannot_run() -> str | None:
    try:
        from PyInstaller.depend.bindepend import get_python_library_path
    except ImportError:
        return NO_PYINSTALLER
    if get_python_library_path() is None:
        return (
            f"this Python ({sys.executable}) has no shared library, which PyInstaller needs; "
            "use a Python built with --enable-shared"
        )
    return None


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> FrozenApp:
    reason = _why_pyinstaller_cannot_run()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("pyinstaller")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(base / "dist"),
            "--workpath",
            str(base / "work"),
            str(SPEC),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-5000:]
    return FrozenApp(base / "dist" / "ictray")
