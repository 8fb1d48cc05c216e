"""Progress of a running transfer, reported to whoever started it (CLI, service, tray)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ictray.datatypes import DataType


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` (None when unknown) for one data type, with a line to show."""

    site: str
    destination: str
    data_type: DataType
    done: int
    total: int | None
    text: str


ProgressCallback = Callable[[Progress], None]
