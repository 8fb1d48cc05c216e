"""Store a batch of sessions in one transaction, replacing those already stored.

Each table gets one ``executemany`` per batch, of statements carrying many rows each where the
dialect allows (``rows_per_insert``); the generated ids the children need are read back
afterwards instead of one round trip per row:

- sessions by their natural key: ``(host_name, lsid)`` is unique, so ``SELECT id, lsid`` for the
  batch's lsids maps each session to its id;
- events in insertion order: within one transaction every database assigns increasing ids in
  the order rows are inserted, row by row or along a multi-row VALUES list (SQLite, which holds
  the write lock; PostgreSQL sequences and InnoDB auto-increment, which are monotonic across
  concurrent writers; SQL Server IDENTITY, row by row), and no other writer can add events to
  a session row this transaction has not committed. So ``SELECT id, session_id ... ORDER BY
  session_id, id`` lists each session's events in the order they were written.

This is the same code for every dialect and stays correct with two transfers writing one
database at once (unlike ids assigned by the program, or ``MAX(id) + 1``), where per-row
``RETURNING``/``lastrowid``/``OUTPUT INSERTED`` would cost a round trip per event.

A session already stored (same lsid and host name) has its rows deleted, children first, and is
inserted anew, so re-running a transfer never duplicates. A batch that loses a deadlock to
another writer is tried again. When the batch fails it is rolled back whole; each session is
then tried alone (and rolled back) to name the one the database refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, islice

from ictray.appliance.model import Session
from ictray.destinations.sql.dialects import Connection, Cursor, Dialect
from ictray.destinations.sql.rows import Row, SessionRows, session_rows
from ictray.destinations.sql.statements import MAX_KEYS, Statements
from ictray.destinations.sql.tables import EVENT_CHILDREN, SESSION_CHILDREN

#: tries of a batch that a deadlock with another writer (or a lock timeout) rolled back
DEADLOCK_ATTEMPTS = 3


class BatchError(Exception):
    """A batch could not be stored and was rolled back; ``lsid`` names the culprit if known."""

    def __init__(self, message: str, lsid: str | None) -> None:
        super().__init__(message)
        self.lsid = lsid


def _chunks(items: Sequence[object], size: int = MAX_KEYS) -> Iterator[tuple[object, ...]]:
    """Tuples of at most ``size`` keys (pymssql takes parameters as a tuple only)."""
    iterator = iter(items)
    while chunk := tuple(islice(iterator, size)):
        yield chunk


def driver_message(error: BaseException) -> str:
    """A driver error on one line (PostgreSQL adds DETAIL and HINT lines)."""
    return " ".join(str(error).split()) or type(error).__name__


class SessionWriter:
    """Writes batches of sessions through one open connection."""

    def __init__(
        self, connection: Connection, dialect: Dialect, store_system_information: bool
    ) -> None:
        self.connection = connection
        self.dialect = dialect
        self.statements = Statements(dialect)
        self.store_system_information = store_system_information
        # What a refused write raises: the driver's errors, and OverflowError from sqlite3 for
        # an integer beyond 64 bits (the server drivers report that as a database error).
        self._refused: tuple[type[Exception], ...] = (dialect.driver_error(), OverflowError)

    def write(self, site_host: str, sessions: Sequence[Session]) -> dict[str, int]:
        """Store ``sessions`` of ``site_host`` all or none; return each lsid's ``session.id``.

        A session listed twice is stored once, as its last occurrence.
        """
        latest = {session.lsid: session for session in sessions}
        batch = [
            session_rows(session, site_host, self.dialect.time_value,
                         self.store_system_information)
            for session in latest.values()
        ]
        if not batch:
            return {}
        attempt = 1
        while True:
            try:
                return self._in_transaction(site_host, batch)
            except self._refused as error:
                self._rollback()
                if attempt < DEADLOCK_ATTEMPTS and self.dialect.transient(error):
                    attempt += 1  # another writer held the rows; the batch is whole to retry
                    continue
                raise self._explain(site_host, batch, error) from error
            except BatchError:
                self._rollback()
                raise

    def _in_transaction(self, site_host: str, batch: Sequence[SessionRows]) -> dict[str, int]:
        cursor = self.connection.cursor()
        try:
            self.dialect.begin(cursor)
            ids = self._write(cursor, site_host, batch)
            self.connection.commit()
            return ids
        finally:
            cursor.close()

    def _rollback(self) -> None:
        try:
            self.connection.rollback()
        except self.dialect.driver_error():
            pass  # the connection is gone; the server has rolled back already

    def _explain(
        self, site_host: str, batch: Sequence[SessionRows], error: BaseException
    ) -> BatchError:
        """Name the session the database refuses: try each alone, and roll each back.

        A lost connection refuses nothing: its error names no session (``lsid`` None), so the
        caller retries the whole batch later instead of giving one session up.
        """
        whole = (f"the whole batch of {len(batch)} sessions was rolled back" if len(batch) > 1
                 else "nothing of it was stored")
        if self.dialect.connection_lost(self.connection):
            return self._lost(site_host, batch, error)
        failures: tuple[type[Exception], ...] = (*self._refused, BatchError)
        for rows in batch if len(batch) > 1 else ():
            try:
                self._in_transaction_rolled_back(site_host, rows)
            except failures as single_error:
                self._rollback()
                if self.dialect.connection_lost(self.connection):
                    return self._lost(site_host, batch, single_error)
                return BatchError(
                    f"session {rows.lsid} of {site_host} could not be stored: "
                    f"{driver_message(single_error)}; {whole}", rows.lsid)
        if len(batch) > 1:
            return BatchError(
                f"sessions {batch[0].lsid} to {batch[-1].lsid} of {site_host} could not be "
                f"stored together: {driver_message(error)}; {whole}", None)
        return BatchError(
            f"session {batch[0].lsid} of {site_host} could not be stored: "
            f"{driver_message(error)}; {whole}", batch[0].lsid)

    @staticmethod
    def _lost(site_host: str, batch: Sequence[SessionRows], error: BaseException) -> BatchError:
        return BatchError(
            f"the connection to the database was lost while storing sessions "
            f"{batch[0].lsid} to {batch[-1].lsid} of {site_host}: "
            f"{driver_message(error)}; writing them again is safe (a stored session is "
            "replaced, never duplicated)", None)

    def _in_transaction_rolled_back(self, site_host: str, rows: SessionRows) -> None:
        cursor = self.connection.cursor()
        try:
            self.dialect.begin(cursor)
            self._write(cursor, site_host, [rows])
        finally:
            cursor.close()
        self._rollback()

    def _write(
        self, cursor: Cursor, site_host: str, batch: Sequence[SessionRows]
    ) -> dict[str, int]:
        lsids = [rows.lsid for rows in batch]
        self._delete_stored(cursor, list(self._session_ids(cursor, site_host, lsids).values()))
        self._insert(cursor, "session", [rows.session for rows in batch])
        ids = self._session_ids(cursor, site_host, lsids)
        if len(ids) != len(batch):
            missing = sorted(set(lsids) - set(ids))
            raise BatchError(
                f"session {missing[0]} of {site_host} was not found after it was inserted; "
                "nothing of the batch was stored", missing[0])
        keyed = [(ids[rows.lsid], rows) for rows in batch]
        for table, attribute in (("customer", "customers"),
                                 ("representative", "representatives"),
                                 ("team", "teams"),
                                 ("custom_attribute", "custom_attributes"),
                                 ("session_data", "session_data"),
                                 ("session_event", "events")):
            self._insert(cursor, table, [(session_id, *row) for session_id, rows in keyed
                                         for row in getattr(rows, attribute)])
        event_ids = self._event_ids(cursor, keyed)
        data: list[Row] = []
        information: list[Row] = []
        for session_id, rows in keyed:
            for event_id, pairs, categories in zip(
                event_ids.get(session_id, []), rows.event_data, rows.system_information,
                strict=True,
            ):
                data += [(event_id, name, value) for name, value in pairs]
                information += [(event_id, name, value) for name, value in categories]
        self._insert(cursor, "session_event_data", data)
        self._insert(cursor, "system_information", information)
        return ids

    def _insert(self, cursor: Cursor, table: str, rows: Sequence[Row]) -> None:
        """Insert ``rows`` in order, ``rows_per_insert`` rows per statement where it can."""
        per = self.dialect.rows_per_insert
        whole = len(rows) - len(rows) % per if per > 1 else 0
        if whole:
            cursor.executemany(self.statements.insert(table, per), [
                tuple(chain.from_iterable(rows[start:start + per]))
                for start in range(0, whole, per)
            ])
        if whole < len(rows):
            cursor.executemany(self.statements.insert(table), rows[whole:])

    def _session_ids(self, cursor: Cursor, site_host: str, lsids: Sequence[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for chunk in _chunks(lsids):
            cursor.execute(self.statements.select_session_ids(len(chunk)), (site_host, *chunk))
            ids.update((str(lsid), int(session_id)) for session_id, lsid in cursor.fetchall())
        return ids

    def _event_ids(
        self, cursor: Cursor, keyed: Sequence[tuple[int, SessionRows]]
    ) -> dict[int, list[int]]:
        with_events = [session_id for session_id, rows in keyed if rows.events]
        found: dict[int, list[int]] = {}
        for chunk in _chunks(with_events):
            cursor.execute(self.statements.select_event_ids(len(chunk)), chunk)
            for event_id, session_id in cursor.fetchall():
                found.setdefault(int(session_id), []).append(int(event_id))
        for session_id, rows in keyed:
            if len(found.get(session_id, [])) != len(rows.events):
                raise BatchError(
                    f"session {rows.lsid}: {len(rows.events)} events were written but "
                    f"{len(found.get(session_id, []))} read back; nothing of the batch was stored",
                    rows.lsid)
        return found

    def _delete_stored(self, cursor: Cursor, session_ids: Sequence[int]) -> None:
        for chunk in _chunks(session_ids):
            for table in EVENT_CHILDREN:
                cursor.execute(self.statements.delete_event_children(table, len(chunk)), chunk)
            for table in SESSION_CHILDREN:
                cursor.execute(self.statements.delete_session_children(table, len(chunk)), chunk)
            cursor.execute(self.statements.delete_sessions(len(chunk)), chunk)
