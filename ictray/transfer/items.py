"""What a transfer copies: support sessions and presentations, and their recordings.

``Family`` ties a kind of session to its report, its data type and its recording kinds;
the functions here say which recordings an item has and how a file destination names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ictray.appliance import reports
from ictray.appliance.model import Presentation, Session
from ictray.datatypes import DataType
from ictray.destinations.base import FileMeta

SUPPORT_RECORDINGS = (
    DataType.SESSION_RECORDINGS,
    DataType.SHOW_MY_SCREEN_RECORDINGS,
    DataType.COMMAND_SHELL_RECORDINGS,
)
PRESENTATION_RECORDINGS = (DataType.PRESENTATION_RECORDINGS,)
RECORDING_EXTENSIONS = ("flv", "mp4")

Item = Session | Presentation


@dataclass(frozen=True)
class Family:
    """Support sessions or presentations: how to fetch, write and find recordings of each."""

    data_type: DataType
    recording_types: tuple[DataType, ...]
    fetch: Callable[..., Iterator[Any]]
    noun: str
    listing: Callable[..., Iterator[Any]]  # the cheap report: one short row per item

    def types_in(self, selected: Iterable[DataType]) -> tuple[DataType, ...]:
        mine = (self.data_type, *self.recording_types)
        return tuple(t for t in mine if t in set(selected))


SUPPORT = Family(
    DataType.SESSION_DATA,
    SUPPORT_RECORDINGS,
    reports.iter_sessions,
    "session",
    reports.iter_session_summaries,
)
PRESENTATIONS = Family(
    DataType.PRESENTATION_DATA,
    PRESENTATION_RECORDINGS,
    reports.iter_presentations,
    "presentation",
    reports.iter_presentation_summaries,
)


def recording_refs(item: Item, data_type: DataType) -> list[int | None]:
    """The instances of one recording kind a session or presentation has (None: single)."""
    if isinstance(item, Presentation):
        ok = data_type is DataType.PRESENTATION_RECORDINGS
        return [None] if ok and item.presentation_recording_download_url else []
    if data_type is DataType.SESSION_RECORDINGS:
        return [None] if item.has_session_recording else []
    if data_type is DataType.COMMAND_SHELL_RECORDINGS:
        return [ref.instance for ref in item.command_shell_recordings]
    if data_type is DataType.SHOW_MY_SCREEN_RECORDINGS:
        return [ref.instance for ref in item.show_my_screen_recordings]
    return []


def file_meta_of(item: Item) -> dict[str, Any]:
    """What a file destination needs to name a recording of this item, kept with the item."""
    return {
        "lseq": item.lseq,
        "external_key": item.external_key,
        "session_type": getattr(item, "session_type", "presentation"),
    }


def recording_file_meta(
    site_host: str,
    data_type: DataType,
    lsid: str,
    instance: int | None,
    meta: dict[str, Any],
    extension: str = "flv",
) -> FileMeta:
    """How a file destination is to name one recording (``meta`` from ``file_meta_of``)."""
    return FileMeta(
        site_host=site_host,
        data_type=data_type,
        extension=extension,
        lsid=lsid,
        lseq=meta.get("lseq"),
        external_key=meta.get("external_key"),
        session_type=meta.get("session_type") or "",
        instance=instance,
    )
