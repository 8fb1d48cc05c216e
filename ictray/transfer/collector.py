"""The cycle collector during transfers: out of the hot path, yet never far behind.

A run allocates hundreds of objects per session (XML elements, model objects, rows) and frees
them by reference counting: none of them is in a reference cycle. Python's cycle collector
still walks them, and a batch of sessions held for one transaction survives into the older
generations, whose collections then walk every object of the batch again: pointer chasing
that cost a sixth of an ingest's time in ``ictray bench``. So while any run is going,
automatic collection is paused, and the young generation is collected between batches instead,
when a batch has just been released and little is alive: cyclic garbage (an exception's
traceback, say) is freed one batch later at most.

The collector is the whole process's: pausing it pauses it for every thread. So a process
decides at its start whether runs may manage it (``manage_during_runs``): the commands and the
service, which do nothing but copy, do; the desktop app does not, so its Tk thread keeps
Python's usual collection whatever a transfer in the embedded scheduler does.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: allocations between two collections of the youngest generation outside runs (Python: 700)
YOUNG_GENERATION_THRESHOLD = 50_000

_lock = threading.Lock()
_prepared = False
_running = 0
_was_enabled = True
_managed = False


def manage_during_runs(managed: bool = True) -> None:
    """Let transfer runs manage the cycle collector in this process (see the module's text)."""
    global _managed
    _managed = managed


def prepare() -> None:
    """Once per process, before the first run: keep long-lived objects out of every walk.

    What the program has built by then (imported modules, the settings, the tray) lives as long
    as the process, yet every full collection would walk all of it again. ``gc.freeze()``
    leaves those objects alone from then on; garbage is collected first, so nothing already
    unreachable is kept. Between runs the young generation is collected every 50,000
    allocations rather than 700: the tray and the scheduler make little garbage.
    """
    global _prepared
    with _lock:
        if not _prepared:
            gc.collect()
            gc.freeze()
            _, middle, old = gc.get_threshold()
            gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
            _prepared = True


@contextmanager
def paused_during_run() -> Iterator[None]:
    """Pause automatic collection while this run (or any other at the same time) goes on.

    The first run of the process prepares the collector first (``prepare``). Nothing is
    changed in a process that did not call ``manage_during_runs``.
    """
    global _running, _was_enabled
    if not _managed:
        yield
        return
    prepare()
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
        gc.collect()


def between_batches() -> None:
    """Free cyclic garbage of the batch just written; cheap, as little else is alive now.

    Where runs do not manage the collector, Python's own collection does this already.
    """
    if _managed:
        gc.collect(0)
