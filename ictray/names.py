"""Fixed names kept as text: run outcomes, item states, scheduler states.

Each is an enumeration whose members are also the text the settings file stores and the
messages print, so a name read back from the file equals its member, is found in any set or
map of members, and prints as itself.
"""

from __future__ import annotations

from enum import Enum


class TextName(str, Enum):
    """Base of the enumerations of names kept as text (no members of its own)."""

    def __str__(self) -> str:
        return str(self.value)

    # Hashed as its text (Enum hashes members by their Python name): a state read back from
    # the settings file as plain text must find its member in a set or a map.
    __hash__ = str.__hash__


class Outcome(TextName):
    """How a run (of a transfer or a schedule) ended, as the run history stores it."""

    RUNNING = "running"  # not ended yet: a run history row while the run goes on
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"  # stopped on request before the end
    UNREACHABLE = "unreachable"  # the appliance or the destination could not be reached / refused
    FAILED = "failed"  # the program itself failed
    SKIPPED = "skipped"  # a schedule not started: it was still running
