"""Getting back onto Tk's thread: a queue of calls drained with ``after``, and background work.

Tk may only be touched from the thread that created it. The tray icon, the scheduler and
worker threads therefore never call Tk: they ``post`` a callable, and the Tk thread runs it the
next time it drains the queue (every ``POLL_MS``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import tkinter as tk
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("ictray.desktop")

POLL_MS = 50
T = TypeVar("T")


class UiQueue:
    """Calls waiting to run on the Tk thread, in the order they were posted."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._root: tk.Misc | None = None
        self._job: str | None = None

    def post(self, call: Callable[..., Any], *args: Any) -> None:
        """Run ``call(*args)`` on the Tk thread soon (safe from any thread)."""
        self._calls.put((call, args))

    def attach(self, root: tk.Misc) -> None:
        """Start draining on ``root``'s event loop."""
        self._root = root
        self._schedule()

    def detach(self) -> None:
        if self._root is not None and self._job is not None:
            with contextlib.suppress(tk.TclError):  # the root is already gone
                self._root.after_cancel(self._job)
        self._root = self._job = None

    def drain(self) -> int:
        """Run every waiting call now; return how many ran. Tk thread only."""
        count = 0
        while True:
            try:
                call, args = self._calls.get_nowait()
            except queue.Empty:
                return count
            count += 1
            try:
                call(*args)
            except Exception:
                name = getattr(call, "__qualname__", repr(call))
                log.exception("the desktop app failed to handle %s", name)

    def _schedule(self) -> None:
        if self._root is not None:
            self._job = self._root.after(POLL_MS, self._tick)

    def _tick(self) -> None:
        self.drain()
        self._schedule()


def run_in_background(
    ui: UiQueue,
    work: Callable[[], T],
    done: Callable[[T | None, Exception | None], None],
    name: str,
) -> threading.Thread:
    """Run ``work()`` on a thread; ``done(result, error)`` then runs on the Tk thread."""

    def body() -> None:
        try:
            result = work()
        except Exception as error:
            ui.post(done, None, error)
        else:
            ui.post(done, result, None)

    thread = threading.Thread(target=body, name=name, daemon=True)
    thread.start()
    return thread
