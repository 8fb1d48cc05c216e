"""How a transfer run is tuned: plain values, cheap to import (the command line's defaults)."""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400


@dataclass(frozen=True)
class TransferOptions:
    """Tuning of a run; the defaults suit a busy site."""

    overlap: int = 600  # seconds asked for again at the start of every window
    chunk: int = DAY  # a window this wide is asked for without counting what it holds first
    min_chunk: int = 3600  # the narrowest window, for the busiest hours
    max_chunk: int = 92 * DAY  # the widest: a quiet site's first copy of 90 days in one
    window_target: int = 1000  # sessions a window aims at: watermarks move after each window
    batch_size: int = 200  # sessions written to the destination in one transaction
    concurrency: int = 4  # recordings downloaded at a time
    open_give_up: int = 7 * DAY  # a session open this long closed abnormally: store it as is
