"""Each command loads only what it uses: ``ictray --help`` no library at all, a command working
on the settings file no network or database driver, and nothing the desktop needs.

Run in a new interpreter, since this one has loaded everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: modules some command needs, and which ones are the right ones for it
HEAVY = (
    "requests",
    "urllib3",
    "peewee",
    "keyring",
    "psycopg",
    "pymysql",
    "pymssql",
    "cryptography",
    "trustme",
    "psutil",
    "xmltodict",
    "tkinter",
    "pystray",
    "PIL",
)


def _loaded_after(
    tmp_path: Path, argv: list[str], before: list[str] | None = None
) -> tuple[int, set[str], str]:
    """Runs ``before`` (when given) and then ``argv`` in new interpreters; what the second
    one loaded."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "ICTRAY_SETTINGS": str(tmp_path / "settings.db"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    if before:
        subprocess.run(
            [sys.executable, "-m", "ictray", *before],
            check=True,
            capture_output=True,
            timeout=60,
            env=env,
        )
    script = (
        "import json, sys\n"
        "from ictray.cli import main\n"
        "try:\n"
        f"    code = main({argv!r})\n"
        "except SystemExit as done:\n"
        "    code = done.code or 0\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    last = result.stderr.strip().splitlines()[-1]
    return result.returncode, set(json.loads(last)), result.stdout + result.stderr


@pytest.mark.parametrize(
    "argv", [["--help"], ["run-now", "--help"], ["simulate", "--help"], ["bench", "--help"]]
)
def test_help_loads_no_library(tmp_path: Path, argv: list[str]) -> None:
    code, loaded, output = _loaded_after(tmp_path, argv)
    assert code == 0, output
    assert "usage: ictray" in output
    assert loaded == set(), f"{' '.join(argv)} loaded {sorted(loaded)}"


def test_a_settings_command_loads_no_network_driver_or_desktop(tmp_path: Path) -> None:
    code, loaded, output = _loaded_after(tmp_path, ["site", "list"], before=["init"])
    assert code == 0, output
    assert "peewee" in loaded  # it did open the settings file
    assert not loaded & {
        "requests",
        "urllib3",
        "psycopg",
        "pymysql",
        "pymssql",
        "trustme",
        "tkinter",
        "pystray",
    }, sorted(loaded)


def test_a_run_with_nothing_to_do_loads_no_database_driver(tmp_path: Path) -> None:
    code, loaded, output = _loaded_after(tmp_path, ["run-now"], before=["init"])
    assert code == 0, output
    assert not loaded & {"psycopg", "pymysql", "pymssql", "trustme", "tkinter", "pystray"}, sorted(
        loaded
    )
