"""``build_exe.spec`` builds, and what it builds runs: help, the demo, plugins, autostart.

The build is the same spec a Windows release is made with, built here for this system, so a
module the spec forgets or a resource it leaves behind shows up as a failure here.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ictray.destinations.base import ENTRY_POINT_GROUP, STANDARD_PLUGINS

from .conftest import BUILD_TIMEOUT, NO_PYINSTALLER, ROOT, FrozenApp

readers = pytest.importorskip("PyInstaller.archive.readers", reason=NO_PYINSTALLER)

pytestmark = pytest.mark.timeout(BUILD_TIMEOUT + 300)


def run(app: FrozenApp, program: str, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(app.program(program)), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def bundled_modules(app: FrozenApp) -> set[str]:
    """The modules inside the programs' PYZ archive."""
    archive = readers.CArchiveReader(str(app.program("ictray-cli")))
    pyz = next(name for name in archive.toc if name.startswith("PYZ"))
    return set(archive.open_embedded_archive(pyz).toc)


def in_a_package(path: Path) -> bool:
    """True for a module of an installed package (every folder up to ictray/ a package)."""
    folders = path.relative_to(ROOT).parents[:-1]  # ictray/x/y.py: ictray/x, ictray
    return all((ROOT / folder / "__init__.py").is_file() for folder in folders)


@pytest.mark.parametrize("program", ["ictray", "ictray-cli"])
def test_both_programs_start_and_print_their_help(frozen_app: FrozenApp, program: str) -> None:
    result = run(frozen_app, program, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("demo", "run-now", "service", "settings"):
        assert command in result.stdout


def test_the_service_program_is_built_beside_them(frozen_app: FrozenApp, tmp_path: Path) -> None:
    """``ictray-service`` runs its own entry: ``ictray service`` with the arguments it gets."""
    env = {"ICTRAY_SETTINGS": str(tmp_path / "settings.db")}
    shown = run(frozen_app, "ictray-service", "--help", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: ictray service ")
    for action in ("install", "uninstall", "start", "stop", "status"):
        assert action in shown.stdout
    status = run(frozen_app, "ictray-service", "status", env=env)
    assert status.returncode == 0, status.stderr
    if sys.platform == "win32":
        assert status.stdout.startswith("Windows service: ")
        return
    assert status.stdout.splitlines()[:2] == [
        "Windows service: unavailable",
        "  The ictray Windows service does not exist on this platform; `ictray service` runs "
        "the scheduler in the foreground (start it from systemd or a terminal to copy "
        "unattended)",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="there the service control manager runs it")
def test_the_service_program_runs_the_scheduler_until_sigterm(
    frozen_app: FrozenApp, tmp_path: Path
) -> None:
    env = {**os.environ, "ICTRAY_SETTINGS": str(tmp_path / "settings.db")}
    assert run(frozen_app, "ictray-cli", "init", env=env).returncode == 0
    service = subprocess.Popen(
        [str(frozen_app.program("ictray-service"))],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = service.stdout.readline()
        assert first.startswith(f"scheduler running on {tmp_path / 'settings.db'}"), first
        service.send_signal(signal.SIGTERM)
        rest, errors = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, errors
    assert rest.splitlines()[-1] == "scheduler stopped"


def test_the_built_app_runs_the_demo(frozen_app: FrozenApp, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run(
        frozen_app,
        "ictray-cli",
        "demo",
        "--quiet",
        "--keep",
        str(folder),
        env={"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schedule 'demo': completed" in result.stdout
    database = folder / "sessions.db"
    assert f"SQLite destination 'sqlite': {database}" in result.stdout
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT COUNT(*) FROM session").fetchone()[0]
    assert stored > 0 and re.search(rf"rows: session {stored},", result.stdout)
    assert any(path.suffix == ".nsb" for path in (folder / "archive").iterdir())


def test_the_build_holds_every_module_imported_by_name(frozen_app: FrozenApp) -> None:
    modules = bundled_modules(frozen_app)
    ours = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "ictray").rglob("*.py")
        if in_a_package(path)
    }
    assert ours - modules == set()
    plugins = {target.partition(":")[0] for target in STANDARD_PLUGINS.values()}
    tray = {"pystray._win32"} if sys.platform == "win32" else {"pystray._xorg"}
    credentials = (
        {"keyring.backends.Windows"}
        if sys.platform == "win32"
        else {"keyring.backends.SecretService"}
    )
    others = {
        "tkinter",
        "tkinter.ttk",
        "tktooltip",
        "PIL.ImageTk",
        "psycopg",
        "pymysql",
        "pymssql",
        "peewee",
        "playhouse.migrate",
        "xmltodict",
        "trustme",
        "platformdirs",
    }
    assert (plugins | tray | credentials | others) - modules == set()


def test_the_build_carries_the_plugins_entry_points_and_the_resources(
    frozen_app: FrozenApp,
) -> None:
    internal = frozen_app.folder / "_internal"
    # ictray-<version>.dist-info from an installed ictray, ictray.egg-info from a source tree
    found = sorted(internal.glob("ictray[-.]*info/entry_points.txt"))
    assert found, "no ictray metadata: the plugins' entry points would not exist"
    entry_points = found[0].read_text()
    group = entry_points.split(f"[{ENTRY_POINT_GROUP}]", 1)[1].split("\n[", 1)[0]
    for name, target in STANDARD_PLUGINS.items():
        assert re.search(rf"^{name}\s*=\s*{re.escape(target)}$", group, re.M), entry_points
    resources = ROOT / "resources"
    shipped = {
        path.relative_to(resources)
        for path in resources.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    bundled = internal / "ictray" / "resources"
    assert {path for path in shipped if not (bundled / path).is_file()} == set()
    listed = run(frozen_app, "ictray-cli", "dest", "plugins")
    assert listed.returncode == 0, listed.stderr
    assert {"filesystem (File System)", "sql (SQL database)"} <= {
        line.split(":")[0] for line in listed.stdout.splitlines()
    }


@pytest.mark.skipif(sys.platform == "win32", reason="the Run key is written on Windows only")
def test_autostart_from_the_built_app_starts_the_windowed_program(
    frozen_app: FrozenApp, tmp_path: Path
) -> None:
    settings = tmp_path / "settings.db"
    result = run(
        frozen_app,
        "ictray-cli",
        "--settings",
        str(settings),
        "settings",
        "app",
        "--autostart",
        "on",
        env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
    )
    assert result.returncode == 0, result.stderr
    entry = (tmp_path / "config" / "autostart" / "ictray.desktop").read_text()
    assert f"\nExec={frozen_app.program('ictray')} --settings {settings}\n" in entry
