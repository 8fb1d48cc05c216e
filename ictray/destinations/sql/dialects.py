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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypedDict

from ictray.destinations.sql.connstr import MSSQL, MYSQL, POSTGRESQL, SQLITE, ConnectionInfo

#: seconds to wait for a server (or for SQLite, for another writer's lock) before giving up
CONNECT_TIMEOUT = 15
SQLITE_BUSY_TIMEOUT = 60
APPLICATION_NAME = "ictray"
_EPOCH = datetime(1970, 1, 1)


class Cursor(Protocol):
    """The part of a DB-API cursor the SQL destination uses."""

    def execute(self, operation: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any]], /) -> Any:
        ...

    def fetchall(self) -> Sequence[Sequence[Any]]: ...

    def fetchone(self) -> Sequence[Any] | None: ...

    def close(self) -> Any: ...


class Connection(Protocol):
    """The part of a DB-API connection the SQL destination uses."""

    def cursor(self) -> Any: ...

    def commit(self) -> Any: ...

    def rollback(self) -> Any: ...

    def close(self) -> Any: ...


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
    #: rows one INSERT statement carries (``VALUES (...), (...)``): one statement per row costs
    #: a statement execution per row; 1 where the driver batches already or order is unsure
    rows_per_insert: ClassVar[int] = 1

    def quote(self, identifier: str) -> str:
        return f"{self.quotes[0]}{identifier}{self.quotes[1]}"

    def placeholders(self, count: int) -> str:
        return ", ".join([self.placeholder] * count)

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
    table_exists_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    # Rows get increasing ids in VALUES order; 64 rows of the widest table stay under the 999
    # parameters old SQLite versions allow.
    rows_per_insert = 64
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
            info.database, timeout=SQLITE_BUSY_TIMEOUT, isolation_level=None,
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
    # A multi-row VALUES list takes the sequence's values in row order.
    rows_per_insert = 64

    def connect(self, info: ConnectionInfo) -> Connection:
        import psycopg

        params: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": APPLICATION_NAME,
            **info.options,
        }
        connection: Connection = psycopg.connect(
            host=info.host, port=info.port, dbname=info.database, user=info.user,
            password=info.password, **params,
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
    # rows_per_insert stays 1: PyMySQL's executemany already sends multi-row INSERTs.
    # Strict mode: a value too long for its column fails instead of being cut silently.
    _init_command = (
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', "
        "time_zone = '+00:00'"
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
            host=info.host, port=info.port or 3306, user=info.user or "",
            password=info.password or "", database=info.database, charset="utf8mb4",
            autocommit=False, connect_timeout=int(options.get("connect_timeout", CONNECT_TIMEOUT)),
            init_command=self._init_command, program_name=APPLICATION_NAME, **ssl,
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
    table_exists_sql = "SELECT 1 FROM sys.tables WHERE name = %s AND schema_id = SCHEMA_ID()"
    index_exists_sql = "SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(%s) AND name = %s"
    lock_schema_sql = (
        "EXECUTE sp_getapplock @Resource = N'ictray_schema', @LockMode = N'Exclusive', "
        "@LockOwner = N'Transaction', @LockTimeout = 60000"
    )
    # rows_per_insert stays 1: SQL Server does not document that a multi-row VALUES list takes
    # IDENTITY values in row order, and the writer reads event ids back in that order.

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
            "server": server, "port": str(info.port or 1433),
            "user": "" if info.integrated else info.user,
            "password": "" if info.integrated else info.password,
            "database": info.database,
            "login_timeout": int(info.options.get("login_timeout", CONNECT_TIMEOUT)),
            "encryption": info.options.get("encryption"), "appname": APPLICATION_NAME,
            "charset": "UTF-8", "tds_version": "7.3", "autocommit": False,
        }

    def driver_error(self) -> type[Exception]:
        import pymssql

        return pymssql.Error

    def transient(self, error: BaseException) -> bool:
        return bool(error.args) and error.args[0] in (1205, 1222)  # deadlock victim, lock timeout


DIALECTS: dict[str, Dialect] = {
    dialect.name: dialect
    for dialect in (SqliteDialect(), PostgresqlDialect(), MysqlDialect(), MssqlDialect())
}


def dialect_for(info: ConnectionInfo) -> Dialect:
    return DIALECTS[info.dialect]
