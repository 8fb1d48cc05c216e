"""Per-user window state: each window's last size and position, in a small JSON file.

It is kept apart from the settings file on purpose: the settings file is shared with the
scheduler service (often another account, on a server nobody logs in to), while where a
window sat on one person's screen belongs to that person. The file lives in the user's
config folder (``%APPDATA%\\ictray\\window-state.json`` on Windows,
``~/.config/ictray/window-state.json`` on Linux); a missing or damaged file just means
default places. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

FILE_NAME = "window-state.json"
_GEOMETRY = re.compile(r"^(\d+)x(\d+)([+-]-?\d+)([+-]-?\d+)$")


def default_state_path() -> Path:
    return platformdirs.user_config_path("ictray", appauthor=False) / FILE_NAME


@dataclass(frozen=True)
class Placement:
    """A window's size and position on the screen, in pixels."""

    width: int
    height: int
    x: int
    y: int

    @classmethod
    def parse(cls, geometry: str) -> Placement | None:
        """``WxH+X+Y`` as Tk's ``wm geometry`` gives it; None when it is not that."""
        match = _GEOMETRY.match(geometry.strip())
        if match is None:
            return None
        width, height, x, y = (int(part.replace("+", "")) for part in match.groups())
        return cls(width, height, x, y)

    def geometry(self) -> str:
        return f"{self.width}x{self.height}{self.x:+d}{self.y:+d}"

    def fitted(self, screen_width: int, screen_height: int) -> Placement:
        """The same window moved (and shrunk if need be) to lie wholly on the screen."""
        width, height = min(self.width, screen_width), min(self.height, screen_height)
        x = min(max(self.x, 0), screen_width - width)
        y = min(max(self.y, 0), screen_height - height)
        return Placement(width, height, x, y)


class WindowState:
    """The remembered placement of each named window."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_state_path()
        self._windows: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError, AttributeError):
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            self._windows = {
                str(name): str(geometry) for name, geometry in loaded.get("windows", {}).items()
            }

    def placement(self, name: str) -> Placement | None:
        return Placement.parse(self._windows.get(name, ""))

    def remember(self, name: str, placement: Placement) -> None:
        """Keep ``placement`` for the window ``name`` (written at once; failures are ignored:
        a window that opens at its default place is no reason to bother anyone)."""
        self._windows[name] = placement.geometry()
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=".window-state-", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump({"windows": self._windows}, out, indent=2, sort_keys=True)
                os.replace(temp, self.path)
            except OSError:
                Path(temp).unlink(missing_ok=True)
                raise
