"""The desktop app under a real X server (Xvfb, 24-bit) with a real tray host (trayer).

The session starts its own Xvfb, a window manager (openbox: title bars, placement and size
hints as on a desktop) and trayer (skipping with the reason when they are not installed),
creates one withdrawn Tk root, and turns modal grabs off. Tests drive the real
widgets — insert text, invoke buttons, generate key events — and ``pump`` Tk's event loop
while they wait. Every wait has a timeout, and each app is quit (tray icon first) after its
test, so a failure never leaves the session hanging.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ictray.settings import Settings, destinations, open_settings, preferences, sites
from ictray.settings.models import Destination, Site

from .helpers import pump

SCREEN = "1280x800x24"
FAST_CLIENT = {
    "timeout": 5,
    "max_retries": 1,
    "max_retry_time": 5,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
}
LOGGERS = ("ictray", "ictray.scheduler", "ictray.transfer")


def _free_display() -> int:
    for number in range(91, 140):
        if (
            not Path(f"/tmp/.X{number}-lock").exists()
            and not Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            return number
    raise RuntimeError("no free X display number between :91 and :139")


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _tray_owner(display: str) -> bool:
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    try:
        atom = connection.intern_atom("_NET_SYSTEM_TRAY_S0")
        owner = connection.get_selection_owner(atom)  # X.NONE (0) when nobody owns it
        return bool(getattr(owner, "id", owner))
    finally:
        connection.close()


def _window_manager(display: str) -> bool:
    """True once a window manager announced itself (``_NET_SUPPORTING_WM_CHECK`` on the root)."""
    from Xlib import display as xdisplay

    connection = xdisplay.Display(display)
    try:
        atom = connection.intern_atom("_NET_SUPPORTING_WM_CHECK")
        return connection.screen().root.get_full_property(atom, 0) is not None
    finally:
        connection.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="session")
def x_display(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``:N`` of a fresh 24-bit Xvfb; DISPLAY points at it for the whole session."""
    for tool in ("Xvfb", "openbox", "trayer", "xwininfo", "xdotool"):
        if shutil.which(tool) is None:
            pytest.skip(
                f"{tool} is not installed (apt-get install xvfb openbox trayer x11-utils xdotool)"
            )
    name = f":{_free_display()}"
    xvfb = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", SCREEN, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    manager: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(Path(f"/tmp/.X11-unix/X{name[1:]}").exists, 10, f"Xvfb {name}")
        home = tmp_path_factory.mktemp("openbox")  # its log and settings stay in the test's
        manager = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env={
                **os.environ,
                "DISPLAY": name,
                "XDG_CACHE_HOME": str(home / "cache"),
                "XDG_CONFIG_HOME": str(home / "config"),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(lambda: _window_manager(name), 10, "openbox to manage the screen")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DISPLAY", name)
            patch.setenv("PYSTRAY_BACKEND", "xorg")  # the backend trayer speaks (XEmbed)
            yield name
    finally:
        if manager is not None:
            _stop(manager)
        _stop(xvfb)


@pytest.fixture
def tray_host(x_display: str) -> Iterator[None]:
    """A tray (trayer, docked at the top right) for one test.

    A fresh one per test, as a desktop session has: trayer keeps the sockets of icons that
    went away, and a later icon whose X window id is reused can then wait a long time to dock.
    """
    tray = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--SetDockType",
            "true",
            "--transparent",
            "false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: _tray_owner(x_display), 10, "trayer to own the system tray")
        yield
    finally:
        _stop(tray)
        _wait_for(lambda: not _tray_owner(x_display), 10, "trayer to let the tray go")


@pytest.fixture(scope="session")
def tk_root(x_display: str) -> Iterator[tk.Tk]:
    """The session's one Tk root, withdrawn, as the app's own is; modal grabs off."""
    from ictray.dialogs.widgets import Window, use_theme

    root = tk.Tk(className="ictray-tests")
    root.withdraw()
    use_theme(root)
    Window.modal_grab = False
    yield root
    root.destroy()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The app sends ictray's logging to its log files; put things back for later tests."""
    saved = {
        name: (
            list(logging.getLogger(name).handlers),
            logging.getLogger(name).propagate,
            logging.getLogger(name).level,
        )
        for name in LOGGERS
    }
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.propagate, logger.level = propagate, level


@pytest.fixture
def settings(tmp_path: Path, restore_logging: None) -> Iterator[Settings]:
    """A fresh settings file (secrets kept in it) with the logs in the test's own folder."""
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as opened:
        preferences.set_app(opened, log_folder=str(tmp_path / "logs"))
        yield opened


@dataclass
class Wired:
    """A site pointing at the simulator and a folder destination, as a user would set up."""

    site: Site
    destination: Destination
    folder: Path


@pytest.fixture
def wired(settings: Settings, simulator, tmp_path: Path) -> Wired:
    site, _ = sites.add_site(
        settings,
        name="sim",
        host=simulator.address,
        client_id=simulator.client_id,
        client_secret=simulator.client_secret,
        ca_bundle=str(simulator.ca_bundle),
    )
    folder = tmp_path / "archive"
    dest = destinations.add_destination(
        settings, name="archive", plugin="filesystem", options={"directory": str(folder)}
    )
    return Wired(site, dest, folder)


@pytest.fixture
def window_state(tmp_path: Path):
    """Where windows remember their place: the test's own folder."""
    from ictray.dialogs.ui_state import WindowState

    return WindowState(tmp_path / "config" / "window-state.json")


@pytest.fixture
def make_app(tk_root: tk.Tk, settings: Settings, window_state) -> Iterator[Callable[..., object]]:
    """``make_app(tray=False)`` starts a DesktopApp on the session root; it is quit afterwards."""
    from ictray.tray.app import DesktopApp

    apps: list[DesktopApp] = []

    def make(**options: object) -> DesktopApp:
        options.setdefault("client_options", FAST_CLIENT)
        options.setdefault("window_state", window_state)
        app = DesktopApp(tk_root, settings, **options)  # type: ignore[arg-type]
        apps.append(app)
        app.start()
        pump(tk_root, 0.1)
        return app

    yield make
    for app in apps:
        app.quit()
    pump(tk_root, 0.05)
