"""Bookkeeping of a run in groups: sessions written a batch at a time, downloads noted a few
at a time, so the settings file and the destination see few, large transactions."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from ictray.datatypes import DataType
from ictray.destinations.base import DestinationError, Placement
from ictray.errors import IctrayError
from ictray.transfer import collector
from ictray.transfer.items import Family, Item
from ictray.transfer.ledger import GONE, OPEN, PENDING, STORED, WRITING, Ledger, Placed
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
    advance: each file's name and proof are recorded on their own before it takes that name,
    so a recording left ``writing`` by a crash is settled by identity on the next run and
    downloaded again only when its file is not there. ``close`` records what is still held and
    hands recordings never started back as ``pending``.
    """

    def __init__(self, ledger: Ledger, data_type: DataType, rows: Iterable[Any], size: int) -> None:
        self.ledger = ledger
        self.data_type = data_type
        self.rows = iter(rows)
        self.size = size
        self.reserved: deque[Any] = deque()
        self.landed: list[Placed] = []

    def next_row(self) -> Any | None:
        """The next recording to download, already marked ``writing``; None when none is left."""
        if not self.reserved:
            self.reserved.extend(islice(self.rows, self.size))
            if not self.reserved:
                return None
            self.ledger.record(
                self.data_type, [(row.key, WRITING, row.session_start) for row in self.reserved]
            )
        return self.reserved.popleft()

    def stored(self, placed: Placed) -> None:
        self.landed.append(placed)
        if len(self.landed) >= self.size:
            self._flush()

    def _flush(self) -> None:
        if self.landed:
            self.ledger.record_placed(self.data_type, STORED, self.landed)
            self.landed = []
            collector.between_batches()  # what finished downloads left in cycles

    def close(self) -> None:
        self._flush()
        if self.reserved:
            self.ledger.record(
                self.data_type, [(row.key, PENDING, row.session_start) for row in self.reserved]
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

    @contextmanager
    def keeping_what_was_read(self) -> Iterator[None]:
        """Write what was added, at the end of the block and also when the report breaks off.

        Sessions read whole before a report broke off (a cut connection, a broken document)
        are written all the same: a report that breaks at the same place on every run would
        otherwise keep the sessions before that place from ever being stored.
        """
        try:
            yield
        except IctrayError as error:
            if not isinstance(error, DestinationError):
                self.flush()
            raise
        self.flush()

    def _write(self, batch: list[tuple[Item, str]]) -> None:
        destination = self.run.destination
        host = self.run.job.site_host
        data_type = self.family.data_type
        ledger = self.run.ledger
        ledger.record(data_type, [(item.lsid, WRITING, item.start_time) for item, _ in batch])
        starts = {item.lsid: item.start_time for item, _ in batch}
        announced: dict[str, Placed] = {}

        def announce(placements: Mapping[str, Placement]) -> None:
            """Names and proofs recorded before the files take those names."""
            placed = [
                Placed(lsid, starts[lsid], p.location, p.size, p.sha256)
                for lsid, p in placements.items()
            ]
            ledger.record_placed(data_type, WRITING, placed)
            announced.update((item.key, item) for item in placed)

        # A destination that replaces sessions has nothing to prove after a crash.
        hook = None if destination.replaces_sessions else announce

        locations: list[str] = []
        while batch:
            items = [item for item, _ in batch]
            try:
                if data_type is DataType.SESSION_DATA:
                    locations = destination.write_sessions(
                        host,
                        items,  # type: ignore[arg-type]
                        before_publish=hook,
                    )
                else:
                    locations = destination.write_presentations(
                        host,
                        items,  # type: ignore[arg-type]
                        before_publish=hook,
                    )
                break
            except DestinationError as error:
                if error.lsid is None or error.lsid not in starts:
                    raise
                batch = [entry for entry in batch if entry[0].lsid != error.lsid]
                starts.pop(error.lsid)
                self._refused(error.lsid, error)
        for state in (STORED, OPEN):
            ledger.record_placed(
                data_type,
                state,
                [
                    announced.get(item.lsid) or Placed(item.lsid, item.start_time, location)
                    for (item, final), location in zip(batch, locations, strict=True)
                    if final == state
                ],
            )
        counts = self.run.result.count(data_type)
        counts.stored += sum(1 for _, s in batch if s == STORED)
        counts.in_progress += sum(1 for _, s in batch if s == OPEN)

    def _refused(self, lsid: str, error: DestinationError) -> None:
        """One session the destination will never take: say so once, and let the rest pass."""
        data_type = self.family.data_type
        self.run.ledger.record(data_type, [(lsid, GONE, None)], detail=str(error))
        self.run.result.count(data_type).failed += 1
        self.run.result.worsen(UNREACHABLE, str(error))
        self.run.log.error(
            "%s %s is refused by destination %r and is not stored: %s",
            self.family.noun,
            lsid,
            self.run.job.destination_name,
            error,
        )
