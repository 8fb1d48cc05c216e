"""API Tester (Tools menu): copy now, outside the schedules, to check a configuration.

The *Sites* tab copies the sessions of chosen sites — a start date and duration, or session
IDs; the *XML Files* tab stores what saved XML reports hold. Both then go to the chosen
destinations for the chosen operations (data types) when *Download* is clicked. The work runs
on a worker thread (``ictray.transfer.apitest``); its progress lines and the result list come
back through the app's queue. A test never moves the schedules' watermarks.
"""

from __future__ import annotations

import tkinter as tk
from datetime import datetime
from pathlib import Path
from tkinter import filedialog, ttk

from ictray.datatypes import DataType
from ictray.dialogs import messages
from ictray.dialogs.context import API_TESTER, Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import (
    ERROR_COLOUR,
    OK_COLOUR,
    PAD,
    DateField,
    Window,
    scrolled,
    set_columns,
    tooltip,
)
from ictray.dialogs.worker import run_in_background
from ictray.errors import ValidationError
from ictray.settings import destinations, sites, validation
from ictray.transfer.apitest import Selection, TestLine, run_live, run_xml

RESULT_COLUMNS = (
    ("Site", 110),
    ("Destination", 110),
    ("Data type", 150),
    ("Stored", 55),
    ("Skipped", 60),
    ("Expired", 60),
    ("Failed", 55),
    ("Errors", 260),
)


def parse_start(text: str) -> int:
    """A start date typed as ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` (local time) → UNIX time."""
    if not text.strip():
        raise ValidationError("start", "choose a start date, or choose session IDs")
    return validation.parse_local_time(text, "start")


def _listbox(form: Form, field: str, label: str, help_text: str, names: list[str]) -> tk.Listbox:
    frame, box = scrolled(form, tk.Listbox, selectmode=tk.EXTENDED, height=4, exportselection=False)
    for name in names:
        box.insert(tk.END, name)
    form.custom(field, label, help_text, frame, box)
    tooltip(box, help_text)
    return box


def _chosen(box: tk.Listbox) -> list[str]:
    return [box.get(index) for index in box.curselection()]


def _refill(box: tk.Listbox, names: list[str]) -> None:
    """New items in a list box, keeping the chosen ones that are still there."""
    chosen = set(_chosen(box))
    box.delete(0, tk.END)
    for index, name in enumerate(names):
        box.insert(tk.END, name)
        if name in chosen:
            box.selection_set(index)


class ApiTesterDialog(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "API Tester", name=API_TESTER, state=controller.window_state)
        self.controller = controller
        self.settings = controller.settings
        site_names = [site.name for site in sites.list_sites()]
        self.notebook = ttk.Notebook(self.body)
        self.notebook.pack(fill=tk.X)
        self.live = Form(self.notebook, padding=PAD)
        self.notebook.add(self.live, text="Sites")
        self._build_live(site_names)
        self.xml = Form(self.notebook, padding=PAD)
        self.notebook.add(self.xml, text="XML Files")
        self._build_xml(site_names)
        self.common = Form(self.body)
        self.common.pack(fill=tk.X, pady=(PAD, 0))
        self.destinations = _listbox(
            self.common,
            "destination",
            "Destinations",
            "The destinations to test: select one or more.",
            [dest.name for dest in destinations.list_destinations()],
        )
        operations = ttk.Frame(self.common)
        self.operations: dict[DataType, tk.BooleanVar] = {}
        for index, data_type in enumerate(DataType):
            variable = tk.BooleanVar(self, value=data_type is DataType.SESSION_DATA)
            box = ttk.Checkbutton(operations, text=data_type.label, variable=variable)
            box.grid(row=index // 3, column=index % 3, sticky=tk.W, padx=(0, PAD))
            tooltip(box, f"Transfer {data_type.label.lower()}.")
            self.operations[data_type] = variable
        self.common.custom(
            "data types", "Operations", "The types of data to transfer.", operations, operations
        )
        self._build_results()
        self.settle()

    def settings_changed(self) -> None:
        """Sites or destinations saved meanwhile: the lists follow, the choices stay."""
        names = [site.name for site in sites.list_sites()]
        _refill(self.sites, names)
        _refill(self.destinations, [dest.name for dest in destinations.list_destinations()])
        self.xml.widgets["xml site"].configure(values=["", *names])

    # -- layout -----------------------------------------------------------------------------

    def _build_live(self, site_names: list[str]) -> None:
        self.sites = _listbox(
            self.live,
            "site",
            "Sites",
            "The configured sites to pull from: select one or more.",
            site_names,
        )
        self.by_session = tk.BooleanVar(self, value=False)
        choice = ttk.Frame(self.live)
        for text, value in (("Start date and duration", False), ("Session IDs", True)):
            ttk.Radiobutton(
                choice,
                text=text,
                variable=self.by_session,
                value=value,
                command=self._selection_changed,
            ).pack(side=tk.LEFT, padx=(0, PAD))
        self.live.custom(
            "selection",
            "Sessions",
            "Pull the sessions started in a window of time, or the sessions with the given IDs.",
            choice,
            choice,
        )
        self.start_date = DateField(self.live, datetime.now().date())
        self.live.custom(
            "start",
            "Start Date",
            "The first day of the sessions to pull (from 00:00, this computer's time).",
            self.start_date,
            self.start_date.spins[0],
        )
        self.live.entry(
            "duration", "Duration", "How long after the start date, e.g. 2h, 1d, 30d.", value="1d"
        )
        self.live.entry(
            "session",
            "Session IDs",
            "Session IDs (LSIDs) to pull, separated by spaces or "
            "commas, when Session IDs is chosen above.",
        )
        self._selection_changed()

    def _selection_changed(self) -> None:
        """Only the fields of the chosen way to pick sessions take input."""
        by_session = self.by_session.get()
        for spin in self.start_date.spins:
            spin.state(["disabled" if by_session else "!disabled"])
        self.live.widgets["duration"].state(["disabled" if by_session else "!disabled"])
        self.live.widgets["session"].state(["!disabled" if by_session else "disabled"])

    def _build_xml(self, site_names: list[str]) -> None:
        frame, self.files = scrolled(self.xml, tk.Listbox, selectmode=tk.EXTENDED, height=4)
        self.xml.custom(
            "xml",
            "XML Files",
            "Saved XML reports (session or presentation data) to parse.",
            frame,
            self.files,
        )
        row = ttk.Frame(self.xml)
        self.xml.custom(
            "file",
            "Add File",
            "Type or paste the path of an XML file and click Add, or Browse.",
            row,
            row,
        )
        self.file_path = tk.StringVar(self)
        entry = ttk.Entry(row, textvariable=self.file_path, width=30)
        entry.pack(side=tk.LEFT, fill=tk.X, expand=True)
        tooltip(entry, "The path of a saved XML report.")
        for text, command in (
            ("Add", self.add_typed_file),
            ("Browse…", self.browse_files),
            ("Remove", self.remove_files),
        ):
            ttk.Button(row, text=text, command=command).pack(side=tk.LEFT, padx=(PAD // 2, 0))
        self.xml.combo(
            "xml site",
            "Site",
            "The configured site the files came from: needed for "
            "recordings and site backups, which are downloaded from it.",
            ["", *site_names],
            aliases=("site",),
        )
        self.xml.entry(
            "host",
            "Host Name",
            "The host name to store the data under, when no site is chosen "
            "(stored sessions are told apart by their site's host).",
        )

    def _build_results(self) -> None:
        row = ttk.Frame(self.body)
        row.pack(fill=tk.X, pady=(PAD, 0))
        self.download_button = ttk.Button(row, text="Download", command=self.download)
        self.download_button.pack(side=tk.LEFT)
        self.default_button = self.download_button
        tooltip(self.download_button, "Transfer now with the choices above.")
        self.progress = ttk.Progressbar(row, mode="determinate", length=160, value=0)
        self.progress.pack(side=tk.LEFT, padx=(PAD, 0))
        self.status = ttk.Label(row, text="", width=48)
        self.status.pack(side=tk.LEFT, padx=(PAD, 0), fill=tk.X, expand=True)
        close = ttk.Button(self.body, text="Close", command=self.close)
        close.pack(side=tk.BOTTOM, anchor=tk.E, pady=(PAD, 0))
        frame, self.results = scrolled(
            self.body,
            ttk.Treeview,
            columns=[c for c, _ in RESULT_COLUMNS],
            show="headings",
            height=6,
        )
        set_columns(self.results, RESULT_COLUMNS, first=None)
        frame.pack(fill=tk.BOTH, expand=True, pady=(PAD, 0))

    # -- files ------------------------------------------------------------------------------

    def add_files(self, paths: list[str]) -> None:
        known = set(self.files.get(0, tk.END))
        for path in paths:
            if path and path not in known:
                self.files.insert(tk.END, path)
                known.add(path)

    def add_typed_file(self) -> None:
        self.add_files([self.file_path.get().strip()])
        self.file_path.set("")

    def browse_files(self) -> None:
        chosen = filedialog.askopenfilenames(
            parent=self, title="XML files", filetypes=[("XML", "*.xml"), ("All files", "*")]
        )
        self.add_files(list(chosen))

    def remove_files(self) -> None:
        for index in reversed(self.files.curselection()):
            self.files.delete(index)

    # -- download ---------------------------------------------------------------------------

    def _live_tab(self) -> bool:
        return self.notebook.index(self.notebook.select()) == 0

    def _forms(self) -> list[Form]:
        """The forms, the open tab's first: errors go to the field the person sees."""
        tabs = [self.live, self.xml] if self._live_tab() else [self.xml, self.live]
        return [*tabs, self.common]

    def _job(self) -> tuple[str, dict[str, object]]:
        """What to run, checked on the Tk thread: ("live" | "xml", keyword arguments)."""
        common: dict[str, object] = {
            "destinations": _chosen(self.destinations),
            "data_types": [t for t, variable in self.operations.items() if variable.get()],
        }
        if self._live_tab():
            if self.by_session.get():
                lsids = tuple(self.live.get("session").replace(",", " ").split())
                if not lsids:
                    raise ValidationError("session", "enter one or more session IDs")
                selection = Selection(lsids=lsids)
            else:
                start = parse_start(self.start_date.value)
                minutes = validation.parse_duration(self.live.get("duration"), "duration")
                selection = Selection(start=start, duration=minutes * 60)
            return "live", {**common, "sites": _chosen(self.sites), "selection": selection}
        return "xml", {
            **common,
            "files": [Path(path) for path in self.files.get(0, tk.END)],
            "site": self.xml.get("xml site") or None,
            "host": self.xml.get("host").strip() or None,
        }

    def download(self) -> None:
        found: list[tuple[str, dict[str, object]]] = []
        if not attempt(self, self._forms(), lambda: found.append(self._job())):
            return
        kind, arguments = found[0]
        self.results.delete(*self.results.get_children())
        self.download_button.state(["disabled"])
        self.progress.configure(mode="indeterminate")
        self.progress.start(12)
        self.status.configure(text="Starting…", foreground="")
        ui = self.controller.ui

        def report(text: str) -> None:
            ui.post(self._report, text)

        run = run_live if kind == "live" else run_xml

        def work() -> list[TestLine]:
            return run(self.settings, report=report, **arguments)  # type: ignore[arg-type]

        run_in_background(ui, work, self._finished, "api tester")

    def _report(self, text: str) -> None:
        if self.winfo_exists():
            self.status.configure(text=text)

    def _finished(self, lines: list[TestLine] | None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.progress.stop()
        self.progress.configure(mode="determinate", value=0)
        self.download_button.state(["!disabled"])
        if error is not None:
            self.status.configure(text="not run", foreground=ERROR_COLOUR)
            if not (
                isinstance(error, ValidationError)
                and any(form.show_error(error) for form in self._forms())
            ):
                self.show_message(messages.describe(error), error=True)
            return
        for line in lines or []:
            self.results.insert(
                "",
                tk.END,
                values=(
                    line.site,
                    line.destination,
                    line.data_type.label,
                    line.stored,
                    line.skipped,
                    line.expired,
                    line.failed,
                    "; ".join(messages.scrub(error) for error in line.errors),
                ),
            )
        failed = [line for line in lines or [] if not line.ok]
        stored = sum(line.stored for line in lines or [])
        if failed:
            self.status.configure(
                text=f"finished with errors: {stored} stored", foreground=ERROR_COLOUR
            )
        else:
            self.status.configure(text=f"finished: {stored} stored", foreground=OK_COLOUR)
