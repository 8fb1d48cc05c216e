"""Every secret inside a connection string goes to the secret store and is shown masked."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ictray.settings import destinations, open_settings
from ictray.settings.models import Destination

CLI = Callable[..., Any]

KEY_PASSPHRASE = "Client-Key-Passphrase-42"
LOGIN_PASSWORD = "Login-Pa55-word"
URL = (
    f"postgresql://ic:{LOGIN_PASSWORD}@db.example.com:5432/reports"
    f"?sslmode=verify-full&sslpassword={KEY_PASSPHRASE}"
)
PUBLIC = "postgresql://ic@db.example.com:5432/reports?sslmode=verify-full"


@pytest.fixture
def keyring_env(tmp_path: Path) -> dict[str, str]:
    """A real credential store (keyring's file backend) kept in the test's own folder."""
    return {
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "keyring-data"),
    }


def _settings_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("settings.db*"))


def test_an_sslpassword_never_goes_on_the_command_line(cli: CLI) -> None:
    refused = cli(
        "dest",
        "add",
        "db",
        "--plugin",
        "sql",
        "--option",
        f"connection_string=postgresql://ic@db.example.com/reports?sslpassword={KEY_PASSPHRASE}",
    )
    assert refused.code == 2
    assert "--option-env connection_string=VAR" in refused.err
    assert KEY_PASSPHRASE not in refused.err + refused.out


@pytest.mark.parametrize(
    "text",
    [
        f"Server=db,1433;Database=Bomgar;User Id=ic;PWD={LOGIN_PASSWORD};",
        f"Server=db,1433;Database=Bomgar;User Id=ic;pAsSwOrD={LOGIN_PASSWORD};",
    ],
)
def test_odbc_style_passwords_of_any_case_are_refused_on_the_command_line(
    cli: CLI, text: str
) -> None:
    refused = cli("dest", "add", "db", "--plugin", "sql", "--option", f"connection_string={text}")
    assert refused.code == 2 and "--option-env" in refused.err
    assert LOGIN_PASSWORD not in refused.err


def test_every_secret_of_a_connection_string_is_stored_apart_and_masked(
    cli: CLI, keyring_env: dict[str, str], tmp_path: Path
) -> None:
    added = cli(
        "dest",
        "add",
        "db",
        "--plugin",
        "sql",
        "--option-env",
        "connection_string=DB_URL",
        env={**keyring_env, "DB_URL": URL},
    )
    assert added.code == 0, added.err
    listing = cli("dest", "list", env=keyring_env)
    as_json = cli("dest", "list", "--json", env=keyring_env)
    shown = cli("dest", "show", "db", env=keyring_env)
    for output in (listing, as_json, shown):
        assert output.code == 0, output.err
        assert KEY_PASSPHRASE not in output.out + output.err
        assert LOGIN_PASSWORD not in output.out + output.err
    described = json.loads(as_json.out)[0]
    assert described["options"]["connection_string"] == (
        f"{PUBLIC} (password ********, sslpassword ********)"
    )
    assert described["secrets_stored"].startswith("in the OS credential store")
    raw = _settings_bytes(tmp_path)
    assert KEY_PASSPHRASE.encode() not in raw and LOGIN_PASSWORD.encode() not in raw

    with open_settings(tmp_path / "settings.db", credential_store=_file_keyring(keyring_env)) as s:
        dest = destinations.get_destination("db")
        assert dest.options["connection_string"] == PUBLIC
        plugin = destinations.open_destination(s, dest)
        info = plugin.connection_info  # type: ignore[attr-defined]
        assert info.password == LOGIN_PASSWORD
        assert info.options["sslpassword"] == KEY_PASSPHRASE
        assert KEY_PASSPHRASE not in repr(info)


def _file_keyring(env: dict[str, str]) -> Any:
    from keyrings.alt.file import PlaintextKeyring

    backend = PlaintextKeyring()
    backend.file_path = str(Path(env["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg")
    return backend


def test_a_secret_an_older_version_kept_inline_is_moved_on_open(
    cli: CLI, keyring_env: dict[str, str], tmp_path: Path
) -> None:
    """A settings file written before: the sslpassword sits in the destination's options."""
    assert (
        cli(
            "dest",
            "add",
            "db",
            "--plugin",
            "sql",
            "--option",
            "connection_string=postgresql://ic@db.example.com:5432/reports?sslmode=verify-full",
            env=keyring_env,
        ).code
        == 0
    )
    with sqlite3.connect(tmp_path / "settings.db") as connection:
        connection.execute(
            "UPDATE destination SET options_json = ?",
            (
                json.dumps(
                    {
                        "connection_string": PUBLIC + f"&sslpassword={KEY_PASSPHRASE}",
                        "store_system_information": "true",
                    }
                ),
            ),
        )
    connection.close()
    first = cli("dest", "list", "--json", env=keyring_env)
    assert first.code == 0, first.err
    assert "destination 'db': its sslpassword was kept in the settings file in clear" in first.err
    assert "now stored in the OS credential store" in first.err
    assert KEY_PASSPHRASE not in first.out + first.err
    assert json.loads(first.out)[0]["options"]["connection_string"] == (
        f"{PUBLIC} (sslpassword ********)"
    )
    again = cli("dest", "list", env=keyring_env)
    assert again.code == 0 and "kept in the settings file" not in again.err
    assert KEY_PASSPHRASE.encode() not in _settings_bytes(tmp_path)
    with open_settings(tmp_path / "settings.db", credential_store=_file_keyring(keyring_env)) as s:
        dest = Destination.get()
        assert dest.secret_keys == ["connection_string?sslpassword"]
        joined = destinations.destination_options(s, dest)["connection_string"]
        assert joined == PUBLIC + f"&sslpassword={KEY_PASSPHRASE}"
