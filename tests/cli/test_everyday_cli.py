"""Everyday command-line use as a new user meets it: ``--settings`` after the command, removing
one transfer, progress in a pipe, sessions in progress counted apart, ``ictray log`` showing the
runs, help on every flag, schedule times in local time."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ictray.cli import build_parser

CLI = Callable[..., Any]
ZONE = "Europe/Berlin"


def _add_site(cli: CLI, simulator, *settings: str) -> None:
    result = cli(
        "site",
        "add",
        "sim",
        "--host",
        simulator.address,
        "--client-id",
        simulator.client_id,
        "--ca-bundle",
        str(simulator.ca_bundle),
        "--client-secret-stdin",
        *settings,
        stdin=simulator.client_secret + "\n",
    )
    assert result.code == 0, result.err


@pytest.fixture
def two_transfers(cli: CLI, simulator, tmp_path: Path) -> tuple[Path, Path]:
    """One schedule copying the simulator to a folder and to an SQLite database."""
    folder, database = tmp_path / "archive", tmp_path / "reports.db"
    _add_site(cli, simulator)
    for step in (
        ("dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={folder}"),
        (
            "dest",
            "add",
            "db",
            "--plugin",
            "sql",
            "--option",
            f"connection_string=sqlite:///{database}",
        ),
        (
            "schedule",
            "add",
            "both",
            "--every",
            "1h",
            "--transfer",
            "sim:files:session_data",
            "--transfer",
            "sim:db:session_data",
        ),
        ("settings", "app", "--log-folder", str(tmp_path / "logs")),
    ):
        result = cli(*step)
        assert result.code == 0, (step, result.err)
    return folder, database


def test_settings_is_taken_after_the_command_as_well_as_before(
    cli: CLI, simulator, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.db"
    assert cli("init", "--settings", str(mine)).code == 0
    _add_site(cli, simulator, "--settings", str(mine))
    after = cli("site", "list", "--json", "--settings", str(mine))
    assert after.code == 0, after.err
    assert [site["name"] for site in json.loads(after.out)] == ["sim"]
    before = cli("--settings", str(mine), "site", "list", "--json")
    assert json.loads(before.out) == json.loads(after.out)
    # $ICTRAY_SETTINGS (the fixture's file) is not touched: the option named another one
    default = cli("site", "list", "--json")
    assert default.code == 2 and "there is no settings file" in default.err
    nested = cli("settings", "app", "--json", "--settings", str(mine))
    assert json.loads(nested.out)["settings_file"] == str(mine)
    missing = cli("schedule", "list", "--settings", str(tmp_path / "nowhere.db"))
    assert missing.code == 2 and "nowhere.db" in missing.err


def test_schedule_edit_removes_one_transfer(cli: CLI, two_transfers) -> None:
    removed = cli("schedule", "edit", "both", "--remove-transfer", "sim:db")
    assert removed.code == 0, removed.err
    shown = json.loads(cli("schedule", "show", "both", "--json").out)
    assert shown["transfers"] == [
        {"site": "sim", "destination": "files", "data_types": ["session_data"]}
    ]
    again = cli("schedule", "edit", "both", "--remove-transfer", "sim:db")
    assert again.code == 2
    assert again.err == (
        "ictray: error: remove transfer: schedule 'both' has no transfer from site 'sim' to "
        "destination 'db' (its transfers: sim:files)\n"
    )
    malformed = cli("schedule", "edit", "both", "--remove-transfer", "sim")
    assert malformed.code == 2 and "'sim' is not SITE:DESTINATION" in malformed.err
    assert json.loads(cli("schedule", "show", "both", "--json").out) == shown  # untouched
    back = cli("schedule", "edit", "both", "--add-transfer", "sim:db:session_data")
    assert back.code == 0, back.err
    assert len(json.loads(cli("schedule", "show", "both", "--json").out)["transfers"]) == 2


@pytest.mark.simulator(sessions=40, days=3, seed=9)  # two of its sessions are in progress
def test_a_run_shows_running_totals_in_a_pipe_and_counts_sessions_in_progress_apart(
    cli: CLI, simulator, two_transfers
) -> None:
    folder, database = two_transfers
    run = cli("run-now")  # stderr is a pipe here, as in a log file or a CI job
    assert run.code == 0, run.out + run.err
    assert "in this part" not in run.err
    totals = {
        destination: int(count)
        for destination, count in re.findall(
            r"^sim -> (\w+): sessions up to .* UTC: (\d+) read so far$", run.err, re.M
        )
    }
    every = list(simulator.site.iter_sessions(start_from=0))
    assert totals == {"files": len(every), "db": len(every)}, run.err

    closed = [s for s in every if s.end_time is not None]
    open_now = len(every) - len(closed)
    assert open_now > 0  # the simulated site has sessions in progress
    summary = dict(re.findall(r"^  sim -> (\w+): completed.*\n    (.*)$", run.out, re.M))
    assert summary == {
        "files": f"session data: {len(closed)} stored",
        "db": f"session data: {len(closed)} stored, {open_now} in progress (updated when they end)",
    }, run.out
    with sqlite3.connect(database) as connection:
        (rows,) = connection.execute("SELECT COUNT(*) FROM session").fetchone()
    assert rows == len(closed) + open_now  # what the summary says is what the table holds
    assert len(list(folder.glob("*.xml"))) == len(closed)


def test_log_shows_the_runs_by_default_and_says_where_the_other_log_is(
    cli: CLI, two_transfers, tmp_path: Path
) -> None:
    empty = cli("log")
    assert empty.code == 0
    assert empty.out == f"the Service log is empty (no files in {tmp_path / 'logs'} yet)\n"
    assert cli("run-now", "--quiet").code == 0
    runs = cli("log", "--lines", "200")
    assert "schedule 'both' ended: completed" in runs.out
    assert "transfer site 'sim' to destination 'db' ended (completed)" in runs.out
    assert f"==> {tmp_path / 'logs'}/service-" in runs.err
    assert cli("log", "--service", "--lines", "200").out == runs.out
    program = cli("log", "--ic")
    assert program.out == (
        f"the IC log is empty (no files in {tmp_path / 'logs'} yet); the Service log has "
        "lines: `ictray log --service`\n"
    )
    both = cli("log", "--ic", "--service")
    assert both.code == 2 and "not allowed with argument" in both.err


def _actions(parser: argparse.ArgumentParser, path: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                yield from _actions(command, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            yield path, action


def test_every_flag_of_every_command_has_help() -> None:
    silent = [
        f"{path} {'/'.join(action.option_strings) or action.dest}"
        for path, action in _actions(build_parser(), "ictray")
        if not action.help
    ]
    assert silent == []


def test_schedule_edit_help_explains_each_flag(cli: CLI) -> None:
    shown = cli("schedule", "edit", "--help")
    assert shown.code == 0
    entries = {
        re.split(r"\s{2,}|\n", entry)[0]: re.sub(r"\s+", " ", entry)
        for entry in re.split(r"\n  (?=-)", shown.out.split("options:", 1)[1])
    }
    for flag, words in (
        ("--rename NEW_NAME", "give the schedule a new name"),
        ("--every PERIOD", "Run Every: 1m to 7d"),
        ("--at HH:MM", "an empty value (--at '') removes it"),
        ("--transfer SITE:DESTINATION:TYPES", "replace all transfers with these"),
        ("--add-transfer SITE:DESTINATION:TYPES", "add a transfer (repeatable)"),
        ("--remove-transfer SITE:DESTINATION", "remove the transfer from this site"),
        ("--enable", "switch the schedule on"),
        ("--disable", "switch the schedule off"),
        ("--settings PATH", "settings file to use"),
    ):
        assert words in entries.get(flag, ""), (flag, shown.out)


def test_schedule_times_are_local_to_the_minute_with_the_zone(cli: CLI, two_transfers) -> None:
    local = {"TZ": ZONE}
    assert cli("run-now", "--quiet", env=local).code == 0
    as_json = json.loads(cli("schedule", "show", "both", "--json").out)
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")  # no microseconds
    assert iso.match(as_json["last_run"]) and iso.match(as_json["next_run"]), as_json

    def shown(stamp: str) -> str:
        moment = datetime.fromisoformat(stamp).astimezone(ZoneInfo(ZONE))
        return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"

    last, upcoming = shown(as_json["last_run"]), shown(as_json["next_run"])
    listed = cli("schedule", "list", env=local).out
    assert re.search(rf"^both +2 +1h +{last} +{upcoming} +yes$", listed, re.M), listed
    fields = cli("schedule", "show", "both", env=local).out
    assert f"last_run  {last}\n" in fields and f"next_run  {upcoming}\n" in fields
    assert not re.search(r"\d\d:\d\d:\d\d", listed + fields)  # never raw ISO
