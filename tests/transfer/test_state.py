"""What a transfer remembers: items recorded many at a time keep the rules of one at a time,
and a download phase stopped midway leaves nothing marked as being written."""

from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from ictray.datatypes import DataType
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import LedgerItem, Transfer
from ictray.transfer import collector
from ictray.transfer.engine import TransferRun
from ictray.transfer.job import prepare
from ictray.transfer.ledger import PENDING, STORED, WRITING, Ledger, Placed
from ictray.transfer.options import TransferOptions
from ictray.transfer.progress import Progress

DATA = DataType.SESSION_DATA
RECORDINGS = DataType.SESSION_RECORDINGS


@pytest.fixture
def state(simulator, tmp_path):
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings,
            name="files",
            plugin="filesystem",
            options={"directory": str(tmp_path / "files")},
        )
        schedules.add_schedule(
            settings,
            name="s",
            every="1h",
            transfers=[schedules.parse_transfer("sim:files:session_recordings")],
        )
        transfer = Transfer.get()
        yield settings, Ledger(transfer.site_id, transfer.destination_id)


def _item(key: str) -> LedgerItem:
    return LedgerItem.get(LedgerItem.key == key)


def test_recording_again_changes_the_state_and_keeps_what_is_not_given(state) -> None:
    _, book = state
    book.record(RECORDINGS, [("a", PENDING, 100)], meta={"lseq": 7})
    book.record(RECORDINGS, [("a", WRITING, None)], detail="on its way")
    item = _item("a")
    assert (item.state, item.session_start, item.detail) == (WRITING, 100, "on its way")
    assert item.file_meta == {"lseq": 7}
    book.record(RECORDINGS, [("a", PENDING, 200)], detail="cut", count_attempt=True)
    book.record(RECORDINGS, [("a", PENDING, None)], detail="cut again", count_attempt=True)
    item = _item("a")
    assert (item.session_start, item.attempts, item.detail) == (200, 2, "cut again")
    assert item.file_meta == {"lseq": 7}
    book.record(RECORDINGS, [("b", PENDING, None)], count_attempt=True)
    assert _item("b").attempts == 1


def test_many_items_in_one_call_each_keep_their_own_location(state) -> None:
    _, book = state
    keys = [f"{n:032x}" for n in range(250)]  # more than one upsert statement holds
    book.record(DATA, [(key, WRITING, n) for n, key in enumerate(keys)])
    assert book.states(DATA, keys) == dict.fromkeys(keys, WRITING)
    book.record_placed(DATA, STORED, [Placed(key, None, f"/files/{key}.xml") for key in keys])
    for n, key in enumerate(keys[::50]):
        item = _item(key)
        assert (item.state, item.location, item.session_start) == (
            STORED,
            f"/files/{key}.xml",
            n * 50,
        )
    assert book.states(RECORDINGS, keys) == {}  # another data type knows none of them


@pytest.fixture
def command_process() -> Iterator[None]:
    """This process as a command runs: its transfers manage the cycle collector."""
    collector.manage_during_runs()
    yield
    collector.manage_during_runs(False)


def test_downloads_stopped_midway_leave_nothing_writing_and_finish_next_time(
    simulator, state, command_process
) -> None:
    settings, book = state
    stop = threading.Event()

    def stop_after_two(item: Progress) -> None:
        if item.data_type is RECORDINGS and item.done >= 2:
            stop.set()

    options = TransferOptions(concurrency=2)
    prepared = prepare(settings, Transfer.get(), client_options={"timeout": 5})
    with prepared.client:
        run = TransferRun(
            prepared.job,
            prepared.client,
            prepared.destination,
            prepared.ledger,
            options=options,
            progress=stop_after_two,
            stop=stop,
        )
        first = run.run()
    states = Counter(item.state for item in LedgerItem.select())
    assert states[WRITING] == 0, states
    assert states[STORED] >= 2 and states[PENDING] > 0  # stopped midway
    assert states[STORED] == first.count(RECORDINGS).stored
    stored = list(LedgerItem.select().where(LedgerItem.state == STORED))
    assert len({item.location for item in stored}) == len(stored)
    for item in stored:
        assert item.location.endswith(f"{item.key}.flv") or item.location.endswith(
            f"{item.key}.mp4"
        ), item.location
    prepared = prepare(settings, Transfer.get(), client_options={"timeout": 5})
    with prepared.client:
        second = TransferRun(
            prepared.job, prepared.client, prepared.destination, prepared.ledger, options=options
        ).run()
    assert second.ok, second.errors
    assert book.count(RECORDINGS, PENDING) == 0
    assert book.count(RECORDINGS, STORED) == states[STORED] + second.count(RECORDINGS).stored
    assert gc.get_freeze_count() > 0  # runs leave long-lived objects out of collections


def _stored_mark(book: Ledger, data_type: DataType) -> int | None:
    """The watermark as another reader of the settings file sees it."""
    return Ledger(book.site_id, book.destination_id).watermark(data_type)


def test_deferred_watermarks_ride_with_the_next_change_and_are_written_at_the_end(state) -> None:
    _, book = state
    book.set_watermarks([DATA], 100)
    assert _stored_mark(book, DATA) == 100
    with book.watermarks_deferred():
        book.set_watermarks([DATA, RECORDINGS], 200)
        assert _stored_mark(book, DATA) == 100  # no commit of its own
        book.record(DATA, [("a", STORED, 150)])  # the next change carries it
        assert (_stored_mark(book, DATA), _stored_mark(book, RECORDINGS)) == (200, 200)
        book.set_watermarks([DATA], 300)
        book.set_watermarks([DATA], 250)  # never back
    assert _stored_mark(book, DATA) == 300  # written when the block ends


def test_deferred_watermarks_are_written_when_the_block_ends_with_an_error(state) -> None:
    _, book = state
    with pytest.raises(RuntimeError), book.watermarks_deferred():
        book.set_watermarks([DATA], 400)
        raise RuntimeError("the destination went away")
    assert _stored_mark(book, DATA) == 400
    book.set_watermarks([DATA], 500)  # outside the block: at once
    assert _stored_mark(book, DATA) == 500
