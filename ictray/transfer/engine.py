"""One run of one transfer: ask the appliance for what is new, store it, remember it.

The run is incremental and gap-free. Per data type a watermark (appliance time) says up to
where every session has been handled. A run asks for the sessions that started since the lowest
watermark less an overlap margin, one window at a time, and moves the watermarks to the end of
a window only after the destination confirmed every write of that window. Windows are as wide
as the appliance's listing allows (a quiet site's first copy takes one), and one the listing
shows empty is passed without asking for its sessions. What cannot be
finished yet is remembered as an item: a session still in progress is asked for again (by lsid)
until it closes, a recording not stored yet is tried again on later runs, an expired recording is
noted and never asked for again. Items already stored are skipped, so the overlap and a re-run
after a crash never store anything twice.

What has been stored belongs to the (site, destination) pair, whichever schedule copies it (the
``Ledger``). A write a crash cut short is settled by identity, never by a file name: a
destination that keeps copies announces each file's name, size and SHA-256 before the file
takes that name, and the next run asks it whether that exact file is there.

Each data type is its own step: sessions, presentations, each kind of recording and the site
backup. One failing (an appliance error, a broken report, a destination refusing) is logged,
and so mailed, and the others go on. A session the parser or the destination refuses is that
session's refusal: said once, remembered, and the rest of its batch is stored.

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
from functools import partial
from typing import Any

from ictray.appliance import reports
from ictray.appliance.client import ApplianceClient
from ictray.appliance.errors import ApplianceError, RecordingExpiredError
from ictray.appliance.model import Refusal
from ictray.datatypes import DataType
from ictray.destinations.base import Destination, DestinationError, FileMeta, Placement
from ictray.errors import IctrayError
from ictray.transfer import collector
from ictray.transfer import ledger as st
from ictray.transfer.batches import BatchWriter, DownloadLedger, groups
from ictray.transfer.items import (
    PRESENTATION_RECORDINGS,
    PRESENTATIONS,
    SUPPORT,
    SUPPORT_RECORDINGS,
    Family,
    Item,
    file_meta_of,
    recording_file_meta,
    recording_refs,
)
from ictray.transfer.ledger import ItemState, Ledger, Placed
from ictray.transfer.options import DAY, TransferOptions
from ictray.transfer.progress import Progress, ProgressCallback
from ictray.transfer.result import FAILED, INTERRUPTED, UNREACHABLE, TransferResult

log = logging.getLogger("ictray.transfer")

#: Recordings marked ``writing`` (and later ``stored``) in one commit, per download slot.
LEDGER_ROWS_PER_SLOT = 4
#: Items whose recorded states are read in one query. Small, because every item read ahead
#: stays in memory until handled.
STATE_LOOKUP = 25
#: Listings asked for at most to size one wide window.
PROBES = 4
#: A window listed with up to this share of ``window_target`` items is asked for as it is:
#: narrowing a window that holds a few more would cost another listing for nothing.
WINDOW_SLACK = 1.25


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
    keep_days: int = 90  # how long the appliance keeps sessions and recordings (the site's)


class Stopped(Exception):
    """The run was asked to stop; what was written so far is kept."""


class TransferRun:
    """Runs one transfer once. ``run()`` never raises for the appliance or destination."""

    def __init__(
        self,
        job: TransferJob,
        client: ApplianceClient,
        destination: Destination,
        ledger: Ledger,
        *,
        options: TransferOptions | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.job = job
        self.client = client
        self.destination = destination
        self.ledger = ledger
        self.options = options or TransferOptions()
        self._progress = progress
        self.stop = stop or threading.Event()
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
                            self._step(f"{family.noun}s", partial(self._family, family, types))
                    for data_type in (*SUPPORT_RECORDINGS, *PRESENTATION_RECORDINGS):
                        if data_type in self.job.data_types:
                            self._step(
                                data_type.label.lower(), partial(self._download_pending, data_type)
                            )
                    if DataType.SITE_BACKUPS in self.job.data_types:
                        self._step("site backup", self._backup)
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

    def _step(self, what: str, step: Callable[[], None]) -> None:
        """Run one data type's part; whatever ends it early ends this part, not the others.

        An appliance or destination problem, or a report that cannot be read, is logged (and
        so mailed) with what it stopped; a failure of the program itself too, with its
        traceback. Only a request to stop ends the whole run.
        """
        if self.stop.is_set():
            raise Stopped
        try:
            step()
        except Stopped:
            raise
        except IctrayError as error:  # appliance, destination, a report that cannot be read
            self._external(error, what)
        except Exception as error:
            self.log.exception("%s: ictray failed: %s", what, error)
            self.result.worsen(FAILED, f"{what}: ictray failed: {type(error).__name__}: {error}")

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
        watermark = self.ledger.watermark(data_type)
        if watermark is not None:
            return watermark
        if self.job.start_from is not None:
            return self.job.start_from
        return self.now - self.job.keep_days * DAY

    def _walk_window(self, family: Family, types: tuple[DataType, ...]) -> None:
        starts = {t: self._start_of(t) for t in types}
        begin = max(0, min(starts.values()) - self.options.overlap)
        writer = BatchWriter(self, family)
        # The first window spans what is to copy (as far as max_chunk), narrowed by what the
        # listing says it holds: a quiet site's first copy takes one or two windows.
        width = min(self.options.max_chunk, max(self.options.chunk, self.now - begin))
        seen = 0
        with self.ledger.watermarks_deferred():
            while begin < self.now:
                width, listed = self._sized(family, begin, width)
                end = min(begin + width, self.now)
                window = reports.TimeWindow(since=begin, duration=end - begin)
                in_window = 0
                if listed != 0:  # a window its listing shows empty is not asked for again
                    with writer.keeping_what_was_read():
                        for group in groups(family.fetch(self.client, window), STATE_LOOKUP):
                            known = self._known(types, group)
                            for item in group:
                                in_window += 1
                                start = item.start_time if item.start_time is not None else begin
                                due = [
                                    t for t in types if start >= starts[t] - self.options.overlap
                                ]
                                self._handle(family, item, due, writer, known)
                                if self.stop.is_set():
                                    writer.flush()
                                    raise Stopped
                # Every write of the window is confirmed: its watermark may move. It is
                # written with the next change to the ledger (or when the walk ends), not in
                # a commit of its own.
                self.ledger.set_watermarks(types, end)
                self._emit(
                    family.data_type,
                    end - min(starts.values()),
                    self.now - min(starts.values()),
                    f"{family.noun}s up to {time.strftime('%Y-%m-%d %H:%M', time.gmtime(end))} "
                    f"UTC: {seen + in_window} read so far",
                )
                seen += in_window
                begin = end
                width = self._next_width(end - window.since, in_window)
        # Finished items are remembered as long as the appliance could still list their
        # session, whatever window a later run asks for; then they are forgotten.
        horizon = self.now - (self.job.keep_days + 1) * DAY
        for data_type in types:
            self.ledger.forget_final_before(data_type, horizon)

    def _sized(self, family: Family, begin: int, width: int) -> tuple[int, int | None]:
        """``width``, or narrower where the appliance's listing shows the window would hold
        more than ``window_target`` items (by more than ``WINDOW_SLACK``); with how many the
        listing showed in the window returned (None: not listed).

        Asked only before a window at least twice as wide as ``chunk``: the first window of a
        long stretch spans it, a quiet stretch widens the windows, and a busy one right after
        it would otherwise fall into one wide window. One narrower is asked for at most
        ``chunk`` wide, without a listing: a listing would cost as much as the window it
        spares. Narrowing assumes the items spread evenly; when that leaves a window holding
        under half the target (a quiet stretch before a busy one), the width is looked for
        between the two, halving the gap at each listing.
        """
        options = self.options
        fits: tuple[int, int] | None = None  # the widest width listed within target, its count
        too_wide: int | None = None  # the narrowest width listed over target
        for _ in range(PROBES):
            if fits is None and width < 2 * options.chunk:
                return min(width, options.chunk), None
            window = reports.TimeWindow(since=begin, duration=min(width, self.now - begin))
            count = sum(1 for _ in family.listing(self.client, window))
            if count <= options.window_target * WINDOW_SLACK:
                fits = (width, count)
                if too_wide is None or 2 * count >= options.window_target:
                    return fits
            else:
                too_wide = width
            if fits is None:
                # Items are rarely spread evenly: narrowed once, the window is listed again.
                width = max(options.min_chunk, width * options.window_target // count)
            else:
                assert too_wide is not None
                width = (fits[0] + too_wide) // 2
                if width - fits[0] < options.min_chunk:
                    return fits
        return fits if fits is not None else (width, None)

    def _next_width(self, width: int, seen: int) -> int:
        """The next window's width, from how many sessions this one held.

        A quiet site's first copy takes a few wide windows instead of a request (and a
        watermark commit) per day; a busy stretch narrows them, so a window never holds much
        more than ``window_target`` sessions to ask for again should the run be cut short.
        The width changes by four times at most from one window to the next.
        """
        options = self.options
        wanted = width * 4 if seen == 0 else width * options.window_target // seen
        wanted = max(width // 4, min(width * 4, wanted))
        return max(options.min_chunk, min(options.max_chunk, wanted))

    def _revisit_open(self, family: Family, types: tuple[DataType, ...]) -> None:
        """Ask again for sessions that were in progress, or whose write a crash cut short."""
        open_items: dict[str, list[DataType]] = {}
        starts: dict[str, int | None] = {}
        for data_type in types:
            if data_type is family.data_type:
                # A write a crash cut short: settled by identity where the destination can
                # prove it landed; the rest are asked for and written again.
                rows = self._unsettled_writes(data_type) + self.ledger.items_in(data_type, OPEN)
            else:
                # A recording cut short mid-download is taken up by _download_pending instead.
                rows = self.ledger.items_in(data_type, OPEN)
            for row in rows:
                open_items.setdefault(row.key, []).append(data_type)
                starts[row.key] = row.session_start
        if not open_items:
            return
        writer = BatchWriter(self, family)
        found: set[str] = set()
        with writer.keeping_what_was_read():
            for group in groups(family.fetch(self.client, lsids=sorted(open_items)), STATE_LOOKUP):
                known = self._known(types, group)
                for item in group:
                    found.add(item.key if isinstance(item, Refusal) else item.lsid)
                    self._handle(family, item, open_items.get(_key_of(item), []), writer, known)
        cutoff = self.now - self.job.keep_days * DAY
        for lsid in set(open_items) - found:
            start = starts[lsid]
            if start is not None and start < cutoff:
                for data_type in open_items[lsid]:
                    self.ledger.record(
                        data_type,
                        [(lsid, GONE, start)],
                        detail="no longer kept by the appliance",
                    )
                self.log.warning(
                    "%s %s is no longer kept by the appliance; it is given up", family.noun, lsid
                )

    def _unsettled_writes(self, data_type: DataType) -> list[Any]:
        """Items a crash left being written: stored where the destination proves the write
        landed (its announced file holds exactly the recorded bytes); the others returned.

        A destination that replaces sessions is simply written again: nothing to prove.
        """
        rows = self.ledger.items_in(data_type, WRITING)
        if not rows or (self.destination.replaces_sessions and not data_type.is_recording):
            return rows
        landed: list[Placed] = []
        unsettled = []
        for row in rows:
            proof = _placement_of(row)
            if proof is not None and self.destination.confirm_stored(proof):
                landed.append(
                    Placed(row.key, row.session_start, proof.location, proof.size, proof.sha256)
                )
            else:
                unsettled.append(row)
        self.ledger.record_placed(data_type, STORED, landed)
        if landed:
            self.log.info(
                "%d %s found stored, as recorded before the program stopped",
                len(landed),
                data_type.label.lower(),
            )
        return unsettled

    def _known(
        self, types: Sequence[DataType], items: Sequence[Item | Refusal]
    ) -> dict[DataType, dict[str, str]]:
        """What was recorded of these items and of their recordings: one query per data type.

        Asked per group of items, not per item: a query per session would cost more than
        storing it.
        """
        known = {}
        for data_type in types:
            keys = [_key_of(item) for item in items]
            keys += [
                st.recording_key(item.lsid, instance)
                for item in items
                if not isinstance(item, Refusal)
                for instance in recording_refs(item, data_type)
            ]
            known[data_type] = self.ledger.states(data_type, dict.fromkeys(keys))
        return known

    def _handle(
        self,
        family: Family,
        item: Item | Refusal,
        due: Sequence[DataType],
        writer: BatchWriter,
        recorded: dict[DataType, dict[str, str]],
    ) -> None:
        """Store, skip or note one item; ``recorded`` holds what ``_known`` found of it."""
        if not due:
            return
        if isinstance(item, Refusal):
            self._refuse(family, item, due, recorded)
            return
        closed = not item.in_progress or (
            item.start_time is not None and self.now - item.start_time > self.options.open_give_up
        )
        for data_type in due:
            if data_type is family.data_type:
                known = recorded[data_type].get(item.lsid)
                if known == GONE:
                    continue  # refused before: said once, not again
                if known == STORED:
                    self.result.count(data_type).skipped += 1
                elif closed or self.destination.replaces_sessions:
                    writer.add(item, STORED if closed else OPEN)
                elif known is None:
                    self.ledger.record(data_type, [(item.lsid, OPEN, item.start_time)])
            else:
                self._note_recordings(item, data_type, closed, recorded[data_type])

    def _refuse(
        self,
        family: Family,
        refusal: Refusal,
        due: Sequence[DataType],
        recorded: dict[DataType, dict[str, str]],
    ) -> None:
        """A session the report sent in a form that cannot be taken: said once, remembered.

        It is recorded as given up for every data type it was due for (its recordings cannot
        be known either), so later runs pass it by without a word.
        """
        fresh = [t for t in due if recorded[t].get(refusal.key) not in (GONE, STORED)]
        if not fresh:
            return
        for data_type in fresh:
            self.ledger.record(
                data_type, [(refusal.key, GONE, refusal.start_time)], detail=refusal.message
            )
        self.result.count(fresh[0]).failed += 1
        message = f"site {self.job.site_name!r}: {refusal.message}; it is not stored"
        self.result.worsen(UNREACHABLE, message)
        self.log.error("%s", message)

    def _note_recordings(
        self, item: Item, data_type: DataType, closed: bool, recorded: dict[str, str]
    ) -> None:
        """Remember the recordings of a closed session, or that its recordings are to come."""
        known = recorded.get(item.lsid)
        if not closed:
            if known is None:
                self.ledger.record(data_type, [(item.lsid, OPEN, item.start_time)])
            return
        keys = [
            st.recording_key(item.lsid, instance) for instance in recording_refs(item, data_type)
        ]
        placeholder_open = known == OPEN
        if placeholder_open and item.lsid not in keys:
            self.ledger.forget(data_type, item.lsid)
        if placeholder_open and item.lsid in keys:
            self.ledger.record(
                data_type, [(item.lsid, PENDING, item.start_time)], meta=file_meta_of(item)
            )
        new = self.ledger.add_pending(
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
        pending = self._unsettled_writes(data_type) + self.ledger.items_in(data_type, PENDING)
        if not pending:
            return
        total = len(pending)
        self._emit(data_type, 0, total, f"{total} {data_type.label.lower()} to download")
        done = 0
        slots = max(1, self.options.concurrency)
        ledger = DownloadLedger(self.ledger, data_type, pending, slots * LEDGER_ROWS_PER_SLOT)
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
        counts.waiting = self.ledger.count(data_type, PENDING)
        if self.stop.is_set() and done < total:
            raise Stopped

    def _download_one(self, data_type: DataType, row: Any) -> tuple[Placed, int]:
        """Download one recording into the destination; where it landed, and its size.

        Its name, size and SHA-256 are recorded (still ``writing``) before the file takes
        that name, so a crash at any point leaves a write the next run can settle by identity.
        """
        lsid, instance = st.split_recording_key(row.key)
        file_meta = recording_file_meta(
            self.job.site_host, data_type, lsid, instance, row.file_meta, "flv"
        )

        def announce(placement: Placement) -> None:
            self.ledger.record_placed(
                data_type, WRITING, [_placed(row.key, row.session_start, placement)]
            )

        with self.destination.file_writer(file_meta, before_publish=announce) as sink:
            result = reports.download_recording(self.client, data_type, lsid, instance, sink.stream)
            sink.extension = result.extension
        stored = sink.stored
        if stored is None or stored.skipped:  # the file already there stands for it
            where = stored.location if stored else ""
            return Placed(row.key, row.session_start, where), result.bytes
        return (
            Placed(row.key, row.session_start, stored.location, stored.size, stored.sha256),
            result.bytes,
        )

    def _settle(
        self, data_type: DataType, row: Any, future: Future[Any], ledger: DownloadLedger
    ) -> None:
        counts = self.result.count(data_type)
        key, start = row.key, row.session_start
        try:
            placed, size = future.result()
        except RecordingExpiredError as error:
            self.ledger.record(data_type, [(key, EXPIRED, start)], detail=str(error))
            counts.expired += 1
            self.log.info(
                "%s %s has expired on the appliance; it will not be asked for again",
                data_type.label.lower(),
                key,
            )
            return
        except IctrayError as error:
            too_old = start is not None and start < self.now - self.job.keep_days * DAY
            state = GONE if too_old else PENDING
            self.ledger.record(
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
        ledger.stored(placed)
        counts.stored += 1
        counts.bytes += size

    def _backup(self) -> None:
        meta = FileMeta(
            site_host=self.job.site_host, data_type=DataType.SITE_BACKUPS, extension="nsb"
        )
        self._emit(DataType.SITE_BACKUPS, 0, 1, "downloading the site backup")
        with self.destination.file_writer(meta) as sink:
            result = reports.download_backup(self.client, sink.stream, self.job.backup_password)
            sink.extension = result.extension
        counts = self.result.count(DataType.SITE_BACKUPS)
        counts.stored += 1
        counts.bytes += result.bytes
        stored = sink.stored
        if stored is not None and stored.removed_by_retention:
            self.log.info("retention removed %d older backup(s)", len(stored.removed_by_retention))
        self._emit(DataType.SITE_BACKUPS, 1, 1, "site backup stored")


STORED = ItemState.STORED
WRITING = ItemState.WRITING
OPEN = ItemState.OPEN
PENDING = ItemState.PENDING
EXPIRED = ItemState.EXPIRED
GONE = ItemState.GONE


def _key_of(item: Item | Refusal) -> str:
    """The ledger key of a session or presentation, refused or not."""
    return item.key if isinstance(item, Refusal) else item.lsid


def _placed(key: str, session_start: int | None, placement: Placement) -> Placed:
    return Placed(key, session_start, placement.location, placement.size, placement.sha256)


def _placement_of(row: Any) -> Placement | None:
    """The recorded placement of a ledger row, when it has one with its proof."""
    if not row.location or row.size is None or row.sha256 is None:
        return None
    return Placement(row.location, row.size, row.sha256)
