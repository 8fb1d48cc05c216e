"""Many rows of one table in few statements, in order: the fastest form each driver offers.

The writer reads generated ids back in insertion order (see ``writer``), so every form here
inserts the rows in the order given, and the database numbers them in that order:

- SQLite and SQL Server: multi-row ``INSERT`` statements with parameters, as many rows as the
  dialect's parameter and row limits allow (SQLite: 999 parameters in old versions; SQL
  Server: 2,100 parameters, 1,000 rows in a ``VALUES`` list). Statements of the full size go
  in one ``executemany``, the rest in one statement of its own size. SQL Server takes the rows
  through ``INSERT ... SELECT ... ORDER BY`` (see ``Statements.insert``), the form whose
  IDENTITY order it documents.
- PostgreSQL: ``COPY ... FROM STDIN``, which streams the rows in one command; the server
  neither parses nor plans a statement per row or per chunk, and the sequence gives each row
  its id in the order the rows arrive.
- MySQL/MariaDB: multi-row ``INSERT`` statements with the values written in as PyMySQL
  writes them (PyMySQL has no server-side parameters; its own ``executemany`` builds the same
  statements, only slower), up to ``STATEMENT_BYTES`` and never beyond the server's
  ``max_allowed_packet``: a row larger than that goes alone, and is refused alone.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Sequence
from itertools import chain
from typing import Any

from ictray.destinations.sql.connstr import MYSQL, POSTGRESQL
from ictray.destinations.sql.dialects import Connection, Cursor, Dialect
from ictray.destinations.sql.rows import Row
from ictray.destinations.sql.statements import Statements
from ictray.destinations.sql.tables import TABLES

#: MySQL/MariaDB: the size a statement is filled up to (PyMySQL's executemany uses the same)
STATEMENT_BYTES = 1_000_000
#: MySQL/MariaDB: what a packet holds besides the statement, with room to spare
_PACKET_OVERHEAD = 1024


class Inserter(ABC):
    """Inserts rows of the standard tables through one connection, in the order given."""

    def __init__(self, dialect: Dialect, statements: Statements) -> None:
        self.dialect = dialect
        self.statements = statements

    @abstractmethod
    def insert(self, cursor: Cursor, table: str, rows: Sequence[Row]) -> None:
        """Insert ``rows`` (each with the table's columns in ``TABLES`` order) in order."""


class ValuesInserter(Inserter):
    """Multi-row ``INSERT`` statements with parameters, sized by the dialect's limits."""

    def rows_per_statement(self, table: str) -> int:
        return self.dialect.rows_per_insert(len(TABLES[table]))

    def insert(self, cursor: Cursor, table: str, rows: Sequence[Row]) -> None:
        per = self.rows_per_statement(table)
        whole = len(rows) - len(rows) % per
        if whole:
            cursor.executemany(
                self.statements.insert(table, per),
                [
                    tuple(chain.from_iterable(rows[start : start + per]))
                    for start in range(0, whole, per)
                ],
            )
        if whole < len(rows):
            rest = rows[whole:]
            cursor.execute(
                self.statements.insert(table, len(rest)), tuple(chain.from_iterable(rest))
            )


class CopyInserter(Inserter):
    """PostgreSQL: ``COPY ... FROM STDIN`` through psycopg's ``Cursor.copy``."""

    def insert(self, cursor: Cursor, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        copying: Any = cursor  # a psycopg cursor: copy() is not DB-API
        with copying.copy(self.statements.copy(table)) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)


class LiteralInserter(Inserter):
    """MySQL/MariaDB: multi-row ``INSERT`` statements holding their values as SQL literals."""

    def __init__(self, dialect: Dialect, statements: Statements, connection: Connection) -> None:
        super().__init__(dialect, statements)
        self.connection = connection
        self._statement_bytes: int | None = None

    def statement_bytes(self) -> int:
        """The size statements are filled up to: ``STATEMENT_BYTES``, or less when the
        server's ``max_allowed_packet`` is smaller (read once per connection)."""
        if self._statement_bytes is None:
            packet = self.dialect.server_limits(self.connection).statement_bytes
            limit = STATEMENT_BYTES if packet is None else packet - _PACKET_OVERHEAD
            self._statement_bytes = max(1, min(STATEMENT_BYTES, limit))
        return self._statement_bytes

    def insert(self, cursor: Cursor, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        from pymysql.constants.SERVER_STATUS import SERVER_STATUS_NO_BACKSLASH_ESCAPES

        status = getattr(self.connection, "server_status", 0)
        literal_row = _mysql_literal_row(bool(status & SERVER_STATUS_NO_BACKSLASH_ESCAPES))
        encoding = getattr(self.connection, "encoding", "utf8")
        prefix = self.statements.insert_prefix(table).encode(encoding)
        limit = self.statement_bytes()
        parts: list[bytes] = []
        size = len(prefix)
        for row in rows:
            # as PyMySQL sends a statement: surrogateescape passes what Python read as bytes
            literal = literal_row(row).encode(encoding, "surrogateescape")
            if parts and size + len(literal) + 1 > limit:
                cursor.execute(prefix + b",".join(parts))  # type: ignore[arg-type]
                parts, size = [], len(prefix)
            parts.append(literal)
            size += len(literal) + 1
        cursor.execute(prefix + b",".join(parts))  # type: ignore[arg-type]


def _mysql_literal_row(no_backslash_escapes: bool) -> Any:
    """A function writing one row as ``(v1,v2,...)`` the way PyMySQL escapes each value.

    It runs for every value of a first copy (millions), so text with nothing to escape (most
    of it: no quote, backslash or control character) is quoted as it is, and a time written
    as ``escape_datetime`` writes it; the rest goes through PyMySQL's own escaping.
    """
    from pymysql import converters

    escape_item = converters.escape_item
    escape_string = converters.escape_string
    datetime_type = datetime.datetime

    def quoted(value: str) -> str:
        if no_backslash_escapes:
            return "'" + value.replace("'", "''") + "'"
        return "'" + escape_string(value) + "'"

    def literal_row(row: Sequence[Any]) -> str:
        parts = []
        for value in row:
            kind = type(value)
            if kind is str:
                if (
                    value.isprintable()  # no control character
                    and "'" not in value
                    and '"' not in value
                    and "\\" not in value
                ):
                    parts.append("'" + value + "'")
                else:
                    parts.append(quoted(value))
            elif value is None:
                parts.append("NULL")
            elif kind is int:
                parts.append(str(value))
            elif kind is datetime_type and value.tzinfo is None:
                parts.append("'" + value.isoformat(" ") + "'")  # as escape_datetime has it
            else:
                parts.append(escape_item(value, "utf8mb4"))
        return "(" + ",".join(parts) + ")"

    return literal_row


def inserter_for(dialect: Dialect, statements: Statements, connection: Connection) -> Inserter:
    """The inserter for ``dialect``, writing through ``connection``."""
    if dialect.name == POSTGRESQL:
        return CopyInserter(dialect, statements)
    if dialect.name == MYSQL:
        return LiteralInserter(dialect, statements, connection)
    return ValuesInserter(dialect, statements)
