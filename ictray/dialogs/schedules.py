"""Schedule Configuration: when to copy, and the transfer rows (site → destination, data types).

As in the guide: a Schedule Name, *Choose Site* and *Destination* then *Add* for each transfer
row, a check box per data type on each row, *Run Every* (a number and a unit, 1 minute to 7
days) and, for whole days, the time of day (hour and minute pickers). Data types the
destination cannot store are greyed out, with the plugin's reason as their tooltip; the
settings functions check everything again on *Save*. The list shows each schedule's last run
with its outcome's colour and icon.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk

from ictray.datatypes import DataType
from ictray.destinations.base import load_plugin
from ictray.dialogs import outcomes
from ictray.dialogs.context import SCHEDULES, Controller, local_time
from ictray.dialogs.editor import EditorWindow
from ictray.dialogs.form import Form
from ictray.dialogs.widgets import PAD, ScrollFrame, tooltip
from ictray.errors import ValidationError
from ictray.operations import status as run_status
from ictray.settings import destinations, schedules, sites, validation
from ictray.settings.models import Transfer
from ictray.settings.schedules import TransferSpec

TYPE_COLUMNS = 3
UNITS = (("minutes", 1), ("hours", 60), ("days", validation.MINUTES_PER_DAY))
UNIT_LIMITS = {"minutes": 60 * 24 * 7, "hours": 24 * 7, "days": 7}
ROWS_SHOWN = 2  # transfer rows visible before the list scrolls


def split_period(minutes: int) -> tuple[int, str]:
    """Minutes as the largest whole unit: (2, "hours") for 120."""
    for unit, size in reversed(UNITS):
        if minutes % size == 0:
            return minutes // size, unit
    return minutes, "minutes"


def period_text(count: str, unit: str) -> str:
    """What *Run Every* holds, as the settings functions read a period ("15m", "2h", "1d")."""
    return f"{count.strip()}{unit[:1]}" if count.strip().isdigit() else count.strip()


class TransferRow(ttk.Frame):
    """One transfer: the site, the destination, a check box per data type, *Remove*."""

    def __init__(
        self,
        master: tk.Misc,
        site: str,
        destination: str,
        chosen: Sequence[DataType],
        on_remove: Callable[[TransferRow], None],
        *,
        accepts: frozenset[DataType] | None = None,
    ) -> None:
        super().__init__(master, padding=(0, PAD // 2))
        self.site, self.destination = site, destination
        plugin = (
            load_plugin(destinations.get_destination(destination).plugin) if not accepts else None
        )
        head = ttk.Frame(self)
        head.grid(row=0, column=0, columnspan=TYPE_COLUMNS, sticky=tk.EW)
        ttk.Label(head, text=f"{site} → {destination}", font="TkHeadingFont").pack(side=tk.LEFT)
        self.remove_button = ttk.Button(head, text="Remove", command=lambda: on_remove(self))
        self.remove_button.pack(side=tk.RIGHT)
        tooltip(self.remove_button, "Remove this transfer from the schedule.")
        self.types: dict[DataType, tk.BooleanVar] = {}
        self.boxes: dict[DataType, ttk.Checkbutton] = {}
        for index, data_type in enumerate(DataType):
            variable = tk.BooleanVar(self, value=data_type in chosen)
            box = ttk.Checkbutton(self, text=data_type.label, variable=variable)
            box.grid(
                row=1 + index // TYPE_COLUMNS,
                column=index % TYPE_COLUMNS,
                sticky=tk.W,
                padx=(0, PAD),
            )
            if plugin is None or data_type in plugin.accepts:
                tooltip(box, f"Copy {data_type.label.lower()} to {destination}.")
            else:
                box.state(["disabled"])
                reason = plugin.refusals.get(data_type, f"{plugin.label} cannot store this.")
                tooltip(box, reason)
            self.types[data_type], self.boxes[data_type] = variable, box

    def spec(self) -> TransferSpec:
        chosen = tuple(t for t, variable in self.types.items() if variable.get())
        return TransferSpec(self.site, self.destination, chosen)


class ScheduleDialog(EditorWindow):
    item = "schedule"
    columns = (("Schedule Name", 140), ("Transfers", 70), ("Period", 60), ("Last Run", 220))

    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, controller, "Schedule Configuration", SCHEDULES)
        outcomes.tag_rows(self.tree)
        self.form = Form(self.detail)
        self.form.pack(fill=tk.X)
        self.form.entry("name", "Schedule Name", "A descriptive name for this schedule.")
        section = ttk.LabelFrame(self.detail, text="Transfers", padding=PAD)
        section.pack(fill=tk.BOTH, expand=True, pady=(PAD, 0))
        self.transfer_form = Form(section)
        self.transfer_form.pack(fill=tk.X)
        self.transfer_form.combo("site", "Choose Site", "A configured site to pull data from.", [])
        self.transfer_form.combo(
            "destination",
            "Destination",
            "A configured plugin instance (destination) to store the data in.",
            [],
        )
        self.add_button = ttk.Button(section, text="Add", command=self.add_transfer)
        self.add_button.pack(anchor=tk.E, pady=(PAD // 2, 0))
        tooltip(
            self.add_button,
            "Add a transfer row for this site and destination. Transfers of one schedule run "
            "at the same time.",
        )
        self.transfer_form.area("transfer", aliases=("data types",))
        probe = TransferRow(section, "", "", [], lambda row: None, accepts=frozenset(DataType))
        probe.update_idletasks()
        row_width, row_height = probe.winfo_reqwidth(), probe.winfo_reqheight()
        probe.destroy()
        self.rows_area = ScrollFrame(section, height=ROWS_SHOWN * row_height)
        self.rows_area.canvas.configure(width=row_width)
        self.rows_area.pack(fill=tk.BOTH, expand=True)
        self.rows_frame = self.rows_area.inner
        self.empty_note = ttk.Label(self.rows_frame, text="No transfers yet.", foreground="#555555")
        self.transfer_rows: list[TransferRow] = []
        self._loaded_specs: list[TransferSpec] = []
        self.when = Form(self.detail)
        self.when.pack(fill=tk.X, pady=(PAD, 0))
        self._build_when()
        self.refresh_list()
        self.choose(None)
        self.settle()

    def _build_when(self) -> None:
        """*Run Every* as a number and a unit; the time of day as hour and minute pickers."""
        every = ttk.Frame(self.when)
        self.every_count = tk.StringVar(self, value="1")
        self.every_unit = tk.StringVar(self, value="days")
        count = ttk.Spinbox(
            every, from_=1, to=UNIT_LIMITS["days"], textvariable=self.every_count, width=5
        )
        count.pack(side=tk.LEFT)
        unit = ttk.Combobox(
            every,
            values=[name for name, _ in UNITS],
            textvariable=self.every_unit,
            state="readonly",
            width=9,
        )
        unit.pack(side=tk.LEFT, padx=(PAD // 2, 0))
        unit.bind("<<ComboboxSelected>>", lambda event: self._unit_changed())
        self.every_spin, self.every_unit_box = count, unit
        self.when.custom(
            "every",
            "Run Every",
            "How often these transfers run: from 1 minute to 7 days.",
            every,
            count,
        )
        self.when.track("every count", self.every_count)
        self.when.track("every unit", self.every_unit)
        at = ttk.Frame(self.when)
        self.at_enabled = tk.BooleanVar(self, value=False)
        self.at_hour = tk.StringVar(self, value="02")
        self.at_minute = tk.StringVar(self, value="00")
        self.at_check = ttk.Checkbutton(
            at, text="at", variable=self.at_enabled, command=self._unit_changed
        )
        self.at_check.pack(side=tk.LEFT)
        self.hour_spin = ttk.Spinbox(
            at, from_=0, to=23, wrap=True, format="%02.0f", textvariable=self.at_hour, width=3
        )
        self.hour_spin.pack(side=tk.LEFT, padx=(PAD // 2, 0))
        ttk.Label(at, text=":").pack(side=tk.LEFT)
        self.minute_spin = ttk.Spinbox(
            at, from_=0, to=59, wrap=True, format="%02.0f", textvariable=self.at_minute, width=3
        )
        self.minute_spin.pack(side=tk.LEFT)
        self.at_note = ttk.Label(at, text="", foreground="#555555")
        self.at_note.pack(side=tk.LEFT, padx=(PAD, 0))
        self.when.custom(
            "at",
            "Time of Day",
            "For periods of whole days: the local time to run at, when more resources and "
            "bandwidth are free. Without it, a schedule runs a period after its last run.",
            at,
            self.hour_spin,
        )
        for name, variable in (
            ("at on", self.at_enabled),
            ("at hour", self.at_hour),
            ("at minute", self.at_minute),
        ):
            self.when.track(name, variable)
        self.when.check(
            "enabled",
            "Enabled",
            "Only enabled schedules run.",
            value=True,
            text="Run this schedule",
        )

    def _unit_changed(self) -> None:
        """The time of day applies to whole days only: the pickers follow the unit."""
        days = self.every_unit.get() == "days"
        self.every_spin.configure(to=UNIT_LIMITS.get(self.every_unit.get(), 7))
        self.at_check.state(["!disabled" if days else "disabled"])
        active = days and self.at_enabled.get()
        for spin in (self.hour_spin, self.minute_spin):
            spin.state(["!disabled" if active else "disabled"])
        self.at_note.configure(text="" if days else "(whole days only)")

    def every_text(self) -> str:
        return period_text(self.every_count.get(), self.every_unit.get())

    def at_text(self) -> str | None:
        if not (self.at_enabled.get() and self.every_unit.get() == "days"):
            return None
        return f"{self.at_hour.get().strip()}:{self.at_minute.get().strip()}"

    def forms(self) -> Sequence[Form]:
        return [self.form, self.transfer_form, self.when]

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        last = run_status.last_runs()
        rows: list[tuple[str, tuple[str, ...]]] = []
        for schedule in schedules.list_schedules():
            run = last.get(schedule.name)
            when = local_time(schedule.last_run)
            if run is not None:
                when = f"{when} {outcomes.label(run.outcome).lower()}"
            rows.append(
                (
                    schedule.name,
                    (
                        str(schedule.transfers.count()),
                        validation.format_period(schedule.every_minutes),
                        when,
                    ),
                )
            )
        return rows

    def refresh_list(self, select: str | None = None) -> None:
        super().refresh_list(select)
        for name, run in run_status.last_runs().items():
            if self.tree.exists(name):
                self.tree.item(name, image=outcomes.icon(self, run.outcome), tags=(run.outcome,))

    def refresh_choices(self) -> None:
        self.transfer_form.widgets["site"].configure(values=[s.name for s in sites.list_sites()])
        self.transfer_form.widgets["destination"].configure(
            values=[d.name for d in destinations.list_destinations()]
        )

    def extra_dirty(self) -> bool:
        return [row.spec() for row in self.transfer_rows] != self._loaded_specs

    def loaded(self) -> None:
        super().loaded()
        self._loaded_specs = [row.spec() for row in self.transfer_rows]

    # -- form -------------------------------------------------------------------------------

    def load(self, name: str | None) -> None:
        schedule = schedules.get_schedule(name) if name is not None else None
        self.refresh_choices()
        self.form.set("name", schedule.name if schedule else "")
        count, unit = split_period(schedule.every_minutes) if schedule else (1, "days")
        self.every_count.set(str(count))
        self.every_unit.set(unit)
        at_time = schedule.at_time if schedule else None
        self.at_enabled.set(at_time is not None)
        hour, minute = (at_time or "02:00").split(":")
        self.at_hour.set(hour)
        self.at_minute.set(minute)
        self._unit_changed()
        self.when.set("enabled", schedule.enabled if schedule else True)
        for row in self.transfer_rows:
            row.destroy()
        self.transfer_rows = []
        if schedule is not None:
            for transfer in schedule.transfers.order_by(Transfer.id):
                self._add_row(transfer.site.name, transfer.destination.name, transfer.data_types)
        self._show_empty()
        self.form.widgets["name"].focus_set()

    def _add_row(self, site: str, destination: str, chosen: Sequence[DataType]) -> None:
        row = TransferRow(self.rows_frame, site, destination, chosen, self.remove_transfer)
        row.pack(fill=tk.X)
        self.transfer_rows.append(row)

    def _show_empty(self) -> None:
        if self.transfer_rows:
            self.empty_note.pack_forget()
        else:
            self.empty_note.pack(anchor=tk.W)

    def add_transfer(self) -> None:
        """*Add*: a transfer row for the chosen site and destination."""
        self.transfer_form.clear_errors()
        site = self.transfer_form.get("site")
        destination = self.transfer_form.get("destination")
        if not site or not destination:
            self.transfer_form.show_error(
                ValidationError("transfer", "choose a site and a destination, then click Add")
            )
            return
        accepts = load_plugin(destinations.get_destination(destination).plugin).accepts
        first = next(t for t in DataType if t in accepts)
        self._add_row(site, destination, [first])
        self._show_empty()

    def remove_transfer(self, row: TransferRow) -> None:
        self.transfer_rows.remove(row)
        row.destroy()
        self._show_empty()

    def store(self) -> str:
        specs = [row.spec() for row in self.transfer_rows]
        at = self.at_text()
        if self.current is None:
            schedule = schedules.add_schedule(
                self.settings,
                name=self.form.get("name"),
                every=self.every_text(),
                at=at,
                transfers=specs,
                enabled=self.when.flag("enabled"),
            )
        else:
            schedule = schedules.edit_schedule(
                self.settings,
                self.current,
                new_name=self.form.get("name"),
                every=self.every_text(),
                at=at,
                transfers=specs,
                enabled=self.when.flag("enabled"),
            )
        return str(schedule.name)

    def remove(self, name: str) -> None:
        schedules.remove_schedule(self.settings, name)
