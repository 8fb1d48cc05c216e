"""``ictray init`` and ``ictray site ...`` as a new user would type them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keyrings.alt.file import PlaintextKeyring

CLI = Callable[..., Any]

SECRET = "Zx9-very-secret-client-value"


def test_site_add_then_list_works_for_a_new_user(cli: CLI) -> None:
    added = cli(
        "site",
        "add",
        "main",
        "--host",
        "https://support.example.com/",
        "--client-id",
        "a1b2c3",
        "--client-secret-stdin",
        stdin=SECRET + "\n",
    )
    assert added.code == 0, added.err
    assert "created the settings file" in added.err
    assert "saved as 'support.example.com'" in added.err
    listed = cli("site", "list")
    assert listed.code == 0
    assert "main" in listed.out and "support.example.com" in listed.out
    assert "********" in listed.out
    assert "in the settings file" in listed.out and "owner only" in listed.out
    for result in (added, listed):
        assert SECRET not in result.out + result.err


def test_site_json_listing_masks_the_secret(cli: CLI) -> None:
    cli(
        "site",
        "add",
        "main",
        "--host",
        "support.example.com",
        "--client-id",
        "id1",
        "--client-secret-env",
        "MY_SECRET",
        env={"MY_SECRET": SECRET},
    )
    rows = json.loads(cli("site", "list", "--json").out)
    assert rows[0]["name"] == "main"
    assert rows[0]["client_secret"] == "********"
    shown = json.loads(cli("site", "show", "main", "--json").out)
    assert shown["host"] == "support.example.com"
    assert SECRET not in json.dumps(shown)


def test_a_secret_is_never_taken_from_the_command_line(cli: CLI) -> None:
    result = cli(
        "site",
        "add",
        "main",
        "--host",
        "h.example.com",
        "--client-id",
        "x",
        "--client-secret",
        SECRET,
    )
    assert result.code == 2
    assert "unrecognized arguments" in result.err or "client-secret" in result.err
    missing = cli("site", "add", "main", "--host", "h.example.com", "--client-id", "x")
    assert missing.code == 2
    assert "client secret: give it with --client-secret-env VAR" in missing.err
    unset = cli(
        "site",
        "add",
        "main",
        "--host",
        "h.example.com",
        "--client-id",
        "x",
        "--client-secret-env",
        "NOT_SET_ANYWHERE",
    )
    assert unset.code == 2
    assert "NOT_SET_ANYWHERE is not set" in unset.err


def test_validation_errors_exit_2_with_one_line_naming_the_field(cli: CLI) -> None:
    result = cli(
        "site",
        "add",
        "main",
        "--host",
        "support.example.com/login",
        "--client-id",
        "x",
        "--client-secret-env",
        "S",
        env={"S": "client-secret-value-0001"},
    )
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines[-1].startswith("ictray: error: host: ")
    assert "contains a path" in lines[-1]
    assert cli("site", "list", "--json").out.strip() in ("[]", "")


def test_duplicate_names_and_unknown_sites(cli: CLI) -> None:
    env = {"S": "client-secret-value-0001"}
    assert (
        cli(
            "site",
            "add",
            "Main",
            "--host",
            "a.example.com",
            "--client-id",
            "x",
            "--client-secret-env",
            "S",
            env=env,
        ).code
        == 0
    )
    again = cli(
        "site",
        "add",
        "main",
        "--host",
        "b.example.com",
        "--client-id",
        "x",
        "--client-secret-env",
        "S",
        env=env,
    )
    assert again.code == 2 and "a site named 'Main' already exists" in again.err
    missing = cli("site", "show", "nope")
    assert missing.code == 2 and "there is no site named 'nope' (sites: Main)" in missing.err


def test_site_edit_and_remove(cli: CLI, tmp_path: Path) -> None:
    env = {"S": "client-secret-value-0002"}
    cli(
        "site",
        "add",
        "main",
        "--host",
        "a.example.com",
        "--client-id",
        "x",
        "--client-secret-env",
        "S",
        env=env,
    )
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    edited = cli(
        "site",
        "edit",
        "main",
        "--rename",
        "primary",
        "--host",
        "b.example.com:8443",
        "--ca-bundle",
        str(bundle),
        "--backup-password-env",
        "S",
        "--disable",
        env=env,
    )
    assert edited.code == 0, edited.err
    shown = json.loads(cli("site", "show", "primary", "--json").out)
    assert shown["host"] == "b.example.com:8443"
    assert shown["ca_bundle"] == str(bundle.resolve())
    assert shown["backup_password"] == "********"
    assert shown["enabled"] is False
    not_pem = tmp_path / "x.txt"
    not_pem.write_text("hello")
    bad = cli("site", "edit", "primary", "--ca-bundle", str(not_pem))
    assert bad.code == 2 and "holds no PEM certificate" in bad.err
    assert cli("site", "edit", "primary", "--clear-backup-password").code == 0
    assert json.loads(cli("site", "show", "primary", "--json").out)["backup_password"] is None
    assert cli("site", "remove", "primary").code == 0
    assert json.loads(cli("site", "list", "--json").out) == []


def test_listing_without_a_settings_file_says_how_to_create_one(cli: CLI) -> None:
    result = cli("site", "list")
    assert result.code == 2
    assert "ictray init" in result.err


def test_init_creates_once_and_keeps_an_existing_file(cli: CLI, cli_env: dict[str, str]) -> None:
    first = cli("init")
    assert first.code == 0 and "settings file:" in first.out
    size = Path(cli_env["ICTRAY_SETTINGS"]).stat().st_size
    second = cli("init")
    assert second.code == 0 and "already exists" in second.out
    assert Path(cli_env["ICTRAY_SETTINGS"]).stat().st_size == size


def test_settings_option_overrides_the_environment(cli: CLI, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "mine.db"
    assert cli("--settings", str(other), "init").code == 0
    assert other.exists()


def test_a_credential_store_keeps_the_secret_out_of_the_file(cli: CLI, tmp_path: Path) -> None:
    store = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    added = cli(
        "site",
        "add",
        "main",
        "--host",
        "a.example.com",
        "--client-id",
        "x",
        "--client-secret-stdin",
        stdin=SECRET,
        env=store,
    )
    assert added.code == 0, added.err
    assert "OS credential store" in added.out
    settings_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("settings.db*"))
    assert SECRET.encode() not in settings_bytes
    with sqlite3.connect(tmp_path / "settings.db") as connection:
        settings_id = connection.execute(
            "SELECT value FROM meta WHERE key = 'settings_id'"
        ).fetchone()[0]
    backend = PlaintextKeyring()
    backend.file_path = str(next((tmp_path / "xdg-data").rglob("keyring_pass.cfg")))
    assert backend.get_password(f"ictray:{settings_id}", "site/1/client_secret") == SECRET


def test_site_test_shows_the_api_version_and_clock_skew(
    cli: CLI, simulator, add_simulator_site
) -> None:
    add_simulator_site()
    simulator.faults.clock_offset = -120  # the appliance is two minutes behind this computer
    result = cli("site", "test", "sim")
    assert result.code == 0, result.err
    assert f"API version: {simulator.site.api_info().api_version}" in result.out
    assert "clock skew: this computer's clock is 12" in result.out
    assert "ahead of the appliance's" in result.out and "NTP" in result.out


def test_site_test_with_a_rejected_secret_exits_1_without_retrying(
    cli: CLI, simulator, add_simulator_site
) -> None:
    add_simulator_site(secret="an-old-secret-value")
    before = simulator.server.count(path="/oauth2/token")
    result = cli("site", "test", "sim")
    assert result.code == 1
    assert (
        "site sim: the client secret was rejected; was it regenerated on the appliance?"
        in result.err
    )
    assert simulator.server.count(path="/oauth2/token") - before == 1
    assert "an-old-secret-value" not in result.out + result.err
