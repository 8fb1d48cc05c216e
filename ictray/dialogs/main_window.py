"""The main window, the guide's *Integration Client Tools*.

It shows whether the scheduler is running, the *Last Program Run* and the schedules (name,
transfers, period, last run, next run, last result), with the *Setup* and *Tools* menus and
the *Log File* button. It offers everything the tray menu offers, because on some desktops
(plain X11) the tray icon has no menu and a click opens this window instead.

Under the schedules, each site and destination: how far it is copied (the appliance time up
to which everything is stored) and what is waiting (``operations.status.overview``). Data at
risk of being deleted by the appliance before it is copied is said in red at the top, with
the reason, on a line kept for it so nothing moves. *Verify* checks the archive is complete.
Times are local, to the minute, with the zone.

A failed run is in plain sight: its row has the outcome's colour and icon, and the status
line under the list says which schedule failed and why, in one line, with *Show Log* leading
to the log lines of that run.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from functools import partial
from tkinter import font as tkfont
from tkinter import ttk
from typing import Literal

from ictray.dialogs import messages, outcomes
from ictray.dialogs.context import (
    API_TESTER,
    LOG_FILE,
    MAIN,
    PAUSE_SCHEDULER,
    RUNNING,
    SCHEDULES,
    SETUP_WINDOWS,
    VERIFY,
    Controller,
)
from ictray.dialogs.widgets import (
    ERROR,
    ERROR_COLOUR,
    OK_COLOUR,
    PAD,
    ReservedLine,
    Window,
    scrolled,
    set_columns,
    tooltip,
)
from ictray.operations import status as run_status
from ictray.operations.display import local_minute
from ictray.operations.status import Risk
from ictray.settings import schedules, validation
from ictray.settings.models import utcnow

COLUMNS = (
    ("Transfers", 70),
    ("Period", 60),
    ("Last Run", 160),
    ("Next Run", 160),
    ("Last Result", 170),
)
PAIR_COLUMNS = (
    ("Site → Destination", 190),
    ("Copied Up To", 165),
    ("Last Copied", 165),
    ("Waiting", 260),
)
PAIR_ROWS = 3
AT_RISK = "at-risk"
#: columns that hold a time, as wide as this computer's times with their zone
TIME_COLUMNS = ("Last Run", "Next Run", "Copied Up To", "Last Copied")


def _fitted(columns: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    """``columns`` with each time column wide enough for a time with this zone's name (its
    longer, daylight-saving, name too)."""
    sample = local_minute(utcnow()) + "T"
    width = tkfont.nametofont("TkDefaultFont").measure(sample) + 2 * PAD
    return tuple(
        (heading, max(size, width) if heading in TIME_COLUMNS else size)
        for heading, size in columns
    )


class MainWindow(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(
            master,
            "ictray — Integration Client Tools",
            name=MAIN,
            state=controller.window_state,
        )
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
        linespace = tkfont.nametofont("TkDefaultFont").metrics("linespace")
        header.rowconfigure(2, minsize=linespace + 2)  # its room is kept while idle
        self.risk_line = ReservedLine(header, 3)  # the longest warning, kept while none
        self.risk_line.grid(row=3, column=0, columnspan=2, sticky=tk.EW, pady=(PAD // 2, 0))
        self.risks: list[Risk] = []
        tooltip(self.risk_line.label, self._risk_tip)
        frame, self.tree = scrolled(
            self.body,
            ttk.Treeview,
            columns=[heading for heading, _ in COLUMNS],
            selectmode="browse",
            height=8,
        )
        set_columns(self.tree, _fitted((("Schedule Name", 150), *COLUMNS)))
        outcomes.tag_rows(self.tree)
        self._build_buttons()
        self._build_status()
        self._build_pairs()
        frame.pack(fill=tk.BOTH, expand=True, pady=(PAD, 0))
        self.tree.bind("<Double-1>", lambda event: controller.open_window(SCHEDULES))
        self.tree.bind("<<TreeviewSelect>>", lambda event: self._show_status())
        self.last_runs: dict[str, run_status.LastRun] = {}
        self.refresh()
        self.settle()

    def _build_status(self) -> None:
        """The line under the list: the chosen (or latest failed) schedule's last outcome."""
        row = ttk.Frame(self.body)
        row.pack(side=tk.BOTTOM, fill=tk.X, pady=(PAD, 0))
        self.status_icon = ttk.Label(row)
        self.status_icon.pack(side=tk.LEFT, padx=(0, PAD // 2))
        self.log_button = ttk.Button(row, text="Show Log", command=self.show_log)
        self.log_button.pack(side=tk.RIGHT)
        tooltip(self.log_button, "Open the Log File at the lines of this run.")
        self.status_text = ttk.Label(row, text="", anchor=tk.W)
        self.status_text.pack(side=tk.LEFT, fill=tk.X, expand=True)
        self.status_run: run_status.LastRun | None = None
        self._status_tip = ""
        tooltip(self.status_text, lambda: self._status_tip)  # every error of the run

    def _build_pairs(self) -> None:
        """Each site and destination: how far it is copied, and what is waiting."""
        box = ttk.Frame(self.body)
        box.pack(side=tk.BOTTOM, fill=tk.X, pady=(PAD, 0))
        caption = ttk.Label(box, text="Copied so far, per site and destination:")
        caption.pack(anchor=tk.W)
        frame, self.pairs = scrolled(
            box,
            ttk.Treeview,
            columns=[heading for heading, _ in PAIR_COLUMNS[1:]],
            selectmode="none",
            height=PAIR_ROWS,
        )
        set_columns(self.pairs, _fitted(PAIR_COLUMNS))
        self.pairs.tag_configure(AT_RISK, foreground=ERROR_COLOUR)
        frame.pack(fill=tk.X, pady=(PAD // 2, 0))
        tooltip(
            self.pairs,
            "Copied Up To: the appliance's time up to which everything of the site is stored "
            "in the destination. Waiting: sessions still in progress (stored once they end) "
            "and items not stored yet (tried again on the next run).",
        )

    def _build_menus(self) -> None:
        bar = tk.Menu(self)
        setup = tk.Menu(bar, tearoff=False)
        for name, label in SETUP_WINDOWS:
            setup.add_command(label=label, command=partial(self.controller.open_window, name))
        bar.add_cascade(label="Setup", menu=setup, underline=0)
        tools = tk.Menu(bar, tearoff=False)
        tools.add_command(
            label="API Tester", command=lambda: self.controller.open_window(API_TESTER)
        )
        tools.add_command(label="Log File", command=lambda: self.controller.open_window(LOG_FILE))
        tools.add_separator()
        tools.add_command(label="Run All Schedules Now", command=self.run_all)
        tools.add_command(label="Verify", command=self.verify)
        tools.add_separator()
        tools.add_command(label="Quit ictray", command=self.controller.quit)
        bar.add_cascade(label="Tools", menu=tools, underline=0)
        self.configure(menu=bar)
        self.menus = {"Setup": setup, "Tools": tools}

    def _build_buttons(self) -> None:
        row = ttk.Frame(self.body)
        row.pack(side=tk.BOTTOM, fill=tk.X, pady=(PAD, 0))
        self.buttons: dict[str, ttk.Button] = {}
        buttons: tuple[tuple[str, Callable[[], None], str, Literal["left", "right"]], ...] = (
            (
                "Run Now",
                self.run_selected,
                "Run the chosen schedule now (all if none is chosen).",
                tk.LEFT,
            ),
            ("Run All", self.run_all, "Run every enabled schedule now.", tk.LEFT),
            (
                PAUSE_SCHEDULER,
                self.toggle_pause,
                "Pause the scheduler (no schedule runs on its own) or resume it.",
                tk.LEFT,
            ),
            (
                "Verify",
                self.verify,
                "Check that the archive holds everything the appliance still keeps, unharmed; "
                "save the report, fetch again what is missing.",
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
        self.scheduler_button = self.buttons[PAUSE_SCHEDULER]
        self.default_button = self.buttons["Run Now"]

    # -- state ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the scheduler and the schedules as they are now."""
        status = self.controller.scheduler_status()
        self.scheduler_text.configure(
            text=messages.plain(f"{status.label.capitalize()}. {status.detail}")
        )
        self.scheduler_button.configure(text=status.action)
        latest = run_status.last_program_run()
        if latest is None:
            self.last_run_text.configure(text="never")
        else:
            name = latest.schedule or "a removed schedule"
            self.last_run_text.configure(
                text=f"{local_minute(latest.started_at)} ({name}: "
                f"{outcomes.label(latest.outcome).lower()})"
            )
        view = run_status.overview(self.controller.settings)
        self.last_runs = {state.name: state.last for state in view.schedules if state.last}
        self._show_pairs(view.pairs, view.risks)
        running = ", ".join(status.transferring)
        self.activity.configure(text=f"Transferring now: {running}" if running else "")
        chosen = self.tree.selection()
        self.tree.delete(*self.tree.get_children())
        for schedule in schedules.list_schedules():
            run = self.last_runs.get(schedule.name)
            outcome = run_status.RUNNING if schedule.name in status.transferring else None
            outcome = outcome or (run.outcome if run else None)
            if not schedule.enabled:
                upcoming = "disabled"
            elif status.state != RUNNING:
                upcoming = f"{status.label}"
            elif schedule.next_run is None:
                upcoming = "-"
            else:
                upcoming = local_minute(run_status.upcoming(schedule.next_run))
            self.tree.insert(
                "",
                tk.END,
                iid=schedule.name,
                text=schedule.name,
                image=outcomes.icon(self, outcome) if outcome else "",
                tags=(outcome,) if outcome else (),
                values=(
                    schedule.transfers.count(),
                    validation.format_period(schedule.every_minutes),
                    local_minute(schedule.last_run),
                    upcoming,
                    outcomes.label(outcome) if outcome else "-",
                ),
            )
        for name in chosen:
            if self.tree.exists(name):
                self.tree.selection_set(name)
        self._show_status()

    def settings_changed(self) -> None:
        self.refresh()

    def _show_pairs(self, pairs: list[run_status.PairState], risks: list[Risk]) -> None:
        """How far each pair is copied, and the data at risk (red, with the reason)."""
        self.risks = risks
        at_risk = {(risk.site, risk.destination) for risk in risks}
        self.pairs.delete(*self.pairs.get_children())
        for pair in pairs:
            waiting = [f"{n} {t.label.lower()}" for t, n in pair.waiting.items()]
            if pair.open_sessions:
                waiting.insert(0, f"{pair.open_sessions} in progress")
            self.pairs.insert(
                "",
                tk.END,
                text=f"{pair.site} → {pair.destination}",
                tags=(AT_RISK,) if (pair.site, pair.destination) in at_risk else (),
                values=(
                    local_minute(pair.copied_until, never="nothing yet"),
                    local_minute(pair.copied_at, never="-"),
                    ", ".join(waiting) or "nothing",
                ),
            )
        if risks:
            more = f" (and {len(risks) - 1} more: point here to see all)" if len(risks) > 1 else ""
            self.risk_line.show(f"Data at risk: {messages.scrub(risks[0].message)}{more}", ERROR)
        else:
            self.risk_line.show("No data at risk.", "")
            self.risk_line.label.configure(foreground=OK_COLOUR)

    def _risk_tip(self) -> str:
        if not self.risks:
            return (
                "Every site is copied often enough, and nothing waiting to be copied is near "
                "the day its appliance deletes it (see Application Settings for when to warn)."
            )
        return "\n".join(f"• {messages.scrub(risk.message)}" for risk in self.risks)

    def _show_status(self) -> None:
        """The chosen schedule's last run; without a choice, the newest failure, else the
        newest run."""
        chosen = self.tree.selection()
        run = self.last_runs.get(chosen[0]) if chosen else None
        if run is None and not chosen and self.last_runs:
            failed = [r for r in self.last_runs.values() if r.failed]
            run = max(failed or self.last_runs.values(), key=lambda r: r.started_at)
        self.status_run = run
        if run is None:
            self.status_icon.configure(image="")
            self.status_text.configure(text="", foreground="")
            self.log_button.state(["disabled"])
            return
        text = (
            f"{run.schedule}: {outcomes.label(run.outcome).lower()} at "
            f"{local_minute(run.started_at)}"
        )
        if run.cause:
            text += f": {messages.scrub(run.cause)}"
        self.status_icon.configure(image=outcomes.icon(self, run.outcome))
        self.status_text.configure(text=text, foreground=ERROR_COLOUR if run.failed else OK_COLOUR)
        self._status_tip = messages.scrub(run.message) or text
        self.log_button.state(["!disabled"])

    def show_log(self) -> None:
        """*Show Log*: the Log File at the lines of the run the status line tells of."""
        if self.status_run is not None:
            self.controller.show_run(self.status_run.schedule)

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

    def verify(self) -> None:
        self.controller.open_window(VERIFY)

    def toggle_pause(self) -> None:
        """The scheduler button: the action its label names (Pause, Resume or Start)."""
        self.controller.toggle_scheduler()
        self.refresh()
