"""What differs between Windows and Linux, behind one set of names.

Callers import from here; the module for the running system is chosen once, at import.
"""

import sys

from ictray.platform.autostart import (
    AUTOSTART_LABEL,
    AutostartError,
    autostart_command,
    autostart_enabled,
    autostart_location,
    set_autostart,
)

if sys.platform == "win32":
    from ictray.platform.windows import is_mapped_drive
else:
    from ictray.platform.linux import is_mapped_drive

__all__ = [
    "AUTOSTART_LABEL",
    "AutostartError",
    "autostart_command",
    "autostart_enabled",
    "autostart_location",
    "is_mapped_drive",
    "set_autostart",
]
