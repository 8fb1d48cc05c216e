"""Errors that carry a message a support admin can act on.

Every layer raises these (or subclasses) with the thing named (site, destination, schedule,
session) and the fix; the CLI prints ``str(error)`` and exits with ``exit_code``.
"""

from __future__ import annotations


class IctrayError(Exception):
    """Base of every error ictray reports to a person rather than as a traceback."""

    exit_code = 1


class ValidationError(IctrayError):
    """A value a person typed (CLI option, dialog field) is not acceptable.

    ``field`` names the setting (as the CLI and dialogs label it) so the message can be shown
    next to the right field.
    """

    exit_code = 2

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(IctrayError):
    """A named site, destination or schedule does not exist."""

    exit_code = 2


class ConfigurationError(IctrayError):
    """Something configured is wrong in a way only the user can fix (rejected credentials...)."""

    exit_code = 1
