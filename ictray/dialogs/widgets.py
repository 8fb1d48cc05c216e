"""Building blocks every window shares: the window itself, tooltips, prompts, messages.

``Window`` gives each dialog the same keyboard behaviour (Enter runs the default button,
Escape closes), a message line, close callbacks and, for modal dialogs, a grab. Nothing waits
in a nested event loop (``wait_window``): results come back through callbacks, so the app's
queue keeps draining while a dialog is open. Tests set ``Window.modal_grab = False``.
"""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any, ClassVar, TypeVar

from tktooltip import ToolTip

ERROR_COLOUR = "#b00020"
OK_COLOUR = "#1b5e20"
PAD = 8
TOOLTIP_DELAY = 0.6
TOOLTIP_WIDTH = 420


class _ToolTip(ToolTip):
    """tktooltip's tooltip, quiet when its window closed while it was about to show."""

    def _show(self) -> None:
        if self.winfo_exists():
            super()._show()


def tooltip(widget: tk.Widget, text: str) -> ToolTip:
    """A tooltip owned by the widget's window, so it goes away with it."""
    return _ToolTip(
        widget,
        msg=text,
        delay=TOOLTIP_DELAY,
        parent_kwargs={"master": widget.winfo_toplevel(), "bg": "#555555", "padx": 1, "pady": 1},
        width=TOOLTIP_WIDTH,
        bg="#ffffe0",
    )


class Window(tk.Toplevel):
    """A top-level window of the app with the shared keyboard behaviour and a message line."""

    #: False in tests: no grab, so one test session's dialogs never block each other.
    modal_grab: ClassVar[bool] = True

    def __init__(self, master: tk.Misc, title: str, *, modal: bool = False) -> None:
        super().__init__(master)
        self.title(title)
        self.minsize(320, 120)
        self._on_close: list[Callable[[], None]] = []
        self.default_button: ttk.Button | None = None
        self.body = ttk.Frame(self, padding=PAD)
        self.body.pack(fill=tk.BOTH, expand=True)
        self.message = ttk.Label(self, text="", wraplength=560, justify=tk.LEFT)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind("<Escape>", lambda event: self.close())
        self.bind("<Return>", self._on_return)
        self.bind("<KP_Enter>", self._on_return)
        if modal:
            self.after_idle(self._grab)

    # -- life cycle -------------------------------------------------------------------------

    def when_closed(self, callback: Callable[[], None]) -> None:
        self._on_close.append(callback)

    def close(self) -> None:
        callbacks, self._on_close = self._on_close, []
        self.destroy()
        for callback in callbacks:
            callback()

    def bring_up(self) -> None:
        """Show the window in front, the keyboard focus back on the field that last had it."""
        self.deiconify()
        self.lift()
        focus = self.focus_lastfor()
        if focus is None or focus is self:
            focus = self.tk_focusNext() or self
        focus.focus_force()

    def _grab(self) -> None:
        if self.modal_grab and self.winfo_exists():
            # not viewable yet on some window managers: the dialog still works without a grab
            with contextlib.suppress(tk.TclError):
                self.grab_set()

    # -- keyboard ---------------------------------------------------------------------------

    def _on_return(self, event: tk.Event) -> str | None:
        if isinstance(event.widget, (tk.Text, tk.Listbox, ttk.Treeview)):
            return None
        if isinstance(event.widget, ttk.Button):
            event.widget.invoke()
            return "break"
        if self.default_button is not None and str(self.default_button["state"]) != "disabled":
            self.default_button.invoke()
            return "break"
        return None

    # -- messages ---------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool = False) -> None:
        """One line (or a few) at the bottom of the window: what happened, or what went wrong."""
        self.message.configure(text=text, foreground=ERROR_COLOUR if error else OK_COLOUR)
        if text:
            self.message.pack(side=tk.BOTTOM, fill=tk.X, padx=PAD, pady=(0, PAD), before=self.body)
        else:
            self.message.pack_forget()

    # -- buttons ----------------------------------------------------------------------------

    def button_row(
        self,
        parent: tk.Misc,
        buttons: Sequence[tuple[str, Callable[[], None]]],
        *,
        default: str | None = None,
    ) -> dict[str, ttk.Button]:
        """A right-aligned row of buttons; ``default`` is the one Enter presses.

        The row is packed first (it keeps its place at the bottom when the window shrinks) but
        raised once the window is built, so Tab reaches the buttons after the fields.
        """
        row = ttk.Frame(parent)
        row.pack(side=tk.BOTTOM, fill=tk.X, pady=(PAD, 0))
        self.after_idle(row.lift)
        made: dict[str, ttk.Button] = {}
        for text, command in reversed(buttons):
            button = ttk.Button(row, text=text, command=command)
            button.pack(side=tk.RIGHT, padx=(PAD // 2, 0))
            made[text] = button
        if default is not None:
            self.default_button = made[default]
            made[default].configure(default=tk.ACTIVE)
        return made


class Prompt(Window):
    """A small modal question with buttons; ``on_answer`` gets the text of the button chosen."""

    def __init__(
        self,
        master: tk.Misc,
        title: str,
        text: str,
        buttons: Sequence[str],
        on_answer: Callable[[str | None], None],
        *,
        default: str | None = None,
    ) -> None:
        super().__init__(master, title, modal=True)
        self.resizable(False, False)
        self._on_answer = on_answer
        self._answered = False
        ttk.Label(self.body, text=text, wraplength=420, justify=tk.LEFT).pack(
            fill=tk.X, pady=(0, PAD)
        )
        self.buttons = self.button_row(
            self.body,
            [(label, lambda label=label: self.answer(label)) for label in buttons],
            default=default or buttons[0],
        )
        self.after_idle(self.bring_up)

    def answer(self, label: str | None) -> None:
        if not self._answered:
            self._answered = True
            self.close()
            self._on_answer(label)

    def close(self) -> None:
        if not self._answered:
            self._answered = True
            super().close()
            self._on_answer(None)
        else:
            super().close()


def use_theme(root: tk.Misc) -> None:
    """Prefer ttk's "clam" look over the bare X11 "default" theme (Windows keeps its own)."""
    style = ttk.Style(root)
    if style.theme_use() == "default" and "clam" in style.theme_names():
        style.theme_use("clam")


def set_columns(
    tree: ttk.Treeview, columns: Sequence[tuple[str, int]], *, first: str | None = "#0"
) -> None:
    """Headings and widths of a tree's columns, never narrower than the heading itself.

    ``columns`` starts with the tree column (``#0``) unless ``first`` is None (headings only).
    """
    font = tkfont.nametofont("TkHeadingFont")
    ids = ([first] if first else []) + list(tree["columns"])
    for column_id, (heading, width) in zip(ids, columns, strict=True):
        tree.heading(column_id, text=heading, anchor=tk.W)
        tree.column(column_id, width=max(width, font.measure(heading) + 2 * PAD), minwidth=40)


W = TypeVar("W", tk.Listbox, tk.Text, ttk.Treeview)


def scrolled(parent: tk.Misc, widget_class: type[W], **options: Any) -> tuple[ttk.Frame, W]:
    """A list, tree or text with a vertical scroll bar, in a frame of its own."""
    frame = ttk.Frame(parent)
    widget = widget_class(frame, **options)
    bar = ttk.Scrollbar(frame, orient=tk.VERTICAL, command=widget.yview)
    widget.configure(yscrollcommand=bar.set)
    widget.pack(side=tk.LEFT, fill=tk.BOTH, expand=True)
    bar.pack(side=tk.RIGHT, fill=tk.Y)
    return frame, widget
