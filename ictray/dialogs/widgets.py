"""Building blocks every window shares: the window itself, tooltips, prompts, messages.

``Window`` gives each dialog the same keyboard behaviour (Enter runs the default button,
Escape closes), a message line, close callbacks and, for modal dialogs, a grab. Nothing waits
in a nested event loop (``wait_window``): results come back through callbacks, so the app's
queue keeps draining while a dialog is open. Tests set ``Window.modal_grab = False``.
"""

from __future__ import annotations

import calendar
import contextlib
import tkinter as tk
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any, ClassVar, TypeVar

from tktooltip import ToolTip

from ictray.dialogs.ui_state import Placement, WindowState

ERROR_COLOUR = "#b00020"
OK_COLOUR = "#1b5e20"
BUSY_COLOUR = "#1565c0"
WARNING_COLOUR = "#8a5300"
INVALID_FIELD = "#fde7e9"
SELECTED = "#1f5fa8"
ERROR, OK, BUSY = "error", "ok", "busy"
QUESTION, WARNING = "question", "warning"
#: Tk's own message-box icons (defined by Tk itself on every platform)
ICONS = {
    ERROR: "::tk::icons::error",
    WARNING: "::tk::icons::warning",
    QUESTION: "::tk::icons::question",
    OK: "::tk::icons::information",
    BUSY: "::tk::icons::information",
}
PAD = 8
TOOLTIP_DELAY = 0.6
TOOLTIP_WIDTH = 420


class _ToolTip(ToolTip):
    """tktooltip's tooltip, quiet when its window closed while it was about to show."""

    def _show(self) -> None:
        if self.winfo_exists():
            super()._show()


def tooltip(widget: tk.Widget, text: str | Callable[[], str]) -> ToolTip:
    """A tooltip owned by the widget's window, so it goes away with it (``text`` may be a
    function: the tooltip then shows what it returns at that moment)."""
    return _ToolTip(
        widget,
        msg=text,
        delay=TOOLTIP_DELAY,
        parent_kwargs={"master": widget.winfo_toplevel(), "bg": "#555555", "padx": 1, "pady": 1},
        width=TOOLTIP_WIDTH,
        bg="#ffffe0",
    )


class ReservedLine(ttk.Frame):
    """A few lines of text whose room is kept whether they hold text or not.

    Messages, test results and progress appear here without moving anything else: the
    window's layout is the same empty, filled, in error and busy.
    """

    def __init__(self, master: tk.Misc, lines: int = 2, **options: Any) -> None:
        super().__init__(master, **options)
        font = tkfont.nametofont("TkDefaultFont")
        self.configure(height=lines * font.metrics("linespace") + 4)
        self.pack_propagate(False)
        self.icon = ttk.Label(self)
        self.icon.pack(side=tk.LEFT, anchor=tk.NW, padx=(0, PAD // 2))
        self.label = ttk.Label(self, text="", justify=tk.LEFT, anchor=tk.NW)
        self.label.pack(side=tk.LEFT, fill=tk.BOTH, expand=True, anchor=tk.NW)
        self._width = 0
        self._beside = 0  # the room the icon takes now
        self.bind("<Configure>", self._resized)

    def _resized(self, event: tk.Event) -> None:
        self._width = event.width
        self._wrap()

    def _wrap(self) -> None:
        """Lines as wide as the room beside the icon, whether the icon shows now or not (it
        comes and goes with the text, and the room does not change size when it does)."""
        self.label.configure(wraplength=max(100, self._width - self._beside - PAD))

    def show(self, text: str, kind: str = "") -> None:
        """``kind`` is "error", "warning", "ok", "busy" or "" (plain); errors and warnings get
        their icons."""
        colour = {
            ERROR: ERROR_COLOUR,
            WARNING: WARNING_COLOUR,
            OK: OK_COLOUR,
            BUSY: BUSY_COLOUR,
        }.get(kind, "")
        self.label.configure(text=text, foreground=colour)
        image = ICONS.get(kind, "") if text else ""
        self.icon.configure(image=image)
        if image:
            self.icon.pack(side=tk.LEFT, anchor=tk.NW, padx=(0, PAD // 2), before=self.label)
            self._beside = int(self.tk.call("image", "width", image)) + PAD // 2
        else:
            self.icon.pack_forget()
            self._beside = 0
        self._wrap()

    def text(self) -> str:
        return str(self.label.cget("text"))

    def cget(self, key: str) -> Any:  # the label's text and colour, as a Label would answer
        if key in ("text", "foreground"):
            return self.label.cget(key)
        return super().cget(key)


def reserved_label(master: tk.Misc, lines: int, **pack: Any) -> ttk.Label:
    """A label in a frame that keeps room for ``lines`` lines (packed with ``pack`` options):
    results such as "testing…" then three lines of answer never move the buttons."""
    frame = ttk.Frame(master)
    font = tkfont.nametofont("TkDefaultFont")
    frame.configure(height=lines * font.metrics("linespace") + 4)
    frame.pack_propagate(False)
    frame.pack(fill=tk.X, **pack)
    label = ttk.Label(frame, text="", justify=tk.LEFT, anchor=tk.NW)
    label.pack(fill=tk.BOTH, expand=True)
    frame.bind("<Configure>", lambda event: label.configure(wraplength=max(100, event.width - 4)))
    return label


class Window(tk.Toplevel):
    """A top-level window of the app with the shared keyboard behaviour and a message line.

    ``settle()``, called once the window holds its largest content, fixes its size there (the
    minimum size too, so no button can be shrunk away) and puts it where it was last time
    (``state``, per window ``name``); closing remembers the place.
    """

    #: False in tests: no grab, so one test session's dialogs never block each other.
    modal_grab: ClassVar[bool] = True

    def __init__(
        self,
        master: tk.Misc,
        title: str,
        *,
        modal: bool = False,
        name: str | None = None,
        state: WindowState | None = None,
    ) -> None:
        super().__init__(master)
        self.title(title)
        self.window_name, self._state = name, state
        self._on_close: list[Callable[[], None]] = []
        self.default_button: ttk.Button | None = None
        self.message = ReservedLine(self, 2)
        self.message.pack(side=tk.BOTTOM, fill=tk.X, padx=PAD, pady=(0, PAD // 2))
        self.body = ttk.Frame(self, padding=PAD)
        self.body.pack(fill=tk.BOTH, expand=True)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind("<Escape>", lambda event: self.close())
        self.bind("<Return>", self._on_return)
        self.bind("<KP_Enter>", self._on_return)
        self._largest = (0, 0)
        if modal:
            parent = master.winfo_toplevel()
            if parent.winfo_viewable():
                self.transient(parent)
            self.after_idle(self._grab)

    # -- size and place ---------------------------------------------------------------------

    def measure(self) -> None:
        """Note the size the window needs as it is now (call in each of its largest states)."""
        self.update_idletasks()
        width, height = self._largest
        self._largest = (max(width, self.winfo_reqwidth()), max(height, self.winfo_reqheight()))

    def settle(self) -> None:
        """Fix the size at the largest measured, and restore the remembered place."""
        self.measure()
        width, height = self._largest
        self.minsize(width, height)
        placed = None
        if self._state is not None and self.window_name is not None:
            placed = self._state.placement(self.window_name)
        if placed is None:  # the first time: in the middle of the screen, a little high
            x = max(0, (self.winfo_screenwidth() - width) // 2)
            y = max(0, (self.winfo_screenheight() - height) // 3)
            self.geometry(f"{width}x{height}+{x}+{y}")
            return
        placed = Placement(max(placed.width, width), max(placed.height, height), placed.x, placed.y)
        placed = placed.fitted(self.winfo_screenwidth(), self.winfo_screenheight())
        self.geometry(placed.geometry())

    def _remember(self) -> None:
        if self._state is None or self.window_name is None:
            return
        with contextlib.suppress(tk.TclError):
            placed = Placement.parse(self.geometry())
            if placed is not None and self.winfo_viewable():
                self._state.remember(self.window_name, placed)

    # -- life cycle -------------------------------------------------------------------------

    def when_closed(self, callback: Callable[[], None]) -> None:
        self._on_close.append(callback)

    def close(self) -> None:
        """*Close*, *Cancel*, Escape or the title bar's close box (dialogs with edits ask)."""
        self.close_now()

    def close_now(self) -> None:
        """Close without asking anything (the app is quitting, or the answer was given)."""
        if not self.winfo_exists():
            return
        self._remember()
        callbacks, self._on_close = self._on_close, []
        self.destroy()
        for callback in callbacks:
            callback()

    def settings_changed(self) -> None:
        """The settings were saved (here or in another window): show them as they are now."""

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

    def show_message(self, text: str, *, error: bool = False, kind: str | None = None) -> None:
        """One line (or two) at the bottom of the window: what happened, or what went wrong."""
        self.message.show(text, kind if kind is not None else (ERROR if error else OK))

    # -- buttons ----------------------------------------------------------------------------

    def button_row(
        self,
        parent: tk.Misc,
        buttons: Sequence[tuple[str, Callable[[], object]]],
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
    """A small question with an icon and buttons, modal to the window it is about.

    ``on_answer`` gets the text of the button chosen (None when the prompt was closed).
    """

    def __init__(
        self,
        master: tk.Misc,
        title: str,
        text: str,
        buttons: Sequence[str],
        on_answer: Callable[[str | None], None],
        *,
        default: str | None = None,
        icon: str = QUESTION,
    ) -> None:
        super().__init__(master, title, modal=True)
        self.resizable(False, False)
        self.message.pack_forget()
        self._on_answer = on_answer
        self._answered = False
        row = ttk.Frame(self.body)
        row.pack(fill=tk.X, pady=(0, PAD))
        ttk.Label(row, image=ICONS[icon]).pack(side=tk.LEFT, anchor=tk.N, padx=(0, PAD))
        self.text = ttk.Label(row, text=text, wraplength=420, justify=tk.LEFT)
        self.text.pack(side=tk.LEFT, fill=tk.X)
        self.buttons = self.button_row(
            self.body,
            [(label, partial(self.answer, label)) for label in buttons],
            default=default or buttons[0],
        )
        self._centre_on(master.winfo_toplevel())
        self.after_idle(self.bring_up)

    def _centre_on(self, parent: tk.Misc) -> None:
        self.update_idletasks()
        if not parent.winfo_viewable():
            return
        x = parent.winfo_rootx() + (parent.winfo_width() - self.winfo_reqwidth()) // 2
        y = parent.winfo_rooty() + (parent.winfo_height() - self.winfo_reqheight()) // 3
        self.geometry(f"+{max(0, x)}+{max(0, y)}")

    def answer(self, label: str | None) -> None:
        if not self._answered:
            self._answered = True
            self.close_now()
            self._on_answer(label)

    def close_now(self) -> None:
        if not self._answered:
            self._answered = True
            super().close_now()
            self._on_answer(None)
        else:
            super().close_now()


def ask_unsaved(
    window: Window,
    dirty: bool,
    what: str,
    save: Callable[[], bool],
    then: Callable[[], None],
    cancelled: Callable[[], None] | None = None,
) -> Prompt | None:
    """Run ``then`` now when nothing is unsaved; else ask *Save*, *Discard* or *Cancel*.

    *Save* runs ``save`` and goes on only when it succeeded (its errors stay in sight).
    """
    if not dirty:
        then()
        return None

    def answered(answer: str | None) -> None:
        if answer == "Discard" or (answer == "Save" and save()):
            then()
        elif cancelled is not None:
            cancelled()

    return Prompt(
        window,
        "Unsaved changes",
        f"You changed {what} but did not save it. Save the changes?",
        ["Save", "Discard", "Cancel"],
        answered,
        default="Save",
        icon=WARNING,
    )


class DateField(ttk.Frame):
    """A date picked with three spin boxes (year, month, day), never an impossible day.

    Tk has no date picker of its own; spin boxes work with the keyboard and the mouse wheel
    alike and need no pop-up. ``value`` is ``YYYY-MM-DD``.
    """

    def __init__(self, master: tk.Misc, value: date) -> None:
        super().__init__(master)
        self.year = tk.StringVar(self, value=str(value.year))
        self.month = tk.StringVar(self, value=f"{value.month:02d}")
        self.day = tk.StringVar(self, value=f"{value.day:02d}")
        self.spins = []
        for variable, low, high, width, fmt in (
            (self.year, 2000, 2100, 5, "%4.0f"),
            (self.month, 1, 12, 3, "%02.0f"),
            (self.day, 1, 31, 3, "%02.0f"),
        ):
            spin = ttk.Spinbox(
                self,
                from_=low,
                to=high,
                textvariable=variable,
                width=width,
                format=fmt,
                wrap=variable is not self.year,
                command=self._clamp,
            )
            spin.pack(side=tk.LEFT)
            spin.bind("<FocusOut>", lambda event: self._clamp())
            if variable is not self.day:
                ttk.Label(self, text="-").pack(side=tk.LEFT)
            self.spins.append(spin)

    def _clamp(self) -> None:
        """Keep the day within the chosen month (31 becomes 30 in April, 28 or 29 in February)."""
        try:
            year, month = int(self.year.get()), int(self.month.get())
            last = calendar.monthrange(year, month)[1]
            if int(self.day.get()) > last:
                self.day.set(f"{last:02d}")
        except ValueError:
            return  # not a number yet: the form's check says so on use

    @property
    def value(self) -> str:
        return f"{self.year.get().strip()}-{self.month.get().strip()}-{self.day.get().strip()}"

    def set(self, text: str) -> None:
        """Show ``YYYY-MM-DD``."""
        year, month, day = text.strip().split("-")
        self.year.set(year)
        self.month.set(month)
        self.day.set(day)


class ScrollFrame(ttk.Frame):
    """A frame whose content (``inner``) scrolls vertically when it is taller than the room."""

    def __init__(self, master: tk.Misc, height: int, **options: Any) -> None:
        super().__init__(master, **options)
        self.canvas = tk.Canvas(self, height=height, highlightthickness=0, borderwidth=0)
        bar = ttk.Scrollbar(self, orient=tk.VERTICAL, command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=bar.set)
        bar.pack(side=tk.RIGHT, fill=tk.Y)
        self.canvas.pack(side=tk.LEFT, fill=tk.BOTH, expand=True)
        self.inner = ttk.Frame(self.canvas)
        self._item = self.canvas.create_window(0, 0, window=self.inner, anchor=tk.NW)
        self.inner.bind("<Configure>", self._resized)
        self.canvas.bind("<Configure>", self._resized)

    def _resized(self, event: tk.Event) -> None:
        self.canvas.itemconfigure(self._item, width=self.canvas.winfo_width())
        self.canvas.configure(scrollregion=(0, 0, 0, self.inner.winfo_reqheight()))


def use_theme(root: tk.Misc) -> None:
    """Prefer ttk's "clam" look over the bare X11 "default" theme (Windows keeps its own),
    with fields in error tinted and chosen rows in white on dark blue."""
    style = ttk.Style(root)
    if style.theme_use() == "default" and "clam" in style.theme_names():
        style.theme_use("clam")
    for widget in ("TEntry", "TCombobox", "TSpinbox"):  # a field in error is tinted
        fields = [("invalid", INVALID_FIELD), *style.map(widget, "fieldbackground")]
        style.map(widget, fieldbackground=fields)
    # a chosen row stays readable whatever the colour of its outcome
    style.map("Treeview", background=[("selected", SELECTED)], foreground=[("selected", "white")])


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
