"""The connection-string helper composes SQL Server logins as the guide's Authentication Type."""

from __future__ import annotations

import sys

import pytest

from ictray.destinations.sql.connstr import parse_connection_string
from ictray.dialogs.connstr import (
    DATABASES,
    SQL_SERVER_AUTH,
    WINDOWS_AUTH,
    ConnectionStringHelper,
    compose,
)
from ictray.errors import ValidationError

from .helpers import fill, pump, screenshot


def test_both_authentication_types_compose_the_sql_server_form() -> None:
    sql = compose("mssql", "db", "1433", "ic", "ic_writer", "pw", SQL_SERVER_AUTH)
    assert sql == "Server=db,1433;Database=ic;User Id=ic_writer;Password=pw;"
    domain = compose("mssql", "db", "", "ic", "CORP\\ic_writer", "pw", WINDOWS_AUTH)
    assert domain == "Server=db;Database=ic;User Id=CORP\\ic_writer;Password=pw;"
    assert parse_connection_string(domain, windows=False).windows_login
    integrated = compose("mssql", "db\\INST", "", "ic", "", "", WINDOWS_AUTH)
    assert integrated == "Server=db\\INST;Database=ic;Integrated Security=SSPI;"
    assert parse_connection_string(integrated, windows=True).integrated
    with pytest.raises(ValidationError) as wrong:
        compose("mssql", "db", "", "ic", "ic_writer", "pw", WINDOWS_AUTH)
    assert wrong.value.field == "user" and "DOMAIN\\user" in wrong.value.message


def test_the_helper_offers_windows_logins(tk_root) -> None:
    results: list[str | None] = []
    current = "Server=db;Database=ic;User Id=CORP\\ic_writer;Password=pw;"
    dialog = ConnectionStringHelper(tk_root, current, results.append)
    pump(dialog, 0.1)
    assert dialog.form.get("authentication") == WINDOWS_AUTH
    assert dialog.form.get("user") == "CORP\\ic_writer"
    fill(dialog.form, {"user": "", "password": ""})
    screenshot(dialog, "connection-string-windows-authentication")
    dialog.buttons["OK"].invoke()
    if sys.platform == "win32":
        assert results == ["Server=db,1433;Database=ic;Integrated Security=SSPI;"]
        return
    assert results == [] and dialog.winfo_exists()  # the account ictray runs as: Windows only
    assert "works on Windows only" in dialog.message.cget("text")
    fill(dialog.form, {"user": "CORP\\svc-ictray", "password": "Pa55;word"})
    dialog.buttons["OK"].invoke()
    assert results == ['Server=db,1433;Database=ic;User Id=CORP\\svc-ictray;Password="Pa55;word";']


def test_sql_server_logins_stay_the_default(tk_root) -> None:
    results: list[str | None] = []
    dialog = ConnectionStringHelper(tk_root, "", results.append)
    pump(dialog, 0.1)
    assert dialog.form.get("database type") == DATABASES["mssql"]
    assert dialog.form.get("authentication") == SQL_SERVER_AUTH
    fill(dialog.form, {"server": "db", "database": "ic", "user": "ic", "password": "pw"})
    dialog.buttons["OK"].invoke()
    assert results == ["Server=db;Database=ic;User Id=ic;Password=pw;"]
