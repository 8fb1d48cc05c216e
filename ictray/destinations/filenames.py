"""File names for the File System destination: the File Name Format and its replacement values.

The guide's rules, to the letter: a replacement value is an UPPER CASE and underscore name
between percent signs, from a fixed list, case sensitive. A format may use ``/`` or ``\\`` to put
files in sub-folders of the Destination Directory; nothing in it can leave that directory.

Values that come from the appliance (the site host, the LSID, and above all the external key, which
is free text a representative types) are made safe before they land in a name: they can add no
folder, and no name comes out that Windows or Linux would refuse or read as a device. Every name
is kept short enough that AppendNumber's ``.N`` and a backup's date still fit in 255 bytes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ictray.datatypes import DataType
from ictray.destinations.base import FileMeta

#: The guide's Special Replacement Values, with its descriptions (the dialogs show them).
REPLACEMENT_VALUES: dict[str, str] = {
    "LSEQ": (
        "An incrementing number that can be used if your application needs to represent "
        "support sessions in a non-string format. The LSEQ element is not guaranteed to be "
        "unique or strictly sequential."
    ),
    "LSID": "The session's unique string ID.",
    "EXTERNAL_KEY": "The session's external key.",
    "SESSION_TYPE": "The session's type name.",
    "SUPPORT_SITE_HOST": (
        "The hostname of the support site from which the session data or the site backup was "
        "downloaded."
    ),
    "INSTANCE": ("The instance number of the command shell recording or Show My Screen recording."),
    "EXTENSION": "The file extension name.",
}

_SESSION_NAME = "%SUPPORT_SITE_HOST%-%SESSION_TYPE%-%LSID%"
_DEFAULT_FORMATS: dict[DataType, str] = {
    DataType.SESSION_DATA: f"{_SESSION_NAME}.%EXTENSION%",
    DataType.SESSION_RECORDINGS: f"{_SESSION_NAME}.%EXTENSION%",
    DataType.SHOW_MY_SCREEN_RECORDINGS: f"{_SESSION_NAME}-show-my-screen-%INSTANCE%.%EXTENSION%",
    DataType.COMMAND_SHELL_RECORDINGS: f"{_SESSION_NAME}-command-shell-%INSTANCE%.%EXTENSION%",
    DataType.PRESENTATION_DATA: f"{_SESSION_NAME}.%EXTENSION%",
    DataType.PRESENTATION_RECORDINGS: f"{_SESSION_NAME}.%EXTENSION%",
    DataType.SITE_BACKUPS: "%SUPPORT_SITE_HOST%.%EXTENSION%",
}

# %SESSION_TYPE% when the caller did not know it: the appliance's type name for that data.
_SESSION_TYPES: dict[DataType, str] = {
    DataType.SESSION_DATA: "support",
    DataType.SESSION_RECORDINGS: "support",
    DataType.SHOW_MY_SCREEN_RECORDINGS: "support",
    DataType.COMMAND_SHELL_RECORDINGS: "support",
    DataType.PRESENTATION_DATA: "presentation",
    DataType.PRESENTATION_RECORDINGS: "presentation",
}

MAX_NAME_BYTES = 255  # NTFS allows 255 UTF-16 units, ext4 255 bytes: UTF-8 bytes satisfy both
_NUMBER_ROOM = 11  # ".N" for AppendNumber, up to ten digits
_DATE_ROOM = len("-YYYY-MM-DD")
_MAX_SUFFIX_BYTES = 32  # a longer text after the last period is no extension worth keeping

_SEPARATORS = re.compile(r"[/\\]")
_TOKEN = re.compile(r"%([A-Za-z0-9_]+)%")
_UNSAFE = frozenset('<>:"/\\|?*')
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{device}{digit}" for device in ("COM", "LPT") for digit in "123456789¹²³"}
)


def _known_values() -> str:
    return ", ".join(f"%{name}%" for name in REPLACEMENT_VALUES)


def _scan(text: str) -> list[tuple[bool, str]]:
    """Split a format into (is_value, text) pieces; ``ValueError`` names the first bad piece."""
    pieces: list[tuple[bool, str]] = []
    start = 0
    while (at := text.find("%", start)) >= 0:
        if at > start:
            pieces.append((False, text[start:at]))
        match = _TOKEN.match(text, at)
        if match is None:
            raise ValueError(
                f"unmatched % at position {at + 1} of {text!r}: replacement values start and "
                f"end with % (a % cannot be part of a file name); use {_known_values()}"
            )
        name = match.group(1)
        if name not in REPLACEMENT_VALUES:
            if name.upper() in REPLACEMENT_VALUES:
                raise ValueError(
                    f"%{name}% is not a replacement value: they are case sensitive, "
                    f"write %{name.upper()}%"
                )
            raise ValueError(f"unknown replacement value %{name}%; use {_known_values()}")
        pieces.append((True, name))
        start = match.end()
    if start < len(text):
        pieces.append((False, text[start:]))
    return pieces


def _check_segment(segment: str, text: str) -> None:
    if not segment:
        raise ValueError(
            f"{text!r} has an empty folder or file name: it must not start or end with / or \\ "
            "or hold two in a row (names are inside the Destination Directory)"
        )
    if not segment.strip(". "):
        raise ValueError(
            f"{text!r} uses {segment!r} as a name: files stay inside the Destination Directory"
        )
    literal = "".join(piece for is_value, piece in _scan(segment) if not is_value)
    bad = sorted({ch for ch in literal if ch in _UNSAFE or unicodedata.category(ch) == "Cc"})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        raise ValueError(f"{text!r} contains {shown}, which Windows does not allow in file names")


def validate_name_format(text: str) -> str:
    """Check a File Name Format as typed; return it, or raise ``ValueError`` saying what is wrong.

    An empty format is valid: each data type then gets its default name.
    """
    _scan(text)
    if text:
        for segment in _SEPARATORS.split(text):
            _check_segment(segment, text)
    return text


def default_name_format(data_type: DataType) -> str:
    """The name used when no File Name Format is set (the guide's example names)."""
    return _DEFAULT_FORMATS[data_type]


def replacement_values(meta: FileMeta) -> dict[str, str]:
    """What each replacement value stands for in the name of ``meta`` (empty when unknown)."""
    return {
        "LSEQ": "" if meta.lseq is None else str(meta.lseq),
        "LSID": meta.lsid,
        "EXTERNAL_KEY": meta.external_key or "",
        "SESSION_TYPE": meta.session_type or _SESSION_TYPES.get(meta.data_type, ""),
        "SUPPORT_SITE_HOST": meta.site_host,
        "INSTANCE": "" if meta.instance is None else str(meta.instance),
        "EXTENSION": meta.extension.lstrip("."),
    }


def safe_value(text: str) -> str:
    """A value from the appliance with everything that could add a folder or break a name
    (separators, ``:*?"<>|``, control characters, unpaired surrogates) replaced by ``_``."""
    return "".join(
        "_" if ch in _UNSAFE or unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text
    )


def _truncate(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[: max(max_bytes, 0)].decode("utf-8", "ignore")


def _split_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) at the last period; no suffix when there is none or it is absurdly long."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode("utf-8")) >= _MAX_SUFFIX_BYTES:
        return name, ""
    return stem, dot + suffix


def safe_component(text: str, room: int = 0) -> str:
    """One folder or file name Windows and Linux both accept, at most 255 bytes minus ``room``.

    A leading dot gets a ``_`` before it (no hidden files, no ``..``), trailing dots and spaces
    go (Windows drops them), device names (CON, NUL, COM1, LPT1... also with an extension) get a
    leading ``_``, and an over-long name is cut before its extension, which is kept.
    """
    if text.startswith("."):
        text = "_" + text
    text = text.rstrip(". ")
    if text.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        text = "_" + text
    stem, suffix = _split_suffix(text)
    limit = MAX_NAME_BYTES - room
    text = _truncate(stem, limit - len(suffix.encode("utf-8"))) + suffix
    return text.rstrip(". ") or "_"


@dataclass(frozen=True)
class FileName:
    """A rendered name: the sub-folders (from the format) and the file name in pieces.

    ``stamp`` is a site backup's date; ``numbered`` applies AppendNumber, which inserts the
    number just before the last period of the name.
    """

    folders: tuple[str, ...]
    stem: str
    suffix: str  # from the last period on (".flv"), or "" when the name has none
    stamp: str = ""  # "-YYYY-MM-DD" for site backups

    @property
    def name(self) -> str:
        return self.numbered(0)

    def numbered(self, number: int) -> str:
        """The file name with AppendNumber's ``number`` (0 = the name itself)."""
        count = f".{number}" if number else ""
        return f"{self.stem}{self.stamp}{count}{self.suffix}"

    def family(self) -> re.Pattern[str]:
        """Names of every file this name stands for: any date (if stamped), any number."""
        stamp = "-[0-9]{4}-[0-9]{2}-[0-9]{2}" if self.stamp else ""
        return re.compile(
            f"{re.escape(self.stem)}{stamp}(?:\\.[1-9][0-9]*)?{re.escape(self.suffix)}"
        )


def render(name_format: str, meta: FileMeta, stamp: date | None = None) -> FileName:
    """The safe name ``name_format`` (already validated) gives the file described by ``meta``.

    ``stamp`` adds ``-YYYY-MM-DD`` before the extension (site backups, which have no session ID).
    """
    values = replacement_values(meta)
    *folder_formats, file_format = _SEPARATORS.split(name_format)

    def fill(segment: str) -> str:
        return "".join(
            safe_value(values[piece]) if is_value else piece for is_value, piece in _scan(segment)
        )

    room = _NUMBER_ROOM + (_DATE_ROOM if stamp else 0)
    stem, suffix = _split_suffix(safe_component(fill(file_format), room))
    return FileName(
        folders=tuple(safe_component(fill(segment)) for segment in folder_formats),
        stem=stem,
        suffix=suffix,
        stamp=f"-{stamp.isoformat()}" if stamp else "",
    )
