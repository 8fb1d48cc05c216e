"""The kinds of data a transfer can copy, with the names used in the CLI, settings and dialogs."""

from __future__ import annotations

import enum


class DataType(str, enum.Enum):
    """One kind of data a transfer copies from a site to a destination."""

    SESSION_DATA = "session_data"
    SESSION_RECORDINGS = "session_recordings"
    SHOW_MY_SCREEN_RECORDINGS = "show_my_screen_recordings"
    COMMAND_SHELL_RECORDINGS = "command_shell_recordings"
    PRESENTATION_DATA = "presentation_data"
    PRESENTATION_RECORDINGS = "presentation_recordings"
    SITE_BACKUPS = "site_backups"

    @property
    def label(self) -> str:
        """The name a person reads in dialogs and summaries."""
        return _LABELS[self]

    @property
    def is_recording(self) -> bool:
        return self in RECORDING_TYPES

    @classmethod
    def parse(cls, text: str) -> DataType:
        """Accept the CLI name (``session_data``); raise ``ValueError`` naming the valid ones."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(t.value for t in cls)
            raise ValueError(f"unknown data type {text!r}; use one of {names}") from None


_LABELS = {
    DataType.SESSION_DATA: "Session data",
    DataType.SESSION_RECORDINGS: "Session recordings",
    DataType.SHOW_MY_SCREEN_RECORDINGS: "Show My Screen recordings",
    DataType.COMMAND_SHELL_RECORDINGS: "Command shell recordings",
    DataType.PRESENTATION_DATA: "Presentation data",
    DataType.PRESENTATION_RECORDINGS: "Presentation recordings",
    DataType.SITE_BACKUPS: "Site backups",
}

RECORDING_TYPES = frozenset(
    {
        DataType.SESSION_RECORDINGS,
        DataType.SHOW_MY_SCREEN_RECORDINGS,
        DataType.COMMAND_SHELL_RECORDINGS,
        DataType.PRESENTATION_RECORDINGS,
    }
)
