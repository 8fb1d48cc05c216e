"""How a run's outcome looks in lists and status lines: a word, a colour and an icon.

Colour alone is not enough (colour-blind users, the selected row's own colours), so each
outcome also has its own small icon: a tick (completed), a cross (failed: the program), an
exclamation mark (not reached: the site or destination), a pause sign (interrupted) and a
circle of arrows (running now). The icons are drawn with Pillow, once per Tk interpreter.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from PIL import Image, ImageDraw, ImageTk

from ictray.operations.status import RUNNING
from ictray.transfer.result import COMPLETED, FAILED, INTERRUPTED, UNREACHABLE

LABELS = {
    COMPLETED: "Completed",
    UNREACHABLE: "Failed: not reached",
    FAILED: "Failed: program error",
    INTERRUPTED: "Interrupted",
    RUNNING: "Running",
}
COLOURS = {
    COMPLETED: "#1b5e20",
    UNREACHABLE: "#b00020",
    FAILED: "#b00020",
    INTERRUPTED: "#8a5300",
    RUNNING: "#1565c0",
}
SIZE = 14
_SCALE = 8  # drawn large, then scaled down smoothly
_images: dict[tuple[str, str], ImageTk.PhotoImage] = {}


def label(outcome: str) -> str:
    return LABELS.get(outcome, outcome.capitalize())


def _draw(outcome: str) -> Image.Image:
    big = SIZE * _SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, big - 4, big - 4), fill=COLOURS.get(outcome, "#616161"))
    white, width = (255, 255, 255, 255), big // 9
    if outcome == COMPLETED:
        draw.line(
            [(big * 0.27, big * 0.52), (big * 0.44, big * 0.7), (big * 0.74, big * 0.32)],
            fill=white,
            width=width,
            joint="curve",
        )
    elif outcome == FAILED:
        for a, b in (((0.32, 0.32), (0.68, 0.68)), ((0.68, 0.32), (0.32, 0.68))):
            draw.line([(big * a[0], big * a[1]), (big * b[0], big * b[1])], fill=white, width=width)
    elif outcome == UNREACHABLE:
        draw.rectangle((big * 0.44, big * 0.2, big * 0.56, big * 0.6), fill=white)
        draw.rectangle((big * 0.44, big * 0.68, big * 0.56, big * 0.8), fill=white)
    elif outcome == INTERRUPTED:
        draw.rectangle((big * 0.32, big * 0.3, big * 0.44, big * 0.7), fill=white)
        draw.rectangle((big * 0.56, big * 0.3, big * 0.68, big * 0.7), fill=white)
    else:
        draw.arc((big * 0.26, big * 0.26, big * 0.74, big * 0.74), 30, 300, fill=white, width=width)
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def icon(widget: tk.Misc, outcome: str) -> ImageTk.PhotoImage:
    """The outcome's icon, made once for the Tk interpreter of ``widget``."""
    key = (str(widget.tk), outcome)
    if key not in _images:
        _images[key] = ImageTk.PhotoImage(_draw(outcome), master=widget)
    return _images[key]


def tag_rows(tree: ttk.Treeview) -> None:
    """Tags for the outcomes, so a row's text takes the outcome's colour."""
    for outcome, colour in COLOURS.items():
        tree.tag_configure(outcome, foreground=colour)
