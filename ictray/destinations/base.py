"""The destination plugin protocol and the registry that finds plugins.

A destination plugin is a class that declares the data types it accepts, the options a person
sets (with labels and tooltips the dialogs show), validates those options, tests itself, and
writes session data, presentation data and files (recordings, backups). Plugins register through
the entry-point group ``ictray.destinations``; the standard ones are also listed here by name so
a frozen (PyInstaller) build, which has no entry-point metadata, still finds them.
"""

from __future__ import annotations

import importlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import BinaryIO, ClassVar

from ictray.appliance.model import Presentation, Session
from ictray.datatypes import DataType
from ictray.errors import IctrayError, ValidationError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ictray.destinations"

STANDARD_PLUGINS = {
    "filesystem": "ictray.destinations.filesystem:FileSystemDestination",
    "sql": "ictray.destinations.sql.plugin:SqlDestination",
}


class DestinationError(IctrayError):
    """A destination could not be reached or refused a write; the message names it.

    ``lsid`` names the one session the destination refused, when the whole batch failed
    because of it (a value too wide for its column...): the others can then be written.
    """

    def __init__(self, message: str, lsid: str | None = None) -> None:
        super().__init__(message)
        self.lsid = lsid


@dataclass(frozen=True)
class OptionSpec:
    """One option of a plugin, as the CLI (``--option key=value``) and the dialogs show it.

    ``validate`` turns the typed text into the stored text or raises ``ValueError`` with a
    message that says what is wrong and how to fix it. ``secret`` options are never stored in
    the settings file in clear where a credential store exists (see ``split_secrets``).
    """

    key: str
    label: str
    tooltip: str
    default: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    secret: bool = False
    validate: Callable[[str], str] | None = None


@dataclass(frozen=True)
class FileMeta:
    """What a file destination needs to name a recording or backup it is about to store."""

    site_host: str
    data_type: DataType
    extension: str
    lsid: str = ""
    lseq: int | None = None
    external_key: str | None = None
    session_type: str = ""
    instance: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where a file is about to get its final name, and what proves later that it is ours.

    A destination that keeps copies (a second write would make a second file) hands this to
    the caller *before* the file takes its name; the caller records it, and after a crash asks
    ``confirm_stored`` whether the file there is still exactly these bytes.
    """

    location: str
    size: int
    sha256: str


#: Called with the placements of files about to be named: one, or a batch's by lsid.
BeforePublish = Callable[[Placement], None]
BeforePublishBatch = Callable[[Mapping[str, Placement]], None]


@dataclass
class StoredFile:
    """Where a file landed (``location``), or that it was skipped by conflict handling.

    ``size`` and ``sha256`` describe the bytes written (for a skipped file: the bytes that
    were not stored, as the file already there was kept).
    """

    location: str
    skipped: bool = False
    removed_by_retention: list[str] = field(default_factory=list)
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Held:
    """One item a destination holds, as read from the destination itself."""

    key: str  # the lsid, or ``lsid/instance`` for a recording with instances
    location: str
    start_time: int | None = None  # when the destination can tell (read from the item)


@dataclass(frozen=True)
class Damage:
    """Something stored that is no longer as it was written."""

    key: str  # "" when the damaged thing cannot be read far enough to say which item it was
    location: str
    reason: str


@dataclass
class Holdings:
    """What a destination holds of one data type, read from the destination, not from records.

    ``held`` may name a key more than once (an item stored twice).
    """

    held: list[Held] = field(default_factory=list)
    damaged: list[Damage] = field(default_factory=list)
    #: True when only items of the site asked about are listed (a folder may hold others)
    per_site: bool = False


#: What ictray recorded when it stored each item (key → its placement, or its location alone
#: when the destination gave no proof), the map ``Destination.holdings`` may use to find files.
Manifest = Mapping[str, "Placement | str"]


class FileSink:
    """What ``file_writer`` hands out: the stream the data goes into, the extension the caller
    learns from the download (``flv`` or ``mp4``...), and, after the block, where it landed.

    One sink per file: several downloads running side by side through one destination each
    hold their own, so no result can reach the wrong caller.
    """

    def __init__(self, stream: BinaryIO, extension: str) -> None:
        self.stream = stream
        self.extension = extension
        self.stored: StoredFile | None = None

    def write(self, data: bytes) -> int:
        return self.stream.write(data)


class Destination(ABC):
    """Base class of every destination plugin instance (one configured destination)."""

    plugin_name: ClassVar[str]
    label: ClassVar[str]
    accepts: ClassVar[frozenset[DataType]]
    #: for each data type this plugin cannot store, the reason shown to the user
    refusals: ClassVar[dict[DataType, str]] = {}
    options: ClassVar[tuple[OptionSpec, ...]]
    #: True when writing a stored session again replaces it (SQL): sessions still in progress
    #: are then stored at once and replaced when they close. File destinations, where a second
    #: write would make a second file, store a session only once it has closed.
    replaces_sessions: ClassVar[bool] = False

    def __init__(self, name: str, options: dict[str, str]) -> None:
        self.name = name
        self.config = dict(options)

    # -- options ---------------------------------------------------------------------------

    @classmethod
    def option_spec(cls, key: str) -> OptionSpec:
        for spec in cls.options:
            if spec.key == key:
                return spec
        known = ", ".join(spec.key for spec in cls.options)
        raise ValidationError(
            key, f"the {cls.label} plugin has no option {key!r}; its options are {known}"
        )

    @classmethod
    def validate_options(cls, values: dict[str, str]) -> dict[str, str]:
        """Return the complete, normalised options, or raise ``ValidationError`` for one field.

        Unknown keys are refused; missing keys take their defaults; required empty ones are
        refused. Plugins with rules across options override this and call ``super()``.
        """
        for key in values:
            cls.option_spec(key)
        result: dict[str, str] = {}
        for spec in cls.options:
            text = values.get(spec.key, spec.default)
            text = "" if text is None else str(text).strip()
            if not text:
                if spec.required:
                    raise ValidationError(spec.key, f"{spec.label} is required")
                result[spec.key] = ""
                continue
            if spec.choices and text not in spec.choices:
                match = [c for c in spec.choices if c.lower() == text.lower()]
                if not match:
                    raise ValidationError(
                        spec.key, f"{text!r} is not one of {', '.join(spec.choices)}"
                    )
                text = match[0]
            if spec.validate is not None:
                try:
                    text = spec.validate(text)
                except ValueError as error:
                    raise ValidationError(spec.key, str(error)) from None
            result[spec.key] = text
        return result

    @classmethod
    def cautions(cls, options: dict[str, str]) -> list[str]:
        """What a person should know about valid options that may not do what they expect
        (e.g. settings under which one item can replace another); shown when saving, testing
        and showing the destination. ``options`` are complete (``validate_options``' result)
        less their secrets."""
        return []

    @classmethod
    def split_secrets(cls, options: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Separate what may be stored in clear from secrets (for the credential store).

        The default moves every ``secret`` option out whole; a plugin whose option only
        contains a secret (a password inside a connection string) overrides this.
        """
        public = dict(options)
        secrets = {
            spec.key: public.pop(spec.key)
            for spec in cls.options
            if spec.secret and public.get(spec.key)
        }
        return public, secrets

    @classmethod
    def join_secrets(cls, public: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
        """Inverse of ``split_secrets``."""
        return {**public, **secrets}

    @classmethod
    def check_data_types(cls, data_types: Sequence[DataType]) -> None:
        """Refuse data types this plugin cannot store, with the plugin's reason."""
        for data_type in data_types:
            if data_type not in cls.accepts:
                reason = cls.refusals.get(
                    data_type, f"the {cls.label} plugin cannot store {data_type.label.lower()}"
                )
                raise ValidationError("data types", reason)

    # -- work ------------------------------------------------------------------------------

    @abstractmethod
    def test(self) -> str:
        """Check the destination is usable (writable, reachable, with the needed rights).

        Returns a one-line description of what was checked; raises ``DestinationError``.
        """

    def open(self) -> None:  # noqa: B027 - optional hook
        """Prepare for writing (connect, create the schema); called once per run."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what ``open`` took."""

    def __enter__(self) -> Destination:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write_sessions(
        self,
        site_host: str,
        sessions: Sequence[Session],
        *,
        before_publish: BeforePublishBatch | None = None,
    ) -> list[str]:
        """Store a batch of support sessions all together or not at all; return locations.

        A destination that replaces sessions (``replaces_sessions``) replaces one already
        stored (same lsid and site host). One that keeps copies calls ``before_publish`` with
        each session's ``Placement`` (by lsid) before any of them takes its final name.
        """
        raise DestinationError(f"destination {self.name!r} cannot store session data")

    def write_presentations(
        self,
        site_host: str,
        items: Sequence[Presentation],
        *,
        before_publish: BeforePublishBatch | None = None,
    ) -> list[str]:
        """Like ``write_sessions``, for presentations."""
        raise DestinationError(f"destination {self.name!r} cannot store presentation data")

    def file_writer(
        self, meta: FileMeta, *, before_publish: BeforePublish | None = None
    ) -> AbstractContextManager[FileSink]:
        """A sink for one recording or backup, stored atomically when the block ends.

        If the ``with`` block raises, nothing is left behind. A caller that learns the real
        extension only from the download sets ``sink.extension`` inside the block. Before the
        file takes its final name, ``before_publish`` gets its ``Placement``; after a clean
        exit, ``sink.stored`` tells where the file landed.
        """
        raise DestinationError(f"destination {self.name!r} cannot store files")

    def holdings(
        self, site_host: str, data_type: DataType, manifest: Manifest, since: int | None = None
    ) -> Holdings | None:
        """What this destination holds of ``data_type`` from ``site_host``, for ``ictray verify``.

        Read from the destination itself: items that can be read (session documents, rows) are
        found by reading them; opaque files (recordings) through ``manifest`` and checked
        against their size and SHA-256. ``since`` (appliance time) lets a destination that can
        leave out older items do so. None when this destination cannot tell (the default).
        """
        return None

    def confirm_stored(self, placement: Placement) -> bool:
        """Whether the file at ``placement.location`` holds exactly the bytes it describes.

        Asked after a crash, for a write whose placement was recorded but whose end was not:
        True means it landed (it is not written again), False that it must be written again.
        A destination that keeps copies must answer this; the default, False, suits one
        whose writes replace (writing again is harmless).
        """
        return False


def _standard_classes() -> dict[str, str]:
    found = dict(STANDARD_PLUGINS)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found[point.name] = point.value
    return found


def plugin_names() -> list[str]:
    """Every plugin name known: the standard ones and those installed with pip."""
    return sorted(_standard_classes())


#: Plugin classes already loaded, by name. Every run loads its destination's plugin, and
#: looking through the installed packages' entry points costs more than the rest of a quiet
#: run; a name not loaded yet is looked for again, so a plugin installed later is found.
_LOADED: dict[str, type[Destination]] = {}


def load_plugin(name: str) -> type[Destination]:
    """The plugin class registered under ``name``; a clear error when there is none, or when it
    cannot be loaded (the reason is named)."""
    loaded = _LOADED.get(name)
    if loaded is not None:
        return loaded
    target = _standard_classes().get(name)
    if target is None:
        raise ValidationError(
            "plugin",
            f"no destination plugin named {name!r}; installed: {', '.join(plugin_names())}",
        )
    module_name, _, attribute = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # a third-party module may fail in any way as it loads
        raise IctrayError(
            f"destination plugin {name!r} ({target}) cannot be loaded: "
            f"{type(error).__name__}: {error}"
        ) from error
    if not (isinstance(cls, type) and issubclass(cls, Destination)):
        raise IctrayError(f"destination plugin {name!r} ({target}) is not a Destination class")
    _LOADED[name] = cls
    return cls


@dataclass(frozen=True)
class PluginInfo:
    """One plugin as found: its class, or why it is unavailable."""

    name: str
    plugin: type[Destination] | None
    problem: str = ""


_reported: set[str] = set()


def plugins() -> list[PluginInfo]:
    """Every plugin known, by name. One that fails to load is listed as unavailable with the
    reason (and logged once), so the others stay usable."""
    found = []
    for name in plugin_names():
        try:
            found.append(PluginInfo(name, load_plugin(name)))
        except IctrayError as error:
            if name not in _reported:
                _reported.add(name)
                log.warning("%s; the other destination plugins work", error)
            found.append(PluginInfo(name, None, str(error)))
    return found


def iter_plugins() -> Iterator[type[Destination]]:
    """The plugins that load."""
    for info in plugins():
        if info.plugin is not None:
            yield info.plugin
