"""Schedule Configuration: when to copy, and the transfer rows (site → destination, data types).

As in the guide: a Schedule Name, *Choose Site* and *Destination* then *Add* for each transfer
row, a check box per data type on each row, *Run Every* (1 minute to 7 days) and, for whole
days, the time of day. Data types the destination cannot store are greyed out, with the
plugin's reason as their tooltip; the settings functions check everything again on *Save*.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk

from ictray.datatypes import DataType
from ictray.destinations.base import load_plugin
from ictray.dialogs.context import Controller, local_time
from ictray.dialogs.editor import EditorWindow
from ictray.dialogs.form import Form
from ictray.dialogs.widgets import PAD, tooltip
from ictray.errors import ValidationError
from ictray.settings import destinations, schedules, sites, validation
from ictray.settings.models import Transfer
from ictray.settings.schedules import TransferSpec

TYPE_COLUMNS = 3


class TransferRow(ttk.Frame):
    """One transfer: the site, the destination, a check box per data type, *Remove*."""

    def __init__(
        self,
        master: tk.Misc,
        site: str,
        destination: str,
        chosen: Sequence[DataType],
        on_remove: Callable[[TransferRow], None],
    ) -> None:
        super().__init__(master, padding=(0, PAD // 2))
        self.site, self.destination = site, destination
        plugin = load_plugin(destinations.get_destination(destination).plugin)
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
            if data_type in plugin.accepts:
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
    columns = (("Schedule Name", 130), ("Transfers", 70), ("Period", 60), ("Last Run", 145))

    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, controller, "Schedule Configuration")
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
        self.rows_frame = ttk.Frame(section)
        self.rows_frame.pack(fill=tk.BOTH, expand=True)
        self.empty_note = ttk.Label(self.rows_frame, text="No transfers yet.", foreground="#555555")
        self.transfer_form.area("transfer", aliases=("data types",))
        self.transfer_rows: list[TransferRow] = []
        self.when = Form(self.detail)
        self.when.pack(fill=tk.X, pady=(PAD, 0))
        self.when.entry(
            "every",
            "Run Every",
            "How often these transfers run: from 1 minute to 7 days, e.g. 15m, 2h, 1d, 7d.",
            value="1d",
        )
        self.when.hint("from 1m to 7d, e.g. 15m, 2h, 1d")
        self.when.entry(
            "at",
            "At (time of day)",
            "For periods of whole days: the local time to run at, HH:MM (e.g. 02:30), when "
            "more resources and bandwidth are free. Leave empty to run a period after the "
            "last run.",
        )
        self.when.check(
            "enabled",
            "Enabled",
            "Only enabled schedules run.",
            value=True,
            text="Run this schedule",
        )
        self.refresh_list()
        self.choose(None)

    def forms(self) -> Sequence[Form]:
        return [self.form, self.transfer_form, self.when]

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (
                schedule.name,
                (
                    str(schedule.transfers.count()),
                    validation.format_period(schedule.every_minutes),
                    local_time(schedule.last_run),
                ),
            )
            for schedule in schedules.list_schedules()
        ]

    # -- form -------------------------------------------------------------------------------

    def load(self, name: str | None) -> None:
        schedule = schedules.get_schedule(name) if name is not None else None
        self.transfer_form.widgets["site"].configure(values=[s.name for s in sites.list_sites()])
        self.transfer_form.widgets["destination"].configure(
            values=[d.name for d in destinations.list_destinations()]
        )
        self.form.set("name", schedule.name if schedule else "")
        every = validation.format_period(schedule.every_minutes) if schedule else "1d"
        self.when.set("every", every)
        self.when.set("at", schedule.at_time if schedule else "")
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
        at = self.when.get("at").strip() or None
        if self.current is None:
            schedule = schedules.add_schedule(
                self.settings,
                name=self.form.get("name"),
                every=self.when.get("every"),
                at=at,
                transfers=specs,
                enabled=self.when.flag("enabled"),
            )
        else:
            schedule = schedules.edit_schedule(
                self.settings,
                self.current,
                new_name=self.form.get("name"),
                every=self.when.get("every"),
                at=at,
                transfers=specs,
                enabled=self.when.flag("enabled"),
            )
        return str(schedule.name)

    def remove(self, name: str) -> None:
        schedules.remove_schedule(self.settings, name)
