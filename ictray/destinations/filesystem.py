"""The File System destination: session and presentation data as XML files, recordings and site
backups as files, in a local folder or a UNC share (the guide's "File System Plugin Settings").

Names come from the File Name Format (``filenames.py``), every file is written atomically
(``atomic.py``), a name already taken follows File Name Conflict Handling, and after each site
backup the Retention Count removes older backups of that site. Site backups have no session ID,
so their names also carry the date (``support.example.com-2024-05-01.nsb``): each conflict
handling mode then means "per day", and backups of earlier days are never overwritten or skipped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from ictray import platform
from ictray.appliance.model import Presentation, Refusal, Session
from ictray.appliance.parse import iter_documents
from ictray.appliance.xmlsource import document_without_namespaces
from ictray.appliance.xmlwrite import DEFAULT_NS, presentation_xml, session_xml
from ictray.datatypes import DataType
from ictray.destinations import atomic, filenames
from ictray.destinations.base import (
    BeforePublish,
    BeforePublishBatch,
    Damage,
    Destination,
    DestinationError,
    FileMeta,
    FileSink,
    Held,
    Holdings,
    Manifest,
    OptionSpec,
    Placement,
    StoredFile,
)
from ictray.errors import IctrayError, ValidationError

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
                "The number of prior backups to keep. Leave this field empty to keep all backups."
            ),
            validate=check_retention_count,
        ),
    )

    @classmethod
    def cautions(cls, options: dict[str, str]) -> list[str]:
        """A File Name Format that can give two items one name, under Overwrite or Skip: the
        guide's rules then keep only one of them (AppendNumber keeps both)."""
        name_format = options.get("name_format", "")
        handling = options.get("conflict_handling", APPEND_NUMBER)
        if not name_format or handling == APPEND_NUMBER:
            return []
        if "%LSID%" not in name_format:
            shared = "two sessions"
            missing = "%LSID%"
        elif "%INSTANCE%" not in name_format:
            shared = "two recordings of one session"
            missing = "%INSTANCE%"
        else:
            return []
        outcome = (
            "the later replaces the earlier" if handling == OVERWRITE else "only the first is kept"
        )
        return [
            f"the File Name Format has no {missing}, so {shared} can get the same file name, "
            f"and with {handling} {outcome}; add {missing} to the format or choose "
            f"{APPEND_NUMBER} to keep every file"
        ]

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
        #: Names are chosen, announced and taken one file at a time: downloads running side by
        #: side through this destination never announce the same name.
        self._naming = threading.Lock()
        #: AppendNumber's next number to try per name, so a name shared by many files (a
        #: format without %LSID%) is not searched from 0 again for every file.
        self._next_number: dict[Path, int] = {}

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

    def confirm_stored(self, placement: Placement) -> bool:
        """Whether the file at the placement holds exactly the bytes recorded for it.

        A name alone proves nothing: with a File Name Format that does not tell items apart
        (no %LSID% or %INSTANCE%), another item's file can carry the expected name.
        """
        return atomic.matches(Path(placement.location), placement.size, placement.sha256)

    # -- what the folder holds (ictray verify) -----------------------------------------------

    def holdings(
        self, site_host: str, data_type: DataType, manifest: Manifest, since: int | None = None
    ) -> Holdings | None:
        """Session and presentation documents by reading every XML file in the folder (their
        names need not say what they hold); recordings by the files the manifest names, each
        checked against the size and SHA-256 recorded when it was written. Site backups are
        not verified (each is a new snapshot, not a copy of something the appliance keeps)."""
        if data_type is DataType.SITE_BACKUPS:
            return None
        proofs = {
            placement.location: (key, placement)
            for key, placement in manifest.items()
            if isinstance(placement, Placement)
        }
        if data_type in (DataType.SESSION_DATA, DataType.PRESENTATION_DATA):
            return self._documents_held(data_type, proofs)
        return self._files_held(manifest)

    def _documents_held(
        self, data_type: DataType, proofs: dict[str, tuple[str, Placement]]
    ) -> Holdings:
        wanted = Session if data_type is DataType.SESSION_DATA else Presentation
        found = Holdings()
        for path in sorted(self._tree(".xml")):
            key, placement = proofs.get(str(path), ("", None))
            try:
                data = path.read_bytes()
            except OSError as error:
                found.damaged.append(Damage(key, str(path), f"cannot be read: {error.strerror}"))
                continue
            if placement is not None and not _same(data, placement):
                found.damaged.append(Damage(key, str(path), _changed(len(data), placement)))
            try:
                items = list(iter_documents(data))
            except IctrayError as error:
                found.damaged.append(Damage(key, str(path), f"no longer parses: {error}"))
                continue
            for item in items:
                if isinstance(item, Refusal):
                    found.damaged.append(Damage(key or item.key, str(path), item.message))
                elif isinstance(item, wanted):
                    found.held.append(Held(item.lsid, str(path), item.start_time))
        return found

    def _files_held(self, manifest: Manifest) -> Holdings:
        found = Holdings()
        for key, placement in manifest.items():
            location = placement.location if isinstance(placement, Placement) else placement
            path = Path(location)
            if not location or not path.is_file():
                continue
            if isinstance(placement, Placement):
                size, digest = atomic.file_digest(path)
                if (size, digest) != (placement.size, placement.sha256):
                    reason = (
                        f"changed since it was written ({size} bytes now, {placement.size} then)"
                    )
                    found.damaged.append(Damage(key, location, reason))
                    continue
            found.held.append(Held(key, location))
        return found

    def _tree(self, suffix: str) -> Iterator[Path]:
        """Every file with ``suffix`` under the Destination Directory, not the staged ones."""
        if not self.directory.is_dir():
            return
        for folder, _, names in os.walk(self.directory):
            for name in names:
                if name.endswith(suffix) and not name.startswith(atomic.TEMP_PREFIX):
                    yield Path(folder, name)

    def _choose(self, folder: Path, name: filenames.FileName, taken: set[Path]) -> Path | None:
        """The name a new file gets now, by the conflict handling; None when it is skipped.

        ``taken`` holds names chosen for files not named yet (the rest of a batch).
        """
        if self.conflict_handling == OVERWRITE:
            return folder / name.name
        start = folder / name.name
        number = self._next_number.get(start, 0) if self.conflict_handling == APPEND_NUMBER else 0
        while True:
            target = folder / name.numbered(number)
            if target not in taken and not os.path.lexists(target):
                if self.conflict_handling == APPEND_NUMBER:
                    self._next_number[start] = number + 1
                return target
            if self.conflict_handling == SKIP:
                log.info("destination %r: %s exists, skipped", self.name, target)
                return None
            number += 1

    def _publish(
        self,
        temp: Path,
        folder: Path,
        name: filenames.FileName,
        target: Path,
        announce: Callable[[Path], None],
    ) -> Path | None:
        """Give a complete temporary file the chosen name ``target``; None if skipped.

        If another writer took that name meanwhile, AppendNumber chooses again and announces
        the new name before taking it; Skip keeps the other writer's file.
        """
        if self.conflict_handling == OVERWRITE:
            atomic.replace(temp, target)
            return target
        while not atomic.link_new(temp, target):
            chosen = self._choose(folder, name, set())
            if chosen is None:
                temp.unlink(missing_ok=True)
                return None
            target = chosen
            announce(target)
        return target

    # -- session and presentation data -------------------------------------------------------

    def write_sessions(
        self,
        site_host: str,
        sessions: Sequence[Session],
        *,
        before_publish: BeforePublishBatch | None = None,
    ) -> list[str]:
        """One XML file per session; a name already taken follows the conflict handling.

        Returns where each session is stored (for a skipped one, the file already there).
        """
        return self._write_documents(
            site_host, DataType.SESSION_DATA, sessions, session_xml, before_publish
        )

    def write_presentations(
        self,
        site_host: str,
        items: Sequence[Presentation],
        *,
        before_publish: BeforePublishBatch | None = None,
    ) -> list[str]:
        """One XML file per presentation, like ``write_sessions``."""
        return self._write_documents(
            site_host, DataType.PRESENTATION_DATA, items, presentation_xml, before_publish
        )

    def _write_documents(
        self,
        site_host: str,
        data_type: DataType,
        items: Iterable[_Item],
        to_xml: Callable[[_Item, str | None], bytes],
        before_publish: BeforePublishBatch | None,
    ) -> list[str]:
        """Store a batch all together or not at all, as far as a file system allows.

        Every document is staged before any gets its name, so bad data or a full disk leaves
        the folder as it was. Then every name is chosen and announced (``before_publish``)
        before any is taken. If naming fails part way, the files this batch created are
        removed again (files replaced under Overwrite cannot be restored), so running the
        batch again creates no duplicates.
        """
        staged: list[_Staged] = []
        created: list[Path] = []
        try:
            for item in items:
                session_type = item.session_type if isinstance(item, Session) else ""
                meta = FileMeta(
                    site_host,
                    data_type,
                    "xml",
                    lsid=item.lsid,
                    lseq=item.lseq,
                    external_key=item.external_key,
                    session_type=session_type,
                )
                folder, name = self._target(meta)
                doing = f"cannot store {_describe(meta)} in {folder}"
                try:
                    data = self._document(item, to_xml)
                except ValueError as error:  # text XML cannot carry
                    message = f"destination {self.name!r}: {doing}: {error}"
                    raise DestinationError(message) from error
                try:
                    temp, size, digest = atomic.write_staged(folder, data, self._wrapper(doing))
                except OSError as error:
                    raise self._error(doing, error) from error
                staged.append(_Staged(item.lsid, temp, folder, name, size, digest, doing))
            with self._naming:
                locations = self._name_documents(staged, created, before_publish)
        except BaseException:
            for entry in staged:
                entry.temp.unlink(missing_ok=True)
            for path in created:
                path.unlink(missing_ok=True)
            self._next_number.clear()  # numbers of removed files are free again
            raise
        for folder in {entry.folder for entry in staged}:
            atomic.sync_directory(folder)
        return locations

    def _name_documents(
        self,
        staged: list[_Staged],
        created: list[Path],
        before_publish: BeforePublishBatch | None,
    ) -> list[str]:
        """Choose every name, announce them, then take them; return where each item is."""
        taken: set[Path] = set()
        chosen: list[Path | None] = []
        for entry in staged:
            try:
                target = self._choose(entry.folder, entry.name, taken)
            except OSError as error:
                raise self._error(entry.doing, error) from error
            if target is not None:
                taken.add(target)
            chosen.append(target)
        if before_publish is not None:
            before_publish(
                {
                    entry.lsid: entry.placement(target)
                    for entry, target in zip(staged, chosen, strict=True)
                    if target is not None
                }
            )
        locations: list[str] = []
        for entry, target in zip(staged, chosen, strict=True):
            final = None
            if target is not None:

                def announce(path: Path, entry: _Staged = entry) -> None:
                    if before_publish is not None:
                        before_publish({entry.lsid: entry.placement(path)})

                try:
                    final = self._publish(entry.temp, entry.folder, entry.name, target, announce)
                except OSError as error:
                    raise self._error(entry.doing, error) from error
            if final is None:  # skipped: the file already there stands for this item
                entry.temp.unlink(missing_ok=True)
                final = entry.folder / entry.name.name
            elif self.conflict_handling != OVERWRITE:
                created.append(final)
            locations.append(str(final))
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
    def file_writer(
        self, meta: FileMeta, *, before_publish: BeforePublish | None = None
    ) -> Iterator[FileSink]:
        """A sink for one recording or backup, stored atomically when the block ends.

        The file is named when the block ends: a caller that learns the real extension only
        from the download (mp4 rather than flv) sets ``sink.extension`` inside the block. The
        chosen name is announced (``before_publish``) before the file takes it. An exception
        in the block leaves nothing behind. Afterwards ``sink.stored`` says where the file
        landed, whether it was skipped, and which old backups retention removed.
        """
        folder, _ = self._target(meta)
        doing = f"cannot store {_describe(meta)} in {folder}"
        try:
            staged = atomic.StagedFile(folder, self._wrapper(doing))
        except OSError as error:
            raise self._error(doing, error) from error
        sink = FileSink(staged.stream, meta.extension)
        try:
            yield sink
            folder, name = self._target(replace(meta, extension=sink.extension))

            def announce(path: Path) -> None:
                if before_publish is not None:
                    before_publish(Placement(str(path), size, digest))

            try:
                size, digest = staged.finish()
                with self._naming:
                    target = self._choose(folder, name, set())
                    if target is not None:
                        announce(target)
                        target = self._publish(staged.path, folder, name, target, announce)
            except OSError as error:
                raise self._error(doing, error) from error
        except BaseException:
            staged.discard()
            raise
        if target is None:
            staged.discard()
            stored = StoredFile(str(folder / name.name), True, size=size, sha256=digest)
        else:
            stored = StoredFile(str(target), size=size, sha256=digest)
            atomic.sync_directory(folder)
        if (
            meta.data_type is DataType.SITE_BACKUPS
            and self.retention_count is not None
            and not stored.skipped
        ):
            stored.removed_by_retention = self._apply_retention(folder, name, stored.location)
        sink.stored = stored

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
        for _, old in prior[self.retention_count :]:
            path = folder / old
            try:
                path.unlink()
            except OSError as error:
                log.error("%s", self._error(f"cannot remove the old backup {path}", error))
                continue
            removed.append(str(path))
        return removed


@dataclass(frozen=True)
class _Staged:
    """One document of a batch, complete in its temporary file, waiting for its name."""

    lsid: str
    temp: Path
    folder: Path
    name: filenames.FileName
    size: int
    sha256: str
    doing: str

    def placement(self, target: Path) -> Placement:
        return Placement(str(target), self.size, self.sha256)


_WHAT = {
    DataType.SESSION_DATA: "session {lsid}",
    DataType.SESSION_RECORDINGS: "the recording of session {lsid}",
    DataType.SHOW_MY_SCREEN_RECORDINGS: "Show My Screen recording {instance} of session {lsid}",
    DataType.COMMAND_SHELL_RECORDINGS: "command shell recording {instance} of session {lsid}",
    DataType.PRESENTATION_DATA: "presentation {lsid}",
    DataType.PRESENTATION_RECORDINGS: "the recording of presentation {lsid}",
    DataType.SITE_BACKUPS: "the site backup",
}


def _same(data: bytes, placement: Placement) -> bool:
    return len(data) == placement.size and hashlib.sha256(data).hexdigest() == placement.sha256


def _changed(size: int, placement: Placement) -> str:
    """What a file whose bytes no longer match its placement's proof says about itself."""
    if size != placement.size:
        return f"changed since it was written ({size} bytes now, {placement.size} then)"
    return "changed since it was written (same size, other content)"


def _describe(meta: FileMeta) -> str:
    """What a file holds, for messages: which session (and instance) or site backup."""
    what = _WHAT[meta.data_type].format(lsid=meta.lsid, instance=meta.instance)
    return f"{what} from {meta.site_host}"
