"""What differs between Windows and Linux, behind one set of names.

Callers import from here; the module for the running system is chosen once, at import.
"""

import sys

if sys.platform == "win32":
    from ictray.platform.windows import is_mapped_drive
else:
    from ictray.platform.linux import is_mapped_drive

__all__ = ["is_mapped_drive"]
