"""The tray's status icons, drawn with Pillow: one colour and one symbol per status.

Colour alone is not enough (colour-blind users, monochrome trays), so each status also has its
own symbol: an arrow into a tray (idle), a double arrow (transferring), an exclamation mark
(last run failed) and pause bars (scheduler stopped). The app draws them at run time;
``write_icons`` saves the same images under ``resources/icons`` for installers and shortcuts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw

IDLE = "idle"
TRANSFERRING = "transferring"
FAILED = "failed"
STOPPED = "stopped"
STATUSES = (IDLE, TRANSFERRING, FAILED, STOPPED)

COLOURS = {
    IDLE: (46, 125, 50),
    TRANSFERRING: (21, 101, 192),
    FAILED: (198, 40, 40),
    STOPPED: (97, 97, 97),
}
WHITE = (255, 255, 255, 255)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
PNG_SIZE = 64

_CANVAS = 256  # drawn large, then scaled down smoothly


def _arrow(draw: ImageDraw.ImageDraw, top: int, bottom: int) -> None:
    """A downward arrow centred on the canvas, from ``top`` to ``bottom``."""
    middle = _CANVAS // 2
    head = bottom - 52
    draw.rectangle((middle - 16, top, middle + 16, head), fill=WHITE)
    draw.polygon([(middle - 52, head), (middle + 52, head), (middle, bottom)], fill=WHITE)


def _symbol(draw: ImageDraw.ImageDraw, status: str) -> None:
    middle = _CANVAS // 2
    if status == IDLE:
        _arrow(draw, 44, 150)
        draw.line([(60, 150), (60, 196), (196, 196), (196, 150)], fill=WHITE, width=24)
    elif status == TRANSFERRING:
        _arrow(draw, 40, 128)
        _arrow(draw, 128, 216)
    elif status == FAILED:
        draw.rounded_rectangle((middle - 18, 44, middle + 18, 160), radius=14, fill=WHITE)
        draw.ellipse((middle - 20, 180, middle + 20, 220), fill=WHITE)
    else:
        draw.rounded_rectangle((78, 60, 114, 196), radius=8, fill=WHITE)
        draw.rounded_rectangle((142, 60, 178, 196), radius=8, fill=WHITE)


@cache
def draw_icon(status: str, size: int = PNG_SIZE) -> Image.Image:
    """The icon of ``status`` as an RGBA image of ``size`` pixels square."""
    if status not in COLOURS:
        raise ValueError(f"unknown tray status {status!r}; use one of {', '.join(STATUSES)}")
    image = Image.new("RGBA", (_CANVAS, _CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, _CANVAS - 8, _CANVAS - 8), radius=48, fill=COLOURS[status])
    _symbol(draw, status)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def write_icons(folder: Path) -> list[Path]:
    """Save every status icon as ``<status>.png`` and a multi-size ``<status>.ico``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for status in STATUSES:
        png = folder / f"{status}.png"
        draw_icon(status).save(png, optimize=True)
        ico = folder / f"{status}.ico"
        draw_icon(status, _CANVAS).save(ico, sizes=ICO_SIZES)
        written += [png, ico]
    return written
