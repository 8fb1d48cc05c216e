"""A login to the SMTP server over an unencrypted connection only when explicitly allowed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

CLI = Callable[..., Any]


def _configure(cli: CLI, server: Any, *extra: str) -> Any:
    return cli(
        "settings",
        "notify",
        "--enable",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--security",
        "none",
        "--from",
        "ic@example.com",
        "--to",
        "ops@example.com",
        "--user",
        server.user,
        "--password-env",
        "SMTP_PW",
        *extra,
        env={"SMTP_PW": server.password},
    )


def test_a_login_over_plain_smtp_is_refused_unless_allowed(cli: CLI, smtp_server) -> None:
    server = smtp_server(security="none", login=True)
    refused = _configure(cli, server)
    assert refused.code == 2
    assert "ictray: error: security: a login (user and password) over security none" in (
        refused.err
    )
    assert "--allow-unencrypted-auth" in refused.err and "starttls or ssl" in refused.err
    assert server.password not in refused.err
    shown = json.loads(cli("settings", "notify", "--json").out)
    assert (shown["username"], shown["password"], shown["enabled"]) == ("", None, False)
    assert cli("settings", "notify", "--send-test").code == 2  # nothing configured to send with
    assert server.logins == [] and server.inbox.messages == []

    allowed = _configure(cli, server, "--allow-unencrypted-auth", "--json")
    assert allowed.code == 0, allowed.err
    assert json.loads(allowed.out)["allow_unencrypted_auth"] is True
    sent = cli("settings", "notify", "--send-test")
    assert sent.code == 0, sent.err
    assert server.logins == [f"PLAIN {server.user}"]
    assert len(server.inbox.messages) == 1

    back = cli("settings", "notify", "--refuse-unencrypted-auth")
    assert back.code == 2 and "--allow-unencrypted-auth" in back.err
    assert cli("settings", "notify", "--user", "", "--refuse-unencrypted-auth").code == 0


def test_an_older_file_with_a_plain_login_is_migrated_and_refused_when_sending(
    cli: CLI, smtp_server, tmp_path: Path
) -> None:
    """A settings file of schema 3 (before the choice existed) that logs in over plain SMTP:
    after the migration nothing is sent until the user decides."""
    server = smtp_server(security="none", login=True)
    assert _configure(cli, server, "--allow-unencrypted-auth").code == 0
    with sqlite3.connect(tmp_path / "settings.db") as connection:
        connection.execute("ALTER TABLE notify_settings DROP COLUMN allow_unencrypted_auth")
        connection.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    connection.close()
    sent = cli("settings", "notify", "--send-test")
    assert "updated the settings file from schema 3" in sent.err
    assert sent.code == 1
    assert f"SMTP server {server.host}:{server.port}: the login for {server.user!r}" in sent.err
    assert "unencrypted connection" in sent.err and "--allow-unencrypted-auth" in sent.err
    assert server.logins == [] and server.inbox.messages == []
    shown = json.loads(cli("settings", "notify", "--json").out)
    assert shown["allow_unencrypted_auth"] is False and shown["username"] == server.user
