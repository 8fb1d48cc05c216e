"""Log File: the *IC Log* (the program) and the *Service Log* (the scheduler), following new lines.

Each tab opens at the newest lines of this settings file's log (its log folder, as
Application Settings set it) and follows what is written while *Follow* is ticked, as
``ictray log --follow`` does: a thread per tab reads with ``logs.follow`` and posts the lines to
the Tk thread; closing the window stops both threads. *Find* keeps the lines holding a text,
*Level* the warnings and errors only; *Show Log* in the main window opens the Service log at
the lines of one schedule's run (``show_run``).
"""

from __future__ import annotations

import threading
import tkinter as tk
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from tkinter import ttk

from ictray import logs
from ictray.dialogs.context import LOG_FILE, Controller
from ictray.dialogs.widgets import ERROR_COLOUR, PAD, WARNING_COLOUR, Window, scrolled, tooltip
from ictray.operations import status as run_status
from ictray.settings import preferences

FIRST_LINES = 500
MAX_LINES = 5000
POLL_SECONDS = 0.5
TABS = ((logs.IC_LOG, "IC Log"), (logs.SERVICE_LOG, "Service Log"))
LEVELS = {
    "All lines": ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    "Warnings and errors": ("WARNING", "ERROR", "CRITICAL"),
    "Errors only": ("ERROR", "CRITICAL"),
}
STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Line:
    text: str
    level: str  # the level of its record (continuation lines take their record's)


@dataclass(frozen=True)
class RunFocus:
    """The lines of one schedule's run: its tag, between its start and end (local time)."""

    schedule: str
    start: str
    end: str

    def holds(self, line: Line) -> bool:
        stamp = line.text[:19]
        return f"[{self.schedule}]" in line.text and self.start <= stamp <= self.end


def parse(raw: list[str], level: str = "INFO") -> list[Line]:
    """Log lines with their level (read from the line, or the record's first line)."""
    lines = []
    for text in raw:
        parts = text.split(maxsplit=3)
        if len(parts) >= 3 and parts[2] in LEVELS["All lines"] and text[:4].isdigit():
            level = parts[2]
        lines.append(Line(text, level))
    return lines


class LogTab(ttk.Frame):
    """One log, read-only, scrolled to the end while *Follow* is on."""

    def __init__(self, master: tk.Misc, folder: Path, kind: str, viewer: LogViewer) -> None:
        super().__init__(master, padding=PAD // 2)
        self.folder, self.kind, self.viewer = folder, kind, viewer
        self.where = ttk.Label(self, text="", foreground="#555555")
        self.where.pack(fill=tk.X)
        frame, self.text = scrolled(
            self, tk.Text, wrap=tk.WORD, height=24, width=110, font="TkFixedFont"
        )
        frame.pack(fill=tk.BOTH, expand=True)
        self.text.tag_configure("WARNING", foreground=WARNING_COLOUR)
        self.text.tag_configure("ERROR", foreground=ERROR_COLOUR)
        self.text.tag_configure("CRITICAL", foreground=ERROR_COLOUR)
        self.text.tag_configure("found", background="#fff3a0")
        self.text.configure(state=tk.DISABLED)
        self.lines: list[Line] = []
        latest = logs.latest_log(folder, kind)
        self.where.configure(
            text=str(latest) if latest else f"No {kind} log in {folder} yet; new lines appear here."
        )

    def append(self, raw: list[str]) -> None:
        level = self.lines[-1].level if self.lines else "INFO"
        added = parse(raw, level)
        self.lines.extend(added)
        del self.lines[:-MAX_LINES]
        shown = [line for line in added if self.viewer.shows(line)]
        focused = self.viewer.run_focus is not None and self.kind == logs.SERVICE_LOG
        if shown and not focused:
            self._insert(shown)
            extra = int(self.text.index("end-1c").split(".")[0]) - MAX_LINES
            if extra > 0:
                self.text.configure(state=tk.NORMAL)
                self.text.delete("1.0", f"{extra + 1}.0")
                self.text.configure(state=tk.DISABLED)

    def _insert(self, lines: list[Line]) -> None:
        self.text.configure(state=tk.NORMAL)
        needle = self.viewer.search.get().strip()
        for line in lines:
            start = self.text.index("end-1c")
            self.text.insert(tk.END, line.text, (line.level,))
            if needle:
                self._mark(needle, start)
        self.text.configure(state=tk.DISABLED)
        if self.viewer.following.get():
            self.text.see(tk.END)

    def _mark(self, needle: str, start: str) -> None:
        while True:
            found = self.text.search(needle, start, stopindex=tk.END, nocase=True)
            if not found:
                return
            end = f"{found}+{len(needle)}c"
            self.text.tag_add("found", found, end)
            start = end

    def show(self, lines: list[Line]) -> None:
        """Show only ``lines`` (a new filter): the view starts at the newest of them."""
        self.text.configure(state=tk.NORMAL)
        self.text.delete("1.0", tk.END)
        self.text.configure(state=tk.DISABLED)
        self._insert(lines)
        self.text.see(tk.END)

    def refilter(self) -> None:
        self.show([line for line in self.lines if self.viewer.shows(line)])

    def content(self) -> str:
        return str(self.text.get("1.0", "end-1c"))


class LogViewer(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "Log File", name=LOG_FILE, state=controller.window_state)
        self.controller = controller
        self.folder = preferences.log_folder(controller.settings)
        self.run_focus: RunFocus | None = None
        self._build_tools()
        self.notebook = ttk.Notebook(self.body)
        self.tabs: dict[str, LogTab] = {}
        self.stop = threading.Event()
        close = ttk.Button(self.body, text="Close", command=self.close)
        close.pack(side=tk.BOTTOM, anchor=tk.E, pady=(PAD, 0))
        self.notebook.pack(fill=tk.BOTH, expand=True)
        for kind, title in TABS:
            tab = LogTab(self.notebook, self.folder, kind, self)
            self.notebook.add(tab, text=title)
            self.tabs[kind] = tab
            thread = threading.Thread(
                target=self._follow, args=(kind,), name=f"log {kind}", daemon=True
            )
            thread.start()
        self.settle()

    def _build_tools(self) -> None:
        row = ttk.Frame(self.body)
        row.pack(fill=tk.X, pady=(0, PAD // 2))
        ttk.Label(row, text="Find").pack(side=tk.LEFT)
        self.search = tk.StringVar(self)
        entry = ttk.Entry(row, textvariable=self.search, width=30)
        entry.pack(side=tk.LEFT, padx=(PAD // 2, PAD))
        tooltip(entry, "Show only the lines holding this text (upper or lower case alike).")
        self.search.trace_add("write", lambda *args: self.refilter())
        ttk.Label(row, text="Level").pack(side=tk.LEFT)
        self.level = tk.StringVar(self, value="All lines")
        levels = ttk.Combobox(
            row, textvariable=self.level, values=list(LEVELS), state="readonly", width=20
        )
        levels.pack(side=tk.LEFT, padx=(PAD // 2, PAD))
        levels.bind("<<ComboboxSelected>>", lambda event: self.refilter())
        tooltip(levels, "Show every line, or only warnings and errors, or only errors.")
        self.following = tk.BooleanVar(self, value=True)
        follow = ttk.Checkbutton(row, text="Follow", variable=self.following)
        follow.pack(side=tk.LEFT)
        tooltip(follow, "Keep the newest lines in view as they are written.")
        self.focus_row = ttk.Frame(row)
        self.focus_row.pack(side=tk.RIGHT)
        self.focus_text = ttk.Label(self.focus_row, text="")
        self.focus_text.pack(side=tk.LEFT, padx=(0, PAD // 2))
        self.all_button = ttk.Button(self.focus_row, text="Show All", command=self.show_all)
        self.all_button.pack(side=tk.LEFT)
        self.all_button.state(["disabled"])

    # -- filters ----------------------------------------------------------------------------

    def shows(self, line: Line) -> bool:
        needle = self.search.get().strip().lower()
        if needle and needle not in line.text.lower():
            return False
        return line.level in LEVELS.get(self.level.get(), LEVELS["All lines"])

    def refilter(self) -> None:
        for kind, tab in self.tabs.items():
            if self.run_focus is not None and kind == logs.SERVICE_LOG:
                self._show_focus()
            else:
                tab.refilter()

    def show_run(self, schedule: str) -> None:
        """The Service log at the lines of ``schedule``'s latest finished run."""
        run = run_status.last_runs().get(schedule)
        if run is None:
            self.show_message(f"The schedule {schedule!r} has not run yet.")
            return
        start = run.started_at.replace(tzinfo=timezone.utc).astimezone()
        ended = (run.ended_at or run.started_at).replace(tzinfo=timezone.utc).astimezone()
        self.run_focus = RunFocus(
            schedule, start.strftime(STAMP), (ended + timedelta(seconds=1)).strftime(STAMP)
        )
        self.following.set(False)
        self.notebook.select(self.tabs[logs.SERVICE_LOG])
        self.focus_text.configure(
            text=f"The run of {schedule} at {start.strftime('%Y-%m-%d %H:%M')}"
        )
        self.all_button.state(["!disabled"])
        self._show_focus()

    def _show_focus(self) -> None:
        assert self.run_focus is not None
        raw: list[str] = []
        day = datetime.strptime(self.run_focus.start[:10], "%Y-%m-%d").date()
        end_day = datetime.strptime(self.run_focus.end[:10], "%Y-%m-%d").date()
        while day <= end_day:
            path = logs.log_path(self.folder, logs.SERVICE_LOG, day)
            if path.is_file():
                raw += logs.tail(path, MAX_LINES * 10)
            day += timedelta(days=1)
        lines = [line for line in parse(raw) if self.run_focus.holds(line) and self.shows(line)]
        self.tabs[logs.SERVICE_LOG].show(lines)

    def show_all(self) -> None:
        self.run_focus = None
        self.focus_text.configure(text="")
        self.all_button.state(["disabled"])
        self.following.set(True)
        self.tabs[logs.SERVICE_LOG].refilter()

    # -- reading ----------------------------------------------------------------------------

    def _follow(self, kind: str) -> None:
        """Thread: post the last lines, then every new one, until the window closes."""
        latest = logs.latest_log(self.folder, kind)
        if latest is not None:
            self.controller.ui.post(self._append, kind, logs.tail(latest, FIRST_LINES))
        batch: list[str] = []
        for line in logs.follow(self.folder, kind, poll=POLL_SECONDS, stop=self.stop):
            batch.append(line)
            if line.endswith("\n"):
                self.controller.ui.post(self._append, kind, batch)
                batch = []

    def _append(self, kind: str, lines: list[str]) -> None:
        if lines and not self.stop.is_set() and self.winfo_exists():
            self.tabs[kind].append(lines)

    def close_now(self) -> None:
        self.stop.set()
        super().close_now()
