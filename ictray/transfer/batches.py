"""Bookkeeping of a run in groups: sessions written a batch at a time, downloads noted a few
at a time, so the settings file and the destination see few, large transactions."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from ictray.datatypes import DataType
from ictray.destinations.base import DestinationError
from ictray.transfer import collector
from ictray.transfer import state as st
from ictray.transfer.items import Family, Item
from ictray.transfer.result import UNREACHABLE

if TYPE_CHECKING:
    from ictray.transfer.engine import TransferRun

T = TypeVar("T")


def groups(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), read as they are needed."""
    iterator = iter(items)
    while group := list(islice(iterator, max(1, size))):
        yield group


class DownloadLedger:
    """The download phase's bookkeeping: a few commits to the settings file for many recordings.

    Recordings are marked ``writing`` a handful at a time, before any of them starts, and
    marked ``stored`` a handful at a time, after their files landed. Both are safe to delay or
    advance: a recording left ``writing`` by a crash is looked for in the destination on the
    next run and downloaded again only when its file is not there. ``close`` records what is
    still held and hands recordings never started back as ``pending``.
    """

    def __init__(
        self, state: st.TransferState, data_type: DataType, rows: Iterable[Any], size: int
    ) -> None:
        self.state = state
        self.data_type = data_type
        self.rows = iter(rows)
        self.size = size
        self.reserved: deque[Any] = deque()
        self.landed: list[tuple[str, int | None, str]] = []

    def next_row(self) -> Any | None:
        """The next recording to download, already marked ``writing``; None when none is left."""
        if not self.reserved:
            self.reserved.extend(islice(self.rows, self.size))
            if not self.reserved:
                return None
            self.state.record(
                self.data_type, [(row.key, st.WRITING, row.session_start) for row in self.reserved]
            )
        return self.reserved.popleft()

    def stored(self, key: str, session_start: int | None, location: str) -> None:
        self.landed.append((key, session_start, location))
        if len(self.landed) >= self.size:
            self._flush()

    def _flush(self) -> None:
        if self.landed:
            self.state.record_stored(self.data_type, self.landed)
            self.landed = []
            collector.between_batches()  # what finished downloads left in cycles

    def close(self) -> None:
        self._flush()
        if self.reserved:
            self.state.record(
                self.data_type, [(row.key, st.PENDING, row.session_start) for row in self.reserved]
            )
            self.reserved.clear()


class BatchWriter:
    """Collects sessions (or presentations) and writes them in one transaction per batch."""

    def __init__(self, run: TransferRun, family: Family) -> None:
        self.run = run
        self.family = family
        self.items: list[tuple[Item, str]] = []

    def add(self, item: Item, final_state: str) -> None:
        self.items.append((item, final_state))
        if len(self.items) >= self.run.options.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.items:
            return
        batch, self.items = self.items, []
        self._write(batch)
        del batch  # released first, so the collection finds little alive
        collector.between_batches()

    def _write(self, batch: list[tuple[Item, str]]) -> None:
        destination = self.run.destination
        host = self.run.job.site_host
        data_type = self.family.data_type
        self.run.state.record(
            data_type, [(item.lsid, st.WRITING, item.start_time) for item, _ in batch]
        )
        while batch:
            items = [item for item, _ in batch]
            try:
                if data_type is DataType.SESSION_DATA:
                    destination.write_sessions(host, items)  # type: ignore[arg-type]
                else:
                    destination.write_presentations(host, items)  # type: ignore[arg-type]
                break
            except DestinationError as error:
                if error.lsid is None or error.lsid not in {item.lsid for item in items}:
                    raise
                batch = [entry for entry in batch if entry[0].lsid != error.lsid]
                self._refused(error.lsid, error)
        self.run.state.record(
            data_type, [(item.lsid, state, item.start_time) for item, state in batch]
        )
        self.run.result.count(data_type).stored += sum(1 for _, s in batch if s == st.STORED)

    def _refused(self, lsid: str, error: DestinationError) -> None:
        """One session the destination will never take: say so once, and let the rest pass."""
        data_type = self.family.data_type
        self.run.state.record(data_type, [(lsid, st.GONE, None)], detail=str(error))
        self.run.result.count(data_type).failed += 1
        self.run.result.worsen(UNREACHABLE, str(error))
        self.run.log.error(
            "%s %s is refused by destination %r and is not stored: %s",
            self.family.noun,
            lsid,
            self.run.job.destination_name,
            error,
        )
