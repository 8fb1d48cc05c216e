"""Plugin Configuration: destinations, each an instance of a plugin with the plugin's own fields.

Choose the plugin type at the top and click *Add*; the fields come from the plugin's
``OptionSpec`` list (label, tooltip, default, choices, secret), so a plugin installed with pip
gets its form for free. Options with a helper dialog (the SQL connection string) get a *…*
button. Secrets are not shown again: an untouched field keeps what is stored.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk

from ictray.destinations.base import Destination as Plugin
from ictray.destinations.base import load_plugin, plugin_names
from ictray.dialogs.connstr import ConnectionStringHelper
from ictray.dialogs.context import Controller
from ictray.dialogs.editor import EditorWindow
from ictray.dialogs.form import Form
from ictray.dialogs.widgets import ERROR_COLOUR, OK_COLOUR, PAD, tooltip
from ictray.dialogs.worker import run_in_background
from ictray.errors import IctrayError, ValidationError
from ictray.settings import destinations
from ictray.settings.destinations import get_destination, secret_label

NAME_TOOLTIP = (
    "Destination Name: the name to give this plugin instance, used for display and logging "
    "and to choose it in schedules."
)
SECRET_KEPT = "stored: leave empty to keep it"

#: options that open a helper dialog: (plugin name, option key) → the helper's class
HELPERS = {("sql", "connection_string"): ConnectionStringHelper}


class PluginDialog(EditorWindow):
    item = "destination"
    columns = (("Destination", 140), ("Plugin", 110))

    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, controller, "Plugin Configuration")
        self.labels = {name: load_plugin(name).label for name in plugin_names()}
        top = ttk.Frame(self.detail)
        top.pack(fill=tk.X, pady=(0, PAD))
        ttk.Label(top, text="Plugin type").pack(side=tk.LEFT, padx=(0, PAD))
        self.plugin_choice = ttk.Combobox(
            top, values=list(self.labels.values()), state="readonly", width=24
        )
        self.plugin_choice.pack(side=tk.LEFT)
        self.plugin_choice.current(0)
        self.add_button = ttk.Button(top, text="Add", command=self.add)
        self.add_button.pack(side=tk.LEFT, padx=(PAD // 2, 0))
        tooltip(self.plugin_choice, "The kind of destination to add: where the data goes.")
        tooltip(self.add_button, "Add a destination of the chosen plugin type.")
        self.heading = ttk.Label(self.detail, text="", font="TkHeadingFont")
        self.heading.pack(fill=tk.X)
        self.test_result = ttk.Label(self.detail, text="", wraplength=460, justify=tk.LEFT)
        self.test_result.pack(side=tk.BOTTOM, fill=tk.X, pady=(PAD, 0))
        self.form = Form(self.detail)
        self.plugin: type[Plugin] | None = None
        self.shown: dict[str, str] = {}
        self.helper: ConnectionStringHelper | None = None
        self.refresh_list()
        self.choose(None)

    def forms(self) -> Sequence[Form]:
        return [self.form]

    def extra_buttons(self) -> list[tuple[str, Callable[[], None]]]:
        return [("Test", self.test)]

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (dest.name, (self.labels.get(dest.plugin, dest.plugin),))
            for dest in destinations.list_destinations()
        ]

    # -- form -------------------------------------------------------------------------------

    def chosen_plugin(self) -> str:
        label = self.plugin_choice.get()
        return next(name for name, text in self.labels.items() if text == label)

    def add(self) -> None:
        """*Add*: a new destination of the chosen plugin type."""
        self.choose(None)
        self.build(self.chosen_plugin(), {}, {})
        self.form.widgets["name"].focus_set()

    def load(self, name: str | None) -> None:
        self.test_result.configure(text="")
        if name is None:
            self.build(None, {}, {})
            return
        dest = get_destination(name)
        self.build(dest.plugin, dest.options, {"name": dest.name}, secret_keys=dest.secret_keys)

    def build(
        self,
        plugin: str | None,
        options: dict[str, str],
        fixed: dict[str, str],
        *,
        secret_keys: Sequence[str] = (),
    ) -> None:
        """Lay out the fields of ``plugin`` with these values (None: nothing chosen yet)."""
        self.form.destroy()
        self.form = Form(self.detail)
        self.plugin = load_plugin(plugin) if plugin else None
        self.buttons["Save"].state(["!disabled" if plugin else "disabled"])
        if self.plugin is None:
            self.heading.configure(
                text="Choose a plugin type and click Add, or pick a destination."
            )
            return
        self.heading.configure(text=f"{self.plugin.label} plugin")
        self.form.pack(fill=tk.X, pady=(PAD // 2, 0))
        self.form.entry("name", "Destination Name", NAME_TOOLTIP, value=fixed.get("name", ""))
        self.shown = {"name": fixed.get("name", "")}
        editing = self.current is not None
        for spec in self.plugin.options:
            value = options.get(spec.key, "" if editing else spec.default)
            self.shown[spec.key] = value
            helper = HELPERS.get((plugin or "", spec.key))
            button = ("…", lambda key=spec.key: self.open_helper(key)) if helper else None
            if spec.choices:
                self.form.combo(spec.key, spec.label, spec.tooltip, spec.choices, value=value)
            else:
                self.form.entry(
                    spec.key,
                    spec.label,
                    spec.tooltip,
                    value=value,
                    secret=spec.secret,
                    button=button,
                )
            kept = [secret_label(k) for k in secret_keys if k.partition("?")[0] == spec.key]
            if kept:
                self.form.hint(SECRET_KEPT if spec.secret else f"{', '.join(kept)} {SECRET_KEPT}")

    def open_helper(self, key: str) -> None:
        def composed(text: str | None) -> None:
            self.helper = None
            if text is not None:
                self.form.set(key, text)

        self.helper = HELPERS[(self.plugin.plugin_name if self.plugin else "", key)](
            self, self.form.get(key), composed
        )

    def store(self) -> str:
        if self.plugin is None:
            raise ValidationError("plugin", "choose a plugin type and click Add first")
        values = self.form.values()
        name = values.pop("name")
        if self.current is None:
            dest = destinations.add_destination(
                self.settings, name=name, plugin=self.plugin.plugin_name, options=values
            )
        else:
            changed = {key: text for key, text in values.items() if text != self.shown[key]}
            dest = destinations.edit_destination(
                self.settings, self.current, new_name=name, options=changed
            )
        self.current = dest.name
        self.load(dest.name)
        return str(dest.name)

    def remove(self, name: str) -> None:
        destinations.remove_destination(self.settings, name)

    # -- test -------------------------------------------------------------------------------

    def test(self) -> None:
        """*Test*: check the saved destination is usable (writable, reachable, with rights)."""
        name = self.current
        if name is None:
            self.show_message("save the destination first, then test it", error=True)
            return
        self.buttons["Test"].state(["disabled"])
        self.test_result.configure(text=f"testing {name}…", foreground="")

        def work() -> str:
            plugin = destinations.open_destination(self.settings, get_destination(name))
            return f"destination {name!r}: {plugin.test()}"

        run_in_background(self.controller.ui, work, self._tested, "destination test")

    def _tested(self, answer: str | None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.buttons["Test"].state(["!disabled"])
        if error is None:
            self.test_result.configure(text=answer or "", foreground=OK_COLOUR)
        else:
            text = (
                str(error) if isinstance(error, IctrayError) else f"{type(error).__name__}: {error}"
            )
            self.test_result.configure(text=text, foreground=ERROR_COLOUR)
