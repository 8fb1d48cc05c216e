"""Driving pystray's plain X11 backend from another thread without sharing its X connection.

pystray's X11 backend (0.19) hands work to its loop by sending an X message over the loop's
own connection from the calling thread. python-xlib (0.33) does not survive two threads on one
connection: a reply gets lost and both threads wait forever, which froze the tray icon while
the app went on. Here the message goes over a connection of our own, so only the loop's thread
ever uses pystray's connection. The backend also never asked the X server for clicks, so a
click on the icon did nothing; ``accept_clicks`` asks for them, and a right-click opens the
app's menu (the backend has none). The backend stretched the image over the whole window the
tray gave it (24×30 under trayer) on black; ``draw_square`` draws it square at the window's
smaller side, centred on what the tray shows behind it.

This reaches into pystray's X11 internals (its window, queue and message names), and only
for that backend: ``is_x11`` says when it applies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PIL import Image

DOCK_ATTEMPTS = 5
DOCK_WAIT = 1.0  # seconds for the tray to take the icon in
RIGHT_BUTTON = 3
BACKGROUND = (214, 214, 214)


def window_name(title: str) -> str:
    """``title`` as a plain X11 icon window can carry it: its name (the tooltip) is an X
    ``STRING``, Latin-1, and anything else would fail the whole update (a site's name in
    another script, the ellipsis of a tooltip cut short)."""
    plain = title.replace("…", "...").replace("→", "->")
    return plain.encode("latin-1", "replace").decode("latin-1")


def is_x11(icon: Any) -> bool:
    return type(icon).__module__.endswith("._xorg")


def accept_clicks(icon: Any, on_right_click: Callable[[int, int], None]) -> None:
    """Ask for button presses on the icon's window (call before the loop starts): the left
    button runs the default item, the right one calls ``on_right_click(x, y)`` (the screen
    position of the pointer)."""
    from Xlib import X

    icon._window.change_attributes(
        event_mask=X.ExposureMask | X.StructureNotifyMask | X.ButtonPressMask
    )
    icon._display.flush()
    left = icon._message_handlers[X.ButtonPress]

    def pressed(event: Any) -> None:
        if event.detail == RIGHT_BUTTON:
            on_right_click(event.root_x, event.root_y)
        else:
            left(event)

    icon._message_handlers[X.ButtonPress] = pressed


def fit_square(image: Image.Image, background: Image.Image) -> Image.Image:
    """``image`` scaled to a square of ``background``'s smaller side, centred on it."""
    width, height = background.size
    side = min(width, height)
    square = image.convert("RGBA").resize((side, side), Image.Resampling.LANCZOS)
    canvas = background.convert("RGB")
    canvas.paste(square, ((width - side) // 2, (height - side) // 2), square)
    return canvas


def draw_square(icon: Any) -> None:
    """Make the backend draw ``fit_square`` of its image over the tray's own background."""
    from Xlib import X

    icon._window.change_attributes(background_pixmap=X.ParentRelative)

    def assert_icon_data(width: int, height: int) -> None:
        if icon._icon_data is not None and icon._icon_data.size == (width, height):
            return
        window = icon._window
        window.clear_area(0, 0, width, height)  # shows the tray behind the icon
        try:
            raw = window.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF).data
            background = Image.frombytes("RGB", (width, height), raw, "raw", "BGRX")
        except Exception:  # a tray of another depth: a plain grey behind the icon
            background = Image.new("RGB", (width, height), BACKGROUND)
        data = fit_square(icon._icon, background)
        data.tostring = data.tobytes  # type: ignore[attr-defined]  # python-xlib calls tostring
        icon._icon_data = data

    icon._assert_icon_data = assert_icon_data


class X11Calls:
    """Show, change and stop an X11 icon by asking its loop, from one thread of ours."""

    def __init__(self, icon: Any, timeout: float) -> None:
        from Xlib import display

        self.icon = icon
        self.timeout = timeout
        self.display = display.Display()
        self.window = self.display.create_resource_object("window", icon._window.id)

    def _call(self, method: str) -> None:
        """Run the backend's ``method`` on the loop's thread and wait until it ran."""
        from Xlib import X
        from Xlib.protocol import event

        atom = self.display.intern_atom(f"_PYSTRAY_{method.upper()}")
        message = event.ClientMessage(
            window=self.window, client_type=atom, data=(32, (X.CurrentTime, 0, 0, 0, 0))
        )
        self.window.send_event(message, event_mask=X.NoEventMask)
        self.display.flush()
        result = self.icon._queue.get(timeout=self.timeout)
        if result is not True:
            raise result[1]

    def update(self, image: Image.Image, title: str) -> None:
        """Change the tooltip and repaint the image, without docking again.

        pystray's own image update also asks the tray to dock the icon again, and trayer then
        gives it a new socket each time, leaving the old ones behind.
        """
        title = window_name(title)
        if title != self.icon._title:
            self.icon._title = title
            self._call("_update_title")
        if image is not self.icon._icon:
            self.icon._icon = image
            self.icon._icon_data = None  # the loop makes it again from the new image
            self.window.clear_area(exposures=True)  # the loop repaints on the Expose event
            self.display.flush()

    def show(self, image: Image.Image, title: str) -> bool:
        """Put the icon in the tray; True once the tray embedded it.

        A tray busy with another icon (or restarting) may miss the request to dock, so it is
        asked again a few times.
        """
        self.icon._icon, self.icon._icon_valid = image, False
        self.icon._title = window_name(title)
        self._call("_update_title")
        self._call("_update_icon")
        for _ in range(DOCK_ATTEMPTS):
            self._call("_show")
            self.icon._visible = True
            deadline = time.monotonic() + DOCK_WAIT
            while time.monotonic() < deadline:
                if self.docked():
                    return True
                time.sleep(0.05)
        return False

    def notify(self, title: str, text: str) -> None:
        """Plain X11 trays show no notifications: the icon and the main window tell."""

    def docked(self) -> bool:
        """Whether a tray holds the icon's window and shows it.

        Taken in, the window is no longer a child of the root window, and it is viewable.
        """
        from Xlib import X

        root = self.display.screen().root
        if self.window.query_tree().parent.id == root.id:
            return False
        return bool(self.window.get_attributes().map_state == X.IsViewable)

    def redock(self) -> None:
        """Ask the tray again (it restarted, or dropped the icon)."""
        self._call("_show")

    def stop(self) -> None:
        try:
            self._call("_stop")
        finally:
            self.icon._running = False  # so pystray never tries to stop it again
            self.display.close()
