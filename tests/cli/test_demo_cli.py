"""``ictray demo`` end to end through the real command line: simulator, settings, folder, SQLite."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ictray.simulator.contract import DEFAULT_CLIENT_SECRET

CLI = Callable[..., Any]


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """Per-user folders and a file credential store of the test's own, to see them untouched."""
    return {
        "TMPDIR": str(tmp_path / "tmp"),
        "XDG_DATA_HOME": str(tmp_path / "user-data"),
        "XDG_STATE_HOME": str(tmp_path / "user-state"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
    }


def test_demo_copies_every_data_type_and_keeps_it_all_in_the_given_folder(
    cli: CLI, demo_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "tmp").mkdir()
    folder = tmp_path / "demo kept"
    result = cli("demo", "--keep", str(folder), env=demo_env)
    assert result.code == 0, result.out + result.err

    archive, database = folder / "archive", folder / "sessions.db"
    assert f"Folder destination 'folder': {archive}" in result.out
    assert f"SQLite destination 'sqlite': {database}" in result.out
    assert "schedule 'demo': completed" in result.out
    for label in (
        "session data",
        "session recordings",
        "show my screen recordings",
        "command shell recordings",
        "presentation data",
        "presentation recordings",
        "site backups",
    ):
        stored = re.search(rf"{label}: (\d+) stored", result.out)
        assert stored and int(stored.group(1)) > 0, f"no {label} stored:\n{result.out}"

    suffixes = {path.suffix for path in archive.iterdir()}
    assert {".xml", ".nsb"} <= suffixes and suffixes & {".flv", ".mp4"}
    for example in re.findall(r"e\.g\. (.+)", result.out):
        for name in example.split(", "):
            assert (archive / name).is_file(), name

    with sqlite3.connect(database) as db:
        sessions = db.execute("SELECT COUNT(*) FROM session").fetchone()[0]
        events = db.execute("SELECT COUNT(*) FROM session_event").fetchone()[0]
    assert sessions > 0 and events > sessions
    assert re.search(rf"rows: session {sessions}, session_event {events},", result.out)
    assert re.search(rf"\| {sessions}$", result.out, re.M), "the example query's answer"

    assert (folder / "settings.db").is_file()
    assert any((folder / "logs").glob("service-*.log"))


def test_demo_touches_nothing_of_the_user_and_prints_no_secret(
    cli: CLI, demo_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "tmp").mkdir()
    result = cli("demo", env=demo_env)
    assert result.code == 0, result.out + result.err
    first_line = result.out.splitlines()[0]
    working = Path(first_line.rsplit(" in ", 1)[1])
    assert working.parent == tmp_path / "tmp", first_line
    assert not working.exists(), "the throw-away folder is removed"
    assert "ictray demo --keep DIR" in result.out

    assert DEFAULT_CLIENT_SECRET not in result.out + result.err
    assert not (tmp_path / "user-data").exists(), "no credential store, no default settings file"
    assert not (tmp_path / "user-state").exists(), "no logs in the user's log folder"
    assert not Path(demo_env["TMPDIR"], "ictray-simulator").exists(), "no shared simulator CA"


def test_demo_refuses_a_folder_that_holds_something(
    cli: CLI, demo_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    result = cli("demo", "--keep", str(folder), env=demo_env)
    assert result.code == 2
    assert f"keep: {folder} is not an empty folder" in result.err
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert (folder / "mine.txt").read_text() == "keep me"
