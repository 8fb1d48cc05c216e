"""Every SQL statement the SQL destination runs besides the DDL files, for one dialect.

Kept in one place so each can be checked against the database's grammar (SQL Server's T-SQL
included, which cannot run in the test environment). Lists of keys are written as ``IN (...)``
with one placeholder per key; callers keep them to ``MAX_KEYS`` so every driver and server
accepts the statement (SQL Server takes at most 2,100 parameters, old SQLite 999).
"""

from __future__ import annotations

from ictray.destinations.sql.dialects import Dialect
from ictray.destinations.sql.tables import TABLES, TIME_COLUMNS, VERSION_TABLE

MAX_KEYS = 500


class Statements:
    """SQL text with the dialect's quoting and placeholders."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._q = dialect.quote
        self._inserts: dict[tuple[str, int], str] = {}

    def _in(self, count: int) -> str:
        if not 0 < count <= MAX_KEYS:
            raise ValueError(f"between 1 and {MAX_KEYS} keys per statement, not {count}")
        return f"IN ({self.dialect.placeholders(count)})"

    def insert(self, table: str, rows: int = 1) -> str:
        """Insert ``rows`` rows at once; parameters: each row's columns in ``TABLES`` order.

        Where the dialect numbers a multi-row ``VALUES`` list in an order it does not document
        (SQL Server), the rows go through ``INSERT ... SELECT ... ORDER BY`` their position,
        the form whose IDENTITY order it does document.
        """
        key = (table, rows)
        sql = self._inserts.get(key)
        if sql is None:
            columns = TABLES[table]
            if rows > 1 and self.dialect.ordered_insert:
                sql = self._ordered_insert(table, columns, rows)
            else:
                values = ", ".join([f"({self._values(columns)})"] * rows)
                sql = f"{self.insert_prefix(table)}{values}"
            self._inserts[key] = sql
        return sql

    def insert_prefix(self, table: str) -> str:
        """``INSERT INTO table (columns) VALUES `` for rows written as literals after it."""
        names = ", ".join(self._q(column) for column in TABLES[table])
        return f"INSERT INTO {self._q(table)} ({names}) VALUES "

    def _ordered_insert(self, table: str, columns: tuple[str, ...], rows: int) -> str:
        q = self._q
        names = ", ".join(q(column) for column in columns)
        values = ", ".join(f"({self._values(columns)}, {position})" for position in range(rows))
        return (
            f"INSERT INTO {q(table)} ({names}) SELECT {names} FROM (VALUES {values}) "
            f"AS {q('v')}({names}, {q('ictray_position')}) ORDER BY {q('ictray_position')}"
        )

    def copy(self, table: str) -> str:
        """PostgreSQL's ``COPY`` of the table's columns in ``TABLES`` order, from the client."""
        names = ", ".join(self._q(column) for column in TABLES[table])
        return f"COPY {self._q(table)} ({names}) FROM STDIN"

    def _values(self, columns: tuple[str, ...]) -> str:
        dialect = self.dialect
        return ", ".join(
            dialect.time_placeholder if column in TIME_COLUMNS else dialect.placeholder
            for column in columns
        )

    def select_session_ids(self, count: int) -> str:
        """``(id, lsid)`` of stored sessions; parameters: host name, then ``count`` lsids."""
        q = self._q
        return (
            f"SELECT {q('id')}, {q('lsid')} FROM {q('session')} "
            f"WHERE {q('host_name')} = {self.dialect.placeholder} AND {q('lsid')} {self._in(count)}"
        )

    def select_event_id_ranges(self, count: int) -> str:
        """``(session_id, MIN(id), MAX(id), COUNT(*))`` of the events of ``count`` sessions."""
        q = self._q
        return (
            f"SELECT {q('session_id')}, MIN({q('id')}), MAX({q('id')}), COUNT(*) "
            f"FROM {q('session_event')} WHERE {q('session_id')} {self._in(count)} "
            f"GROUP BY {q('session_id')}"
        )

    def select_event_ids(self, count: int) -> str:
        """``(id, session_id)`` of the events of ``count`` sessions, in insertion order."""
        q = self._q
        return (
            f"SELECT {q('id')}, {q('session_id')} FROM {q('session_event')} "
            f"WHERE {q('session_id')} {self._in(count)} ORDER BY {q('session_id')}, {q('id')}"
        )

    def delete_event_children(self, table: str, count: int) -> str:
        """Rows of ``table`` below the events of ``count`` sessions (parameters: session ids)."""
        q = self._q
        return (
            f"DELETE FROM {q(table)} WHERE {q('session_event_id')} IN "
            f"(SELECT {q('id')} FROM {q('session_event')} "
            f"WHERE {q('session_id')} {self._in(count)})"
        )

    def delete_session_children(self, table: str, count: int) -> str:
        q = self._q
        return f"DELETE FROM {q(table)} WHERE {q('session_id')} {self._in(count)}"

    def delete_sessions(self, count: int) -> str:
        q = self._q
        return f"DELETE FROM {q('session')} WHERE {q('id')} {self._in(count)}"

    def update_external_key(self) -> str:
        """Parameters: external key, session id (used by the write test)."""
        q, p = self._q, self.dialect.placeholder
        return f"UPDATE {q('session')} SET {q('external_key')} = {p} WHERE {q('id')} = {p}"

    def select_external_key(self) -> str:
        q, p = self._q, self.dialect.placeholder
        return f"SELECT {q('external_key')} FROM {q('session')} WHERE {q('id')} = {p}"

    def select_version(self) -> str:
        q = self._q
        return f"SELECT MAX({q('version')}) FROM {q(VERSION_TABLE)}"

    def insert_version(self) -> str:
        q = self._q
        return (
            f"INSERT INTO {q(VERSION_TABLE)} ({q('version')}, {q('applied_at')}) "
            f"VALUES ({self._values(('version', 'applied_at'))})"
        )

    def select_no_rows(self, table: str) -> str:
        """Selects every standard column of ``table`` and no row: fails if one is missing."""
        names = ", ".join(self._q(column) for column in ("id", *TABLES[table]))
        return f"SELECT {names} FROM {self._q(table)} WHERE 1 = 0"
