"""Short secrets: a client secret too short to be one is refused, and a short password is
masked where it stands alone without mangling the messages around it."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

CLI = Callable[..., Any]


def _site_add(cli: CLI, secret: str) -> Any:
    return cli(
        "site",
        "add",
        "main",
        "--host",
        "support.example.com",
        "--client-id",
        "cid",
        "--client-secret-env",
        "S",
        env={"S": secret},
    )


def test_a_client_secret_shorter_than_16_characters_is_refused(cli: CLI) -> None:
    short = "e3Xq9-tL"
    refused = _site_add(cli, short)
    assert refused.code == 2
    assert "ictray: error: client secret: too short to be a client secret" in refused.err
    assert "fewer than 16 characters" in refused.err and "44 characters" in refused.err
    assert short not in refused.err + refused.out
    assert json.loads(cli("site", "list", "--json").out or "[]") == []

    whole = "Qm9uZ2FyLWNsaWVudC1zZWNyZXQtb2YtNDQtY2hhcnM="
    assert _site_add(cli, whole).code == 0
    edited = cli("site", "edit", "main", "--client-secret-env", "S", env={"S": short})
    assert edited.code == 2 and "too short to be a client secret" in edited.err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_one_letter_password_does_not_mangle_the_error_it_hides_in(cli: CLI) -> None:
    """Masked letter by letter, "connection refused" read "conn***ction r***fus***d"."""
    url = f"postgresql://writer:e@127.0.0.1:{_closed_port()}/reports"
    added = cli(
        "dest",
        "add",
        "db",
        "--plugin",
        "sql",
        "--option-env",
        "connection_string=DB_URL",
        env={"DB_URL": url},
    )
    assert added.code == 0, added.err
    tested = cli("dest", "test", "db")
    assert tested.code == 1
    message = tested.err.strip()
    assert "SQL destination 'db' cannot connect to PostgreSQL 127.0.0.1:" in message
    assert "(database reports, login writer)" in message
    assert "Connection refused" in message or "connection refused" in message
    assert "*" not in message
