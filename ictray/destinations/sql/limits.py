"""What a database can take, to say which value of which session it refused, and why.

A database that refuses a value seldom says which: PostgreSQL names the type ("value too long
for type character varying(1024)"), MySQL the column, and MySQL/MariaDB simply closes the
connection when a statement is larger than its ``max_allowed_packet``, which looks exactly like
an outage. After a batch has failed, each of its sessions is measured against the limits of the
standard tables (the column types of the dialect's DDL file) and of the server (read from the
connection), so the session the database cannot take is named with the column and the limit,
and a failure no session explains stays what it is: a problem of the database, not of the data.

Nothing here runs while batches are written: it is the explanation of a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from ictray.destinations.sql.dialects import Dialect, ServerLimits
from ictray.destinations.sql.rows import SessionRows
from ictray.destinations.sql.schema import load_ddl
from ictray.destinations.sql.tables import TABLES

#: MySQL/MariaDB: what an INSERT statement adds to a row's values (packet header, names)
_MYSQL_OVERHEAD = 64
#: characters PyMySQL escapes with a backslash, each taking one byte more in the statement
_MYSQL_ESCAPED = ("\\", "'", '"', "\n", "\r", "\x00", "\x1a")

_TYPE = re.compile(r"(\w+)\s*(?:\(\s*(\w+)\s*(?:,\s*\d+\s*)?\))?")
_NOT_COLUMNS = frozenset({"constraint", "primary", "foreign", "unique", "index", "key", "check"})
_INTEGERS = {
    "tinyint": {"mysql": (-(2**7), 2**7 - 1), "mssql": (0, 255)},
    "smallint": {"": (-(2**15), 2**15 - 1)},
    "int": {"": (-(2**31), 2**31 - 1)},
    "integer": {"": (-(2**31), 2**31 - 1), "sqlite": (-(2**63), 2**63 - 1)},
    "bigint": {"": (-(2**63), 2**63 - 1)},
}
_TEXTS = frozenset(
    {"varchar", "nvarchar", "char", "nchar", "text", "longtext", "mediumtext", "ntext", "clob"}
)


@dataclass(frozen=True)
class Column:
    """One column as its DDL declares it: text of at most ``width`` characters, or integer."""

    table: str
    name: str
    width: int | None = None  # characters a text column holds; None: no declared width
    integer: tuple[int, int] | None = None  # the range of an integer column
    text: bool = False

    @property
    def label(self) -> str:
        return f"{self.table}.{self.name}"


def _split_top_level(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for position, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:position])
            start = position + 1
    parts.append(body[start:])
    return [part.strip() for part in parts if part.strip()]


def _column(dialect_name: str, table: str, definition: str) -> Column | None:
    name, _, rest = definition.partition(" ")
    if name.lower() in _NOT_COLUMNS:
        return None
    match = _TYPE.match(rest.strip())
    if match is None:
        return None
    kind, size = match.group(1).lower(), match.group(2)
    if kind in _TEXTS:
        width = int(size) if size and size.isdigit() else None
        return Column(table, name, width=width, text=True)
    ranges = _INTEGERS.get(kind)
    if ranges is not None:
        return Column(table, name, integer=ranges.get(dialect_name, ranges.get("")))
    return Column(table, name)


@cache
def columns(dialect_name: str) -> dict[str, tuple[Column, ...]]:
    """Each standard table's columns in ``TABLES`` order, typed as the dialect's DDL says."""
    declared: dict[str, dict[str, Column]] = {}
    for statement in load_ddl(dialect_name):
        if statement.kind != "table":
            continue
        body = statement.sql[statement.sql.index("(") + 1 : statement.sql.rindex(")")]
        found = (_column(dialect_name, statement.name, part) for part in _split_top_level(body))
        declared[statement.name] = {column.name: column for column in found if column}
    return {
        table: tuple(declared.get(table, {}).get(name, Column(table, name)) for name in names)
        for table, names in TABLES.items()
    }


def _table_rows(rows: SessionRows) -> Iterator[tuple[str, Sequence[object]]]:
    """Each row of the session with its table; child rows without their parent key."""
    yield "session", rows.session
    for table, children in (
        ("customer", rows.customers),
        ("representative", rows.representatives),
        ("team", rows.teams),
        ("custom_attribute", rows.custom_attributes),
        ("session_data", rows.session_data),
        ("session_event", rows.events),
    ):
        for row in children:
            yield table, row
    for pairs in rows.event_data:
        for pair in pairs:
            yield "session_event_data", pair
    for pairs in rows.system_information:
        for pair in pairs:
            yield "system_information", pair


def _mysql_bytes(value: object) -> int:
    """The bytes ``value`` takes in an INSERT statement as PyMySQL writes it (with a comma)."""
    if value is None:
        return 5
    if isinstance(value, str):
        escaped = sum(value.count(char) for char in _MYSQL_ESCAPED)
        return len(value.encode("utf-8", "surrogatepass")) + escaped + 3
    if isinstance(value, datetime):
        return 30
    return len(str(value)) + 1


class Limits:
    """The limits of one dialect's tables and one server, and the check of a session."""

    def __init__(self, dialect: Dialect, server: ServerLimits) -> None:
        self.label = dialect.label
        self.server = server
        self.enforces_widths = dialect.enforces_widths
        self.utf16_widths = dialect.utf16_widths
        self.nul_in_text = dialect.nul_in_text
        self.columns = columns(dialect.name)

    def refusal(self, rows: SessionRows) -> str | None:
        """Why the database cannot take this session (value, column and limit), or None."""
        for table, row in _table_rows(rows):
            table_columns = self.columns[table]
            children = len(row) < len(table_columns)  # the parent key is not in the row
            row_columns = table_columns[1:] if children else table_columns
            for column, value in zip(row_columns, row, strict=False):
                reason = self._value_refusal(column, value, row)
                if reason:
                    return reason
            reason = self._statement_refusal(table, row_columns, row)
            if reason:
                return reason
        return None

    def _value_refusal(self, column: Column, value: object, row: Sequence[object]) -> str | None:
        what = self._what(column, row)
        if isinstance(value, int) and not isinstance(value, bool) and column.integer:
            low, high = column.integer
            if not low <= value <= high:
                return (
                    f"{what} is {value}, outside the range of the integer column "
                    f"{column.label} ({low:,} to {high:,})"
                )
            return None
        if not isinstance(value, str):
            return None
        try:
            encoded = len(value.encode("utf-8"))
        except UnicodeEncodeError as error:
            code = ord(value[error.start])
            return (
                f"{what} holds the character U+{code:04X} at position {error.start + 1}, "
                f"which is not Unicode text (a lone surrogate) and {self.label} cannot store"
            )
        if not self.nul_in_text and "\x00" in value:
            return (
                f"{what} holds a NUL character (U+0000) at position "
                f"{value.index(chr(0)) + 1}, which {self.label} text cannot store"
            )
        if self.enforces_widths and column.width is not None:
            length = self._length(value)
            if length > column.width:
                unit = "UTF-16 units" if self.utf16_widths else "characters"
                return (
                    f"{what} is {length:,} {unit} long; the column {column.label} holds at "
                    f"most {column.width:,}"
                )
        limit = self.server.value_bytes
        if limit is not None and encoded > limit:
            return (
                f"{what} is {encoded:,} bytes long; {self.label} takes at most {limit:,} "
                "bytes in one value"
            )
        return None

    def _statement_refusal(
        self, table: str, row_columns: Sequence[Column], row: Sequence[object]
    ) -> str | None:
        limit = self.server.statement_bytes
        if limit is None:
            return None
        names = sum(len(column.name) + 4 for column in self.columns[table])
        size = _MYSQL_OVERHEAD + len(table) + names + 21 + sum(map(_mysql_bytes, row))
        if size <= limit:
            return None
        largest = max(
            zip(row_columns, row, strict=False),
            key=lambda pair: len(pair[1]) if isinstance(pair[1], str) else 0,
        )
        return (
            f"its {table} row is {size:,} bytes as an INSERT statement (the largest value: "
            f"{self._what(largest[0], row)}, {len(str(largest[1])):,} characters), more "
            f"than the {limit:,} bytes {self.label} takes in one statement "
            f"({self.server.statement_setting}); raise {self.server.statement_setting} on "
            "the server to store it"
        )

    def _length(self, value: str) -> int:
        if not self.utf16_widths or value.isascii():
            return len(value)
        return len(value) + sum(1 for char in value if ord(char) > 0xFFFF)

    @staticmethod
    def _what(column: Column, row: Sequence[object]) -> str:
        """The column, and for a name/value row the name the value belongs to."""
        if column.name in ("value", "information") and row and isinstance(row[0], str):
            return f"{column.name} of {row[0]!r}"
        return column.name
