"""``ictray dest`` and ``ictray schedule``: plugin options, secrets, transfers, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CLI = Callable[..., Any]


@pytest.fixture
def with_site(cli: CLI) -> None:
    assert (
        cli(
            "site",
            "add",
            "main",
            "--host",
            "support.example.com",
            "--client-id",
            "id1",
            "--client-secret-env",
            "S",
            env={"S": "client-secret-value-0001"},
        ).code
        == 0
    )


def test_dest_add_list_show_edit_remove(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    added = cli(
        "dest",
        "add",
        "archive",
        "--plugin",
        "filesystem",
        "--option",
        f"directory={folder}",
        "--option",
        "conflict_handling=overwrite",
    )
    assert added.code == 0, added.err
    assert "added destination 'archive' (File System)" in added.out
    shown = json.loads(cli("dest", "show", "archive", "--json").out)
    assert shown["plugin"] == "filesystem"
    assert shown["options"]["conflict_handling"] == "Overwrite"  # choices are normalised
    assert shown["options"]["directory"] == str(folder)
    edited = cli("dest", "edit", "archive", "--rename", "vault", "--option", "retention_count=3")
    assert edited.code == 0, edited.err
    listed = json.loads(cli("dest", "list", "--json").out)
    assert [d["name"] for d in listed] == ["vault"]
    assert listed[0]["options"]["retention_count"] == "3"
    assert listed[0]["options"]["conflict_handling"] == "Overwrite"  # kept on edit
    tested = cli("dest", "test", "vault")
    assert tested.code == 0 and "destination 'vault'" in tested.out
    assert cli("dest", "remove", "vault").code == 0
    assert json.loads(cli("dest", "list", "--json").out) == []


def test_plugin_options_are_validated_by_the_plugin(cli: CLI, tmp_path: Path) -> None:
    unknown = cli("dest", "add", "a", "--plugin", "filesystem", "--option", "colour=blue")
    assert unknown.code == 2 and "has no option 'colour'" in unknown.err
    bad_format = cli(
        "dest",
        "add",
        "a",
        "--plugin",
        "filesystem",
        "--option",
        f"directory={tmp_path}",
        "--option",
        "name_format=%lsid%.%EXTENSION%",
    )
    assert bad_format.code == 2 and bad_format.err.startswith("ictray: error: name_format:")
    no_plugin = cli("dest", "add", "a", "--plugin", "ftp")
    assert no_plugin.code == 2 and "no destination plugin named 'ftp'" in no_plugin.err
    missing = cli("dest", "add", "a", "--plugin", "filesystem")
    assert missing.code == 2 and "directory:" in missing.err


def test_a_password_in_a_connection_string_never_goes_on_the_command_line(cli: CLI) -> None:
    secret = "Db-Pa55-word"
    refused = cli(
        "dest",
        "add",
        "db",
        "--plugin",
        "sql",
        "--option",
        f"connection_string=postgresql://ic:{secret}@db.example.com/reports",
    )
    assert refused.code == 2
    assert "--option-env connection_string=VAR" in refused.err
    assert secret not in refused.err
    added = cli(
        "dest",
        "add",
        "db",
        "--plugin",
        "sql",
        "--option-env",
        "connection_string=DB_URL",
        env={"DB_URL": f"postgresql://ic:{secret}@db.example.com/reports"},
    )
    assert added.code == 0, added.err
    shown = cli("dest", "show", "db", "--json")
    assert secret not in shown.out
    assert "db.example.com" in shown.out
    assert json.loads(shown.out)["secrets_stored"].startswith("in the settings file")


def test_dest_plugins_lists_both_standard_plugins(cli: CLI) -> None:
    result = json.loads(cli("dest", "plugins", "--json").out)
    names = {p["plugin"]: p for p in result}
    assert {"filesystem", "sql"} <= set(names)
    keys = [o["key"] for o in names["filesystem"]["options"]]
    assert keys == [
        "directory",
        "download_format",
        "conflict_handling",
        "name_format",
        "retention_count",
    ]
    assert [o["key"] for o in names["sql"]["options"]] == [
        "connection_string",
        "store_system_information",
    ]
    assert names["sql"]["accepts"] == ["session_data"]


def test_schedule_add_list_show_edit_remove(cli: CLI, with_site, tmp_path: Path) -> None:
    cli("dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={tmp_path}")
    added = cli(
        "schedule",
        "add",
        "nightly",
        "--every",
        "1d",
        "--at",
        "02:30",
        "--transfer",
        "main:files:session_data,site_backups",
    )
    assert added.code == 0, added.err
    shown = json.loads(cli("schedule", "show", "nightly", "--json").out)
    assert shown["every"] == "1d" and shown["at"] == "02:30"
    assert shown["transfers"] == [
        {"site": "main", "destination": "files", "data_types": ["session_data", "site_backups"]}
    ]
    table = cli("schedule", "list")
    assert "nightly" in table.out and "1d at 02:30" in table.out
    edited = cli("schedule", "edit", "nightly", "--every", "6h", "--at", "")
    assert edited.code == 0, edited.err
    assert json.loads(cli("schedule", "show", "nightly", "--json").out)["every"] == "6h"
    assert cli("schedule", "edit", "nightly", "--at", "03:00").code == 2  # 6h is not whole days
    assert cli("schedule", "remove", "nightly").code == 0
    assert json.loads(cli("schedule", "list", "--json").out) == []


def test_schedule_validation_messages(cli: CLI, with_site, tmp_path: Path) -> None:
    cli("dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={tmp_path}")
    cases = [
        (["--every", "8d"], "every: '8d' is outside the allowed range: from 1 minute to 7 days"),
        (["--every", "2h", "--at", "01:00"], "at: a time of day applies only to periods of whole"),
        (["--every", "1h", "--transfer", "main:files"], "transfer: 'main:files' is not SITE:"),
        (["--every", "1h", "--transfer", "main:files:movies"], "unknown data type 'movies'"),
        (["--every", "1h", "--transfer", "nope:files:session_data"], "no site named 'nope'"),
        (
            [
                "--every",
                "1h",
                "--transfer",
                "main:files:session_data",
                "--transfer",
                "main:files:site_backups",
            ],
            "appears twice",
        ),
    ]
    for extra, says in cases:
        result = cli("schedule", "add", "s", *extra)
        assert result.code == 2, (extra, result.err)
        assert says in result.err, (extra, result.err)
        assert len(result.err.strip().splitlines()) == 1


def test_recordings_and_backups_to_sql_are_refused_with_the_guides_reason(
    cli: CLI, with_site, tmp_path: Path
) -> None:
    cli(
        "dest",
        "add",
        "db",
        "--plugin",
        "sql",
        "--option",
        f"connection_string=sqlite:///{tmp_path / 'r.db'}",
    )
    for data_type, says in (
        ("session_recordings", "cannot be used to store session recordings or site backups"),
        ("site_backups", "cannot be used to store session recordings or site backups"),
        ("presentation_data", "File System"),
    ):
        result = cli("schedule", "add", "s", "--every", "1h", "--transfer", f"main:db:{data_type}")
        assert result.code == 2
        assert "destination 'db' cannot take this" in result.err
        assert says in result.err
    ok = cli("schedule", "add", "s", "--every", "1h", "--transfer", "main:db:session_data")
    assert ok.code == 0, ok.err


def test_a_site_or_destination_in_use_cannot_be_removed(cli: CLI, with_site, tmp_path) -> None:
    cli("dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={tmp_path}")
    cli("schedule", "add", "s", "--every", "1h", "--transfer", "main:files:session_data")
    site = cli("site", "remove", "main")
    assert site.code == 2 and "used by schedule(s) s" in site.err
    dest = cli("dest", "remove", "files")
    assert dest.code == 2 and "used by schedule(s) s" in dest.err
    assert cli("schedule", "remove", "s").code == 0
    assert cli("site", "remove", "main").code == 0


def test_a_name_format_that_lets_one_file_replace_another_is_named(
    cli: CLI, tmp_path: Path
) -> None:
    """The guide allows Overwrite and Skip with any File Name Format; where two items can then
    share a name, saving, editing and showing the destination say what that costs."""
    added = cli(
        "dest",
        "add",
        "archive",
        "--plugin",
        "filesystem",
        "--option",
        f"directory={tmp_path / 'archive'}",
        "--option",
        "name_format=%EXTERNAL_KEY%.%EXTENSION%",
        "--option",
        "conflict_handling=Overwrite",
    )
    assert added.code == 0, added.err
    assert (
        "ictray: note: the File Name Format has no %LSID%, so two sessions can get the "
        "same file name, and with Overwrite the later replaces the earlier" in added.err
    )
    shown = json.loads(cli("dest", "show", "archive", "--json").out)
    assert len(shown["cautions"]) == 1 and "%LSID%" in shown["cautions"][0]

    edited = cli(
        "dest",
        "edit",
        "archive",
        "--option",
        "name_format=%SUPPORT_SITE_HOST%-%LSID%.%EXTENSION%",
        "--option",
        "conflict_handling=Skip",
    )
    assert edited.code == 0, edited.err
    assert (
        "two recordings of one session can get the same file name, and with Skip only "
        "the first is kept; add %INSTANCE%" in edited.err
    )

    safe = cli("dest", "edit", "archive", "--option", "conflict_handling=AppendNumber")
    assert safe.code == 0 and "note:" not in safe.err, safe.err
    assert json.loads(cli("dest", "show", "archive", "--json").out)["cautions"] == []
