"""What a (site, destination) pair holds: watermarks per data type and the items met.

The ledger belongs to the pair, not to a schedule: every schedule copying that site to that
destination reads and moves the same one, so nothing is stored twice however many name it.

A watermark is appliance time: every session that started before it has been handled — stored,
or recorded as an item still to finish (a session in progress, a recording not stored yet).
Watermarks move only after the destination confirmed the writes they cover. A stored item
keeps where it went and, for a file, its size and SHA-256 at write time: the proof a run after
a crash checks before it trusts that a file is that item's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import peewee
from peewee import EXCLUDED, fn

from ictray.datatypes import DataType
from ictray.destinations.base import Placement
from ictray.names import TextName
from ictray.settings.db import rows
from ictray.settings.models import LedgerItem, Watermark, utcnow


class ItemState(TextName):
    """Where one item stands in a destination (see ``LedgerItem``)."""

    STORED = "stored"
    WRITING = "writing"  # handed to the destination; a crash may have cut the write short
    OPEN = "open"  # a session still in progress
    PENDING = "pending"  # a recording not stored yet
    EXPIRED = "expired"  # the appliance no longer has it
    GONE = "gone"  # given up or refused; the reason is in ``detail``


STORED = ItemState.STORED
WRITING = ItemState.WRITING
OPEN = ItemState.OPEN
PENDING = ItemState.PENDING
EXPIRED = ItemState.EXPIRED
GONE = ItemState.GONE
FINAL_STATES = frozenset({STORED, EXPIRED, GONE})


@dataclass(frozen=True)
class Placed:
    """One item the destination has written or is about to name: where, and what proves it."""

    key: str
    session_start: int | None
    location: str
    size: int | None = None
    sha256: str | None = None


_ITEM_FIELDS = (
    LedgerItem.site,
    LedgerItem.destination,
    LedgerItem.data_type,
    LedgerItem.key,
    LedgerItem.state,
    LedgerItem.session_start,
    LedgerItem.detail,
    LedgerItem.location,
    LedgerItem.size,
    LedgerItem.sha256,
    LedgerItem.meta_json,
    LedgerItem.attempts,
    LedgerItem.updated_at,
)
_ITEM_KEY = (LedgerItem.site, LedgerItem.destination, LedgerItem.data_type, LedgerItem.key)
#: what recording a known item always changes (the session start only when one is given)
_STATE_UPDATE: dict[peewee.Field, object] = {
    LedgerItem.state: EXCLUDED.state,
    LedgerItem.session_start: fn.COALESCE(EXCLUDED.session_start, LedgerItem.session_start),
    LedgerItem.detail: EXCLUDED.detail,
    LedgerItem.updated_at: EXCLUDED.updated_at,
}


@dataclass(frozen=True)
class _Changes:
    """Which columns recording a known item changes besides ``_STATE_UPDATE``.

    ``placed`` sets the location and its proof (size, SHA-256) together, so a location is
    never left beside the proof of an earlier write.
    """

    placed: bool = False
    meta: bool = False
    attempts: bool = False

    def update(self) -> dict[peewee.Field, object]:
        update = dict(_STATE_UPDATE)
        if self.placed:
            update[LedgerItem.location] = EXCLUDED.location
            update[LedgerItem.size] = EXCLUDED.size
            update[LedgerItem.sha256] = EXCLUDED.sha256
        if self.meta:
            update[LedgerItem.meta_json] = EXCLUDED.meta_json
        if self.attempts:
            update[LedgerItem.attempts] = LedgerItem.attempts + 1
        return update


@cache
def _upsert_statement(changes: _Changes) -> tuple[str, tuple[object, ...]]:
    """The SQL upserting one item, and the parameters its update clause adds after the row's.

    Written by peewee once, from a row of placeholder values, and then run with
    ``executemany``: a run records every session it meets, twice, and having peewee build
    SQL for every row cost a tenth of an ingest's time.
    """
    template = (0, 0, "", "", "", None, "", "", None, None, "", 0, "")
    query = LedgerItem.insert_many([template], fields=_ITEM_FIELDS).on_conflict(
        conflict_target=_ITEM_KEY, update=changes.update()
    )
    sql, parameters = query.sql()
    return sql, tuple(parameters[len(_ITEM_FIELDS) :])


@cache
def _states_statement(count: int) -> str:
    """``(key, state)`` of ``count`` keys; parameters: site id, destination id, data type, keys.

    Written by peewee once per count: a run asks for every group of sessions it reads.
    """
    query = LedgerItem.select(LedgerItem.key, LedgerItem.state).where(
        (LedgerItem.site == 0)
        & (LedgerItem.destination == 0)
        & (LedgerItem.data_type == "")
        & (LedgerItem.key.in_([""] * count))
    )
    sql, _ = query.sql()
    return str(sql)


def _stamp() -> object:
    """Now, as the settings file stores ``updated_at`` (what peewee would bind)."""
    return LedgerItem.updated_at.db_value(utcnow())


@dataclass(frozen=True)
class ItemKey:
    data_type: DataType
    key: str


def recording_key(lsid: str, instance: int | None) -> str:
    return lsid if instance is None else f"{lsid}/{instance}"


def split_recording_key(key: str) -> tuple[str, int | None]:
    lsid, _, instance = key.partition("/")
    return lsid, int(instance) if instance else None


class Ledger:
    """Reads and changes what one (site, destination) pair holds, in the settings file."""

    def __init__(self, site_id: int, destination_id: int) -> None:
        self.site_id = site_id
        self.destination_id = destination_id
        self.database = LedgerItem._meta.database
        #: watermarks moved but not written yet (see ``watermarks_deferred``)
        self._deferred: dict[DataType, int] | None = None

    def _mine(self, data_type: DataType) -> peewee.Expression:
        return (
            (LedgerItem.site == self.site_id)
            & (LedgerItem.destination == self.destination_id)
            & (LedgerItem.data_type == data_type.value)
        )

    # -- watermarks ---------------------------------------------------------------------------

    def watermark(self, data_type: DataType) -> int | None:
        row = Watermark.get_or_none(
            (Watermark.site == self.site_id)
            & (Watermark.destination == self.destination_id)
            & (Watermark.data_type == data_type.value)
        )
        return None if row is None else row.watermark

    def set_watermarks(self, data_types: Iterable[DataType], value: int) -> None:
        """Move these watermarks forward to ``value`` (never back).

        Inside ``watermarks_deferred`` the move is written with the next change to the
        ledger instead, or when the block ends.
        """
        if self._deferred is None:
            self._write_watermarks(dict.fromkeys(data_types, value))
            return
        for data_type in data_types:
            self._deferred[data_type] = max(value, self._deferred.get(data_type, value))

    @contextmanager
    def watermarks_deferred(self) -> Iterator[None]:
        """Within the block, a moved watermark costs no commit of its own.

        It is written in the transaction of the next change to the ledger, or when the block
        ends, however it ends. A run moves a watermark only once the writes it covers are
        confirmed, so writing it later is always safe: should the program stop before, the
        next run asks for a little more again, and finds it stored.
        """
        self._deferred = {}
        try:
            yield
        finally:
            pending, self._deferred = self._deferred, None
            if pending:
                self._write_watermarks(pending)

    def _write_watermarks(self, values: Mapping[DataType, int]) -> None:
        with self.database.atomic():
            self._move_watermarks(values)

    def _move_watermarks(self, values: Mapping[DataType, int]) -> None:
        """Write these watermarks, each only forward (inside the caller's transaction)."""
        for data_type, value in values.items():
            row, _ = Watermark.get_or_create(
                site=self.site_id, destination=self.destination_id, data_type=data_type.value
            )
            if row.watermark is None or value > row.watermark:
                row.watermark = value
                row.updated_at = utcnow()
                row.save()

    # -- items --------------------------------------------------------------------------------

    def states(self, data_type: DataType, keys: Iterable[str]) -> dict[str, str]:
        """The known state of each of these keys (unknown keys are left out)."""
        result: dict[str, str] = {}
        chunk: list[str] = []
        for key in keys:
            chunk.append(key)
            if len(chunk) == 500:
                result.update(self._states(data_type, chunk))
                chunk = []
        if chunk:
            result.update(self._states(data_type, chunk))
        return result

    def _states(self, data_type: DataType, keys: list[str]) -> dict[str, str]:
        cursor = self.database.execute_sql(
            _states_statement(len(keys)),
            (self.site_id, self.destination_id, data_type.value, *keys),
        )
        try:
            return dict(cursor.fetchall())
        finally:
            cursor.close()

    def _row(
        self,
        data_type: DataType,
        key: str,
        state: str,
        session_start: int | None,
        *,
        detail: str = "",
        location: str = "",
        size: int | None = None,
        sha256: str | None = None,
        meta_json: str = "{}",
        attempts: int = 0,
        now: object,
    ) -> tuple[object, ...]:
        """One row in ``_ITEM_FIELDS`` order."""
        return (
            self.site_id,
            self.destination_id,
            data_type.value,
            key,
            str(state),
            session_start,
            detail,
            location,
            size,
            sha256,
            meta_json,
            attempts,
            now,
        )

    def record(
        self,
        data_type: DataType,
        items: Iterable[tuple[str, str, int | None]],
        *,
        detail: str = "",
        count_attempt: bool = False,
        meta: dict[str, object] | None = None,
    ) -> None:
        """Set the state of items given as ``(key, state, session_start)``, in one transaction.

        A new item is created; a known one gets the new state and detail, and keeps its session
        start, location, proof and meta unless new ones are given. One upsert statement covers
        many items: a run records every session it meets, so a query per item would cost more
        than storing the session.
        """
        now = _stamp()
        meta_json = json.dumps(meta) if meta is not None else "{}"
        attempts = 1 if count_attempt else 0
        rows = [
            self._row(
                data_type,
                key,
                state,
                start,
                detail=detail,
                meta_json=meta_json,
                attempts=attempts,
                now=now,
            )
            for key, state, start in items
        ]
        self._upsert(rows, _Changes(meta=meta is not None, attempts=count_attempt))

    def record_placed(self, data_type: DataType, state: str, items: Iterable[Placed]) -> None:
        """Set items to ``state`` with where each went (or is about to go) and its proof."""
        now = _stamp()
        rows = [
            self._row(
                data_type,
                item.key,
                state,
                item.session_start,
                location=item.location,
                size=item.size,
                sha256=item.sha256,
                now=now,
            )
            for item in items
        ]
        self._upsert(rows, _Changes(placed=True))

    def _upsert(self, rows: Sequence[tuple[object, ...]], changes: _Changes) -> None:
        """Insert ``rows`` (``_ITEM_FIELDS`` each), updating known items as ``changes`` says."""
        if not rows:
            return
        sql, extra = _upsert_statement(changes)
        pending = dict(self._deferred or {})
        with self.database.atomic():
            self._move_watermarks(pending)  # moved watermarks ride along
            cursor = self.database.cursor()
            try:
                cursor.executemany(sql, [(*row, *extra) for row in rows] if extra else rows)
            finally:
                cursor.close()
        if pending and self._deferred is not None:
            for data_type, value in pending.items():
                if self._deferred.get(data_type) == value:
                    del self._deferred[data_type]

    def add_pending(
        self,
        data_type: DataType,
        keys: Iterable[tuple[str, int | None]],
        *,
        meta: dict[str, object] | None = None,
        known: Mapping[str, str] | None = None,
    ) -> int:
        """Note recordings to fetch, leaving alone those already known; return how many are new.

        ``known`` is what the caller already read of these keys' states (else they are read).
        """
        wanted = dict(keys)
        if known is None:
            known = self.states(data_type, wanted)
        new = [(key, PENDING, start) for key, start in wanted.items() if key not in known]
        if new:
            self.record(data_type, new, meta=meta)
        return len(new)

    def forget(self, data_type: DataType, key: str) -> None:
        LedgerItem.delete().where(self._mine(data_type) & (LedgerItem.key == key)).execute()

    def _in_state(self, data_type: DataType, state: str) -> peewee.ModelSelect[LedgerItem]:
        return LedgerItem.select().where(self._mine(data_type) & (LedgerItem.state == state))

    def items_in(self, data_type: DataType, state: str) -> list[LedgerItem]:
        return list(
            self._in_state(data_type, state).order_by(LedgerItem.session_start, LedgerItem.key)
        )

    def count(self, data_type: DataType, state: str) -> int:
        return self._in_state(data_type, state).count()

    def forget_final_before(self, data_type: DataType, before: int) -> int:
        """Drop finished items whose sessions lie wholly behind every future window."""
        return (
            LedgerItem.delete()
            .where(
                self._mine(data_type)
                & (LedgerItem.state.in_(FINAL_STATES))
                & (LedgerItem.session_start < before)
            )
            .execute()
        )

    def manifest(self, data_type: DataType) -> dict[str, Placement | str]:
        """What is recorded as stored: key → its placement, or its location alone where the
        destination gave no proof (a row in a database, a file kept by Skip)."""
        found: dict[str, Placement | str] = {}
        query = self._in_state(data_type, STORED).select(
            LedgerItem.key, LedgerItem.location, LedgerItem.size, LedgerItem.sha256
        )
        for key, location, size, sha256 in rows(query):
            proven = location and size is not None and sha256 is not None
            found[key] = Placement(location, size, sha256) if proven else location
        return found

    def known(self, data_type: DataType) -> dict[str, LedgerItem]:
        """Every item recorded for ``data_type``, by key."""
        return {row.key: row for row in LedgerItem.select().where(self._mine(data_type))}
