"""Application Settings: the scheduler, the Windows service, where the logs go, when they are
removed, when to warn that data is at risk, autostart.

Everything here is a setting applied by *Save*, the scheduler's pause included; *Cancel*
leaves all as it was. The scheduler's state line follows the app while the window is open.
The Windows service's buttons act at once (each is its own confirmed action, not a setting).
"""

from __future__ import annotations

import tkinter as tk
from tkinter import filedialog, ttk

from ictray import platform
from ictray.dialogs.context import APP_SETTINGS, PAUSE_SCHEDULER, Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.service_group import ServiceGroup
from ictray.dialogs.widgets import PAD, Prompt, Window, ask_unsaved, tooltip
from ictray.settings import preferences

PATH_WIDTH = 64


class AppSettingsDialog(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(
            master, "Application Settings", name=APP_SETTINGS, state=controller.window_state
        )
        self.controller = controller
        self.settings = controller.settings
        self.prompt: Prompt | None = None
        section = ttk.LabelFrame(self.body, text="Scheduler", padding=PAD)
        section.pack(fill=tk.X)
        self.scheduler_text = ttk.Label(section, text="", wraplength=760, justify=tk.LEFT)
        self.scheduler_text.pack(fill=tk.X)
        self.paused = tk.BooleanVar(self, value=not self.settings.app().scheduler_enabled)
        self.pause_box = ttk.Checkbutton(
            section,
            text=f"{PAUSE_SCHEDULER}: no schedule runs on its own (Run Now still works)",
            variable=self.paused,
        )
        self.pause_box.pack(anchor=tk.W, pady=(PAD // 2, 0))
        tooltip(
            self.pause_box,
            "Paused, the scheduler starts no schedule on its own until it is resumed; the "
            "setting is kept for the next start and for the scheduler service. Applied by Save.",
        )
        self.service = ServiceGroup(self.body, self, controller)
        self.service.pack(fill=tk.X, pady=(PAD, 0))
        self.form = Form(self.body)
        self.form.pack(fill=tk.X, pady=(PAD, 0))
        self.form.track("paused", self.paused)
        described = preferences.describe_app(self.settings)
        self.form.entry(
            "settings file",
            "Settings File",
            "The settings file in use. To use another one, start ictray with that file "
            "(its shortcut's settings file option).",
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
        self.form.entry(
            "warn after hours",
            "Warn After (hours)",
            "Data at risk: warn (the tray icon turns red, the main window says it, a mail goes "
            "out once a day) when a site has not been copied to a destination for this many "
            "hours — the scheduler paused, the computer off, a revoked API account. 1 to 2160.",
            value=str(described["warn_after_hours"]),
        )
        self.form.entry(
            "warn margin days",
            "Warn Margin (days)",
            "Data at risk: warn when something still waiting to be copied (a session in "
            "progress, a recording not fetched yet) is within this many days of the day the "
            "appliance deletes it (each site's Retention Days). 0 to 89.",
            value=str(described["warn_margin_days"]),
        )
        self.form.check(
            "start with session",
            platform.AUTOSTART_LABEL,
            "Start this app (and its scheduler) when you log in. "
            f"Entry: {described['autostart_entry']}",
            value=bool(described["autostart"]),
            text="Start ictray and its scheduler automatically",
        )
        self.buttons = self.button_row(
            self.body, [("Save", self.save), ("Cancel", self.close_now)], default="Save"
        )
        self.refresh()
        self.form.mark_loaded()
        self.settle()

    def refresh(self) -> None:
        """Show the scheduler as it is now (the pause box keeps what is being chosen)."""
        status = self.controller.scheduler_status()
        self.scheduler_text.configure(text=f"The scheduler is {status.label}. {status.detail}")
        self.service.refresh()

    def settings_changed(self) -> None:
        self.refresh()

    def browse_log_folder(self) -> None:
        chosen = filedialog.askdirectory(parent=self, title="Log folder", mustexist=False)
        if chosen:
            self.form.set("log folder", chosen)

    def close(self) -> None:
        """Escape or the close box: edits not saved are asked about."""
        self.prompt = ask_unsaved(
            self, self.form.dirty, "the application settings", self.save, self.close_now
        )

    def save(self) -> bool:
        def store() -> None:
            preferences.set_app(
                self.settings,
                log_folder=self.form.get("log folder").strip() or None,
                log_removal_days=self.form.get("log removal days"),
                warn_after_hours=self.form.get("warn after hours"),
                warn_margin_days=self.form.get("warn margin days"),
            )
            wanted = self.form.flag("start with session")
            if wanted != preferences.describe_app(self.settings)["autostart"]:
                preferences.set_start_with_session(self.settings, wanted)

        if not attempt(self, [self.form], store):
            return False
        if self.paused.get() == self.settings.app().scheduler_enabled:
            self.controller.set_scheduler_paused(self.paused.get())
        self.form.mark_loaded()
        self.controller.logging_changed()
        self.controller.settings_changed()
        self.close_now()
        return True
