"""On a fresh settings file, as a person would: an API account with the reporting and backup
permissions but no command API copies sessions, recordings and the backup; one without the
backup permission copies everything else and names the permission to grant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ictray.appliance import contract

CLI = Callable[..., Any]
TYPES = (
    "session_data,session_recordings,show_my_screen_recordings,command_shell_recordings,"
    "site_backups"
)


def _configure(cli: CLI, add_simulator_site: Callable[[], None], folder: Path) -> None:
    assert cli("init").code == 0
    add_simulator_site()
    assert (
        cli(
            "dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={folder}"
        ).code
        == 0
    )
    assert (
        cli("schedule", "add", "nightly", "--every", "1d", "--transfer", f"sim:files:{TYPES}").code
        == 0
    )


def _closed(simulator) -> list:
    return [s for s in simulator.site.iter_sessions(start_from=0) if s.end_time is not None]


@pytest.mark.simulator(sessions=30, days=2, seed=3, recording_size=4096, account="guide")
def test_a_guide_account_from_site_test_to_run_now(
    cli: CLI, simulator, add_simulator_site, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    _configure(cli, add_simulator_site, folder)
    tested = cli("site", "test", "sim")
    assert tested.code == 0, tested.out + tested.err
    assert "support session reports and recordings: yes" in tested.out
    result = cli("run-now")
    assert result.code == 0, result.out + result.err
    assert "schedule 'nightly': completed" in result.out
    closed = _closed(simulator)
    assert f"session data: {len(closed)} stored" in result.out
    recordings = sum(1 for s in closed if s.has_session_recording)
    assert f"session recordings: {recordings} stored" in result.out
    assert "site backups: 1 stored" in result.out
    assert len(list(folder.glob("*-support-*.xml"))) == len(closed)
    assert len(list(folder.glob("*.nsb"))) == 1
    assert simulator.server.count(contract.BACKUP_PATH, 200) == 1


@pytest.mark.simulator(sessions=30, days=2, seed=3, recording_size=4096, account="no-backup")
def test_without_the_backup_permission_run_now_names_it(
    cli: CLI, simulator, add_simulator_site, tmp_path: Path
) -> None:
    folder = tmp_path / "archive"
    _configure(cli, add_simulator_site, folder)
    assert cli("site", "test", "sim").code == 0
    result = cli("run-now")
    assert result.code == 1
    assert "schedule 'nightly': unreachable" in result.out
    assert "the API account may not use the backup API" in result.out
    assert f"grant it the permission '{contract.BACKUP.label}'" in result.out
    closed = _closed(simulator)
    assert f"session data: {len(closed)} stored" in result.out
    assert len(list(folder.glob("*-support-*.xml"))) == len(closed)
    assert not list(folder.glob("*.nsb"))
