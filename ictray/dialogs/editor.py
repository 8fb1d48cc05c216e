"""The shape the guide's configuration dialogs share: a list on the left, its details on the right.

Sites, plugins (destinations) and schedules are each a list with *New* and *Delete* under it,
the chosen item's fields beside it and *Save* / *Close* below. Subclasses say what the rows
are and how to load, store and remove one item, always through the settings functions.

Edits are never thrown away silently: choosing another item, *New*, *Close* (or *Next* in the
first run) with unsaved changes asks *Save*, *Discard* or *Cancel*. When the settings change
elsewhere (another window, the tray), the list and the choices follow at once and the form
keeps what is being typed.
"""

from __future__ import annotations

import tkinter as tk
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from tkinter import ttk
from typing import ClassVar

from ictray.dialogs.context import Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import (
    PAD,
    WARNING,
    Prompt,
    Window,
    ask_unsaved,
    scrolled,
    set_columns,
    tooltip,
)


class EditorWindow(Window, ABC):
    """A list of named items and the form of the chosen one."""

    #: what one item is called in messages ("site", "destination", "schedule")
    item: ClassVar[str]
    #: the list's columns: (heading, width in pixels); the first is the item's name
    columns: ClassVar[tuple[tuple[str, int], ...]]

    def __init__(self, master: tk.Misc, controller: Controller, title: str, name: str) -> None:
        super().__init__(master, title, name=name, state=controller.window_state)
        self.controller = controller
        self.settings = controller.settings
        self.current: str | None = None
        self.prompt: Prompt | None = None
        self.buttons = self.button_row(
            self.body,
            [*self.extra_buttons(), ("Save", self.save), ("Close", self.close)],
            default="Save",
        )
        left = ttk.Frame(self.body)
        left.pack(side=tk.LEFT, fill=tk.Y, padx=(0, PAD))
        frame, self.tree = scrolled(
            left,
            ttk.Treeview,
            columns=[heading for heading, _ in self.columns[1:]],
            selectmode="browse",
            height=12,
        )
        set_columns(self.tree, self.columns)
        frame.pack(fill=tk.Y, expand=True)
        self.tree.bind("<<TreeviewSelect>>", self._on_select)
        row = ttk.Frame(left)
        row.pack(fill=tk.X, pady=(PAD // 2, 0))
        self.new_button = ttk.Button(row, text="New", command=self.new)
        self.new_button.pack(side=tk.LEFT)
        self.delete_button = ttk.Button(row, text="Delete", command=self.delete)
        self.delete_button.pack(side=tk.LEFT, padx=(PAD // 2, 0))
        tooltip(self.new_button, f"Start a new {self.item}: fill in the fields, then Save.")
        tooltip(self.delete_button, f"Delete the chosen {self.item}.")
        self.detail = ttk.Frame(self.body)
        self.detail.pack(side=tk.LEFT, fill=tk.BOTH, expand=True)
        self.close_button = self.buttons["Close"]

    # -- what subclasses provide -------------------------------------------------------------

    @abstractmethod
    def rows(self) -> Sequence[tuple[str, tuple[str, ...]]]:
        """The items: their names and the other columns."""

    @abstractmethod
    def load(self, name: str | None) -> None:
        """Fill the form with the item ``name``, or empty it for a new one."""

    @abstractmethod
    def store(self) -> str:
        """Save the form (add or edit ``self.current``); return the saved item's name."""

    @abstractmethod
    def remove(self, name: str) -> None:
        """Delete the item ``name`` (the settings function refuses one still in use)."""

    @abstractmethod
    def forms(self) -> Sequence[Form]:
        """The forms whose fields show validation errors."""

    def check_removable(self, name: str) -> None:
        """Raise ``ValidationError`` when the item ``name`` cannot be deleted (still in use)."""

    def extra_buttons(self) -> list[tuple[str, Callable[[], object]]]:
        """Buttons before *Save* (e.g. *Test*)."""
        return []

    def extra_dirty(self) -> bool:
        """Unsaved changes outside the forms' fields (transfer rows)."""
        return False

    def refresh_choices(self) -> None:
        """Bring lists of other items (sites, destinations) up to date; the form stays."""

    # -- unsaved changes --------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return any(form.dirty for form in self.forms()) or self.extra_dirty()

    def loaded(self) -> None:
        """The form now shows the saved item (or a new, empty one): no edits yet."""
        for form in self.forms():
            form.mark_loaded()

    def confirm_leave(self, then: Callable[[], None], cancelled: Callable[[], None]) -> None:
        """Run ``then`` once unsaved changes are saved or discarded; ``cancelled`` otherwise."""
        what = f"the {self.item} {self.current!r}" if self.current else f"the new {self.item}"

        def done() -> None:
            self.prompt = None
            then()

        def kept() -> None:
            self.prompt = None
            cancelled()

        self.prompt = ask_unsaved(self, self.dirty, what, self.save, done, kept)

    def _keep_selection(self) -> None:
        if self.current is not None and self.tree.exists(self.current):
            self.tree.selection_set(self.current)
        else:
            self.tree.selection_remove(*self.tree.selection())

    def close(self) -> None:
        if self.winfo_exists():
            self.confirm_leave(self.close_now, lambda: None)

    def settings_changed(self) -> None:
        """Something was saved elsewhere: the list and choices follow, the form is kept."""
        if not self.winfo_exists():
            return
        self.refresh_choices()
        self.refresh_list(select=self.current)
        if self.current is not None and not self.tree.exists(self.current) and not self.dirty:
            gone = self.current
            self.choose(None)
            self.show_message(f"The {self.item} {gone!r} was removed or renamed elsewhere.")

    # -- list -------------------------------------------------------------------------------

    def refresh_list(self, select: str | None = None) -> None:
        self.tree.delete(*self.tree.get_children())
        for name, values in self.rows():
            self.tree.insert("", tk.END, iid=name, text=name, values=values)
        if select is not None and self.tree.exists(select):
            self.tree.selection_set(select)
            self.tree.see(select)

    def _on_select(self, event: tk.Event) -> None:
        chosen = self.tree.selection()
        if chosen and chosen[0] != self.current and self.prompt is None:
            self.confirm_leave(lambda: self.choose(chosen[0]), self._keep_selection)

    def choose(self, name: str | None) -> None:
        """Show the item ``name`` (None: a new, empty one)."""
        self.current = name
        for form in self.forms():
            form.clear_errors()
        self.show_message("")
        self.load(name)
        self.loaded()
        if name is None:
            self.tree.selection_remove(*self.tree.selection())

    # -- actions ----------------------------------------------------------------------------

    def new(self) -> None:
        self.confirm_leave(lambda: self.choose(None), lambda: None)

    def save(self) -> bool:
        """*Save*: True when the item was saved (the fields marked and nothing written if not)."""
        saved: list[str] = []
        was_new = self.current is None
        if not attempt(self, self.forms(), lambda: saved.append(self.store())):
            return False
        self.current = saved[0]
        self.loaded()
        self.refresh_list(select=saved[0])
        self.controller.settings_changed()
        verb = "added" if was_new else "saved"
        message = f"The {self.item} {saved[0]!r} was {verb}" + self.saved_note() + "."
        cautions = self.saved_cautions()
        if cautions:
            said = " ".join(f"{text[:1].upper()}{text[1:]}." for text in cautions)
            self.show_message(f"{message} {said}", kind=WARNING)
        else:
            self.show_message(message)
        return True

    def saved_note(self) -> str:
        """More to say after a save (a notice from the settings functions); "" for nothing."""
        return ""

    def saved_cautions(self) -> list[str]:
        """What the saved item may do that the person may not expect (shown as a warning)."""
        return []

    def delete(self) -> None:
        """*Delete*: refused at once while the item is in use; otherwise asked first."""
        name = self.current
        if name is None:
            self.show_message(f"Choose the {self.item} to delete in the list.", error=True)
            return
        if not attempt(self, [], lambda: self.check_removable(name)):
            return

        def answered(answer: str | None) -> None:
            self.prompt = None
            if answer == "Delete" and attempt(self, self.forms(), lambda: self.remove(name)):
                self.refresh_list()
                self.choose(None)
                self.controller.settings_changed()
                self.show_message(f"The {self.item} {name!r} was deleted.")

        self.prompt = Prompt(
            self,
            f"Delete {self.item}",
            f"Delete the {self.item} {name!r}? This cannot be undone.",
            ["Delete", "Cancel"],
            answered,
            default="Cancel",
            icon=WARNING,
        )
