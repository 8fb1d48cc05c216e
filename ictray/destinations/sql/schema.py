"""The standard schema: its tables and columns, and creating what is missing from the DDL files.

The DDL lives in readable files, one per dialect, under ``resources/sql/<dialect>.sql``; each
file holds ``CREATE TABLE`` and ``CREATE INDEX`` statements only. Creation is idempotent in the
simplest way that works on every database (SQL Server and MySQL lack ``CREATE INDEX IF NOT
EXISTS``): before each statement the catalog is asked whether its table or index exists.
Two writers opening a new database at once take turns (under a lock of the database's own):
the first creates, the second finds. Tables that already exist (from an older program, or made
by hand) are checked for the standard columns instead of being touched.
"""

from __future__ import annotations

import importlib.resources
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ictray.destinations.sql.dialects import Connection, Cursor, Dialect
from ictray.destinations.sql.statements import Statements
from ictray.destinations.sql.tables import TABLES, VERSION_TABLE

SCHEMA_VERSION = 1

_CREATE = re.compile(
    r"\s*CREATE\s+(?:UNIQUE\s+)?(TABLE|INDEX)\s+(\w+)(?:\s+ON\s+(\w+))?", re.IGNORECASE
)


class SchemaError(Exception):
    """The database holds a schema ictray cannot use; the message says why."""


@dataclass(frozen=True)
class DdlStatement:
    """One statement of a DDL file and the object it creates."""

    kind: str  # "table" or "index"
    name: str
    table: str
    sql: str


def load_ddl(dialect_name: str) -> list[DdlStatement]:
    """The statements of ``resources/sql/<dialect>.sql``, in file order."""
    resource = importlib.resources.files("ictray.resources") / "sql" / f"{dialect_name}.sql"
    return parse_ddl(resource.read_text(encoding="utf-8"))


def parse_ddl(text: str) -> list[DdlStatement]:
    """Split a DDL script on ``;``; ``--`` comments are dropped (none may hide inside text)."""
    without_comments = re.sub(r"--[^\n]*", "", text)
    statements = []
    for chunk in without_comments.split(";"):
        sql = chunk.strip()
        if not sql:
            continue
        match = _CREATE.match(sql)
        if match is None:
            raise SchemaError(f"a DDL file may hold CREATE TABLE and CREATE INDEX only: {sql[:60]}")
        kind, name, table = match.group(1).lower(), match.group(2), match.group(3)
        statements.append(DdlStatement(kind, name, table or name, sql))
    return statements


def ensure_schema(connection: Connection, dialect: Dialect) -> list[str]:
    """Create the missing tables and indexes; return their names (empty when all exist).

    Raises ``SchemaError`` for a schema made by a newer ictray or tables lacking columns, and
    the driver's error when the database refuses (no right to create tables, ...).
    """
    ddl = load_ddl(dialect.name)
    statements = Statements(dialect)
    cursor = connection.cursor()
    try:
        dialect.begin(cursor)
        if not dialect.lock_schema(cursor):
            raise SchemaError(
                "another program kept the tables locked for a minute; "
                "try again when it has finished creating them"
            )
        created = _create_missing(cursor, dialect, statements, ddl)
        connection.commit()
        return created
    except (dialect.driver_error(), SchemaError):
        connection.rollback()
        raise
    finally:
        try:
            dialect.unlock_schema(cursor)
        except dialect.driver_error():
            pass  # a lost connection has released the lock with it
        cursor.close()


def _create_missing(
    cursor: Cursor, dialect: Dialect, statements: Statements, ddl: Sequence[DdlStatement]
) -> list[str]:
    stored = stored_version(cursor, dialect, statements)
    if stored is not None and stored > SCHEMA_VERSION:
        raise SchemaError(
            f"the tables were created by a newer ictray (schema version {stored}; this one "
            f"knows version {SCHEMA_VERSION}); upgrade ictray on this computer"
        )
    created = []
    # Tables first, then their columns are checked, then indexes: an index on a column an old
    # table lacks would fail with a message that hides the real problem.
    for statement in ddl:
        if statement.kind == "table" and not _exists(cursor, dialect, statement):
            cursor.execute(statement.sql)
            created.append(statement.name)
    check_columns(cursor, dialect, statements)
    for statement in ddl:
        if statement.kind == "index" and not _exists(cursor, dialect, statement):
            cursor.execute(statement.sql)
            created.append(statement.name)
    if stored is None:
        cursor.execute(
            statements.insert_version(), (SCHEMA_VERSION, dialect.time_value(int(time.time())))
        )
    return created


def _exists(cursor: Cursor, dialect: Dialect, statement: DdlStatement) -> bool:
    if statement.kind == "table":
        cursor.execute(dialect.table_exists_sql, (statement.name,))
    else:
        cursor.execute(dialect.index_exists_sql, (statement.table, statement.name))
    return cursor.fetchone() is not None


def stored_version(cursor: Cursor, dialect: Dialect, statements: Statements) -> int | None:
    """The schema version recorded in the database, ``None`` before ictray created any."""
    cursor.execute(dialect.table_exists_sql, (VERSION_TABLE,))
    if cursor.fetchone() is None:
        return None
    cursor.execute(statements.select_version())
    row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def check_columns(cursor: Cursor, dialect: Dialect, statements: Statements) -> None:
    """Raise ``SchemaError`` naming a table that lacks one of the standard columns."""
    for table in TABLES:
        try:
            cursor.execute(statements.select_no_rows(table))
            cursor.fetchall()
        except dialect.driver_error() as error:
            columns = ", ".join(("id", *TABLES[table]))
            raise SchemaError(
                f"table {table} exists but lacks standard columns (needs {columns}): "
                f"{' '.join(str(error).split())}; rename the old table or use another database"
            ) from error
