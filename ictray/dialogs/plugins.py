"""Plugin Configuration: destinations, each an instance of a plugin with the plugin's own fields.

Choose the plugin type at the top and click *Add*; the fields come from the plugin's
``OptionSpec`` list (label, tooltip, default, choices, secret), so a plugin installed with pip
gets its form for free: an option whose only values are true and false is a check box, a
choice a drop-down list. A folder gets *Browse…*; the SQL connection string gets *…* (a
helper dialog) and its password a field of its own, hidden while typed. *Test* checks what
the form holds, saved or not, with the checks *Save* makes. Secrets are not shown again: an
empty password field keeps what is stored.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import filedialog, ttk

from ictray.destinations.base import Destination as Plugin
from ictray.destinations.base import OptionSpec, load_plugin, plugins
from ictray.dialogs import messages
from ictray.dialogs.connstr import ConnectionStringHelper
from ictray.dialogs.context import PLUGINS, Controller
from ictray.dialogs.editor import EditorWindow
from ictray.dialogs.form import Form
from ictray.dialogs.widgets import ERROR_COLOUR, OK_COLOUR, PAD, reserved_label, tooltip
from ictray.dialogs.worker import run_in_background
from ictray.errors import ValidationError
from ictray.operations import destination_test
from ictray.settings import destinations
from ictray.settings.destinations import get_destination, secret_label

NAME_TOOLTIP = (
    "Destination Name: the name to give this plugin instance, used for display and logging "
    "and to choose it in schedules."
)
SECRET_KEPT = "stored: leave empty to keep it"
PASSWORD = "password"
TRUE, FALSE = "true", "false"

#: options that open a helper dialog: (plugin name, option key) → the helper's class
HELPERS = {("sql", "connection_string"): ConnectionStringHelper}
#: options naming a folder: a *Browse…* button picks it
FOLDERS = {("filesystem", "directory")}
#: options that may hold a password inside (a connection string): it gets its own field
EMBEDDED_SECRETS = {("sql", "connection_string")}


def is_flag(spec: OptionSpec) -> bool:
    """True for an option whose only values are true and false (shown as a check box)."""
    if spec.validate is None or spec.choices or spec.secret:
        return False
    try:
        accepted = (spec.validate(TRUE), spec.validate(FALSE))
    except ValueError:
        return False
    try:
        spec.validate("perhaps")
    except ValueError:
        return accepted == (TRUE, FALSE)
    return False


class PluginDialog(EditorWindow):
    item = "destination"
    columns = (("Destination", 140), ("Plugin", 110))

    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, controller, "Plugin Configuration", PLUGINS)
        self.labels = {info.name: info.plugin.label for info in plugins() if info.plugin}
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
        self.test_result = reserved_label(self.detail, 3, side=tk.BOTTOM, pady=(PAD, 0))
        self.form = Form(self.detail)
        self.plugin: type[Plugin] | None = None
        self.shown: dict[str, str] = {}
        self.helper: ConnectionStringHelper | None = None
        self.refresh_list()
        for name in self.labels:  # the longest form sets the window's size
            self.build(name, {}, {})
            self.measure()
        self.choose(None)
        self.settle()

    def forms(self) -> Sequence[Form]:
        return [self.form]

    def extra_buttons(self) -> list[tuple[str, Callable[[], object]]]:
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
        """*Add*: a new destination of the chosen plugin type (asking first about edits)."""

        def start() -> None:
            self.choose(None)
            self.build(self.chosen_plugin(), {}, {})
            self.loaded()
            self.form.widgets["name"].focus_set()

        self.confirm_leave(start, lambda: None)

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
        for button in ("Save", "Test"):
            self.buttons[button].state(["!disabled" if plugin else "disabled"])
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
            kept = [secret_label(k) for k in secret_keys if k.partition("?")[0] == spec.key]
            self._field(plugin or "", spec, value, kept)

    def _field(self, plugin: str, spec: OptionSpec, value: str, kept: list[str]) -> None:
        """One option's control; ``kept`` names its secrets already in the credential store."""
        if is_flag(spec):
            checked = (value or spec.default or FALSE) == TRUE
            self.form.check(spec.key, spec.label, spec.tooltip, value=checked, text="Yes")
            return
        if spec.choices:
            self.form.combo(spec.key, spec.label, spec.tooltip, spec.choices, value=value)
            return
        button: tuple[str, Callable[[], None]] | None = None
        if (plugin, spec.key) in HELPERS:
            button = ("…", lambda key=spec.key: self.open_helper(key))
        elif (plugin, spec.key) in FOLDERS:
            button = ("Browse…", lambda key=spec.key: self.browse_folder(key))
        entry = self.form.entry(
            spec.key, spec.label, spec.tooltip, value=value, secret=spec.secret, button=button
        )
        if (plugin, spec.key) in EMBEDDED_SECRETS:
            self.form.entry(
                PASSWORD,
                "Password",
                "The database login's password, hidden while typed and kept in the credential "
                "store, never in the settings file. Leave empty when the login needs none.",
                secret=True,
            )
            entry.bind("<FocusOut>", lambda _event: self._move_password(spec.key))
        if kept:
            self.form.hint(SECRET_KEPT if spec.secret else f"{', '.join(kept)} {SECRET_KEPT}")

    def _move_password(self, key: str) -> None:
        """A password typed into the connection string moves to the hidden Password field."""
        if self.plugin is None:
            return
        with contextlib.suppress(ValidationError):
            public, secrets = self.plugin.split_secrets({key: self.form.get(key)})
            if secrets.get(key):
                self.form.set(key, public[key])
                self.form.set(PASSWORD, secrets[key])

    def open_helper(self, key: str) -> None:
        def composed(text: str | None) -> None:
            self.helper = None
            if text is not None:
                self.form.set(key, text)
                self._move_password(key)

        current = self._option_values().get(key, "")
        self.helper = HELPERS[(self.plugin.plugin_name if self.plugin else "", key)](
            self, current, composed
        )

    def browse_folder(self, key: str) -> None:
        chosen = filedialog.askdirectory(
            parent=self, title=self.form.labels[key].cget("text"), mustexist=False
        )
        if chosen:
            self.form.set(key, chosen)

    def _option_values(self) -> dict[str, str]:
        """The plugin's options as the form holds them (the password joined back in)."""
        assert self.plugin is not None
        values: dict[str, str] = {}
        for spec in self.plugin.options:
            if is_flag(spec):
                values[spec.key] = TRUE if self.form.flag(spec.key) else FALSE
            else:
                values[spec.key] = self.form.get(spec.key)
        if PASSWORD in self.form.vars:
            key = next(k for p, k in EMBEDDED_SECRETS if p == self.plugin.plugin_name)
            password = self.form.get(PASSWORD)
            if password and values.get(key):
                values[key] = self.plugin.join_secrets({key: values[key]}, {key: password})[key]
        return values

    def _changed(self) -> dict[str, str]:
        """What differs from what was loaded (an edit sends only that)."""
        values = self._option_values()
        if self.current is None:
            return values
        password_typed = PASSWORD in self.form.vars and bool(self.form.get(PASSWORD))
        return {
            key: text
            for key, text in values.items()
            if text != self.shown[key] or (password_typed and key != "name")
        }

    def store(self) -> str:
        if self.plugin is None:
            raise ValidationError("plugin", "choose a plugin type and click Add first")
        name = self.form.get("name")
        if self.current is None:
            dest = destinations.add_destination(
                self.settings, name=name, plugin=self.plugin.plugin_name, options=self._changed()
            )
        else:
            dest = destinations.edit_destination(
                self.settings,
                self.current,
                new_name=name,
                options=self._changed(),
                keep_secrets=True,
            )
        self.current = dest.name
        self.load(dest.name)
        return str(dest.name)

    def saved_cautions(self) -> list[str]:
        if self.current is None:
            return []
        return destinations.destination_cautions(destinations.get_destination(self.current))

    def check_removable(self, name: str) -> None:
        destinations.check_destination_unused(name)

    def remove(self, name: str) -> None:
        destinations.remove_destination(self.settings, name)

    # -- test -------------------------------------------------------------------------------

    def test(self) -> None:
        """*Test*: check what the form holds (saved or not) is usable: writable, reachable."""
        if self.plugin is None:
            self.show_message("Choose a plugin type and click Add first.", error=True)
            return
        self.form.clear_errors()
        self.show_message("")
        plugin, current = self.plugin.plugin_name, self.current
        name, options = self.form.get("name"), self._changed()
        self.buttons["Test"].state(["disabled"])
        self.test_result.configure(
            text=f"testing {name.strip() or 'the destination'}…", foreground=""
        )

        def work() -> str:
            return destination_test.run_test(
                self.settings, name=name, plugin=plugin, options=options, current=current
            )

        run_in_background(self.controller.ui, work, self._tested, "destination test")

    def _tested(self, answer: str | None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.buttons["Test"].state(["!disabled"])
        if error is None:
            self.test_result.configure(text=answer or "", foreground=OK_COLOUR)
        elif isinstance(error, ValidationError) and self.form.show_error(error):
            self.test_result.configure(text="")
        else:
            self.test_result.configure(text=messages.describe(error), foreground=ERROR_COLOUR)
