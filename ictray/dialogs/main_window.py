"""The main window, the guide's *Integration Client Tools*.

It shows whether the scheduler is running, the *Last Program Run* and the schedules (name,
transfers, period, last run, next run, last result), with the *Setup* and *Tools* menus and
the *Log File* button. It offers everything the tray menu offers, because on some desktops
(plain X11) the tray icon has no menu and a click opens this window instead.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ictray.dialogs.context import (
    API_TESTER,
    LOG_FILE,
    RUNNING,
    SCHEDULES,
    SETUP_WINDOWS,
    Controller,
    local_time,
)
from ictray.dialogs.widgets import PAD, Window, scrolled, set_columns, tooltip
from ictray.operations import status as run_status
from ictray.settings import schedules, validation

COLUMNS = (
    ("Transfers", 70),
    ("Period", 60),
    ("Last Run", 145),
    ("Next Run", 145),
    ("Last Result", 110),
)


class MainWindow(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "ictray — Integration Client Tools")
        self.controller = controller
        self._build_menus()
        header = ttk.Frame(self.body)
        header.pack(fill=tk.X)
        header.columnconfigure(1, weight=1)
        ttk.Label(header, text="Scheduler:").grid(row=0, column=0, sticky=tk.NW, padx=(0, PAD))
        self.scheduler_text = ttk.Label(header, text="", wraplength=520, justify=tk.LEFT)
        self.scheduler_text.grid(row=0, column=1, sticky=tk.W)
        ttk.Label(header, text="Last Program Run:").grid(
            row=1, column=0, sticky=tk.W, padx=(0, PAD)
        )
        self.last_run_text = ttk.Label(header, text="")
        self.last_run_text.grid(row=1, column=1, sticky=tk.W)
        self.activity = ttk.Label(header, text="", foreground="#1565c0")
        self.activity.grid(row=2, column=0, columnspan=2, sticky=tk.W)
        frame, self.tree = scrolled(
            self.body,
            ttk.Treeview,
            columns=[heading for heading, _ in COLUMNS],
            selectmode="browse",
            height=8,
        )
        set_columns(self.tree, (("Schedule Name", 150), *COLUMNS))
        frame.pack(fill=tk.BOTH, expand=True, pady=(PAD, 0))
        self.tree.bind("<Double-1>", lambda event: controller.open_window(SCHEDULES))
        self._build_buttons()
        self.refresh()

    def _build_menus(self) -> None:
        bar = tk.Menu(self)
        setup = tk.Menu(bar, tearoff=False)
        for name, label in SETUP_WINDOWS:
            setup.add_command(
                label=label, command=lambda name=name: self.controller.open_window(name)
            )
        bar.add_cascade(label="Setup", menu=setup, underline=0)
        tools = tk.Menu(bar, tearoff=False)
        tools.add_command(
            label="API Tester", command=lambda: self.controller.open_window(API_TESTER)
        )
        tools.add_command(label="Log File", command=lambda: self.controller.open_window(LOG_FILE))
        tools.add_separator()
        tools.add_command(label="Run All Schedules Now", command=self.run_all)
        tools.add_separator()
        tools.add_command(label="Quit ictray", command=self.controller.quit)
        bar.add_cascade(label="Tools", menu=tools, underline=0)
        self.configure(menu=bar)
        self.menus = {"Setup": setup, "Tools": tools}

    def _build_buttons(self) -> None:
        row = ttk.Frame(self.body)
        row.pack(fill=tk.X, pady=(PAD, 0))
        self.buttons: dict[str, ttk.Button] = {}
        buttons: tuple[tuple[str, Callable[[], None], str, str], ...] = (
            (
                "Run Now",
                self.run_selected,
                "Run the chosen schedule now (all if none is chosen).",
                tk.LEFT,
            ),
            ("Run All", self.run_all, "Run every enabled schedule now.", tk.LEFT),
            (
                "Pause Scheduler",
                self.toggle_pause,
                "Stop or start the scheduler's own runs.",
                tk.LEFT,
            ),
            (
                "Close",
                self.close,
                "Close this window; ictray keeps running in the tray (Quit is "
                "in the Tools menu and the tray menu).",
                tk.RIGHT,
            ),
            ("Log File", self.open_log, "Show the IC log and the Service log.", tk.RIGHT),
        )
        for text, command, help_text, side in buttons:
            button = ttk.Button(row, text=text, command=command)
            button.pack(side=side, padx=(0, PAD // 2) if side == tk.LEFT else (PAD // 2, 0))
            tooltip(button, help_text)
            self.buttons[text] = button
        self.default_button = self.buttons["Run Now"]

    # -- state ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the scheduler and the schedules as they are now."""
        status = self.controller.scheduler_status()
        self.scheduler_text.configure(text=f"{status.label.capitalize()}. {status.detail}")
        paused_or_stopped = status.state != RUNNING
        self.buttons["Pause Scheduler"].configure(
            text="Start Scheduler" if paused_or_stopped else "Pause Scheduler"
        )
        latest = run_status.last_program_run()
        if latest is None:
            self.last_run_text.configure(text="never")
        else:
            name = latest.schedule or "a removed schedule"
            self.last_run_text.configure(
                text=f"{local_time(latest.started_at)} ({name}: {latest.outcome})"
            )
        last_runs = run_status.last_runs()
        running = ", ".join(status.transferring)
        self.activity.configure(text=f"Transferring now: {running}" if running else "")
        chosen = self.tree.selection()
        self.tree.delete(*self.tree.get_children())
        for schedule in schedules.list_schedules():
            self.tree.insert(
                "",
                tk.END,
                iid=schedule.name,
                text=schedule.name,
                values=(
                    schedule.transfers.count(),
                    validation.format_period(schedule.every_minutes),
                    local_time(schedule.last_run),
                    local_time(schedule.next_run, never="-") if schedule.enabled else "disabled",
                    last_runs[schedule.name].outcome if schedule.name in last_runs else "-",
                ),
            )
        for name in chosen:
            if self.tree.exists(name):
                self.tree.selection_set(name)

    def show_activity(self, text: str) -> None:
        self.activity.configure(text=text)

    # -- actions ----------------------------------------------------------------------------

    def run_selected(self) -> None:
        chosen = self.tree.selection()
        self.controller.run_now(chosen[0] if chosen else None)

    def open_log(self) -> None:
        self.controller.open_window(LOG_FILE)

    def run_all(self) -> None:
        self.controller.run_now(None)

    def toggle_pause(self) -> None:
        self.controller.toggle_scheduler()
        self.refresh()
