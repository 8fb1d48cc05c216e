"""The cycle collector is paused while runs go on, and garbage is still freed between batches."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from ictray.transfer import collector


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture(autouse=True)
def _collector_enabled() -> Iterator[None]:
    """A process whose runs manage the collector (the commands and the service)."""
    was = gc.isenabled()
    gc.enable()
    collector.manage_during_runs()
    yield
    collector.manage_during_runs(False)
    if not was:
        gc.disable()


def test_a_process_that_keeps_its_collector_is_left_alone() -> None:
    """The desktop app: a transfer in its scheduler changes nothing for its Tk thread."""
    collector.manage_during_runs(False)
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with collector.paused_during_run():
        assert gc.isenabled()
    assert gc.isenabled()
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def test_paused_while_any_run_goes_on_and_enabled_after_the_last() -> None:
    first_inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector.paused_during_run():
            first_inside.set()
            release.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    assert first_inside.wait(10)
    with collector.paused_during_run():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the first run still goes on
    release.set()
    thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with collector.paused_during_run():
        pass
    assert not gc.isenabled()


def test_cyclic_garbage_of_a_batch_is_freed_between_batches() -> None:
    with collector.paused_during_run():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        alive = weakref.ref(a)
        del a, b
        for _ in range(100_000):  # far past any threshold: no collection runs while paused
            _Node()
        assert alive() is not None
        collector.between_batches()
        assert alive() is None
