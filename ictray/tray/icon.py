"""The tray icon (pystray), kept on threads of its own so Tk never waits for it.

One thread creates the icon and runs its loop (pystray's backends want the icon made and run
on one thread); a second applies changes of image, tooltip and menu, newest first, so a slow
or stuck tray never freezes the app. Menu items only post a call to the Tk thread. Where the
tray has no menu (pystray's plain X11 backend: ``HAS_MENU`` false), a click runs the default
item, *Open Integration Client*, and the main window offers the same actions; ``x11`` makes
that backend hear the click and keeps it safe to drive from the update thread.

``import pystray`` fails without a display with ``Xlib.error.DisplayNameError`` rather than
``ImportError``, so it is imported here, lazily, under ``except Exception``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from PIL import Image

from ictray.dialogs.context import API_TESTER, LOG_FILE, MAIN, SETUP_WINDOWS, Controller
from ictray.tray import x11

log = logging.getLogger("ictray.desktop")

APP_NAME = "ictray"
SHOW_TIMEOUT = 5.0  # seconds the backend may take to become ready
WATCH_SECONDS = 2.0  # how often the icon is checked to still be in the tray


def load_pystray() -> ModuleType | None:
    """pystray, or None where no tray can exist (no display, no backend)."""
    try:
        import pystray
    except Exception as error:  # no display raises Xlib.error.DisplayNameError, not ImportError
        log.warning("no tray icon: pystray cannot start here (%s)", error)
        return None
    return pystray


class _PystrayCalls:
    """Show, change and stop an icon through pystray's own API (every backend but plain X11)."""

    def __init__(self, icon: Any) -> None:
        self.icon = icon

    def update(self, image: Image.Image, title: str) -> None:
        if image is not self.icon.icon:
            self.icon.icon = image
        self.icon.title = title
        self.icon.update_menu()

    def show(self, image: Image.Image, title: str) -> bool:
        self.update(image, title)
        self.icon.visible = True
        return True

    def docked(self) -> bool:
        return True

    def redock(self) -> None:
        """The backend keeps its icon in the tray itself."""

    def notify(self, title: str, text: str) -> None:
        if self.icon.HAS_NOTIFICATION:
            self.icon.notify(text, title)

    def stop(self) -> None:
        self.icon.stop()


class TrayIcon:
    """The status icon with its menu; ``show`` and ``stop`` are called from the Tk thread."""

    def __init__(self, controller: Controller, post: Callable[..., None]) -> None:
        self.controller = controller
        self._post = post
        self._pystray: ModuleType | None = None
        self.icon: Any = None
        self._schedules: tuple[str, ...] = ()
        self._toggle_label = "Pause scheduler"
        self._created = threading.Event()  # the icon exists (or could not be made)
        self._ready = threading.Event()  # its loop runs
        self._shown = threading.Event()  # it is in the tray
        self._jobs: queue.SimpleQueue[bool | tuple[str, str]] = queue.SimpleQueue()
        self._pending: tuple[Image.Image, str] | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- life cycle (Tk thread) -------------------------------------------------------------

    def start(self, image: Image.Image, title: str) -> bool:
        """Show the icon; False when this system has no tray (the app then keeps its window)."""
        self._pystray = load_pystray()
        if self._pystray is None:
            return False
        self._pending = (image, title)
        self._jobs.put(True)
        for target, name in ((self._run, "tray"), (self._work, "tray-update")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return True

    def show(self, image: Image.Image, title: str, schedules: tuple[str, ...], paused: str) -> None:
        """Change the image, the tooltip and the menu's schedules (applied on the tray side).

        ``paused`` is the label of the scheduler item (Pause, Resume or Start scheduler).
        """
        self._schedules, self._toggle_label = schedules, paused
        with self._lock:
            self._pending = (image, title)
        self._jobs.put(True)

    def notify(self, title: str, text: str) -> None:
        """A notification beside the tray, where the tray shows them (skipped elsewhere: the
        main window and the icon say the same)."""
        if self._threads:
            self._jobs.put((title, text))

    def stop(self, timeout: float = SHOW_TIMEOUT) -> None:
        """Take the icon down, waiting at most ``timeout`` seconds for it.

        The icon's own loop gets a second to end after it was stopped: pystray's X11 loop
        sometimes misses the end of its window and waits on; it is a daemon thread, so it
        never keeps the process alive.
        """
        if not self._threads:
            return
        self._jobs.put(False)
        loop, worker = self._threads
        worker.join(timeout)
        loop.join(min(timeout, 1.0))
        self._threads = []

    @property
    def shown(self) -> bool:
        """True while the icon is in a tray (a click on it can bring the main window back)."""
        return self._shown.is_set()

    @property
    def has_menu(self) -> bool:
        return bool(self.icon is not None and self.icon.HAS_MENU)

    # -- tray threads -----------------------------------------------------------------------

    def _run(self) -> None:
        """Thread: make the icon and run its loop until it is stopped."""
        assert self._pystray is not None
        image, title = self._pending or (None, "")
        try:
            icon = self._pystray.Icon(APP_NAME, image, title, menu=self._menu())
            if x11.is_x11(icon):
                x11.accept_clicks(icon, self._right_click)
                x11.draw_square(icon)
            self.icon = icon
        except Exception:
            log.exception("the tray icon could not be created")
            return
        finally:
            self._created.set()
        try:
            icon.run(setup=lambda icon: self._ready.set())
        except Exception:
            log.exception("the tray icon stopped")

    def _keep_docked(self, calls: Any) -> None:
        """Watch that a tray holds the icon; ask again when it lost it (a restarted panel)."""
        if calls.docked():
            self._shown.set()
        else:
            log.info("the tray does not hold the icon; asking it again")
            self._shown.clear()
            calls.redock()

    def _work(self) -> None:
        """Thread: show the icon, apply the newest change each time one is posted, stop on False.

        Only this thread changes the icon, so the tray's own loop never waits for Tk and Tk
        never waits for the tray.
        """
        if not (self._created.wait(SHOW_TIMEOUT) and self._ready.wait(SHOW_TIMEOUT)):
            log.warning("the tray icon did not start within %s s", SHOW_TIMEOUT)
        icon = self.icon
        calls: Any = None
        if icon is not None:
            try:
                calls = (
                    x11.X11Calls(icon, SHOW_TIMEOUT) if x11.is_x11(icon) else _PystrayCalls(icon)
                )
            except Exception:
                log.exception("the tray icon cannot be reached")
        visible = False
        while True:
            try:
                job = self._jobs.get(timeout=WATCH_SECONDS)
            except queue.Empty:
                job = None
            if job is False:
                break
            if calls is None:
                continue
            try:
                if isinstance(job, tuple):
                    calls.notify(*job)
                    continue
                if job is None:
                    if visible:
                        self._keep_docked(calls)
                    continue
                with self._lock:
                    pending, self._pending = self._pending, None
                if pending is None:
                    continue
                if visible:
                    calls.update(*pending)
                else:
                    visible = True
                    if calls.show(*pending):
                        self._shown.set()
                    else:
                        log.warning("no tray took the icon yet; asking again every few seconds")
            except Exception:
                log.exception("the tray icon could not be updated")
        if calls is not None:
            try:
                calls.stop()
            except Exception:
                log.exception("the tray icon did not stop cleanly")

    # -- menu -------------------------------------------------------------------------------

    def _right_click(self, x: int, y: int) -> None:
        """A right-click on an icon without a menu of its own: the same menu, from Tk."""
        menu = getattr(self.controller, "tray_menu", None)
        if menu is not None:
            self._post(menu, x, y)

    def _action(self, call: Callable[..., object], *args: Any) -> Callable[[Any, Any], None]:
        """A menu action that only posts ``call(*args)`` to the Tk thread."""

        def action(icon: Any, item: Any) -> None:
            self._post(call, *args)

        return action

    def _menu(self) -> Any:
        assert self._pystray is not None
        item, menu = self._pystray.MenuItem, self._pystray.Menu
        controller = self.controller

        def run_items() -> Iterator[Any]:
            yield item("All schedules", self._action(controller.run_now, None))
            yield menu.SEPARATOR
            for name in self._schedules:
                yield item(name, self._action(controller.run_now, name))

        setup = menu(
            *(
                item(label, self._action(controller.open_window, key))
                for key, label in SETUP_WINDOWS
            )
        )
        return menu(
            item(
                "Open Integration Client",
                self._action(controller.open_window, MAIN),
                default=True,
            ),
            item("Run now", menu(run_items)),
            item("Setup", setup),
            item("API Tester", self._action(controller.open_window, API_TESTER)),
            item("Log File", self._action(controller.open_window, LOG_FILE)),
            item(lambda _: self._toggle_label, self._action(controller.toggle_scheduler)),
            menu.SEPARATOR,
            item("Quit", self._action(controller.quit)),
        )
