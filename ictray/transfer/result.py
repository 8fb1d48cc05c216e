"""What one run of one transfer did, for the run history, the CLI summary and the tray."""

from __future__ import annotations

from dataclasses import dataclass, field

from ictray.datatypes import DataType
from ictray.names import Outcome

RUNNING = Outcome.RUNNING
COMPLETED = Outcome.COMPLETED
INTERRUPTED = Outcome.INTERRUPTED
UNREACHABLE = Outcome.UNREACHABLE
FAILED = Outcome.FAILED
SKIPPED = Outcome.SKIPPED
SEVERITY = {COMPLETED: 0, INTERRUPTED: 1, UNREACHABLE: 2, FAILED: 3}


@dataclass
class TypeCounts:
    """Per data type: stored now, skipped as already stored, waiting, expired, failed.

    ``in_progress`` counts sessions written while still in progress, to a destination that
    replaces them once they end (an SQL database): they are in it, but not yet for good.
    """

    stored: int = 0
    in_progress: int = 0
    skipped: int = 0
    waiting: int = 0
    expired: int = 0
    failed: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass
class TransferResult:
    site: str
    destination: str
    outcome: Outcome = COMPLETED
    counts: dict[DataType, TypeCounts] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    clock_skew: float | None = None
    note: str = ""  # why the transfer did not copy this time, when nothing went wrong

    def count(self, data_type: DataType) -> TypeCounts:
        return self.counts.setdefault(data_type, TypeCounts())

    def worsen(self, outcome: Outcome, message: str | None = None) -> None:
        if SEVERITY[outcome] > SEVERITY[self.outcome]:
            self.outcome = outcome
        if message:
            self.errors.append(message)

    @property
    def ok(self) -> bool:
        return self.outcome == COMPLETED and not self.errors

    def summary(self) -> str:
        """One line a person reads: what was stored, what waits, what went wrong."""
        parts = []
        for data_type, counts in self.counts.items():
            bits = [f"{counts.stored} stored"]
            if counts.in_progress:
                bits.append(f"{counts.in_progress} in progress (updated when they end)")
            if counts.skipped:
                bits.append(f"{counts.skipped} already there")
            if counts.waiting:
                bits.append(f"{counts.waiting} waiting")
            if counts.expired:
                bits.append(f"{counts.expired} expired")
            if counts.failed:
                bits.append(f"{counts.failed} failed")
            parts.append(f"{data_type.label.lower()}: {', '.join(bits)}")
        return "; ".join(parts) or self.note or "nothing to do"

    def counts_dict(self) -> dict[str, dict[str, int]]:
        return {t.value: c.as_dict() for t, c in self.counts.items()}
