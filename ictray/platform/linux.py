"""Linux (and other POSIX) answers for ``ictray.platform``."""

from __future__ import annotations


def is_mapped_drive(path: str) -> bool:
    """Always ``False``: drive letters mapped to network shares exist only on Windows.

    A network share mounted on Linux is an ordinary folder path, visible to every process.
    """
    return False
