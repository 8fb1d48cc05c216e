"""Log File: the *IC Log* (the program) and the *Service Log* (the scheduler), following new lines.

Each tab shows the end of the newest day file and then what is written to it, as
``ictray log --follow`` does: a thread per tab reads with ``logs.follow`` and posts the lines to
the Tk thread; closing the window stops both threads.
"""

from __future__ import annotations

import threading
import tkinter as tk
from pathlib import Path
from tkinter import ttk

from ictray import logs
from ictray.dialogs.context import Controller
from ictray.dialogs.widgets import PAD, Window, scrolled
from ictray.settings import preferences

FIRST_LINES = 500
MAX_LINES = 5000
POLL_SECONDS = 0.5
TABS = ((logs.IC_LOG, "IC Log"), (logs.SERVICE_LOG, "Service Log"))


class LogTab(ttk.Frame):
    """One log, read-only, scrolled to the end while the view is at the end."""

    def __init__(self, master: tk.Misc, folder: Path, kind: str) -> None:
        super().__init__(master, padding=PAD // 2)
        self.folder, self.kind = folder, kind
        self.where = ttk.Label(self, text="", foreground="#555555")
        self.where.pack(fill=tk.X)
        frame, self.text = scrolled(
            self, tk.Text, wrap=tk.WORD, height=24, width=110, font="TkFixedFont"
        )
        frame.pack(fill=tk.BOTH, expand=True)
        self.text.configure(state=tk.DISABLED)
        latest = logs.latest_log(folder, kind)
        self.where.configure(
            text=str(latest) if latest else f"no {kind} log in {folder} yet; new lines appear here"
        )

    def append(self, lines: list[str]) -> None:
        at_end = self.text.yview()[1] >= 0.999
        self.text.configure(state=tk.NORMAL)
        self.text.insert(tk.END, "".join(lines))
        extra = int(self.text.index("end-1c").split(".")[0]) - MAX_LINES
        if extra > 0:
            self.text.delete("1.0", f"{extra + 1}.0")
        self.text.configure(state=tk.DISABLED)
        if at_end:
            self.text.see(tk.END)

    def content(self) -> str:
        return str(self.text.get("1.0", "end-1c"))


class LogViewer(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "Log File")
        self.controller = controller
        folder = preferences.log_folder(controller.settings)
        self.notebook = ttk.Notebook(self.body)
        self.notebook.pack(fill=tk.BOTH, expand=True)
        self.tabs: dict[str, LogTab] = {}
        self.stop = threading.Event()
        for kind, title in TABS:
            tab = LogTab(self.notebook, folder, kind)
            self.notebook.add(tab, text=title)
            self.tabs[kind] = tab
            thread = threading.Thread(
                target=self._follow, args=(folder, kind), name=f"log {kind}", daemon=True
            )
            thread.start()
        ttk.Button(self.body, text="Close", command=self.close).pack(anchor=tk.E, pady=(PAD, 0))

    def _follow(self, folder: Path, kind: str) -> None:
        """Thread: post the last lines, then every new one, until the window closes."""
        latest = logs.latest_log(folder, kind)
        if latest is not None:
            self.controller.ui.post(self._append, kind, logs.tail(latest, FIRST_LINES))
        batch: list[str] = []
        for line in logs.follow(folder, kind, poll=POLL_SECONDS, stop=self.stop):
            batch.append(line)
            if line.endswith("\n"):
                self.controller.ui.post(self._append, kind, batch)
                batch = []

    def _append(self, kind: str, lines: list[str]) -> None:
        if lines and not self.stop.is_set():
            self.tabs[kind].append(lines)

    def close(self) -> None:
        self.stop.set()
        super().close()
