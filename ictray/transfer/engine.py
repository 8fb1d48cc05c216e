"""One run of one transfer: ask the appliance for what is new, store it, remember it.

The run is incremental and gap-free. Per data type a watermark (appliance time) says up to
where every session has been handled. A run asks for the sessions that started since the lowest
watermark less an overlap margin, one window chunk at a time, and moves the watermarks to the
end of a chunk only after the destination confirmed every write of that chunk. What cannot be
finished yet is remembered as an item: a session still in progress is asked for again (by lsid)
until it closes, a recording not stored yet is tried again on later runs, an expired recording is
noted and never asked for again. Items already stored are skipped, so the overlap and a re-run
after a crash never store anything twice.

The window always ends at the appliance's clock, never this computer's (a local clock that runs
ahead would make the window reach past what the appliance has recorded).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ictray.appliance import reports
from ictray.appliance.client import ApplianceClient
from ictray.appliance.errors import ApplianceError, RecordingExpiredError
from ictray.datatypes import DataType
from ictray.destinations.base import Destination, DestinationError, FileMeta
from ictray.errors import IctrayError
from ictray.transfer import collector
from ictray.transfer import state as st
from ictray.transfer.batches import BatchWriter, DownloadLedger, groups
from ictray.transfer.items import (
    PRESENTATION_RECORDINGS,
    PRESENTATIONS,
    RECORDING_EXTENSIONS,
    SUPPORT,
    SUPPORT_RECORDINGS,
    Family,
    Item,
    file_meta_of,
    recording_file_meta,
    recording_refs,
)
from ictray.transfer.progress import Progress, ProgressCallback
from ictray.transfer.result import FAILED, INTERRUPTED, UNREACHABLE, TransferResult

log = logging.getLogger("ictray.transfer")

DAY = 86_400
#: Recordings marked ``writing`` (and later ``stored``) in one commit, per download slot.
LEDGER_ROWS_PER_SLOT = 4
#: Items whose recorded states are read in one query. Small, because every item read ahead
#: stays in memory until handled.
STATE_LOOKUP = 25


@dataclass(frozen=True)
class TransferOptions:
    """Tuning of a run; the defaults suit a busy site."""

    overlap: int = 600  # seconds asked for again at the start of every window
    chunk: int = DAY  # window piece after which watermarks move
    batch_size: int = 200  # sessions written to the destination in one transaction
    concurrency: int = 4  # recordings downloaded at a time
    keep_days: int = 90  # how long the appliance keeps sessions and recordings
    open_give_up: int = 7 * DAY  # a session open this long closed abnormally: store it as is


@dataclass(frozen=True)
class TransferJob:
    """What to copy: plain values taken from the settings, so the engine needs no settings UI."""

    site_name: str
    site_host: str
    destination_name: str
    data_types: tuple[DataType, ...]
    start_from: int | None = None  # appliance UNIX time; None: all the appliance keeps
    backup_password: str | None = field(default=None, repr=False)
    schedule_name: str | None = None


class Stopped(Exception):
    """The run was asked to stop; what was written so far is kept."""


class TransferRun:
    """Runs one transfer once. ``run()`` never raises for the appliance or destination."""

    def __init__(
        self,
        job: TransferJob,
        client: ApplianceClient,
        destination: Destination,
        state: st.TransferState,
        *,
        options: TransferOptions | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.job = job
        self.client = client
        self.destination = destination
        self.state = state
        self.options = options or TransferOptions()
        self._progress = progress
        self.stop = stop or threading.Event()
        self.clock = clock
        self.result = TransferResult(job.site_name, job.destination_name)
        self.log = logging.LoggerAdapter(
            log,
            {
                "site": job.site_name,
                "destination": job.destination_name,
                "schedule": job.schedule_name or "",
            },
        )
        self.now = 0

    # -- entry point ----------------------------------------------------------------------------

    def run(self) -> TransferResult:
        where = f"site {self.job.site_name!r} to destination {self.job.destination_name!r}"
        self.log.info(
            "transfer %s started: %s", where, ", ".join(t.value for t in self.job.data_types)
        )
        try:
            with collector.paused_during_run():
                self._check_clock()
                with self.destination:
                    for family in (SUPPORT, PRESENTATIONS):
                        types = family.types_in(self.job.data_types)
                        if types:
                            self._guarded(family.noun,
                                          lambda f=family, t=types: self._family(f, t))
                    for data_type in (*SUPPORT_RECORDINGS, *PRESENTATION_RECORDINGS):
                        if data_type in self.job.data_types:
                            self._guarded(data_type.label.lower(),
                                          lambda t=data_type: self._download_pending(t))
                    if DataType.SITE_BACKUPS in self.job.data_types:
                        self._guarded("site backup", self._backup)
        except Stopped:
            self.result.worsen(INTERRUPTED)
        except (ApplianceError, DestinationError, IctrayError) as error:
            self._external(error)
        except Exception as error:  # the program itself failed: say so, keep the traceback
            self.log.exception("transfer %s failed: %s", where, error)
            self.result.worsen(FAILED, f"ictray failed: {type(error).__name__}: {error}")
        self.log.info(
            "transfer %s ended (%s): %s", where, self.result.outcome, self.result.summary()
        )
        return self.result

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        """Run one part; an appliance or destination problem ends this part, not the others."""
        if self.stop.is_set():
            raise Stopped
        try:
            step()
        except (ApplianceError, DestinationError) as error:
            self._external(error, what)

    def _external(self, error: BaseException, what: str = "") -> None:
        message = str(error)
        self.log.error("%s%s", f"{what}: " if what else "", message)
        self.result.worsen(UNREACHABLE, message)

    def _emit(self, data_type: DataType, done: int, total: int | None, text: str) -> None:
        if self._progress is not None:
            self._progress(
                Progress(
                    self.job.site_name, self.job.destination_name, data_type, done, total, text
                )
            )

    def _check_clock(self) -> None:
        """Read the appliance's clock: get_api_info when the command API answers the account,
        else the Date header of an answer (an account set up as the guide says may not use the
        command API); a run never depends on the command API."""
        clock = self.client.read_clock()
        self.now = clock.now
        skew = clock.skew
        self.result.clock_skew = skew
        if skew > 5:
            self.log.warning(
                "this computer's clock is %.0f s ahead of site %r; the window ends at the "
                "appliance's time, but synchronise both with the same NTP server",
                skew,
                self.job.site_name,
            )

    # -- sessions and presentations ---------------------------------------------------------------

    def _family(self, family: Family, types: tuple[DataType, ...]) -> None:
        self._revisit_open(family, types)
        self._walk_window(family, types)

    def _start_of(self, data_type: DataType) -> int:
        watermark = self.state.watermark(data_type)
        if watermark is not None:
            return watermark
        if self.job.start_from is not None:
            return self.job.start_from
        return self.now - self.options.keep_days * DAY

    def _walk_window(self, family: Family, types: tuple[DataType, ...]) -> None:
        starts = {t: self._start_of(t) for t in types}
        begin = max(0, min(starts.values()) - self.options.overlap)
        writer = BatchWriter(self, family)
        while begin < self.now:
            end = min(begin + self.options.chunk, self.now)
            window = reports.TimeWindow(since=begin, duration=end - begin)
            seen = 0
            for group in groups(family.fetch(self.client, window), STATE_LOOKUP):
                known = self._known(types, group)
                for item in group:
                    seen += 1
                    start = item.start_time if item.start_time is not None else begin
                    due = [t for t in types if start >= starts[t] - self.options.overlap]
                    self._handle(family, item, due, writer, known)
                    if self.stop.is_set():
                        writer.flush()
                        raise Stopped
            writer.flush()
            self.state.set_watermarks(types, end)
            self._emit(
                family.data_type,
                end - min(starts.values()),
                self.now - min(starts.values()),
                f"{family.noun}s up to {time.strftime('%Y-%m-%d %H:%M', time.gmtime(end))} "
                f"UTC ({seen} in this part)",
            )
            begin = end
        # Finished items are remembered as long as the appliance could still list their
        # session, whatever window a later run asks for; then they are forgotten.
        horizon = self.now - (self.options.keep_days + 1) * DAY
        for data_type in types:
            self.state.forget_final_before(data_type, horizon)

    def _revisit_open(self, family: Family, types: tuple[DataType, ...]) -> None:
        """Ask again for sessions that were in progress, or whose write a crash cut short."""
        open_items: dict[str, list[DataType]] = {}
        starts: dict[str, int | None] = {}
        for data_type in types:
            # A recording cut short mid-download is taken up by _download_pending instead.
            states = (st.OPEN, st.WRITING) if data_type is family.data_type else (st.OPEN,)
            for state in states:
                for row in self.state.items_in(data_type, state):
                    open_items.setdefault(row.key, []).append(data_type)
                    starts[row.key] = row.session_start
        if not open_items:
            return
        writer = BatchWriter(self, family)
        found: set[str] = set()
        fetched = family.fetch(self.client, lsids=sorted(open_items))
        for group in groups(fetched, STATE_LOOKUP):
            known = self._known(types, group)
            for item in group:
                found.add(item.lsid)
                self._handle(family, item, open_items.get(item.lsid, []), writer, known)
        writer.flush()
        cutoff = self.now - self.options.keep_days * DAY
        for lsid in set(open_items) - found:
            start = starts[lsid]
            if start is not None and start < cutoff:
                for data_type in open_items[lsid]:
                    self.state.record(
                        data_type,
                        [(lsid, st.GONE, start)],
                        detail="no longer kept by the appliance",
                    )
                self.log.warning(
                    "%s %s is no longer kept by the appliance; it is given up", family.noun, lsid
                )

    def _known(
        self, types: Sequence[DataType], items: Sequence[Item]
    ) -> dict[DataType, dict[str, str]]:
        """What was recorded of these items and of their recordings: one query per data type.

        Asked per group of items, not per item: a query per session would cost more than
        storing it.
        """
        known = {}
        for data_type in types:
            keys = [item.lsid for item in items]
            keys += [
                st.recording_key(item.lsid, instance)
                for item in items
                for instance in recording_refs(item, data_type)
            ]
            known[data_type] = self.state.states(data_type, dict.fromkeys(keys))
        return known

    def _handle(
        self,
        family: Family,
        item: Item,
        due: Sequence[DataType],
        writer: BatchWriter,
        recorded: dict[DataType, dict[str, str]],
    ) -> None:
        """Store, skip or note one item; ``recorded`` holds what ``_known`` found of it."""
        if not due:
            return
        closed = not item.in_progress or (
            item.start_time is not None and self.now - item.start_time > self.options.open_give_up
        )
        known = {t: recorded[t].get(item.lsid) for t in due}
        for data_type in due:
            if data_type is family.data_type:
                if known[data_type] == st.GONE:
                    continue  # refused by the destination before: said once, not again
                if known[data_type] == st.WRITING and self._landed_before(family, item):
                    known[data_type] = st.STORED
                    self.state.record(data_type, [(item.lsid, st.STORED, item.start_time)])
                if known[data_type] == st.STORED:
                    self.result.count(data_type).skipped += 1
                elif closed or self.destination.replaces_sessions:
                    writer.add(item, st.STORED if closed else st.OPEN)
                elif known[data_type] is None:
                    self.state.record(data_type, [(item.lsid, st.OPEN, item.start_time)])
            else:
                self._note_recordings(item, data_type, closed, recorded[data_type])

    def _landed_before(self, family: Family, item: Item) -> bool:
        """After a crash mid-write: is this session already in a destination that keeps copies?

        A destination that replaces sessions is simply written again; one that would make a
        second file is asked whether the first landed.
        """
        if self.destination.replaces_sessions:
            return False
        meta = FileMeta(
            site_host=self.job.site_host,
            data_type=family.data_type,
            extension="xml",
            lsid=item.lsid,
            **file_meta_of(item),
        )
        return self.destination.find_stored(meta) is not None

    def _note_recordings(
        self, item: Item, data_type: DataType, closed: bool, recorded: dict[str, str]
    ) -> None:
        """Remember the recordings of a closed session, or that its recordings are to come."""
        known = recorded.get(item.lsid)
        if not closed:
            if known is None:
                self.state.record(data_type, [(item.lsid, st.OPEN, item.start_time)])
            return
        keys = [
            st.recording_key(item.lsid, instance) for instance in recording_refs(item, data_type)
        ]
        placeholder_open = known == st.OPEN
        if placeholder_open and item.lsid not in keys:
            self.state.forget(data_type, item.lsid)
        if placeholder_open and item.lsid in keys:
            self.state.record(
                data_type, [(item.lsid, st.PENDING, item.start_time)], meta=file_meta_of(item)
            )
        new = self.state.add_pending(
            data_type,
            [(key, item.start_time) for key in keys],
            meta=file_meta_of(item),
            known=recorded,
        )
        self.result.count(data_type).waiting += new + int(placeholder_open and item.lsid in keys)

    # -- recordings and backups -------------------------------------------------------------------

    def _download_pending(self, data_type: DataType) -> None:
        """Download every recording of this kind still waiting, several at a time."""
        counts = self.result.count(data_type)
        counts.waiting = 0
        pending = []
        for row in self.state.items_in(data_type, st.WRITING):
            location = self._find_recording(data_type, row)
            if location is None:
                pending.append(row)
            else:
                self.state.record(
                    data_type, [(row.key, st.STORED, row.session_start)], location=location
                )
        pending += self.state.items_in(data_type, st.PENDING)
        if not pending:
            return
        total = len(pending)
        self._emit(data_type, 0, total, f"{total} {data_type.label.lower()} to download")
        done = 0
        slots = max(1, self.options.concurrency)
        ledger = DownloadLedger(self.state, data_type, pending, slots * LEDGER_ROWS_PER_SLOT)
        with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="download") as pool:
            running: dict[Future[Any], Any] = {}

            def refill() -> None:
                while len(running) < slots and not self.stop.is_set():
                    row = ledger.next_row()
                    if row is None:
                        return
                    running[pool.submit(self._download_one, data_type, row)] = row

            try:
                refill()
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        row = running.pop(future)
                        self._settle(data_type, row, future, ledger)
                        done += 1
                        self._emit(
                            data_type, done, total, f"{data_type.label.lower()}: {done} of {total}"
                        )
                    refill()
            finally:
                ledger.close()
        counts.waiting = self.state.count(data_type, st.PENDING)
        if self.stop.is_set() and done < total:
            raise Stopped

    def _recording_meta(self, data_type: DataType, row: Any, extension: str) -> FileMeta:
        lsid, instance = st.split_recording_key(row.key)
        return recording_file_meta(
            self.job.site_host, data_type, lsid, instance, row.file_meta, extension
        )

    def _find_recording(self, data_type: DataType, row: Any) -> str | None:
        """After a crash mid-download: the recording's file, if its download had finished."""
        for extension in RECORDING_EXTENSIONS:
            location = self.destination.find_stored(self._recording_meta(data_type, row, extension))
            if location is not None:
                return location
        return None

    def _download_one(self, data_type: DataType, row: Any) -> tuple[str, int]:
        lsid, instance = st.split_recording_key(row.key)
        file_meta = self._recording_meta(data_type, row, "flv")
        with self.destination.file_writer(file_meta) as sink:
            result = reports.download_recording(self.client, data_type, lsid, instance, sink)
            sink.extension = result.extension
        stored = self.destination.last_stored
        return (stored.location if stored else ""), result.bytes

    def _settle(
        self, data_type: DataType, row: Any, future: Future[Any], ledger: DownloadLedger
    ) -> None:
        counts = self.result.count(data_type)
        key, start = row.key, row.session_start
        try:
            location, size = future.result()
        except RecordingExpiredError as error:
            self.state.record(data_type, [(key, st.EXPIRED, start)], detail=str(error))
            counts.expired += 1
            self.log.info(
                "%s %s has expired on the appliance; it will not be asked for again",
                data_type.label.lower(),
                key,
            )
            return
        except (ApplianceError, DestinationError) as error:
            too_old = start is not None and start < self.now - self.options.keep_days * DAY
            state = st.GONE if too_old else st.PENDING
            self.state.record(
                data_type, [(key, state, start)], detail=str(error), count_attempt=True
            )
            counts.failed += 1
            self.result.worsen(UNREACHABLE, str(error))
            self.log.error(
                "%s %s: %s%s",
                data_type.label.lower(),
                key,
                error,
                "" if too_old else " (tried again on the next run)",
            )
            return
        ledger.stored(key, start, location)
        counts.stored += 1
        counts.bytes += size

    def _backup(self) -> None:
        meta = FileMeta(
            site_host=self.job.site_host, data_type=DataType.SITE_BACKUPS, extension="nsb"
        )
        self._emit(DataType.SITE_BACKUPS, 0, 1, "downloading the site backup")
        with self.destination.file_writer(meta) as sink:
            result = reports.download_backup(self.client, sink, self.job.backup_password)
            sink.extension = result.extension
        counts = self.result.count(DataType.SITE_BACKUPS)
        counts.stored += 1
        counts.bytes += result.bytes
        stored = self.destination.last_stored
        if stored is not None and stored.removed_by_retention:
            self.log.info("retention removed %d older backup(s)", len(stored.removed_by_retention))
        self._emit(DataType.SITE_BACKUPS, 1, 1, "site backup stored")
