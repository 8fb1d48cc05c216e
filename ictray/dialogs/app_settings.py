"""Application Settings: start and stop the scheduler, where the logs go, when they are removed."""

from __future__ import annotations

import tkinter as tk
from tkinter import filedialog, ttk

from ictray.dialogs.context import RUNNING, Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import PAD, Window, tooltip
from ictray.settings import preferences

PATH_WIDTH = 64


class AppSettingsDialog(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "Application Settings")
        self.controller = controller
        self.settings = controller.settings
        section = ttk.LabelFrame(self.body, text="Scheduler", padding=PAD)
        section.pack(fill=tk.X)
        self.scheduler_text = ttk.Label(section, text="", wraplength=460, justify=tk.LEFT)
        self.scheduler_text.pack(side=tk.LEFT, fill=tk.X, expand=True)
        self.scheduler_button = ttk.Button(section, text="", command=self.toggle_scheduler)
        self.scheduler_button.pack(side=tk.RIGHT, padx=(PAD, 0))
        tooltip(
            self.scheduler_button,
            "Start or stop the scheduler. Stopped, no schedule runs on its own (Run now still "
            "works); the setting is kept for the next start and for `ictray service`.",
        )
        self.form = Form(self.body)
        self.form.pack(fill=tk.X, pady=(PAD, 0))
        described = preferences.describe_app(self.settings)
        self.form.entry(
            "settings file",
            "Settings File",
            "The settings file in use. Start ictray with --settings PATH (or set "
            "ICTRAY_SETTINGS) to use another.",
            value=str(described["settings_file"]),
            width=PATH_WIDTH,
        )
        self.form.widgets["settings file"].state(["readonly"])
        self.form.entry(
            "log folder",
            "Log Folder",
            "The folder holding the IC log and the Service log. Leave empty for the folder that "
            "goes with the settings file: the per-user log folder for the default settings "
            "file, NAME-logs beside any other.",
            value=str(described["log_folder"]),
            button=("Browse…", self.browse_log_folder),
            width=PATH_WIDTH,
        )
        removal = described["log_removal_days"]
        self.form.entry(
            "log removal days",
            "Log File Removal (days)",
            "Delete the IC and Service logs older than this many days, to save disk space. "
            "Leave empty to keep them.",
            value="" if removal is None else str(removal),
        )
        self.form.check(
            "start with session",
            "Start with Windows",
            "Start this app (and its scheduler) when you log in: a Run entry on Windows, an "
            "autostart entry on a Linux desktop. " + f"Entry: {described['autostart_entry']}",
            value=bool(described["autostart"]),
            text="Start ictray when I log in",
        )
        self.buttons = self.button_row(
            self.body, [("Save", self.save), ("Cancel", self.close)], default="Save"
        )
        self.refresh()

    def refresh(self) -> None:
        """Show the scheduler as it is now."""
        status = self.controller.scheduler_status()
        self.scheduler_text.configure(text=f"The scheduler is {status.label}. {status.detail}")
        self.scheduler_button.configure(
            text="Stop Scheduler" if status.state == RUNNING else "Start Scheduler"
        )

    def toggle_scheduler(self) -> None:
        self.controller.toggle_scheduler()
        self.refresh()

    def browse_log_folder(self) -> None:
        chosen = filedialog.askdirectory(parent=self, title="Log folder", mustexist=False)
        if chosen:
            self.form.set("log folder", chosen)

    def save(self) -> None:
        def store() -> None:
            preferences.set_app(
                self.settings,
                log_folder=self.form.get("log folder").strip() or None,
                log_removal_days=self.form.get("log removal days"),
            )
            wanted = self.form.flag("start with session")
            if wanted != preferences.describe_app(self.settings)["autostart"]:
                preferences.set_start_with_session(self.settings, wanted)

        if attempt(self, [self.form], store):
            self.controller.logging_changed()
            self.close()
