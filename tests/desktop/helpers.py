"""Driving Tk and looking at the X screen: pumping events, waiting, screenshots, tray windows."""

from __future__ import annotations

import contextlib
import faulthandler
import os
import subprocess
import threading
import time
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import ttk

import pytest
from PIL import Image, ImageGrab

from ictray.tray.icons import COLOURS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "desktop"


def pump(root: tk.Misc, seconds: float = 0.0) -> None:
    """Let Tk handle what is pending (and keep doing so for ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        root.update_idletasks()
        root.update()
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def wait_until(root: tk.Misc, check: Callable[[], object], timeout: float, what: str) -> None:
    """Pump until ``check()`` is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            faulthandler.dump_traceback(all_threads=True)  # where the app was stuck
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        pump(root, 0.02)


def xwininfo(window_id: int | str, *options: str) -> dict[str, str]:
    """What xwininfo says about an X window, as ``{"Width": "24", ...}``."""
    report = subprocess.run(
        ["xwininfo", *options, "-id", str(window_id)],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    fields = {}
    for line in report.splitlines():
        key, colon, value = line.strip().partition(":")
        if colon and key not in fields:
            fields[key] = value.strip()
    return fields


def window_geometry(window_id: int | str) -> tuple[int, int, int, int]:
    """``(x, y, width, height)`` of an X window on the screen."""
    fields = xwininfo(window_id)
    keys = ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
    x, y, width, height = (int(fields[key]) for key in keys)
    return x, y, width, height


def frame_of(window: tk.Misc) -> str:
    """The X window the window manager framed ``window`` in (title bar and border included)."""
    current = str(window.winfo_id())
    while True:
        parent = xwininfo(current, "-children")["Parent window id"]
        if "(the root window)" in parent:
            return current
        current = parent.split()[0]


def screenshot(window: tk.Toplevel, name: str) -> Path:
    """Save the window as the desktop shows it (frame, title bar, menu bar) under
    test-artifacts/desktop/<name>.png."""
    pump(window)
    x, y, width, height = window_geometry(frame_of(window))
    screen_width, screen_height = window.winfo_screenwidth(), window.winfo_screenheight()
    assert x + width <= screen_width and y + height <= screen_height, (
        f"{name}: the window ({width}x{height}+{x}+{y}) does not fit on the "
        f"{screen_width}x{screen_height} screen"
    )
    image = ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=os.environ["DISPLAY"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    image.save(path)
    return path


def grab_screen(bbox: tuple[int, int, int, int]) -> Image.Image:
    return ImageGrab.grab(bbox=bbox, xdisplay=os.environ["DISPLAY"])


@dataclass(frozen=True)
class TrayWindow:
    """An icon window as the X server knows it: its title, where it is, who embeds it."""

    window_id: int
    title: str
    ancestors: tuple[tuple[str, ...], ...]  # WM_CLASS of each parent, nearest first
    geometry: tuple[int, int, int, int]

    @property
    def docked_in_trayer(self) -> bool:
        return any("trayer" in classes for classes in self.ancestors)


def find_tray_icons(app_name: str = "ictray") -> list[TrayWindow]:
    """Every window pystray made for ``app_name`` (WM_CLASS ``<name>SystemTrayIcon``)."""
    from Xlib import X
    from Xlib import display as xdisplay

    connection = xdisplay.Display(os.environ["DISPLAY"])
    found = []
    try:
        root = connection.screen().root
        pending = [root]
        while pending:
            window = pending.pop()
            children = window.query_tree().children
            pending.extend(children)
            classes = window.get_wm_class() or ()
            if classes != (f"{app_name}SystemTrayIcon", app_name):
                continue
            attributes = window.get_attributes()
            if attributes.map_state != X.IsViewable:
                continue
            ancestors = []
            parent = window.query_tree().parent
            while parent and parent.id != root.id:
                ancestors.append(tuple(parent.get_wm_class() or ()))
                parent = parent.query_tree().parent
            geometry = window.get_geometry()
            origin = window.translate_coords(root, 0, 0)
            found.append(
                TrayWindow(
                    window.id,
                    str(window.get_wm_name() or ""),
                    tuple(ancestors),
                    (-origin.x, -origin.y, geometry.width, geometry.height),
                )
            )
    finally:
        connection.close()
    return found


def status_colour(image: Image.Image) -> str:
    """Which status colour covers most of an icon's pixels."""
    counts = dict.fromkeys(COLOURS, 0)
    rgb = image.convert("RGB")
    for pixel in (rgb.getpixel((x, y)) for x in range(rgb.width) for y in range(rgb.height)):
        for status, colour in COLOURS.items():
            if all(abs(a - b) <= 24 for a, b in zip(pixel, colour, strict=True)):
                counts[status] += 1
    return max(counts, key=lambda status: counts[status])


def icon_on_screen(tray: TrayWindow) -> Image.Image:
    x, y, width, height = tray.geometry
    return ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=os.environ["DISPLAY"])


def fill(form, values: dict[str, str]) -> None:
    """Type into a form's fields as a person would: clear each, then insert the text."""
    for key, text in values.items():
        widget = form.widgets[key]
        if isinstance(widget, ttk.Combobox) and str(widget.cget("state")) == "readonly":
            widget.set(text)
            widget.event_generate("<<ComboboxSelected>>")
            continue
        widget.delete(0, tk.END)
        widget.insert(0, text)


def open_dialog(app, name: str):
    """Open one of the app's windows and let it settle on the screen."""
    window = app.open_window(name)
    pump(window, 0.1)
    return window


def press(widget: tk.Widget, key: str) -> None:
    """A key press on ``widget`` with the keyboard focus on it."""
    widget.focus_force()
    pump(widget)
    widget.event_generate(key)
    pump(widget)


def query(path: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Rows read straight from the settings file, as another program would see them."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


class SilentServer:
    """A TCP server on loopback that takes connections and never answers (until closed):
    a database or mail server that hangs, so a *Test* stays busy for as long as needed."""

    def __init__(self) -> None:
        import socket

        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted: list[object] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        """Hang up: the waiting client fails at once."""
        self.socket.close()
        for connection in self.accepted:
            connection.close()  # type: ignore[attr-defined]


def window_size(window: tk.Misc) -> tuple[int, int]:
    pump(window)
    return window.winfo_width(), window.winfo_height()


def shown_texts(window: tk.Misc) -> list[str]:
    """Every text a person can read in ``window``: labels, buttons, fields, lists, logs."""
    texts: list[str] = []
    pending: list[tk.Misc] = [window]
    while pending:
        widget = pending.pop()
        pending.extend(widget.winfo_children())
        if isinstance(widget, ttk.Treeview):
            for row in _tree_rows(widget):
                texts.append(str(widget.item(row, "text")))
                texts.extend(str(value) for value in widget.item(row, "values"))
        elif isinstance(widget, tk.Text):
            texts.append(widget.get("1.0", "end-1c"))
        elif isinstance(widget, tk.Listbox):
            texts.extend(str(item) for item in widget.get(0, tk.END))
        elif isinstance(widget, (ttk.Entry, tk.Entry)) and str(widget.cget("show")) == "":
            texts.append(widget.get())
        else:
            with contextlib.suppress(tk.TclError):
                texts.append(str(widget.cget("text")))
        if isinstance(widget, tk.Toplevel):
            texts.append(str(widget.title()))
    return [text for text in texts if text]


def _tree_rows(tree: ttk.Treeview, parent: str = "") -> list[str]:
    rows = []
    for row in tree.get_children(parent):
        rows.append(row)
        rows.extend(_tree_rows(tree, row))
    return rows
