"""Labelled fields with tooltips that point out the field a ``ValidationError`` names.

Every settings function raises ``ValidationError(field, message)``; a form registers each
widget under the field names the settings functions use ("host", "client id", "every"...).
The field named is marked (its label red, the field tinted, the keyboard focus on it) and the
message, in the dialog's own words (``messages``), goes to the window's message line: nothing
moves. A form also remembers the values it was loaded with, so a dialog knows when it holds
edits that were not saved (``dirty``).
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import Any

from ictray.dialogs import messages
from ictray.dialogs.widgets import ERROR_COLOUR, PAD, Window, tooltip
from ictray.errors import ValidationError

HINT_COLOUR = "#555555"
FIELD_WIDTH = 44


class Form(ttk.Frame):
    """A grid of label, widget (and an optional button), with an error line under each field."""

    def __init__(self, master: tk.Misc, **options: Any) -> None:
        super().__init__(master, **options)
        self.columnconfigure(1, weight=1)
        self.vars: dict[str, tk.Variable] = {}
        self.widgets: dict[str, Any] = {}  # entries, combo boxes, check boxes, lists
        self.labels: dict[str, ttk.Label] = {}
        self.errors: dict[str, str] = {}  # the message shown for each field in error
        self.buttons: dict[str, ttk.Button] = {}  # the button beside a field (Browse…, …)
        self._aliases: dict[str, str] = {}
        self._row_widgets: dict[str, list[tk.Widget]] = {}
        self._row = 0
        self._loaded: dict[str, object] = {}

    # -- building ---------------------------------------------------------------------------

    def _place(
        self,
        field: str,
        label: str,
        help_text: str,
        widget: tk.Widget,
        variable: tk.Variable | None,
        aliases: Sequence[str] = (),
        button: ttk.Button | None = None,
    ) -> None:
        caption = ttk.Label(self, text=label)
        caption.grid(row=self._row, column=0, sticky=tk.W, padx=(0, PAD), pady=(PAD // 2, 0))
        widget.grid(row=self._row, column=1, sticky=tk.EW, pady=(PAD // 2, 0))
        self._row_widgets[field] = [caption, widget]
        if button is not None:
            button.grid(row=self._row, column=2, sticky=tk.W, padx=(PAD // 2, 0), pady=(4, 0))
            tooltip(button, help_text)
            self._row_widgets[field].append(button)
            self.buttons[field] = button
        tooltip(caption, help_text)
        tooltip(widget, help_text)
        self._row += 1
        if variable is not None:
            self.vars[field] = variable
        self.widgets[field] = widget
        self.labels[field] = caption
        for name in (field, *aliases):
            self._aliases[name.lower()] = field

    def entry(
        self,
        field: str,
        label: str,
        help_text: str,
        *,
        value: str = "",
        secret: bool = False,
        aliases: Sequence[str] = (),
        button: tuple[str, Callable[[], None]] | None = None,
        width: int = FIELD_WIDTH,
    ) -> ttk.Entry:
        variable = tk.StringVar(self, value=value)
        widget = ttk.Entry(self, textvariable=variable, width=width, show="•" if secret else "")
        extra = None
        if button is not None:
            extra = ttk.Button(self, text=button[0], command=button[1], width=len(button[0]) + 2)
        self._place(field, label, help_text, widget, variable, aliases, extra)
        return widget

    def combo(
        self,
        field: str,
        label: str,
        help_text: str,
        values: Sequence[str],
        *,
        value: str = "",
        editable: bool = False,
        aliases: Sequence[str] = (),
    ) -> ttk.Combobox:
        variable = tk.StringVar(self, value=value)
        widget = ttk.Combobox(
            self,
            textvariable=variable,
            values=list(values),
            state="normal" if editable else "readonly",
            width=FIELD_WIDTH - 2,
        )
        self._place(field, label, help_text, widget, variable, aliases)
        return widget

    def check(
        self, field: str, label: str, help_text: str, *, value: bool = False, text: str = ""
    ) -> ttk.Checkbutton:
        variable = tk.BooleanVar(self, value=value)
        widget = ttk.Checkbutton(self, variable=variable, text=text)
        self._place(field, label, help_text, widget, variable)
        return widget

    def custom(
        self, field: str, label: str, help_text: str, widget: tk.Widget, focus: tk.Widget
    ) -> None:
        """Place a widget built elsewhere (a list with a scroll bar); ``focus`` takes errors."""
        self._place(field, label, help_text, widget, None)
        self.widgets[field] = focus

    def track(self, name: str, variable: tk.Variable) -> None:
        """Count ``variable`` (part of a composite field) in the form's unsaved changes."""
        self.vars[name] = variable

    def area(self, field: str, *, aliases: Sequence[str] = ()) -> None:
        """A field name for errors about something without a widget of its own (transfer rows)."""
        for name in (field, *aliases):
            self._aliases[name.lower()] = field

    def hint(self, text: str) -> ttk.Label:
        """A grey line of explanation under the last field; its row stays when it is empty."""
        label = ttk.Label(self, foreground=HINT_COLOUR, wraplength=360)
        label.grid(row=self._row, column=1, columnspan=2, sticky=tk.W)
        self._row += 1
        self.show_hint(label, text)
        return label

    @staticmethod
    def show_hint(label: ttk.Label, text: str) -> None:
        label.configure(text=text)

    def enable_row(self, field: str, enabled: bool) -> None:
        """Let a field take input or not (a choice that applies only sometimes); it stays put."""
        for widget in self._row_widgets[field]:
            if isinstance(widget, ttk.Widget):
                widget.state(["!disabled" if enabled else "disabled"])

    # -- values -----------------------------------------------------------------------------

    def get(self, field: str) -> str:
        return str(self.vars[field].get())

    def flag(self, field: str) -> bool:
        return bool(self.vars[field].get())

    def set(self, field: str, value: str | bool | None) -> None:
        self.vars[field].set("" if value is None else value)

    def values(self) -> dict[str, str]:
        """Every text field's value (check boxes are read with ``flag``)."""
        return {
            field: self.get(field)
            for field, variable in self.vars.items()
            if not isinstance(variable, tk.BooleanVar)
        }

    def _current(self) -> dict[str, object]:
        return {field: variable.get() for field, variable in self.vars.items()}

    def mark_loaded(self) -> None:
        """The values now shown are the saved ones: edits start from here."""
        self._loaded = self._current()

    @property
    def dirty(self) -> bool:
        """True when a field differs from what was loaded (or saved) last."""
        return self._current() != self._loaded

    # -- errors -----------------------------------------------------------------------------

    def field_for(self, name: str) -> str | None:
        return self._aliases.get(name.lower())

    def show_error(self, error: ValidationError) -> bool:
        """Mark the field ``error`` names, focus it and say why on the window's message line;
        False when no field here has that name."""
        field = self.field_for(error.field)
        if field is None:
            return False
        text = messages.plain(error.message)
        self.errors[field] = text
        caption = self.labels.get(field)
        if caption is not None:
            caption.configure(foreground=ERROR_COLOUR)
        widget = self.widgets.get(field)
        if isinstance(widget, (ttk.Entry, ttk.Combobox)):
            widget.state(["invalid"])
        if widget is not None:
            widget.focus_set()
        window = self.winfo_toplevel()
        if isinstance(window, Window):
            name = str(caption.cget("text")) if caption is not None else ""
            window.show_message(f"{name}: {text}" if name else text, error=True)
        return True

    def error_text(self, field: str) -> str:
        """The error shown for ``field`` now ("" when none)."""
        return self.errors.get(field, "")

    def clear_errors(self) -> None:
        for field in self.errors:
            if field in self.labels:
                self.labels[field].configure(foreground="")
            widget = self.widgets.get(field)
            if isinstance(widget, (ttk.Entry, ttk.Combobox)):
                widget.state(["!invalid"])
        self.errors = {}


def attempt(window: Window, forms: Sequence[Form], action: Callable[[], object]) -> bool:
    """Run ``action``; mark the field a ``ValidationError`` names, show other errors plainly.

    Returns True when ``action`` succeeded. Nothing is saved when it raises: the settings
    functions validate everything before they write.
    """
    for form in forms:
        form.clear_errors()
    window.show_message("")
    try:
        action()
    except ValidationError as error:
        if not any(form.show_error(error) for form in forms):
            window.show_message(messages.describe(error), error=True)
        return False
    except Exception as error:
        window.show_message(messages.describe(error), error=True)
        return False
    return True
