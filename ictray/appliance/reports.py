"""The report requests: sessions and presentations, their listings, recordings, backups.

Session reports are parsed while they arrive (the response is read in chunks and fed to
``parse.py``), so a report of any size costs the memory of one session. Each function yields
model objects (and, for sessions and presentations, a ``Refusal`` in place of one that cannot
be read, see ``parse.py``); close the iterator (or read it to the end) to give the connection
back.

Recordings and backups are written in chunks into a caller's binary ``out``. A download that
stops early (fewer bytes than ``Content-Length``, or a dropped connection) is tried again from
the start within the client's retry budget: for that ``out`` must be seekable, and it is rewound
to where it stood and truncated before each new try. A non-seekable ``out`` gets no second try.
When a download finally fails, a seekable ``out`` is left as it was found (nothing of it kept)
and ``DownloadIncompleteError`` is raised.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from email.message import Message
from typing import BinaryIO, TypeVar
from urllib.parse import urlsplit

from ictray.appliance import contract, parse
from ictray.appliance.client import STREAM_ERRORS, ApiResponse, ApplianceClient
from ictray.appliance.errors import (
    ApplianceError,
    ApplianceUnreachableError,
    DownloadIncompleteError,
    PermissionRefusedError,
    RecordingExpiredError,
)
from ictray.appliance.model import Presentation, Refusal, Session, SessionSummary
from ictray.datatypes import DataType
from ictray.errors import ValidationError

T = TypeVar("T")
log = logging.getLogger(__name__)
#: How many first bytes of a download are kept to tell its format when its answer names none.
SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class TimeWindow:
    """Sessions that started in ``[since, since + duration)`` or, with ``by_end``, ended there.

    ``duration`` is in seconds; 0 means "until the appliance's now". Started sessions include
    those still in progress; ended ones are closed sessions only.
    """

    since: int
    duration: int = 0
    by_end: bool = False

    def __post_init__(self) -> None:
        for name in ("since", "duration"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be whole seconds (int), not {value!r}")
        if self.duration < 0:
            raise ValueError(f"duration must be 0 or more seconds, not {self.duration}")

    def params(self) -> dict[str, str]:
        name = contract.END_TIME if self.by_end else contract.START_TIME
        return {name: str(self.since), contract.DURATION: str(self.duration)}


@dataclass(frozen=True)
class DownloadResult:
    """What a download wrote: its size, content type, file extension and suggested name."""

    bytes: int
    content_type: str | None
    extension: str
    filename: str | None = None


# -- session and presentation reports -------------------------------------------------------------


def iter_sessions(
    client: ApplianceClient, window: TimeWindow | None = None, *, lsids: Iterable[str] | None = None
) -> Iterator[Session | Refusal]:
    """``SupportSession``: the full sessions of a time window, or of the given LSIDs.

    A session that cannot be read is a ``Refusal`` in its place; the others follow.
    """
    return _iter_report(client, contract.SUPPORT_SESSION, parse.iter_sessions, window, lsids)


def iter_session_summaries(
    client: ApplianceClient, window: TimeWindow | None = None, *, lsids: Iterable[str] | None = None
) -> Iterator[SessionSummary]:
    """``SupportSessionListing``: LSID and recording flag of each session, cheaply."""
    return _iter_report(
        client, contract.SUPPORT_SESSION_LISTING, parse.iter_session_summaries, window, lsids
    )


def iter_presentations(
    client: ApplianceClient, window: TimeWindow | None = None, *, lsids: Iterable[str] | None = None
) -> Iterator[Presentation | Refusal]:
    """``PresentationSession``: the full presentations of a time window or of given LSIDs.

    A presentation that cannot be read is a ``Refusal`` in its place.
    """
    return _iter_report(
        client, contract.PRESENTATION_SESSION, parse.iter_presentations, window, lsids
    )


def iter_presentation_summaries(
    client: ApplianceClient, window: TimeWindow | None = None, *, lsids: Iterable[str] | None = None
) -> Iterator[SessionSummary]:
    """``PresentationSessionListing``: LSID and recording flag of each presentation."""
    return _iter_report(
        client,
        contract.PRESENTATION_SESSION_LISTING,
        parse.iter_presentation_summaries,
        window,
        lsids,
    )


def _iter_report(
    client: ApplianceClient,
    report: str,
    parser: Callable[[Iterator[bytes]], Iterator[T]],
    window: TimeWindow | None,
    lsids: Iterable[str] | None,
) -> Iterator[T]:
    """Check the arguments now (not at the first ``next``), then ask as the items are read."""
    if (window is None) == (lsids is None):
        raise ValueError("give either a time window or LSIDs")
    if window is not None:
        calls = [("GET", {contract.GENERATE_REPORT: report, **window.params()})]
    else:
        calls = [
            ("GET", {contract.GENERATE_REPORT: report, contract.LSID: batch[0]})
            if len(batch) == 1
            else ("POST", {contract.GENERATE_REPORT: report, contract.LSIDS: ",".join(batch)})
            for batch in _batches(_checked_lsids(lsids or ()))
        ]
    return _stream_reports(client, report, calls, parser)


def _stream_reports(
    client: ApplianceClient,
    report: str,
    calls: list[tuple[str, dict[str, str]]],
    parser: Callable[[Iterator[bytes]], Iterator[T]],
) -> Iterator[T]:
    for method, params in calls:
        yield from _stream_report(client, report, method, params, parser)


def _stream_report(
    client: ApplianceClient,
    report: str,
    method: str,
    params: Mapping[str, str],
    parser: Callable[[Iterator[bytes]], Iterator[T]],
) -> Iterator[T]:
    """Parse one report as it arrives; a dropped connection is ``DownloadIncompleteError``."""
    what = f"the {report} report"
    query, form = (params, None) if method == "GET" else (None, params)
    answer = client.open(
        method,
        contract.REPORTING_PATH,
        what=what,
        params=query,
        data=form,
        empty_ok=True,
        needs=contract.REPORT_PERMISSIONS.get(report),
    )
    if answer is None:
        return
    counter = _Counter(answer)
    with answer:
        try:
            yield from parser(iter(counter))
        except STREAM_ERRORS as error:
            raise client.cut_short(
                what, client.describe(error), counter.received, answer.content_length, tries=1
            ) from None
        except parse.ApplianceReportedError as error:
            if not contract.is_empty_result(error.text):
                raise client.error_for(error.text, what) from None
        except parse.MalformedReportError as error:
            wrapped = parse.MalformedReportError(f"site {client.site_name}: {error}")
            wrapped.line, wrapped.column = error.line, error.column
            wrapped.last_lsid = error.last_lsid
            raise wrapped from None


class _Counter:
    """The chunks of an answer, counting the bytes that went through."""

    def __init__(self, answer: ApiResponse) -> None:
        self._answer = answer
        self.received = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._answer.iter_bytes():
            self.received += len(chunk)
            yield chunk


def _checked_lsids(lsids: Iterable[str]) -> list[str]:
    """The LSIDs once each (hex digits in any case), in order; anything else is refused."""
    seen: dict[str, str] = {}
    for lsid in lsids:
        text = str(lsid).strip()
        if not contract.is_lsid(text):
            raise ValidationError("lsid", f"{lsid!r} is not a session LSID (32 hex digits)")
        seen.setdefault(text.lower(), text)
    return list(seen.values())


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), contract.LSIDS_BATCH):
        yield items[start : start + contract.LSIDS_BATCH]


# -- recordings and backups -----------------------------------------------------------------------


def download_recording(
    client: ApplianceClient, kind: DataType, lsid: str, instance: int | None, out: BinaryIO
) -> DownloadResult:
    """Write one recording into ``out``; the extension comes from the answer (default flv).

    ``instance`` (from 0, as the session report numbers them) is required for Show My Screen
    and command shell recordings and must be ``None`` for the others. Raises
    ``RecordingExpiredError`` when the appliance no longer keeps it.

    [assumed] the recording report numbers instances as the session report does; a site that
    refuses instance 0 is asked for instance 1 instead, and from then on every instance one
    higher (learnt once per site and process, docs/appliance-api.md#recordings).
    """
    if kind not in contract.RECORDING_REPORTS:
        raise ValueError(f"{kind.label} are not recordings")
    report, needs_instance = contract.RECORDING_REPORTS[kind]
    (lsid,) = _checked_lsids([lsid])
    if needs_instance != (instance is not None):
        raise ValueError(
            f"{kind.label.lower()} {'need' if needs_instance else 'take no'} instance number"
        )
    what = f"the {kind.label.lower().rstrip('s')} of session {lsid}"
    if instance is None:
        return _download_recording(client, report, lsid, None, what, out)
    what += f" (instance {instance})"
    site = client.site
    offset = site.instance_offset
    try:
        result = _download_recording(client, report, lsid, instance + (offset or 0), what, out)
    except (
        RecordingExpiredError,
        PermissionRefusedError,
        ApplianceUnreachableError,
        DownloadIncompleteError,
    ):
        raise
    except ApplianceError as refused:
        if offset is not None or instance != 0:
            raise
        try:
            result = _download_recording(client, report, lsid, 1, what, out)
        except ApplianceError:
            raise refused from None
        site.instance_offset = 1
        log.info(
            "site %s numbers recording instances from 1 (instance 0 was refused: %s); later "
            "recordings are asked for one number higher than the session report lists them",
            client.site_name,
            refused.appliance_text or refused,
        )
        return result
    if offset is None:
        site.instance_offset = 0
    return result


def _download_recording(
    client: ApplianceClient,
    report: str,
    lsid: str,
    instance: int | None,
    what: str,
    out: BinaryIO,
) -> DownloadResult:
    params = {contract.GENERATE_REPORT: report, contract.LSID: lsid}
    if instance is not None:
        params[contract.INSTANCE] = str(instance)
    signature = bytearray()
    answer_headers, size = _download(
        client,
        "GET",
        contract.REPORTING_PATH,
        params,
        what,
        out,
        needs=contract.REPORT_PERMISSIONS[report],
        signature=signature,
    )
    content_type = _content_type(answer_headers)
    name = disposition_filename(answer_headers)
    extension = recording_extension(content_type, name, bytes(signature))
    return DownloadResult(size, content_type, extension, name)


def download_backup(
    client: ApplianceClient, out: BinaryIO, password: str | None = None
) -> DownloadResult:
    """Write the site backup (``.nsb``) into ``out``, encrypted with ``password`` if given.

    The API account needs the backup permission. The password travels in a JSON body, never
    in the URL. ``filename`` is the appliance's, else ``<host>-<YYYY-MM-DD>.nsb`` (today).
    """
    body = None
    if password:
        client.remember_secret(password)
        body = {contract.BACKUP_PASSWORD: password}
    headers, size = _download(
        client,
        contract.BACKUP_METHOD,
        contract.BACKUP_PATH,
        {},
        "the site backup",
        out,
        body,
        needs=contract.BACKUP,
    )
    name = backup_filename(client.host, headers)
    extension = name.rsplit(".", 1)[1].lower() if "." in name else contract.BACKUP_EXTENSION
    return DownloadResult(size, _content_type(headers), extension, name)


def _download(
    client: ApplianceClient,
    method: str,
    path: str,
    params: Mapping[str, str],
    what: str,
    out: BinaryIO,
    json: Mapping[str, str] | None = None,
    *,
    needs: contract.Permission | None = None,
    signature: bytearray | None = None,
) -> tuple[Mapping[str, str], int]:
    """Stream one file into ``out``, again from the start after a cut; (headers, bytes).

    ``signature`` receives the first ``SIGNATURE_BYTES`` of the file.
    """
    start = _position(out)
    budget = client.retry_budget()
    while True:
        answer = client.open(
            method, path, what=what, params=params, json=json, budget=budget, needs=needs
        )
        received = 0
        with answer:
            expected = answer.content_length
            try:
                for chunk in answer.iter_bytes():
                    if signature is not None and received < SIGNATURE_BYTES:
                        del signature[received:]
                        signature += chunk[: SIGNATURE_BYTES - received]
                    out.write(chunk)
                    received += len(chunk)
            except STREAM_ERRORS as error:
                reason = client.describe(error)
            else:
                if expected is None or received == expected:
                    return answer.headers, received
                reason = "the answer ended early"
        if start is not None:
            _rewind(out, start)
        wait = budget.next_wait() if start is not None else None
        if wait is None:
            raise client.cut_short(what, reason, received, expected, tries=budget.retries + 1)
        time.sleep(wait)


def _position(out: BinaryIO) -> int | None:
    """Where ``out`` stands now, or ``None`` if it cannot be rewound."""
    try:
        return out.tell() if out.seekable() else None
    except (OSError, ValueError):
        return None


def _rewind(out: BinaryIO, position: int) -> None:
    out.seek(position)
    out.truncate()


def _content_type(headers: Mapping[str, str]) -> str | None:
    value = headers.get("Content-Type")
    return value.split(";", 1)[0].strip().lower() if value else None


def disposition_filename(headers: Mapping[str, str]) -> str | None:
    """The file name of a ``Content-Disposition`` header, reduced to a bare, safe name."""
    value = headers.get("Content-Disposition")
    if not value:
        return None
    message = Message()
    message["Content-Disposition"] = value
    name = message.get_filename()
    if not name:
        return None
    name = re.split(r"[\\/]", name)[-1].strip().strip(".")
    name = re.sub(r'[\x00-\x1f<>:"|?*]', "_", name)
    return name or None


def backup_filename(host: str, headers: Mapping[str, str]) -> str:
    """The appliance's name for a backup, else ``<host>-<YYYY-MM-DD>.nsb`` (today, no port)."""
    name = disposition_filename(headers)
    if name is None:
        bare = (urlsplit(f"https://{host}").hostname or host).replace(":", "-")
        name = f"{bare}-{date.today():%Y-%m-%d}.{contract.BACKUP_EXTENSION}"
    return name


def recording_extension(content_type: str | None, filename: str | None, head: bytes = b"") -> str:
    """The extension for a recording: from its file name, else its content type, else its
    first bytes (``head``), else flv."""
    if filename and "." in filename:
        extension = filename.rsplit(".", 1)[1].lower()
        if extension.isalnum() and len(extension) <= 8:
            return extension
    if content_type in contract.RECORDING_EXTENSIONS:
        return contract.RECORDING_EXTENSIONS[content_type]
    if content_type and content_type.startswith("video/"):
        guessed = mimetypes.guess_extension(content_type)
        if guessed:
            return guessed.lstrip(".")
    for offset, magic, extension in contract.RECORDING_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return extension
    return contract.DEFAULT_RECORDING_EXTENSION
