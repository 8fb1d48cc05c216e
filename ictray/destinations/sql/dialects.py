"""One thin DB-API layer per database: connecting, quoting, placeholders, times, the catalog.

Why no ORM: the tables and columns are a public interface fixed by the guide, so there is
nothing to map or migrate; the writer's speed comes from ``executemany`` over plain tuples,
which an object layer would only slow down; peewee (used for the settings) has no SQL Server
support, and SQLAlchemy would be a large dependency for a dozen statements. The drivers differ
in a few places only (placeholder style, identifier quoting, how a write transaction begins, how
times are passed, where the catalog lives), and those few are collected here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypedDict

from ictray.destinations.sql.connstr import MSSQL, MYSQL, POSTGRESQL, SQLITE, ConnectionInfo

#: seconds to wait for a server (or for SQLite, for another writer's lock) before giving up
CONNECT_TIMEOUT = 15
SQLITE_BUSY_TIMEOUT = 60
APPLICATION_NAME = "ictray"
_EPOCH = datetime(1970, 1, 1)
#: PostgreSQL: no field may exceed 1 GB
POSTGRESQL_FIELD_BYTES = 2**30 - 1
#: SQL Server: NVARCHAR(MAX) holds up to 2 GB
MSSQL_VALUE_BYTES = 2**31 - 1
#: MySQL/MariaDB errors that refuse the data: packet too large (the server then closes the
#: connection), packet overflow in a function, incorrect string value, incorrect datetime.
#: PyMySQL raises the others (data too long, out of range, truncated) as ``DataError``.
_MYSQL_DATA_ERRORS = frozenset({1153, 1301, 1366, 1292})
#: SQL Server: string or binary data would be truncated (8152, 2628), arithmetic overflow
#: (8115, 220, 232), date out of range (242, 517), NULL or a check constraint refused (515, 547)
_MSSQL_DATA_ERRORS = frozenset({8152, 2628, 8115, 220, 232, 242, 517, 515, 547})


class Cursor(Protocol):
    """The part of a DB-API cursor the SQL destination uses."""

    def execute(self, operation: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any]], /) -> Any: ...

    def fetchall(self) -> Sequence[Sequence[Any]]: ...

    def fetchone(self) -> Sequence[Any] | None: ...

    def close(self) -> Any: ...


class Connection(Protocol):
    """The part of a DB-API connection the SQL destination uses."""

    def cursor(self) -> Any: ...

    def commit(self) -> Any: ...

    def rollback(self) -> Any: ...

    def close(self) -> Any: ...


@dataclass(frozen=True)
class ServerLimits:
    """What a server takes besides the columns' widths (see ``limits``).

    ``value_bytes``: the largest text value (UTF-8 bytes); ``statement_bytes``: the largest
    statement, and ``statement_setting`` the server setting that decides it.
    """

    value_bytes: int | None = None
    statement_bytes: int | None = None
    statement_setting: str = ""


def utc_datetime(timestamp: int) -> datetime:
    """UNIX seconds as a naive datetime in UTC (the columns hold UTC without a zone)."""
    return _EPOCH + timedelta(seconds=timestamp)


class Dialect(ABC):
    """What differs between databases; one instance per dialect, without state."""

    name: ClassVar[str]
    label: ClassVar[str]
    placeholder: ClassVar[str] = "%s"
    #: what stands for a time column's value in an INSERT (``time_value`` gives the parameter)
    time_placeholder: ClassVar[str] = "%s"
    quotes: ClassVar[tuple[str, str]] = ('"', '"')
    #: parameters: table name
    table_exists_sql: ClassVar[str]
    #: parameters: table name, index name
    index_exists_sql: ClassVar[str]
    #: taken in the schema transaction, so two writers never create the tables at once
    lock_schema_sql: ClassVar[str | None] = None
    #: releases that lock where it outlives the transaction (MySQL's GET_LOCK)
    unlock_schema_sql: ClassVar[str | None] = None
    #: parameters one statement may carry, and rows one multi-row INSERT may (see ``bulk``)
    max_parameters: ClassVar[int] = 999
    max_rows_per_insert: ClassVar[int] = 1000
    #: whether a multi-row INSERT must go through ``INSERT ... SELECT ... ORDER BY`` for the
    #: rows to be numbered in order (see ``Statements.insert``)
    ordered_insert: ClassVar[bool] = False
    #: whether a text longer than its column's declared width is refused (not SQLite)
    enforces_widths: ClassVar[bool] = True
    #: whether widths count UTF-16 units (SQL Server's NVARCHAR) rather than characters
    utf16_widths: ClassVar[bool] = False
    #: whether text may hold NUL characters (not in PostgreSQL)
    nul_in_text: ClassVar[bool] = True

    def quote(self, identifier: str) -> str:
        return f"{self.quotes[0]}{identifier}{self.quotes[1]}"

    def placeholders(self, count: int) -> str:
        return ", ".join([self.placeholder] * count)

    def rows_per_insert(self, columns: int) -> int:
        """Rows of ``columns`` parameters each that one INSERT statement may carry."""
        return max(1, min(self.max_rows_per_insert, self.max_parameters // columns))

    @abstractmethod
    def connect(self, info: ConnectionInfo) -> Connection:
        """A connection with autocommit off; raises the driver's error when it cannot."""

    @abstractmethod
    def driver_error(self) -> type[Exception]:
        """The base class of every error the driver raises (DB-API ``Error``)."""

    def begin(self, cursor: Cursor) -> None:  # noqa: B027 - most drivers begin implicitly
        """Start a write transaction (drivers with implicit transactions need nothing)."""

    def time_value(self, timestamp: int | None) -> object:
        """A UNIX time as the driver binds it to ``time_placeholder`` in a UTC datetime column."""
        return None if timestamp is None else utc_datetime(timestamp)

    def connection_lost(self, connection: Connection) -> bool:
        """Whether the driver has given the connection up (only drivers that can tell)."""
        return False

    def transient(self, error: BaseException) -> bool:
        """Whether ``error`` is a deadlock or lock timeout, gone when the batch is retried."""
        return False

    def refuses_data(self, error: BaseException) -> bool:
        """Whether ``error`` refuses the values written (too long, out of range, a constraint),
        as opposed to the database failing (gone, no rights, no space): only then may one
        session be blamed and given up."""
        return isinstance(error, (OverflowError, UnicodeError))

    def closes_connection(self, error: BaseException) -> bool:
        """Whether the server closes the connection after ``error`` (whatever the driver says)."""
        return False

    def server_limits(self, connection: Connection) -> ServerLimits:
        """The server's own limits, read through a working connection."""
        return ServerLimits()

    def lock_schema(self, cursor: Cursor) -> bool:
        """Take the schema lock; ``False`` if another writer kept it past the timeout."""
        if self.lock_schema_sql:
            cursor.execute(self.lock_schema_sql)
        return True

    def unlock_schema(self, cursor: Cursor) -> None:
        if self.unlock_schema_sql:
            cursor.execute(self.unlock_schema_sql)
            cursor.fetchall()


class SqliteDialect(Dialect):
    name = SQLITE
    label = "SQLite"
    placeholder = "?"
    # SQLite has no datetime type: times are text 'YYYY-MM-DD HH:MM:SS', what its date and time
    # functions read, and its own datetime() writes them from UNIX seconds faster than Python.
    time_placeholder = "datetime(?, 'unixepoch')"
    # Not double quotes: SQLite reads a double-quoted name that matches no column as a string
    # literal, so a missing column would pass silently.
    quotes = ("[", "]")
    enforces_widths = False  # SQLite stores any length whatever the declared VARCHAR(n)
    table_exists_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    # Rows get increasing ids in VALUES order; old SQLite versions allow 999 parameters, and
    # statements beyond 64 rows are no faster.
    max_rows_per_insert = 64
    index_exists_sql = (
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?"
    )

    def connect(self, info: ConnectionInfo) -> Connection:
        import sqlite3

        folder = Path(info.database).parent
        if not folder.is_dir():
            raise sqlite3.OperationalError(
                f"the folder {folder} does not exist; create it or choose another path"
            )
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE, see begin).
        connection = sqlite3.connect(
            info.database,
            timeout=SQLITE_BUSY_TIMEOUT,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    def driver_error(self) -> type[Exception]:
        import sqlite3

        return sqlite3.Error

    def begin(self, cursor: Cursor) -> None:
        # IMMEDIATE takes the write lock now, so two writers queue instead of failing midway.
        cursor.execute("BEGIN IMMEDIATE")

    def time_value(self, timestamp: int | None) -> object:
        return timestamp  # see time_placeholder

    def refuses_data(self, error: BaseException) -> bool:
        import sqlite3

        # DataError: "string or blob too big"; IntegrityError: a constraint or a trigger's
        # RAISE(ABORT) refusing the row (a duplicate key is another writer's doing, not the
        # data's).
        if isinstance(error, sqlite3.IntegrityError):
            return not str(error).startswith("UNIQUE constraint failed")
        return super().refuses_data(error) or isinstance(error, sqlite3.DataError)

    def server_limits(self, connection: Connection) -> ServerLimits:
        import sqlite3

        # Connection.getlimit and the constant exist from Python 3.11; SQLite's default before.
        getlimit = getattr(connection, "getlimit", None)
        which = getattr(sqlite3, "SQLITE_LIMIT_LENGTH", None)
        length = getlimit(which) if getlimit and which is not None else 1_000_000_000
        return ServerLimits(value_bytes=int(length))


class PostgresqlDialect(Dialect):
    name = POSTGRESQL
    label = "PostgreSQL"
    table_exists_sql = (
        "SELECT 1 FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = %s"
    )
    index_exists_sql = (
        "SELECT 1 FROM pg_indexes "
        "WHERE schemaname = current_schema() AND tablename = %s AND indexname = %s"
    )
    lock_schema_sql = "SELECT pg_advisory_xact_lock(1768125554)"  # a key of ictray's own
    nul_in_text = False
    # Rows are inserted with COPY (see bulk); the protocol carries 65,535 parameters.
    max_parameters = 65_535

    def connect(self, info: ConnectionInfo) -> Connection:
        import psycopg

        params: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": APPLICATION_NAME,
            **info.options,
        }
        connection: Connection = psycopg.connect(
            host=info.host,
            port=info.port,
            dbname=info.database,
            user=info.user,
            password=info.password,
            **params,
        )
        return connection

    def driver_error(self) -> type[Exception]:
        import psycopg

        return psycopg.Error

    def connection_lost(self, connection: Connection) -> bool:
        # psycopg marks a connection whose server went away "broken" (and "closed").
        return bool(getattr(connection, "closed", False) or getattr(connection, "broken", False))

    def transient(self, error: BaseException) -> bool:
        # serialization_failure, deadlock_detected, lock_not_available
        return getattr(error, "sqlstate", None) in ("40001", "40P01", "55P03")

    def refuses_data(self, error: BaseException) -> bool:
        import psycopg

        # Class 22: data exceptions (value too long, out of range, invalid byte sequence...),
        # 23: integrity constraints but a duplicate key (another writer's doing), 54: program
        # limits exceeded (a row or value too large), P0001: a trigger raising an exception.
        # psycopg.DataError without a state: a NUL character, refused before it was sent.
        state = getattr(error, "sqlstate", None) or ""
        return (
            super().refuses_data(error)
            or state[:2] in ("22", "54")
            or (state[:2] == "23" and state != "23505")
            or state == "P0001"
            or (isinstance(error, psycopg.DataError) and not state)
        )

    def server_limits(self, connection: Connection) -> ServerLimits:
        return ServerLimits(value_bytes=POSTGRESQL_FIELD_BYTES)


class MysqlDialect(Dialect):
    name = MYSQL
    label = "MySQL/MariaDB"
    quotes = ("`", "`")
    table_exists_sql = (
        "SELECT 1 FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_name = %s"
    )
    index_exists_sql = (
        "SELECT 1 FROM information_schema.statistics "
        "WHERE table_schema = DATABASE() AND table_name = %s AND index_name = %s"
    )
    # MySQL commits each CREATE at once, so a named lock, not the transaction, keeps order.
    lock_schema_sql = "SELECT GET_LOCK(CONCAT('ictray_schema.', DATABASE()), 60)"
    unlock_schema_sql = "SELECT RELEASE_LOCK(CONCAT('ictray_schema.', DATABASE()))"
    # Rows are inserted by statements holding them as literals, sized in bytes (see bulk).
    # Strict mode: a value too long for its column fails instead of being cut silently.
    _init_command = (
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'"
    )

    def connect(self, info: ConnectionInfo) -> Connection:
        import pymysql

        options = dict(info.options)
        ssl: dict[str, Any] = {
            key: options[key] for key in ("ssl_ca", "ssl_cert", "ssl_key") if key in options
        }
        for key in ("ssl_verify_cert", "ssl_verify_identity"):
            if key in options:
                ssl[key] = options[key].strip().lower() in ("1", "true", "yes", "on")
        connection: Connection = pymysql.connect(
            host=info.host,
            port=info.port or 3306,
            user=info.user or "",
            password=info.password or "",
            database=info.database,
            charset="utf8mb4",
            autocommit=False,
            connect_timeout=int(options.get("connect_timeout", CONNECT_TIMEOUT)),
            init_command=self._init_command,
            program_name=APPLICATION_NAME,
            **ssl,
        )
        return connection

    def driver_error(self) -> type[Exception]:
        import pymysql

        return pymysql.Error

    def connection_lost(self, connection: Connection) -> bool:
        return not getattr(connection, "open", True)

    def begin(self, cursor: Cursor) -> None:
        # A fresh transaction (and snapshot) for every batch, whatever ran on the connection.
        cursor.execute("START TRANSACTION")

    def transient(self, error: BaseException) -> bool:
        return bool(error.args) and error.args[0] in (1205, 1213)  # lock wait timeout, deadlock

    def refuses_data(self, error: BaseException) -> bool:
        import pymysql

        code = error.args[0] if error.args else None
        if isinstance(error, pymysql.IntegrityError):
            return code != 1062  # a duplicate key is another writer's doing, not the data's
        return (
            super().refuses_data(error)
            or isinstance(error, pymysql.DataError)
            or code in _MYSQL_DATA_ERRORS
        )

    def closes_connection(self, error: BaseException) -> bool:
        return bool(error.args) and error.args[0] == 1153  # ER_NET_PACKET_TOO_LARGE

    def server_limits(self, connection: Connection) -> ServerLimits:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT @@max_allowed_packet")
            row = cursor.fetchone()
        finally:
            cursor.close()
        return ServerLimits(
            statement_bytes=int(row[0]) if row else None, statement_setting="max_allowed_packet"
        )

    def lock_schema(self, cursor: Cursor) -> bool:
        super().lock_schema(cursor)
        return tuple(cursor.fetchone() or ()) == (1,)  # GET_LOCK: 1 taken, 0 timed out


class MssqlArguments(TypedDict):
    """The keyword arguments of ``pymssql.connect`` that ictray sets."""

    server: str
    port: str
    user: str | None
    password: str | None
    database: str
    login_timeout: int
    encryption: str | None
    appname: str
    charset: str
    tds_version: str
    autocommit: bool


class MssqlDialect(Dialect):
    name = MSSQL
    label = "SQL Server"
    quotes = ("[", "]")
    utf16_widths = True
    table_exists_sql = "SELECT 1 FROM sys.tables WHERE name = %s AND schema_id = SCHEMA_ID()"
    index_exists_sql = "SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(%s) AND name = %s"
    lock_schema_sql = (
        "EXECUTE sp_getapplock @Resource = N'ictray_schema', @LockMode = N'Exclusive', "
        "@LockOwner = N'Transaction', @LockTimeout = 60000"
    )
    # SQL Server takes 2,100 parameters in a request (sp_executesql, which drivers with
    # server-side parameters call, takes two of them) and 1,000 rows in a VALUES list. It does
    # not document that a multi-row VALUES list takes IDENTITY values in row order, which the
    # writer reads event ids back in; it does for INSERT ... SELECT ... ORDER BY.
    max_parameters = 2098
    ordered_insert = True

    def connect(self, info: ConnectionInfo) -> Connection:
        import pymssql

        connection: Connection = pymssql.connect(**self.connect_arguments(info))
        return connection

    @staticmethod
    def connect_arguments(info: ConnectionInfo) -> MssqlArguments:
        """What ``pymssql.connect`` is given for ``info``.

        Windows authentication as the running account passes no login at all: FreeTDS then
        logs on through SSPI with the process's own Windows account. A ``DOMAIN\\user`` login
        goes as it is written: FreeTDS sees the backslash and sends an NTLM domain login.
        """
        server = info.host or "localhost"
        if info.instance:
            server = f"{server}\\{info.instance}"
        return {
            "server": server,
            "port": str(info.port or 1433),
            "user": "" if info.integrated else info.user,
            "password": "" if info.integrated else info.password,
            "database": info.database,
            "login_timeout": int(info.options.get("login_timeout", CONNECT_TIMEOUT)),
            "encryption": info.options.get("encryption"),
            "appname": APPLICATION_NAME,
            "charset": "UTF-8",
            "tds_version": "7.3",
            "autocommit": False,
        }

    def driver_error(self) -> type[Exception]:
        import pymssql

        return pymssql.Error

    def transient(self, error: BaseException) -> bool:
        return bool(error.args) and error.args[0] in (1205, 1222)  # deadlock victim, lock timeout

    def refuses_data(self, error: BaseException) -> bool:
        return super().refuses_data(error) or (
            bool(error.args) and error.args[0] in _MSSQL_DATA_ERRORS
        )

    def server_limits(self, connection: Connection) -> ServerLimits:
        return ServerLimits(value_bytes=MSSQL_VALUE_BYTES)


DIALECTS: dict[str, Dialect] = {
    dialect.name: dialect
    for dialect in (SqliteDialect(), PostgresqlDialect(), MysqlDialect(), MssqlDialect())
}


def dialect_for(info: ConnectionInfo) -> Dialect:
    return DIALECTS[info.dialect]
