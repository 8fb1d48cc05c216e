"""The first run: the guide's order — settings file, site, plugin, schedule — one step at a time.

``SettingsFileDialog`` creates the settings file (step 1). ``Walkthrough`` then explains each
remaining step in a short prompt and opens its configuration dialog, whose *Close* button reads
*Next*; closing it moves on. Steps whose part is already configured are left out.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from pathlib import Path
from tkinter import filedialog, ttk

from ictray.dialogs.context import PLUGINS, SCHEDULES, SITES
from ictray.dialogs.editor import EditorWindow
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import PAD, Prompt, Window

TOTAL_STEPS = 4
STEPS = {
    SITES: (
        "The site",
        "Enter the BeyondTrust (Bomgar) site to copy from: click New, give it a name, its host "
        "name (without https://) and the client ID and secret of its API account, click Test, "
        "then Save. Click Next when you are done.",
    ),
    PLUGINS: (
        "A destination",
        "Choose where the data goes: pick a plugin type (File System or SQL database), click "
        "Add, fill in its fields and click Save. Click Next when you are done.",
    ),
    SCHEDULES: (
        "A schedule",
        "Set when the transfers run: click New, name the schedule, choose a site and a "
        "destination and click Add, tick the data types, set Run Every and click Save. Click "
        "Next when you are done.",
    ),
}
ORDER = (SITES, PLUGINS, SCHEDULES)


class SettingsFileDialog(Window):
    """Step 1: where the settings file goes; ``on_create(path)`` opens it (raising to refuse)."""

    def __init__(
        self,
        master: tk.Misc,
        default: Path,
        on_create: Callable[[Path], None],
        on_cancel: Callable[[], None],
    ) -> None:
        super().__init__(master, "Welcome to ictray")
        self._on_create, self._on_cancel = on_create, on_cancel
        ttk.Label(
            self.body,
            text=f"Step 1 of {TOTAL_STEPS}: create the settings file. It stores your sites, "
            "destinations and schedules, and is kept apart from every database you copy to.",
            wraplength=480,
            justify=tk.LEFT,
        ).pack(fill=tk.X, pady=(0, PAD))
        self.form = Form(self.body)
        self.form.pack(fill=tk.X)
        self.form.entry(
            "settings file",
            "Settings File",
            "Where to create the settings file. The default suits one configuration per "
            "user; choose another file to keep a configuration apart.",
            value=str(default),
            button=("Browse…", self.browse),
            width=64,
        )
        self.buttons = self.button_row(
            self.body,
            [("Create Settings File", self.create), ("Cancel", self.close)],
            default="Create Settings File",
        )
        self.settle()
        self.after_idle(self.bring_up)

    def browse(self) -> None:
        chosen = filedialog.asksaveasfilename(
            parent=self,
            title="Settings file",
            defaultextension=".db",
            filetypes=[("Settings file", "*.db"), ("All files", "*")],
        )
        if chosen:
            self.form.set("settings file", chosen)

    def create(self) -> None:
        def make() -> None:
            self._on_create(Path(self.form.get("settings file").strip()).expanduser())

        if attempt(self, [self.form], make):
            self._on_cancel = lambda: None
            self.close()

    def close(self) -> None:
        on_cancel, self._on_cancel = self._on_cancel, lambda: None
        super().close()
        on_cancel()


class Walkthrough:
    """Steps 2 to 4: a prompt, then the dialog of that step, then the next."""

    def __init__(
        self,
        master: tk.Misc,
        steps: Sequence[str],
        open_window: Callable[[str], Window],
    ) -> None:
        self.master = master
        self.steps = [step for step in ORDER if step in steps]
        self.open_window = open_window
        self.prompt: Prompt | None = None
        self.window: Window | None = None

    def start(self) -> None:
        self._next()

    def close(self) -> None:
        """End the walkthrough where it is (the app is quitting)."""
        self.steps = []
        if self.prompt is not None and self.prompt.winfo_exists():
            self.prompt.close()

    def _next(self) -> None:
        self.window = None
        if not self.steps:
            self.prompt = Prompt(
                self.master,
                "ictray is set up",
                "Setup is done. ictray keeps running in the tray and the scheduler runs your "
                "schedules. To check a configuration now, use Tools > API Tester in the main "
                "window.",
                ["OK"],
                lambda answer: None,
            )
            return
        step = self.steps.pop(0)
        title, text = STEPS[step]
        number = TOTAL_STEPS - len(self.steps)
        self.prompt = Prompt(
            self.master,
            f"Step {number} of {TOTAL_STEPS}: {title.lower()}",
            text,
            ["Continue", "Skip Setup"],
            lambda answer: self._answered(step, answer),
        )

    def _answered(self, step: str, answer: str | None) -> None:
        self.prompt = None
        if answer != "Continue":
            self.steps = []
            return
        window = self.open_window(step)
        if isinstance(window, EditorWindow):
            window.close_button.configure(text="Next")
        window.when_closed(self._next)
        self.window = window
