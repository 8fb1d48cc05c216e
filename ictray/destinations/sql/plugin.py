"""The SQL destination: support session data in the guide's standard schema.

The guide's "SQL Server" plugin, extended to PostgreSQL, MySQL/MariaDB and SQLite: one
connection string picks the database (see ``connstr``), the tables are created on first use
(see ``schema`` and ``resources/sql``), and each batch of sessions is written in one transaction
(see ``writer``). Recordings, backups and presentations are refused, as the guide says.
"""

from __future__ import annotations

import calendar
import getpass
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from ictray.appliance.model import Session
from ictray.datatypes import DataType
from ictray.destinations.base import (
    BeforePublishBatch,
    Destination,
    DestinationError,
    Held,
    Holdings,
    Manifest,
    OptionSpec,
)
from ictray.destinations.sql import connstr
from ictray.destinations.sql.connstr import SQLITE, ConnectionInfo, parse_connection_string
from ictray.destinations.sql.dialects import Connection, Dialect, dialect_for
from ictray.destinations.sql.schema import SCHEMA_VERSION, SchemaError, ensure_schema
from ictray.destinations.sql.statements import Statements
from ictray.destinations.sql.tables import TABLES
from ictray.destinations.sql.writer import BatchError, SessionWriter, driver_message
from ictray.errors import ValidationError
from ictray.logs import mask_values

CONNECTION_STRING = "connection_string"
#: secrets of the connection string besides the password are kept as ``connection_string?NAME``
SECRET_OPTION = CONNECTION_STRING + "?"
STORE_SYSTEM_INFORMATION = "store_system_information"

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")

_FILES_ONLY = (
    "SQL Server databases cannot be used to store session recordings or site backups; "
    "choose a File System destination"
)
_PRESENTATIONS = (
    "the standard schema holds support sessions only (the guide: type is always support); "
    "store presentation data with a File System destination as XML"
)


class SessionWriteError(DestinationError):
    """A batch was refused and rolled back; ``lsid`` is the session the database refused."""

    def __init__(self, message: str, lsid: str | None) -> None:
        super().__init__(message, lsid)


def normalise_bool(text: str) -> str:
    """``True``/``False``/``yes``/``no``/``1``/``0`` as ``"true"`` or ``"false"``."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    raise ValueError(f"{text!r} is neither true nor false; write true or false")


def _validate_connection_string(text: str) -> str:
    parse_connection_string(text)
    return text.strip()


class SqlDestination(Destination):
    """Session data into an SQL database (SQL Server, PostgreSQL, MySQL/MariaDB, SQLite)."""

    plugin_name = "sql"
    label = "SQL database"
    accepts = frozenset({DataType.SESSION_DATA})
    replaces_sessions = True
    refusals: ClassVar[dict[DataType, str]] = {
        DataType.SESSION_RECORDINGS: _FILES_ONLY,
        DataType.SHOW_MY_SCREEN_RECORDINGS: _FILES_ONLY,
        DataType.COMMAND_SHELL_RECORDINGS: _FILES_ONLY,
        DataType.PRESENTATION_RECORDINGS: _FILES_ONLY,
        DataType.SITE_BACKUPS: _FILES_ONLY,
        DataType.PRESENTATION_DATA: _PRESENTATIONS,
    }
    options = (
        OptionSpec(
            key=CONNECTION_STRING,
            label="Connection String",
            tooltip=(
                "The connection string used to connect to the database where session data "
                "will be stored: Server=host,port;Database=name;User Id=login;Password=secret; "
                "for SQL Server, or a URL: mssql://, postgresql://, mysql:// (MariaDB too), "
                "sqlite:///<absolute path>. The password is kept in the credential store."
            ),
            required=True,
            validate=_validate_connection_string,
        ),
        OptionSpec(
            key=STORE_SYSTEM_INFORMATION,
            label="Should Store System Information",
            tooltip=(
                "True or False. Designates if the system information will be stored. This is "
                "the system information collected during a remote session."
            ),
            default="true",
            validate=normalise_bool,
        ),
    )

    def __init__(self, name: str, options: dict[str, str]) -> None:
        super().__init__(name, options)
        self._connection: Connection | None = None
        self._writer: SessionWriter | None = None

    # -- options ---------------------------------------------------------------------------

    @classmethod
    def split_secrets(cls, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """The connection string without its secrets stays public; each secret is kept apart:
        the password as ``connection_string`` (as ever), others (``sslpassword``...) as
        ``connection_string?<name>``."""
        public, hidden = super().split_secrets(options)
        text = public.get(CONNECTION_STRING)
        if text:
            try:
                without, parts = connstr.split_secrets(text)
            except ValueError as error:
                raise ValidationError(CONNECTION_STRING, str(error)) from None
            if parts:
                public[CONNECTION_STRING] = without
                for name, value in parts.items():
                    key = CONNECTION_STRING if name == connstr.PASSWORD else SECRET_OPTION + name
                    hidden[key] = value
        return public, hidden

    @classmethod
    def join_secrets(cls, public: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
        joined = dict(public)
        parts = {
            connstr.PASSWORD if key == CONNECTION_STRING else key[len(SECRET_OPTION) :]: value
            for key, value in secrets.items()
            if value and (key == CONNECTION_STRING or key.startswith(SECRET_OPTION))
        }
        if parts and joined.get(CONNECTION_STRING):
            joined[CONNECTION_STRING] = connstr.join_secrets(joined[CONNECTION_STRING], parts)
        return joined

    @property
    def connection_info(self) -> ConnectionInfo:
        try:
            return parse_connection_string(self.config.get(CONNECTION_STRING, ""))
        except ValueError as error:
            raise DestinationError(
                f"SQL destination {self.name!r}: bad connection string: {error}"
            ) from None

    @property
    def store_system_information(self) -> bool:
        text = self.config.get(STORE_SYSTEM_INFORMATION) or "true"
        try:
            return normalise_bool(text) == "true"
        except ValueError as error:
            raise DestinationError(
                f"SQL destination {self.name!r}: Should Store System Information: {error}"
            ) from None

    # -- work ------------------------------------------------------------------------------

    def test(self) -> str:
        info = self.connection_info
        dialect = dialect_for(info)
        connection = self._connect(info, dialect)
        try:
            created = self._ensure_schema(connection, info, dialect)
            self._probe(connection, info, dialect)
        finally:
            _close_quietly(connection)
        if not created:
            tables = "the standard tables are in place"
        elif set(TABLES) <= set(created):
            tables = "created the standard tables"
        else:
            tables = f"created the missing {', '.join(created)}"
        return (
            f"{dialect.label} {info.redacted()}: connected; {tables} (schema version "
            f"{SCHEMA_VERSION}); INSERT, UPDATE, SELECT and DELETE work"
        )

    def open(self) -> None:
        self._open_writer()

    def _open_writer(self) -> SessionWriter:
        if self._writer is not None:
            return self._writer
        info = self.connection_info
        dialect = dialect_for(info)
        connection = self._connect(info, dialect)
        try:
            self._ensure_schema(connection, info, dialect)
        except DestinationError:
            _close_quietly(connection)
            raise
        self._connection = connection
        self._writer = SessionWriter(
            connection,
            dialect,
            self.store_system_information,
            reconnect=lambda: self._reconnect(info, dialect),
        )
        return self._writer

    def _reconnect(self, info: ConnectionInfo, dialect: Dialect) -> Connection:
        """A new connection for the writer, after the server closed the last one."""
        self._connection = dialect.connect(info)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            _close_quietly(self._connection)
        self._connection = None
        self._writer = None

    def write_sessions(
        self,
        site_host: str,
        sessions: Sequence[Session],
        *,
        before_publish: BeforePublishBatch | None = None,
    ) -> list[str]:
        """Store the batch in one transaction; return ``<database> session.id=<id>`` each.

        Sessions already stored are replaced, so there is nothing to announce.
        """
        if not sessions:
            return []
        writer = self._open_writer()
        info = self.connection_info
        try:
            ids = writer.write(site_host, sessions)
        except BatchError as error:
            self.close()  # the next batch starts on a fresh connection
            raise SessionWriteError(
                f"SQL destination {self.name!r} ({info.redacted()}): {_scrub(str(error), info)}",
                error.lsid,
            ) from None
        where = info.redacted()
        return [f"{where} session.id={ids[session.lsid]}" for session in sessions]

    def holdings(
        self, site_host: str, data_type: DataType, manifest: Manifest, since: int | None = None
    ) -> Holdings | None:
        """The sessions of ``site_host`` in the session table (from ``since`` on), read with
        plain SQL."""
        if data_type is not DataType.SESSION_DATA:
            return None
        info = self.connection_info
        dialect = dialect_for(info)
        connection = self._connect(info, dialect)
        table, lsid, host, start = (
            dialect.quote(name) for name in ("session", "lsid", "host_name", "start_time")
        )
        try:
            cursor = connection.cursor()
            query = (
                f"SELECT {dialect.quote('id')}, {lsid}, {start} FROM {table} "
                f"WHERE {host} = {dialect.placeholder}"
            )
            parameters: tuple[object, ...] = (site_host,)
            if since is not None:
                query += f" AND {start} >= {dialect.time_placeholder}"
                parameters += (dialect.time_value(since),)
            cursor.execute(query, parameters)
            rows = cursor.fetchall()
            cursor.close()
        except dialect.driver_error() as error:
            raise DestinationError(
                f"SQL destination {self.name!r} ({info.redacted()}) cannot read the session "
                f"table: {_scrub(driver_message(error), info)}"
            ) from None
        finally:
            _close_quietly(connection)
        where = info.redacted()
        return Holdings(
            per_site=True,
            held=[
                Held(str(key), f"{where} session.id={row_id}", _unix_time(when))
                for row_id, key, when in rows
            ],
        )

    # -- helpers ---------------------------------------------------------------------------

    def _connect(self, info: ConnectionInfo, dialect: Dialect) -> Connection:
        try:
            return dialect.connect(info)
        except dialect.driver_error() as error:
            where = info.server
            if info.dialect != SQLITE:
                login = f", login {info.user}" if info.user else ""
                if info.integrated:  # which account that is depends on who runs ictray
                    login = f", Windows authentication as {getpass.getuser()}"
                where += f" (database {info.database}{login})"
            raise DestinationError(
                f"SQL destination {self.name!r} cannot connect to {dialect.label} {where}: "
                f"{_scrub(driver_message(error), info)}"
            ) from None

    def _ensure_schema(
        self, connection: Connection, info: ConnectionInfo, dialect: Dialect
    ) -> list[str]:
        try:
            return ensure_schema(connection, dialect)
        except SchemaError as error:
            raise DestinationError(
                f"SQL destination {self.name!r} ({info.redacted()}): {error}"
            ) from None
        except dialect.driver_error() as error:
            raise DestinationError(
                f"SQL destination {self.name!r} ({info.redacted()}) cannot create the standard "
                f"tables: {_scrub(driver_message(error), info)}; the login needs the right to "
                "create tables in this database"
            ) from None

    def _probe(self, connection: Connection, info: ConnectionInfo, dialect: Dialect) -> None:
        """INSERT, SELECT, UPDATE and DELETE one session row, then roll it all back."""
        statements = Statements(dialect)
        host, lsid = "ictray-test.invalid", f"ictray-test-{secrets.token_hex(8)}"
        values = {"lsid": lsid, "type": "support", "host_name": host}
        cursor = connection.cursor()
        try:
            dialect.begin(cursor)
            cursor.execute(
                statements.insert("session"),
                tuple(values.get(column) for column in TABLES["session"]),
            )
            cursor.execute(statements.select_session_ids(1), (host, lsid))
            session_id = cursor.fetchall()[0][0]
            cursor.execute(statements.update_external_key(), ("ictray write test", session_id))
            cursor.execute(statements.select_external_key(), (session_id,))
            updated = cursor.fetchall()
            cursor.execute(statements.delete_sessions(1), (session_id,))
        except dialect.driver_error() as error:
            raise DestinationError(
                f"SQL destination {self.name!r} ({info.redacted()}) cannot write: "
                f"{_scrub(driver_message(error), info)}; the login needs the rights to INSERT, "
                "UPDATE, DELETE and SELECT in this database"
            ) from None
        finally:
            cursor.close()
            try:
                connection.rollback()
            except dialect.driver_error():
                pass  # the connection is gone: nothing of the test is left behind
        if [tuple(row) for row in updated] != [("ictray write test",)]:
            raise DestinationError(
                f"SQL destination {self.name!r} ({info.redacted()}): an UPDATE in the write "
                "test did not take effect (a trigger on the session table?)"
            )


def _scrub(text: str, info: ConnectionInfo) -> str:
    """Mask the password and other secrets should a driver ever echo them in a message."""
    return mask_values(text, info.secrets, "***")


def _unix_time(value: object) -> int | None:
    """A time column's value as UNIX seconds (UTC): a datetime, or SQLite's text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return calendar.timegm(value.utctimetuple())
    return None


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:  # closing a broken connection must not hide the error that broke it
        return
