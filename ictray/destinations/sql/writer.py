"""Store a batch of sessions in one transaction, replacing those already stored.

Each table's rows of a batch go in the dialect's bulk form (see ``bulk``: COPY for PostgreSQL,
statements of many rows each elsewhere), so a batch costs a round trip per table, not per row;
the generated ids the children need are read back afterwards:

- sessions by their natural key: ``(host_name, lsid)`` is unique, so ``SELECT id, lsid`` for the
  batch's lsids maps each session to its id;
- events in insertion order: within one transaction every database assigns increasing ids in
  the order rows are inserted, row by row, along a multi-row VALUES list or a COPY (SQLite,
  which holds the write lock; PostgreSQL sequences and InnoDB auto-increment, which are
  monotonic across concurrent writers; SQL Server IDENTITY, row by row or through INSERT ...
  SELECT ... ORDER BY), and no other writer can add events to a session row this transaction
  has not committed. So a session's events, ordered by id, are in the order they were written.
  One row per session (``MIN(id)``, ``MAX(id)``, ``COUNT(*)``) says it all when the ids are
  consecutive, as they are unless another writer inserted events at the same moment; only the
  sessions whose ids are not are listed id by id (``ORDER BY session_id, id``).

This is the same code for every dialect and stays correct with two transfers writing one
database at once (unlike ids assigned by the program, or ``MAX(id) + 1``), where per-row
``RETURNING``/``lastrowid``/``OUTPUT INSERTED`` would cost a round trip per event.

A session already stored (same lsid and host name) has its rows deleted, children first, and is
inserted anew, so re-running a transfer never duplicates. A batch that loses a deadlock to
another writer is tried again. When the batch fails it is rolled back whole, and the failure is
explained (see ``_explain``): a session the database cannot take (a value wider than its
column, a statement larger than MySQL's ``max_allowed_packet``...) is named with the column and
the limit, so it alone is given up and the others are written; a database that is gone, or that
fails for every session alike, is an outage and no session is blamed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from itertools import islice

from ictray.appliance.model import Session
from ictray.destinations.sql.bulk import Inserter, inserter_for
from ictray.destinations.sql.dialects import Connection, Cursor, Dialect
from ictray.destinations.sql.limits import Limits
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
        self,
        connection: Connection,
        dialect: Dialect,
        store_system_information: bool,
        reconnect: Callable[[], Connection] | None = None,
    ) -> None:
        self.connection = connection
        self.dialect = dialect
        self.statements = Statements(dialect)
        self.store_system_information = store_system_information
        self._reconnect_with = reconnect
        self._inserter: Inserter | None = None
        self._inserter_connection: Connection | None = None
        # What a refused write raises: the driver's errors, OverflowError from sqlite3 for an
        # integer beyond 64 bits (the server drivers report that as a database error), and
        # UnicodeEncodeError for text that is no Unicode (a lone surrogate).
        self._refused: tuple[type[Exception], ...] = (
            dialect.driver_error(),
            OverflowError,
            UnicodeError,
        )

    def write(self, site_host: str, sessions: Sequence[Session]) -> dict[str, int]:
        """Store ``sessions`` of ``site_host`` all or none; return each lsid's ``session.id``.

        A session listed twice is stored once, as its last occurrence.
        """
        latest = {session.lsid: session for session in sessions}
        batch = [self._rows(session, site_host) for session in latest.values()]
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

    def _rows(self, session: Session, site_host: str) -> SessionRows:
        try:
            return session_rows(
                session, site_host, self.dialect.time_value, self.store_system_information
            )
        except (OverflowError, ValueError) as error:  # a time no database can hold
            raise BatchError(
                f"session {session.lsid} of {site_host} could not be stored: {error}; nothing "
                "of the batch was written",
                session.lsid,
            ) from None

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
        """Say why the batch failed, naming the session the database cannot take, if one is.

        1. A lost connection (or one the server closes after the error, as MySQL does for a
           statement beyond ``max_allowed_packet``) is opened again; when it cannot be, the
           database is gone: an outage, no session is named (``lsid`` None) and the caller
           writes the batch again later.
        2. Each session is measured against the limits of the columns and of the server: the
           first that exceeds one is named, with the column and the limit.
        3. A connection lost with no session over a limit is an outage too.
        4. Otherwise each session is tried alone (and rolled back). One that fails alone is
           named when its error refuses the data (too long, out of range, a constraint) or
           another session of the batch went in alone; when every one fails alike (no rights,
           a table missing), the database is at fault and no session is named.
        """
        whole = (
            f"the whole batch of {len(batch)} sessions was rolled back"
            if len(batch) > 1
            else "nothing of it was stored"
        )
        lost = self._lost_connection(error)
        if lost and not self._reconnect():
            return self._lost(site_host, batch, error)
        refused = self._over_limits(site_host, batch, whole)
        if refused is not None:
            return refused
        if lost:
            return self._lost(site_host, batch, error)
        failures: tuple[type[Exception], ...] = (*self._refused, BatchError)
        first_failure: tuple[SessionRows, BaseException] | None = None
        went_in = False
        for rows in batch if len(batch) > 1 else ():
            try:
                self._in_transaction_rolled_back(site_host, rows)
                went_in = True
            except failures as single_error:
                self._rollback()
                if self._lost_connection(single_error):
                    self._reconnect()
                    return self._lost(site_host, batch, single_error)
                if first_failure is None:
                    first_failure = (rows, single_error)
            if first_failure is not None and (went_in or self._blames(first_failure[1])):
                culprit, culprit_error = first_failure
                return BatchError(
                    f"session {culprit.lsid} of {site_host} could not be stored: "
                    f"{driver_message(culprit_error)}; {whole}",
                    culprit.lsid,
                )
        if first_failure is not None:
            return BatchError(
                f"sessions {batch[0].lsid} to {batch[-1].lsid} of {site_host} could not be "
                f"stored: {driver_message(error)}; {whole}; every session fails alone as well, "
                "so the database is at fault, not a session: writing them again is safe once "
                "it is fixed",
                None,
            )
        if len(batch) > 1:
            return BatchError(
                f"sessions {batch[0].lsid} to {batch[-1].lsid} of {site_host} could not be "
                f"stored together: {driver_message(error)}; {whole}",
                None,
            )
        if not self._blames(error):
            return BatchError(
                f"session {batch[0].lsid} of {site_host} could not be stored: "
                f"{driver_message(error)}; {whole}; the database failed, not the session's data: "
                "writing it again is safe once the database is fixed",
                None,
            )
        return BatchError(
            f"session {batch[0].lsid} of {site_host} could not be stored: "
            f"{driver_message(error)}; {whole}",
            batch[0].lsid,
        )

    def _blames(self, error: BaseException) -> bool:
        return isinstance(error, BatchError) or self.dialect.refuses_data(error)

    def _lost_connection(self, error: BaseException) -> bool:
        return self.dialect.connection_lost(self.connection) or self.dialect.closes_connection(
            error
        )

    def _reconnect(self) -> bool:
        """Replace a lost connection with a new one; False when the database cannot be reached."""
        if self._reconnect_with is None:
            return False
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            self.connection.close()
        try:
            self.connection = self._reconnect_with()
        except self.dialect.driver_error():
            return False
        return True

    def _over_limits(
        self, site_host: str, batch: Sequence[SessionRows], whole: str
    ) -> BatchError | None:
        """The first session of the batch a limit of the database refuses, named."""
        try:
            limits = Limits(self.dialect, self.dialect.server_limits(self.connection))
        except self.dialect.driver_error():
            return None  # the limits cannot be read: the session cannot be told
        for rows in batch:
            reason = limits.refusal(rows)
            if reason is not None:
                return BatchError(
                    f"session {rows.lsid} of {site_host} cannot be stored in this database: "
                    f"{reason}; {whole}",
                    rows.lsid,
                )
        return None

    @staticmethod
    def _lost(site_host: str, batch: Sequence[SessionRows], error: BaseException) -> BatchError:
        return BatchError(
            f"the connection to the database was lost while storing sessions "
            f"{batch[0].lsid} to {batch[-1].lsid} of {site_host}: "
            f"{driver_message(error)}; writing them again is safe (a stored session is "
            "replaced, never duplicated)",
            None,
        )

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
                "nothing of the batch was stored",
                missing[0],
            )
        keyed = [(ids[rows.lsid], rows) for rows in batch]
        for table, attribute in (
            ("customer", "customers"),
            ("representative", "representatives"),
            ("team", "teams"),
            ("custom_attribute", "custom_attributes"),
            ("session_data", "session_data"),
            ("session_event", "events"),
        ):
            self._insert(
                cursor,
                table,
                [
                    (session_id, *row)
                    for session_id, rows in keyed
                    for row in getattr(rows, attribute)
                ],
            )
        event_ids = self._event_ids(cursor, keyed)
        data: list[Row] = []
        information: list[Row] = []
        for session_id, rows in keyed:
            for event_id, pairs, categories in zip(
                event_ids.get(session_id, []),
                rows.event_data,
                rows.system_information,
                strict=True,
            ):
                data += [(event_id, name, value) for name, value in pairs]
                information += [(event_id, name, value) for name, value in categories]
        self._insert(cursor, "session_event_data", data)
        self._insert(cursor, "system_information", information)
        return ids

    def _insert(self, cursor: Cursor, table: str, rows: Sequence[Row]) -> None:
        """Insert ``rows`` in order, in the dialect's bulk form (see ``bulk``)."""
        if self._inserter is None or self._inserter_connection is not self.connection:
            self._inserter = inserter_for(self.dialect, self.statements, self.connection)
            self._inserter_connection = self.connection
        self._inserter.insert(cursor, table, rows)

    def _session_ids(self, cursor: Cursor, site_host: str, lsids: Sequence[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for chunk in _chunks(lsids):
            cursor.execute(self.statements.select_session_ids(len(chunk)), (site_host, *chunk))
            ids.update((str(lsid), int(session_id)) for session_id, lsid in cursor.fetchall())
        return ids

    def _event_ids(
        self, cursor: Cursor, keyed: Sequence[tuple[int, SessionRows]]
    ) -> dict[int, Sequence[int]]:
        """Each session's event ids in insertion order: from the range of its ids where they
        are consecutive (a session's N events whose ids span N numbers are exactly those
        numbers), else listed one by one (another writer's ids came in between)."""
        with_events = [session_id for session_id, rows in keyed if rows.events]
        found: dict[int, Sequence[int]] = {}
        scattered: list[int] = []
        for chunk in _chunks(with_events):
            cursor.execute(self.statements.select_event_id_ranges(len(chunk)), chunk)
            for session_id, first, last, count in cursor.fetchall():
                if int(last) - int(first) + 1 == int(count):
                    found[int(session_id)] = range(int(first), int(last) + 1)
                else:
                    scattered.append(int(session_id))
        listed: dict[int, list[int]] = {}
        for chunk in _chunks(scattered):
            cursor.execute(self.statements.select_event_ids(len(chunk)), chunk)
            for event_id, session_id in cursor.fetchall():
                listed.setdefault(int(session_id), []).append(int(event_id))
        found.update(listed)
        for session_id, rows in keyed:
            if len(found.get(session_id, [])) != len(rows.events):
                raise BatchError(
                    f"session {rows.lsid}: {len(rows.events)} events were written but "
                    f"{len(found.get(session_id, []))} read back; nothing of the batch was stored",
                    rows.lsid,
                )
        return found

    def _delete_stored(self, cursor: Cursor, session_ids: Sequence[int]) -> None:
        for chunk in _chunks(session_ids):
            for table in EVENT_CHILDREN:
                cursor.execute(self.statements.delete_event_children(table, len(chunk)), chunk)
            for table in SESSION_CHILDREN:
                cursor.execute(self.statements.delete_session_children(table, len(chunk)), chunk)
            cursor.execute(self.statements.delete_sessions(len(chunk)), chunk)
