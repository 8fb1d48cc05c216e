"""Windows answers for ``ictray.platform``.

A mapped drive letter (``Z:`` for ``\\\\server\\share``) belongs to one user's logon session: the
scheduler service runs in another and cannot see it, which is why the guide asks for UNC paths.
"""

from __future__ import annotations

import ctypes
import re
import sys
from pathlib import PureWindowsPath

DRIVE_REMOTE = 4  # GetDriveTypeW: "the drive is a remote (network) drive"

_DRIVE_LETTER = re.compile(r"(?:\\\\[?.]\\)?([A-Za-z]):")


def drive_root(path: str) -> str | None:
    """``"Z:\\"`` for a path on drive Z (also ``\\\\?\\Z:\\...``); ``None`` for UNC or no drive."""
    match = _DRIVE_LETTER.fullmatch(PureWindowsPath(path).drive)
    return f"{match.group(1).upper()}:\\" if match else None


def is_mapped_drive(path: str) -> bool:
    """True when ``path`` is on a drive letter mapped to a network share."""
    root = drive_root(path)
    return root is not None and _drive_type(root) == DRIVE_REMOTE


def _drive_type(root: str) -> int:
    if sys.platform != "win32":
        raise OSError(f"the type of drive {root} can only be asked on Windows")
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetDriveTypeW.argtypes = [ctypes.c_wchar_p]
    kernel32.GetDriveTypeW.restype = ctypes.c_uint
    return int(kernel32.GetDriveTypeW(root))
