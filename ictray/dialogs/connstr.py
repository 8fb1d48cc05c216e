"""The *…* button beside the SQL plugin's Connection String: compose it from plain fields.

Server, port, database, user and password become the connection string the SQL plugin reads
(the SQL Server form ``Server=…;Database=…;User Id=…;Password=…;`` or a URL for the other
databases); the plugin's own parser then checks it, with its own message when it is wrong.
For SQL Server, *Authentication Type* is the guide's: SQL Server (a login and its password) or
Windows — a ``DOMAIN\\user`` login with its password, or, with no user, the Windows account
ictray runs as (``Integrated Security=SSPI``).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from ictray.destinations.sql.connstr import (
    MSSQL,
    MYSQL,
    POSTGRESQL,
    SQLITE,
    parse_connection_string,
)
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import Window
from ictray.errors import ValidationError

DATABASES = {
    MSSQL: "SQL Server",
    POSTGRESQL: "PostgreSQL",
    MYSQL: "MySQL / MariaDB",
    SQLITE: "SQLite file",
}
FIELD = "connection_string"
SQL_SERVER_AUTH, WINDOWS_AUTH = "SQL Server", "Windows"


def _admin_value(value: str) -> str:
    """A value of the SQL Server form, quoted when it holds ``;`` or quotes."""
    if value != value.strip() or any(char in value for char in ";'\""):
        return '"' + value.replace('"', '""') + '"'
    return value


def compose(
    dialect: str,
    server: str,
    port: str,
    database: str,
    user: str,
    password: str,
    authentication: str = SQL_SERVER_AUTH,
) -> str:
    """The connection string for these fields (not yet checked)."""
    if dialect == SQLITE:
        return "sqlite:///" + Path(database).as_posix()
    if dialect == MSSQL:
        where = f"{server},{port}" if port else server
        text = f"Server={where};Database={_admin_value(database)};"
        if authentication == WINDOWS_AUTH and not user:
            return text + "Integrated Security=SSPI;"
        if authentication == WINDOWS_AUTH and "\\" not in user:
            raise ValidationError(
                "user",
                "a Windows login is written DOMAIN\\user; leave User empty to log on as the "
                "Windows account ictray runs as",
            )
        text += f"User Id={_admin_value(user)};"
        return text + (f"Password={_admin_value(password)};" if password else "")
    credentials = quote(user, safe="")
    if password:
        credentials += ":" + quote(password, safe="")
    where = f"{server}:{port}" if port else server
    return f"{dialect}://{credentials}@{where}/{quote(database, safe='')}"


class ConnectionStringHelper(Window):
    """A small modal dialog; ``on_done`` gets the composed string, or None when cancelled."""

    def __init__(
        self, master: tk.Misc, current: str, on_done: Callable[[str | None], None]
    ) -> None:
        super().__init__(master, "Connection String", modal=True)
        self.resizable(False, False)
        self._on_done = on_done
        self.form = Form(self.body)
        self.form.pack(fill=tk.X)
        form = self.form
        form.combo(
            "database type",
            "Database",
            "The kind of database server that stores the session data.",
            list(DATABASES.values()),
            value=DATABASES[MSSQL],
        )
        form.entry(
            "server",
            "Server",
            "The database server's host name, or host\\instance for a named "
            "SQL Server instance. Not used for an SQLite file.",
        )
        form.entry("port", "Port", "Leave empty for the server's standard port.")
        form.entry(
            "database",
            "Database",
            "The database to store session data in; for SQLite the full path of the file.",
        )
        form.combo(
            "authentication",
            "Authentication Type",
            "SQL Server only. SQL Server: a SQL Server login and its password. Windows: a "
            "Windows login (DOMAIN\\user) and its password, or leave User empty to log on as "
            "the Windows account ictray runs as (the service's account, or yours for this app; "
            "Windows only).",
            [SQL_SERVER_AUTH, WINDOWS_AUTH],
            value=SQL_SERVER_AUTH,
        )
        form.entry(
            "user",
            "User",
            "A login with rights to create tables and write rows; DOMAIN\\user for a Windows "
            "login.",
        )
        form.entry(
            "password",
            "Password",
            "The login's password; it is kept in the credential store, not in the settings file.",
            secret=True,
        )
        form.hint("The tables are created on first use.")
        self.result = ""
        self.buttons = self.button_row(
            self.body, [("OK", self.ok), ("Cancel", self.close)], default="OK"
        )
        self._fill(current)
        self.settle()
        self.after_idle(self.bring_up)

    def _fill(self, current: str) -> None:
        try:
            info = parse_connection_string(current)
        except ValueError:
            return
        self.form.set("database type", DATABASES[info.dialect])
        if info.dialect != SQLITE:
            server = info.host or ""
            self.form.set("server", f"{server}\\{info.instance}" if info.instance else server)
            self.form.set("port", str(info.port) if info.port else "")
            self.form.set("user", info.user or "")
            self.form.set("authentication", WINDOWS_AUTH if info.windows_login else SQL_SERVER_AUTH)
        self.form.set("database", info.database)

    def dialect(self) -> str:
        label = self.form.get("database type")
        return next(key for key, text in DATABASES.items() if text == label)

    def _compose(self) -> None:
        values = self.form.values()
        text = compose(
            self.dialect(),
            values["server"].strip(),
            values["port"].strip(),
            values["database"].strip(),
            values["user"].strip(),
            values["password"],
            values["authentication"],
        )
        try:
            parse_connection_string(text)
        except ValueError as error:
            raise ValidationError(FIELD, str(error)) from None
        self.result = text

    def ok(self) -> None:
        if attempt(self, [self.form], self._compose):
            on_done, self._on_done = self._on_done, lambda text: None
            super().close()
            on_done(self.result)

    def close(self) -> None:
        on_done, self._on_done = self._on_done, lambda text: None
        super().close()
        on_done(None)
