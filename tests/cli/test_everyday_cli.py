"""Everyday command-line use as a new user meets it: ``--settings`` after the command, removing
one transfer, progress in a pipe, sessions in progress counted apart, ``ictray log`` showing the
runs, help on every flag, schedule times in local time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
