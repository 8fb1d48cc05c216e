"""``ictray`` with no command: open the settings file (creating it on the first run) and run.

The Tk root stays withdrawn for the whole run and owns the main thread; the windows are its
``Toplevel`` children. On the first run the settings-file step comes before anything else,
as in the guide.
"""

from __future__ import annotations

import contextlib
import sys
import tkinter as tk
from pathlib import Path
from typing import cast

from PIL import ImageTk

from ictray.dialogs.first_run import SettingsFileDialog
from ictray.dialogs.widgets import Prompt, use_theme
from ictray.errors import IctrayError
from ictray.settings import open_settings, resolve_settings_path
from ictray.tray.app import DesktopApp
from ictray.tray.icons import IDLE, draw_icon


def _open_root() -> tk.Tk | None:
    try:
        root = tk.Tk(className="ictray")
    except tk.TclError as error:
        print(
            f"ictray: error: the desktop app needs a display ({error}); on a server, use the "
            "commands instead (ictray --help), and `ictray service` for the scheduler",
            file=sys.stderr,
        )
        return None
    root.withdraw()
    use_theme(root)
    return root


def run_desktop(settings_arg: str | None = None) -> int:
    """Run the desktop app until *Quit*; the exit code of the ``ictray`` command."""
    root = _open_root()
    if root is None:
        return 2
    icon = ImageTk.PhotoImage(draw_icon(IDLE), master=root)
    root.iconphoto(True, cast("tk.PhotoImage", icon))  # PIL's image is one Tk takes
    path = resolve_settings_path(settings_arg)
    apps: list[DesktopApp] = []
    exit_code = [0]

    def begin(settings_path: Path, *, create: bool) -> None:
        settings = open_settings(settings_path, create=create)
        app = DesktopApp(root, settings, on_quit=root.quit)
        apps.append(app)
        app.start(first_run=create)

    def refuse(error: IctrayError) -> None:
        exit_code[0] = 2
        Prompt(root, "ictray cannot start", str(error), ["Quit"], lambda answer: root.quit())

    if path.exists() and path.stat().st_size > 0:
        try:
            begin(path, create=False)
        except IctrayError as error:
            refuse(error)
    else:
        SettingsFileDialog(
            root, path, lambda chosen: begin(chosen, create=True), on_cancel=root.quit
        )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C in a terminal: quit cleanly
        root.mainloop()
    for app in apps:
        app.quit()
        app.settings.close()
    root.destroy()
    return exit_code[0]
