"""What one transfer remembers between runs: watermarks per data type and the items it met.

A watermark is appliance time: every session that started before it has been handled — stored,
or recorded as an item still to finish (a session in progress, a recording not stored yet).
Watermarks move only after the destination confirmed the writes they cover.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from ictray.datatypes import DataType
from ictray.settings.models import SyncState, Transfer, TransferItem, utcnow

STORED = "stored"
WRITING = "writing"  # handed to the destination; a crash may have cut the write short
OPEN = "open"
PENDING = "pending"
EXPIRED = "expired"
GONE = "gone"
FINAL_STATES = frozenset({STORED, EXPIRED, GONE})


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
        query = TransferItem.select(TransferItem.key, TransferItem.state).where(
            (TransferItem.transfer == self.transfer)
            & (TransferItem.data_type == data_type.value)
            & (TransferItem.key.in_(keys))
        )
        return {row.key: row.state for row in query}

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
        """Set the state of items given as ``(key, state, session_start)``, in one transaction."""
        now = utcnow()
        with self.database.atomic():
            for key, state, session_start in items:
                row, _ = TransferItem.get_or_create(
                    transfer=self.transfer,
                    data_type=data_type.value,
                    key=key,
                    defaults={"state": state, "session_start": session_start},
                )
                row.state = state
                if session_start is not None:
                    row.session_start = session_start
                row.detail = detail
                if location:
                    row.location = location
                if meta is not None:
                    row.meta_json = json.dumps(meta)
                if count_attempt:
                    row.attempts += 1
                row.updated_at = now
                row.save()

    def add_pending(
        self,
        data_type: DataType,
        keys: Iterable[tuple[str, int | None]],
        *,
        meta: dict[str, object] | None = None,
    ) -> int:
        """Note recordings to fetch, leaving alone those already known; return how many are new."""
        wanted = dict(keys)
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

    def items_in(self, data_type: DataType, state: str) -> list[TransferItem]:
        return list(
            TransferItem.select()
            .where(
                (TransferItem.transfer == self.transfer)
                & (TransferItem.data_type == data_type.value)
                & (TransferItem.state == state)
            )
            .order_by(TransferItem.session_start, TransferItem.key)
        )

    def count(self, data_type: DataType, state: str) -> int:
        return (
            TransferItem.select()
            .where(
                (TransferItem.transfer == self.transfer)
                & (TransferItem.data_type == data_type.value)
                & (TransferItem.state == state)
            )
            .count()
        )

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
