"""The File System destination: session and presentation data as XML files, recordings and site
backups as files, in a local folder or a UNC share (the guide's "File System Plugin Settings").

Names come from the File Name Format (``filenames.py``), every file is written atomically
(``atomic.py``), a name already taken follows File Name Conflict Handling, and after each site
backup the Retention Count removes older backups of that site. Site backups have no session ID,
so their names also carry the date (``support.example.com-2024-05-01.nsb``): each conflict
handling mode then means "per day", and backups of earlier days are never overwritten or skipped.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import BinaryIO, TypeVar

from ictray import platform
from ictray.appliance.model import Presentation, Session
from ictray.appliance.xmlsource import document_without_namespaces
from ictray.appliance.xmlwrite import DEFAULT_NS, presentation_xml, session_xml
from ictray.datatypes import DataType
from ictray.destinations import atomic, filenames
from ictray.destinations.base import (
    Destination,
    DestinationError,
    FileMeta,
    OptionSpec,
    StoredFile,
)
from ictray.errors import ValidationError

log = logging.getLogger(__name__)

_Item = TypeVar("_Item", Session, Presentation)

APPEND_NUMBER = "AppendNumber"
OVERWRITE = "Overwrite"
SKIP = "Skip"

#: Download Format: how session and presentation data are written, one session per document.
#: ``xml`` is the session as the appliance sent it (its namespace, every element and attribute
#: in order, inside the report's root element), so tools written for the API read the files
#: unchanged; ``xml-no-namespace`` is the same with every name out of its namespace, for
#: simple XPath tools. A session that did not come from a report (no ``source``) is written
#: from its fields, in the namespace given here.
DOWNLOAD_FORMATS = {"xml": DEFAULT_NS, "xml-no-namespace": None}

PERMISSION_HINT = (
    "if this is a network share, run the service as an account with rights to it (see README)"
)


def check_directory(text: str, is_mapped: Callable[[str], bool] = platform.is_mapped_drive) -> str:
    """Validate a Destination Directory: a full local path or a UNC path, never a mapped drive."""
    if is_mapped(text):
        raise ValueError(
            f"{text} is on a mapped drive, which the scheduler service cannot see: enter the "
            "UNC path instead (\\\\server\\share\\folder). Do not enter a mapped drive; unless "
            "the directory is local you must enter a UNC path"
        )
    if not Path(text).is_absolute():
        raise ValueError(
            f"{text} is not a full path: enter a local folder such as C:\\Bomgar\\Data or a "
            "UNC path such as \\\\server\\share\\folder"
        )
    return text


def check_retention_count(text: str) -> str:
    """Validate a Retention Count: a whole number of prior backups, 0 or more."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(
            f"{text!r} is not a number of backups: enter 0 or more, or leave it empty to keep "
            "all backups"
        )
    return str(count)


def _tooltip_name_format() -> str:
    values = "\n".join(f"%{name}%: {text}" for name, text in filenames.REPLACEMENT_VALUES.items())
    return (
        "The format in which to create the file name for the appropriate XML data, recordings, "
        "or site backups. Replacement values start and end with %; only UPPER CASE characters "
        "and _ are valid between them, and they are case sensitive:\n"
        f"{values}\n"
        "Use / or \\ for sub-folders of the Destination Directory. Include %INSTANCE% so the "
        "command shell and Show My Screen recordings of one session get separate names. Leave "
        "empty for the defaults, such as support.example.com-support-1234.flv. Site backup "
        "names also get the date (-YYYY-MM-DD) before the extension."
    )


class FileSystemDestination(Destination):
    """Stores every data type as files in one folder (local or UNC)."""

    plugin_name = "filesystem"
    label = "File System"
    accepts = frozenset(DataType)
    options = (
        OptionSpec(
            key="directory",
            label="Destination Directory",
            tooltip=(
                "The directory in which to store the appropriate XML data, recordings, or site "
                "backups. Do not enter a mapped drive in the directory. Unless the directory is "
                "local you must enter a UNC path (\\\\server\\share\\folder)."
            ),
            required=True,
            validate=check_directory,
        ),
        OptionSpec(
            key="download_format",
            label="Download Format",
            tooltip=(
                "Leave this at its default unless otherwise instructed by a technician. xml: "
                "each session as the appliance sent it, in its reporting XML namespace; "
                "xml-no-namespace: the same without the namespace."
            ),
            default="xml",
            choices=tuple(DOWNLOAD_FORMATS),
        ),
        OptionSpec(
            key="conflict_handling",
            label="File Name Conflict Handling",
            tooltip=(
                "The action to take when the file name already exists. AppendNumber: create a "
                "new file with a number inserted just before the last period in the file name, "
                "the smallest that makes it unique (name.1.flv, name.2.flv...). Overwrite: "
                "replace the existing file with the most recently downloaded data. Skip: keep "
                "the existing file and create no new file."
            ),
            default=APPEND_NUMBER,
            choices=(APPEND_NUMBER, OVERWRITE, SKIP),
        ),
        OptionSpec(
            key="name_format",
            label="File Name Format",
            tooltip=_tooltip_name_format(),
            validate=filenames.validate_name_format,
        ),
        OptionSpec(
            key="retention_count",
            label="Retention Count",
            tooltip=(
                "The number of prior backups to keep. Leave this field empty to keep all "
                "backups."
            ),
            validate=check_retention_count,
        ),
    )

    def __init__(
        self, name: str, options: dict[str, str], *, today: Callable[[], date] = date.today
    ) -> None:
        super().__init__(name, self.validate_options(options))
        self.directory = Path(self.config["directory"])
        self.keep_namespace = self.config["download_format"] == "xml"
        self.namespace = DOWNLOAD_FORMATS[self.config["download_format"]]
        self.conflict_handling = self.config["conflict_handling"]
        self.name_format = self.config["name_format"]
        retention = self.config["retention_count"]
        self.retention_count = int(retention) if retention else None
        self._today = today
        self._folders: dict[tuple[str, ...], Path] = {}
        self._per_thread = threading.local()

    @property
    def last_stored(self) -> StoredFile | None:
        """What the calling thread's last ``file_writer`` block stored.

        Per thread, because a transfer downloads several recordings side by side through one
        destination, and each download must read its own result.
        """
        stored: StoredFile | None = getattr(self._per_thread, "stored", None)
        return stored

    @last_stored.setter
    def last_stored(self, stored: StoredFile | None) -> None:
        self._per_thread.stored = stored

    @classmethod
    def validate_options(cls, values: dict[str, str]) -> dict[str, str]:
        result = super().validate_options(values)
        name_format = result["name_format"]
        if result["retention_count"] and name_format and "%SUPPORT_SITE_HOST%" not in name_format:
            raise ValidationError(
                "retention_count",
                "Retention Count removes older backups by name, so the File Name Format must "
                "contain %SUPPORT_SITE_HOST%; otherwise backups of different sites could not be "
                "told apart",
            )
        return result

    # -- errors ----------------------------------------------------------------------------

    def _error(self, doing: str, error: OSError) -> DestinationError:
        reason = error.strerror or str(error)
        hint = f" — {PERMISSION_HINT}" if isinstance(error, PermissionError) else ""
        return DestinationError(f"destination {self.name!r}: {doing}: {reason}{hint}")

    def _wrapper(self, doing: str) -> Callable[[OSError], Exception]:
        return lambda error: self._error(doing, error)

    # -- the folder --------------------------------------------------------------------------

    def _prepare_root(self) -> bool:
        """Make sure the Destination Directory exists and is a folder; True if it was created."""
        root = self.directory
        try:
            if root.is_dir():
                return False
            root.mkdir(parents=True)
        except FileExistsError:
            if root.is_dir():
                return False  # created by another writer a moment ago
            raise DestinationError(
                f"destination {self.name!r}: {root} is not a folder; set Destination Directory "
                "to a folder"
            ) from None
        except OSError as error:
            raise self._error(f"cannot create the folder {root}", error) from error
        return True

    def _folder(self, parts: tuple[str, ...]) -> Path:
        """The folder for a file (the root or a sub-folder from the format), ready for writing.

        Each folder is prepared once per run: created, checked to be inside the Destination
        Directory (a link inside it could point elsewhere), and swept of crashed writers' files.
        """
        folder = self._folders.get(parts)
        if folder is not None:
            return folder
        self._prepare_root()
        folder = self.directory.joinpath(*parts)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            root = self.directory.resolve()
            resolved = folder.resolve()
        except OSError as error:
            raise self._error(f"cannot create the folder {folder}", error) from error
        if resolved != root and root not in resolved.parents:
            raise DestinationError(
                f"destination {self.name!r}: {folder} leads to {resolved}, outside the "
                f"Destination Directory {root}; remove that link or change the File Name Format"
            )
        try:
            for path in atomic.sweep_stale(folder):
                log.info("destination %r: removed %s left by an interrupted write", self.name, path)
        except OSError as error:
            raise self._error(f"cannot list the folder {folder}", error) from error
        self._folders[parts] = folder
        return folder

    def open(self) -> None:
        """Check the Destination Directory (creating it if needed) and tidy interrupted writes."""
        self._folders.clear()
        self._folder(())

    def test(self) -> str:
        """Check the folder exists (creating it if needed) and takes a file, then remove it."""
        created = self._prepare_root()
        doing = f"cannot write to {self.directory}"
        try:
            probe = atomic.StagedFile(self.directory, self._wrapper(doing))
            try:
                probe.stream.write(b"ictray write test\n")
                probe.finish()
            finally:
                probe.discard()
        except OSError as error:
            raise self._error(doing, error) from error
        state = "created and writable" if created else "is writable"
        return f"folder {self.directory} {state}"

    # -- naming and publishing ----------------------------------------------------------------

    def _target(self, meta: FileMeta) -> tuple[Path, filenames.FileName]:
        name_format = self.name_format or filenames.default_name_format(meta.data_type)
        stamp = self._today() if meta.data_type is DataType.SITE_BACKUPS else None
        name = filenames.render(name_format, meta, stamp)
        return self._folder(name.folders), name

    def find_stored(self, meta: FileMeta) -> str | None:
        """The file named exactly as ``meta`` would be named now, if it exists."""
        folder, name = self._target(meta)
        target = folder / name.name
        return str(target) if target.is_file() else None

    def _publish(self, temp: Path, folder: Path, name: filenames.FileName) -> StoredFile:
        """Give a complete temporary file its final name, following the conflict handling."""
        if self.conflict_handling == OVERWRITE:
            target = folder / name.name
            atomic.replace(temp, target)
            return StoredFile(str(target))
        number = 0
        while True:
            target = folder / name.numbered(number)
            if atomic.link_new(temp, target):
                return StoredFile(str(target))
            if self.conflict_handling == SKIP:
                temp.unlink(missing_ok=True)
                log.info("destination %r: %s exists, skipped", self.name, target)
                return StoredFile(str(target), skipped=True)
            number += 1

    # -- session and presentation data -------------------------------------------------------

    def write_sessions(self, site_host: str, sessions: Sequence[Session]) -> list[str]:
        """One XML file per session; a name already taken follows the conflict handling.

        Returns where each session is stored (for a skipped one, the file already there).
        """
        return self._write_documents(site_host, DataType.SESSION_DATA, sessions, session_xml)

    def write_presentations(self, site_host: str, items: Sequence[Presentation]) -> list[str]:
        """One XML file per presentation, like ``write_sessions``."""
        return self._write_documents(site_host, DataType.PRESENTATION_DATA, items, presentation_xml)

    def _write_documents(
        self,
        site_host: str,
        data_type: DataType,
        items: Iterable[_Item],
        to_xml: Callable[[_Item, str | None], bytes],
    ) -> list[str]:
        """Store a batch all together or not at all, as far as a file system allows.

        Every document is staged before any gets its name, so bad data or a full disk leaves
        the folder as it was. If naming fails part way, the files this batch created are
        removed again (files replaced under Overwrite cannot be restored), so running the
        batch again creates no duplicates.
        """
        staged: list[tuple[Path, Path, filenames.FileName, str]] = []
        created: list[Path] = []
        try:
            for item in items:
                session_type = item.session_type if isinstance(item, Session) else ""
                meta = FileMeta(
                    site_host, data_type, "xml", lsid=item.lsid, lseq=item.lseq,
                    external_key=item.external_key, session_type=session_type,
                )
                folder, name = self._target(meta)
                doing = f"cannot store {_describe(meta)} in {folder}"
                try:
                    data = self._document(item, to_xml)
                except ValueError as error:  # text XML cannot carry
                    message = f"destination {self.name!r}: {doing}: {error}"
                    raise DestinationError(message) from error
                try:
                    temp = atomic.write_staged(folder, data, self._wrapper(doing))
                except OSError as error:
                    raise self._error(doing, error) from error
                staged.append((temp, folder, name, doing))
            locations: list[str] = []
            for temp, folder, name, doing in staged:
                try:
                    stored = self._publish(temp, folder, name)
                except OSError as error:
                    raise self._error(doing, error) from error
                if not stored.skipped and self.conflict_handling != OVERWRITE:
                    created.append(Path(stored.location))
                locations.append(stored.location)
        except BaseException:
            for temp, *_ in staged:
                temp.unlink(missing_ok=True)
            for path in created:
                path.unlink(missing_ok=True)
            raise
        for folder in {folder for _, folder, _, _ in staged}:
            atomic.sync_directory(folder)
        return locations

    def _document(self, item: _Item, to_xml: Callable[[_Item, str | None], bytes]) -> bytes:
        """The XML file of one session: as the appliance sent it, in the Download Format."""
        source = item.source
        if source is None:
            return to_xml(item, self.namespace)
        if self.keep_namespace:
            return source.document()
        return document_without_namespaces(source)

    # -- recordings and backups --------------------------------------------------------------

    @contextmanager
    def file_writer(self, meta: FileMeta) -> Iterator[BinaryIO]:
        """A stream for one recording or backup, stored atomically when the block ends.

        The file is named when the block ends: a caller that learns the real extension only
        from the download (mp4 rather than flv) sets ``stream.extension`` inside the block.
        An exception in the block leaves nothing behind. Afterwards ``last_stored`` says where
        the file landed, whether it was skipped, and which old backups retention removed.
        """
        self.last_stored = None
        folder, _ = self._target(meta)
        doing = f"cannot store {_describe(meta)} in {folder}"
        try:
            staged = atomic.StagedFile(folder, self._wrapper(doing))
        except OSError as error:
            raise self._error(doing, error) from error
        try:
            yield staged.stream
            extension = getattr(staged.stream, "extension", meta.extension)
            folder, name = self._target(replace(meta, extension=extension))
            try:
                staged.finish()
                stored = self._publish(staged.path, folder, name)
            except OSError as error:
                raise self._error(doing, error) from error
        except BaseException:
            staged.discard()
            raise
        atomic.sync_directory(folder)
        if (
            meta.data_type is DataType.SITE_BACKUPS
            and self.retention_count is not None
            and not stored.skipped
        ):
            stored.removed_by_retention = self._apply_retention(folder, name, stored.location)
        self.last_stored = stored

    def _apply_retention(self, folder: Path, name: filenames.FileName, current: str) -> list[str]:
        """Keep the ``retention_count`` newest prior backups of this site; return the removed.

        Only files named like this plugin names this site's backups are considered (any date,
        any AppendNumber number); everything else in the folder is left alone.
        """
        family = name.family()
        current_name = Path(current).name
        prior: list[tuple[float, str]] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if (
                        entry.name != current_name
                        and family.fullmatch(entry.name)
                        and entry.is_file(follow_symlinks=False)
                    ):
                        prior.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
        except OSError as error:
            log.error("%s", self._error(f"cannot list {folder} to remove old backups", error))
            return []
        prior.sort(reverse=True)
        removed: list[str] = []
        for _, old in prior[self.retention_count:]:
            path = folder / old
            try:
                path.unlink()
            except OSError as error:
                log.error("%s", self._error(f"cannot remove the old backup {path}", error))
                continue
            removed.append(str(path))
        return removed


_WHAT = {
    DataType.SESSION_DATA: "session {lsid}",
    DataType.SESSION_RECORDINGS: "the recording of session {lsid}",
    DataType.SHOW_MY_SCREEN_RECORDINGS: "Show My Screen recording {instance} of session {lsid}",
    DataType.COMMAND_SHELL_RECORDINGS: "command shell recording {instance} of session {lsid}",
    DataType.PRESENTATION_DATA: "presentation {lsid}",
    DataType.PRESENTATION_RECORDINGS: "the recording of presentation {lsid}",
    DataType.SITE_BACKUPS: "the site backup",
}


def _describe(meta: FileMeta) -> str:
    """What a file holds, for messages: which session (and instance) or site backup."""
    what = _WHAT[meta.data_type].format(lsid=meta.lsid, instance=meta.instance)
    return f"{what} from {meta.site_host}"
