"""What one transfer remembers between runs: watermarks per data type and the items it met.

A watermark is appliance time: every session that started before it has been handled — stored,
or recorded as an item still to finish (a session in progress, a recording not stored yet).
Watermarks move only after the destination confirmed the writes they cover.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import peewee
from peewee import EXCLUDED, fn

from ictray.datatypes import DataType
from ictray.settings.models import SyncState, Transfer, TransferItem, utcnow

STORED = "stored"
WRITING = "writing"  # handed to the destination; a crash may have cut the write short
OPEN = "open"
PENDING = "pending"
EXPIRED = "expired"
GONE = "gone"
FINAL_STATES = frozenset({STORED, EXPIRED, GONE})

_ITEM_FIELDS = (
    TransferItem.transfer,
    TransferItem.data_type,
    TransferItem.key,
    TransferItem.state,
    TransferItem.session_start,
    TransferItem.detail,
    TransferItem.location,
    TransferItem.meta_json,
    TransferItem.attempts,
    TransferItem.updated_at,
)
_ITEM_KEY = (TransferItem.transfer, TransferItem.data_type, TransferItem.key)
#: what recording a known item always changes (the session start only when one is given)
_STATE_UPDATE: dict[peewee.Field, object] = {
    TransferItem.state: EXCLUDED.state,
    TransferItem.session_start: fn.COALESCE(EXCLUDED.session_start, TransferItem.session_start),
    TransferItem.detail: EXCLUDED.detail,
    TransferItem.updated_at: EXCLUDED.updated_at,
}


@dataclass(frozen=True)
class _Changes:
    """Which columns recording a known item changes besides ``_STATE_UPDATE``."""

    location: bool = False
    meta: bool = False
    attempts: bool = False

    def update(self) -> dict[peewee.Field, object]:
        update = dict(_STATE_UPDATE)
        if self.location:
            update[TransferItem.location] = EXCLUDED.location
        if self.meta:
            update[TransferItem.meta_json] = EXCLUDED.meta_json
        if self.attempts:
            update[TransferItem.attempts] = TransferItem.attempts + 1
        return update


@cache
def _upsert_statement(changes: _Changes) -> tuple[str, tuple[object, ...]]:
    """The SQL upserting one item, and the parameters its update clause adds after the row's.

    Written by peewee once, from a row of placeholder values, and then run with
    ``executemany``: a run records every session it meets, twice, and having peewee build
    SQL for every row cost a tenth of an ingest's time.
    """
    template = (0, "", "", "", None, "", "", "", 0, "")
    query = TransferItem.insert_many([template], fields=_ITEM_FIELDS).on_conflict(
        conflict_target=_ITEM_KEY, update=changes.update()
    )
    sql, parameters = query.sql()
    return sql, tuple(parameters[len(_ITEM_FIELDS):])


@cache
def _states_statement(count: int) -> str:
    """``(key, state)`` of ``count`` keys; parameters: transfer id, data type, the keys.

    Written by peewee once per count: a run asks for every group of sessions it reads.
    """
    query = TransferItem.select(TransferItem.key, TransferItem.state).where(
        (TransferItem.transfer == 0)
        & (TransferItem.data_type == "")
        & (TransferItem.key.in_([""] * count))
    )
    sql, _ = query.sql()
    return str(sql)


def _stamp() -> object:
    """Now, as the settings file stores ``updated_at`` (what peewee would bind)."""
    return TransferItem.updated_at.db_value(utcnow())


@dataclass(frozen=True)
class ItemKey:
    data_type: DataType
    key: str


def recording_key(lsid: str, instance: int | None) -> str:
    return lsid if instance is None else f"{lsid}/{instance}"


def split_recording_key(key: str) -> tuple[str, int | None]:
    lsid, _, instance = key.partition("/")
    return lsid, int(instance) if instance else None


class TransferState:
    """Reads and changes the sync state of one transfer in the settings file."""

    def __init__(self, transfer: Transfer) -> None:
        self.transfer = transfer
        self.database = Transfer._meta.database

    # -- watermarks ---------------------------------------------------------------------------

    def watermark(self, data_type: DataType) -> int | None:
        row = SyncState.get_or_none(
            (SyncState.transfer == self.transfer) & (SyncState.data_type == data_type.value)
        )
        return None if row is None else row.watermark

    def set_watermarks(self, data_types: Iterable[DataType], value: int) -> None:
        """Move these watermarks forward to ``value`` (never back)."""
        with self.database.atomic():
            for data_type in data_types:
                row, _ = SyncState.get_or_create(transfer=self.transfer, data_type=data_type.value)
                if row.watermark is None or value > row.watermark:
                    row.watermark = value
                    row.updated_at = utcnow()
                    row.details_json = json.dumps({"site_time": value})
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
            _states_statement(len(keys)), (self.transfer.id, data_type.value, *keys)
        )
        try:
            return dict(cursor.fetchall())
        finally:
            cursor.close()

    def record(
        self,
        data_type: DataType,
        items: Iterable[tuple[str, str, int | None]],
        *,
        detail: str = "",
        location: str = "",
        count_attempt: bool = False,
        meta: dict[str, object] | None = None,
    ) -> None:
        """Set the state of items given as ``(key, state, session_start)``, in one transaction.

        A new item is created; a known one gets the new state and detail, and keeps its session
        start, location and meta unless new ones are given. One upsert statement covers many
        items: a run records every session it meets, so a query per item would cost more
        than storing the session.
        """
        now = _stamp()
        meta_json = json.dumps(meta) if meta is not None else "{}"
        rows = [
            (
                self.transfer.id,
                data_type.value,
                key,
                state,
                session_start,
                detail,
                location,
                meta_json,
                1 if count_attempt else 0,
                now,
            )
            for key, state, session_start in items
        ]
        self._upsert(rows, _Changes(bool(location), meta is not None, count_attempt))

    def record_stored(
        self, data_type: DataType, items: Iterable[tuple[str, int | None, str]]
    ) -> None:
        """Mark items ``(key, session_start, location)`` stored, each with its own location."""
        now = _stamp()
        transfer_id = self.transfer.id
        rows = [
            (transfer_id, data_type.value, key, STORED, session_start, "", location, "{}", 0, now)
            for key, session_start, location in items
        ]
        self._upsert(rows, _Changes(location=True))

    def _upsert(self, rows: Sequence[tuple[object, ...]], changes: _Changes) -> None:
        """Insert ``rows`` (``_ITEM_FIELDS`` each), updating known items as ``changes`` says."""
        if not rows:
            return
        sql, extra = _upsert_statement(changes)
        with self.database.atomic():
            cursor = self.database.cursor()
            try:
                cursor.executemany(sql, [(*row, *extra) for row in rows] if extra else rows)
            finally:
                cursor.close()

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
        TransferItem.delete().where(
            (TransferItem.transfer == self.transfer)
            & (TransferItem.data_type == data_type.value)
            & (TransferItem.key == key)
        ).execute()

    def _in_state(self, data_type: DataType, state: str) -> peewee.ModelSelect:
        return TransferItem.select().where(
            (TransferItem.transfer == self.transfer)
            & (TransferItem.data_type == data_type.value)
            & (TransferItem.state == state)
        )

    def items_in(self, data_type: DataType, state: str) -> list[TransferItem]:
        return list(
            self._in_state(data_type, state).order_by(TransferItem.session_start, TransferItem.key)
        )

    def count(self, data_type: DataType, state: str) -> int:
        return self._in_state(data_type, state).count()

    def forget_final_before(self, data_type: DataType, before: int) -> int:
        """Drop finished items whose sessions lie wholly behind every future window."""
        return (
            TransferItem.delete()
            .where(
                (TransferItem.transfer == self.transfer)
                & (TransferItem.data_type == data_type.value)
                & (TransferItem.state.in_(FINAL_STATES))
                & (TransferItem.session_start < before)
            )
            .execute()
        )
