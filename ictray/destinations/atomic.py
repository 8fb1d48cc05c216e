"""Atomic file writes: a file appears under its final name complete, or not at all.

Data goes first to a hidden temporary file in the target folder (the same file system, so the
last step is a rename or a link, never a copy) and is flushed to disk. Only then does it get its
final name, in one of two ways:

- ``replace``: the new file takes the name whether or not a file has it (Overwrite).
- ``link_new``: the new file takes the name only if it is free, in one step, so two writers can
  never both get it (AppendNumber, Skip). On Windows a rename never replaces an existing file;
  elsewhere a hard link fails when the name exists.

A crash leaves at most a temporary file, never a partial file under a final name; ``sweep_stale``
removes temporary files that nobody has written to for a while.

Every staged file is hashed (SHA-256) as it is written: the size and digest are the proof,
recorded before the file is named, that a file found under that name after a crash is the one
that was being written (``matches``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

TEMP_PREFIX = ".ictray-"
TEMP_SUFFIX = ".partial"
_TEMP_NAME = re.compile(r"\.ictray-[0-9a-f]{16}\.partial")

#: A temporary file untouched this long belongs to a writer that died; a younger one may belong
#: to another process still writing into the same folder, so it is left alone.
STALE_AFTER_SECONDS = 3600

# errno values of file systems that cannot make hard links (FAT, some network mounts).
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})

ErrorWrapper = Callable[[OSError], Exception]


HASH_CHUNK = 1024 * 1024


class _Stream(io.BufferedWriter):
    """The stream a caller writes into: a failed write is reported through ``wrap``, so it
    names the destination and the file instead of surfacing as a bare ``OSError``.

    Data written from the start onwards is hashed on the way. A download that starts again
    rewinds to 0 (the digest starts again too); any other seek leaves the digest to be taken
    from the file when it is finished.
    """

    def __init__(self, raw: io.FileIO, wrap: ErrorWrapper) -> None:
        super().__init__(raw)
        self._wrap = wrap
        self._digest: hashlib._Hash | None = hashlib.sha256()
        self.size = 0

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            written = super().write(data)
        except OSError as error:
            raise self._wrap(error) from error
        if self._digest is not None:
            self._digest.update(memoryview(data)[:written])
        self.size += written
        return written

    def seek(self, target: int, whence: int = 0, /) -> int:
        position = super().seek(target, whence)
        if position == 0:
            self._digest = hashlib.sha256()
            self.size = 0
        elif position != self.size:
            self._digest = None
        return position

    def truncate(self, size: int | None = None, /) -> int:
        length = super().truncate(size)
        if length != self.size:
            self._digest = None
            self.size = length
        return length

    def hexdigest(self) -> str | None:
        """The SHA-256 of what was written, when every byte went through ``write`` in order."""
        return None if self._digest is None else self._digest.hexdigest()

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            raise self._wrap(error) from error


class StagedFile:
    """A hidden temporary file in ``folder`` that will get a final name once complete.

    ``stream`` is where the data goes; ``finish`` makes it durable, ``discard`` removes it.
    """

    def __init__(self, folder: Path, wrap: ErrorWrapper) -> None:
        self.path = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"
        self.stream = _Stream(io.FileIO(self.path, "xb"), wrap)

    def finish(self) -> tuple[int, str]:
        """Flush the data to disk and close the file, so a crash after naming it loses nothing.

        Returns the file's size and SHA-256.
        """
        if not self.stream.closed:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
            digest = self.stream.hexdigest()
            if digest is not None:
                return self.stream.size, digest
        else:
            with open(self.path, "r+b") as handle:
                os.fsync(handle.fileno())
        return file_digest(self.path)

    def discard(self) -> None:
        """Close and remove the temporary file (after a failure, or when it is not wanted)."""
        with contextlib.suppress(Exception):  # the data is thrown away: only removal matters
            self.stream.close()
        self.path.unlink(missing_ok=True)


def write_staged(folder: Path, data: bytes, wrap: ErrorWrapper) -> tuple[Path, int, str]:
    """Stage a whole document in ``folder`` and make it durable.

    Returns the temporary path, the size and the SHA-256.
    """
    staged = StagedFile(folder, wrap)
    try:
        staged.stream.write(data)
        size, digest = staged.finish()
    except BaseException:
        staged.discard()
        raise
    return staged.path, size, digest


def file_digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def matches(path: Path, size: int, sha256: str) -> bool:
    """Whether ``path`` is a file of exactly ``size`` bytes with this SHA-256.

    The size is compared first, so a file that differs in length is never read.
    """
    try:
        if not path.is_file() or path.stat().st_size != size:
            return False
        return file_digest(path) == (size, sha256)
    except OSError:
        return False


def replace(temp: Path, final: Path) -> None:
    """Give ``temp`` the name ``final``, replacing any file of that name in one step."""
    os.replace(temp, final)


def link_new(temp: Path, final: Path) -> bool:
    """Give ``temp`` the name ``final`` only if no file has it; ``False`` (temp kept) if taken."""
    if sys.platform == "win32":
        try:
            os.rename(temp, final)  # MoveFileExW without MOVEFILE_REPLACE_EXISTING
        except FileExistsError:
            return False
        return True
    try:
        os.link(temp, final)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        return _rename_if_free(temp, final)
    os.unlink(temp)
    return True


def _rename_if_free(temp: Path, final: Path) -> bool:
    """``link_new`` for file systems without hard links: the name is checked, then taken.

    Between the two steps another writer could take the name; such folders (FAT, some network
    mounts on Linux) offer no single call that refuses to replace a file.
    """
    if os.path.lexists(final):
        return False
    os.rename(temp, final)
    return True


def sync_directory(folder: Path) -> None:
    """Make the names given in ``folder`` durable (POSIX); NTFS journals renames itself.

    Best effort: some network file systems cannot open or sync a directory, and the files'
    data is already on disk by then.
    """
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def sweep_stale(folder: Path, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Remove temporary files in ``folder`` left by writers that crashed; return them."""
    cutoff = time.time() - older_than
    removed: list[Path] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not _TEMP_NAME.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                os.unlink(entry.path)
            except (FileNotFoundError, PermissionError):
                continue  # gone already, or still open by its writer (Windows)
            removed.append(Path(entry.path))
    return removed
