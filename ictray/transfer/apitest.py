"""The API Tester: transfer now, outside the schedules, to check a configuration.

As the guide's *Test the Integration Client*: for chosen sites, a start date and duration or
given session IDs, chosen destinations and data types, copy now; or parse XML files saved
earlier and store what they hold, connecting back to a site only for data types that need it
(recordings, backups). Nothing here touches the schedules' watermarks: a test run never changes
what the next scheduled run asks for.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ictray.appliance import parse, reports
from ictray.appliance.client import ApplianceClient
from ictray.appliance.errors import ApplianceError, RecordingExpiredError
from ictray.appliance.model import Presentation, Refusal, Session
from ictray.datatypes import DataType
from ictray.destinations.base import Destination, DestinationError, FileMeta, load_plugin
from ictray.errors import IctrayError, ValidationError
from ictray.logs import register_secret
from ictray.settings import Settings
from ictray.settings.destinations import get_destination, open_destination
from ictray.settings.sites import get_site, site_credentials
from ictray.transfer.items import file_meta_of, recording_file_meta, recording_refs

DATA_TYPES = {DataType.SESSION_DATA, DataType.PRESENTATION_DATA}
BATCH = 200

log = logging.getLogger("ictray.apitest")


@dataclass
class TestLine:
    """What one data type did for one site and destination."""

    site: str
    destination: str
    data_type: DataType
    stored: int = 0
    skipped: int = 0
    expired: int = 0
    failed: int = 0
    refused: int = 0  # sessions the report held but that could not be read (see errors)
    locations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused and not self.errors


@dataclass(frozen=True)
class Selection:
    """Which sessions: a window of start times, or session IDs."""

    start: int | None = None
    duration: int = 0
    lsids: tuple[str, ...] = ()

    def window(self) -> reports.TimeWindow | None:
        return None if self.lsids else reports.TimeWindow(self.start or 0, self.duration)


Report = Callable[[str], None]


def _destinations(names: Iterable[str], data_types: list[DataType]) -> list[Any]:
    chosen = []
    for name in names:
        dest = get_destination(name)
        try:
            load_plugin(dest.plugin).check_data_types(data_types)
        except ValidationError as error:
            raise ValidationError(
                "data types", f"destination {dest.name!r} cannot take this: {error.message}"
            ) from None
        chosen.append(dest)
    if not chosen:
        raise ValidationError("destination", "choose at least one destination")
    return chosen


def _client(settings: Settings, site_name: str) -> tuple[ApplianceClient, str | None]:
    credentials = site_credentials(settings, get_site(site_name))
    register_secret(credentials.client_secret)
    register_secret(credentials.backup_password)
    return ApplianceClient.for_site(credentials), credentials.backup_password


def run_live(
    settings: Settings,
    *,
    sites: list[str],
    destinations: list[str],
    data_types: list[DataType],
    selection: Selection,
    report: Report | None = None,
) -> list[TestLine]:
    """Copy the selected sessions of each site to each destination now."""
    if not sites:
        raise ValidationError("site", "choose at least one site")
    if not data_types:
        raise ValidationError("data types", "choose at least one data type")
    chosen = _destinations(destinations, data_types)
    lines: list[TestLine] = []
    for site_name in sites:
        client, password = _client(settings, site_name)
        with client:
            for dest in chosen:
                plugin = open_destination(settings, dest)
                lines += _copy(client, plugin, site_name, data_types, selection, password, report)
    return lines


def run_xml(
    settings: Settings,
    *,
    files: list[Path],
    destinations: list[str],
    data_types: list[DataType],
    site: str | None = None,
    host: str | None = None,
    report: Report | None = None,
) -> list[TestLine]:
    """Store what saved XML files hold; recordings and backups come from ``site``.

    ``host`` is the host name the data is stored under (the SQL ``host_name``); it defaults to
    the site's.
    """
    if not files:
        raise ValidationError("xml", "give at least one XML file")
    if not data_types:
        raise ValidationError("data types", "choose at least one data type")
    needs_site = [t for t in data_types if t not in DATA_TYPES]
    if needs_site and site is None:
        raise ValidationError(
            "site",
            f"{needs_site[0].label.lower()} come from the appliance: name the site "
            "they were extracted from with --site",
        )
    for path in files:
        if not path.is_file():
            raise ValidationError("xml", f"{path} is not a file")
    kinds = {path: report_kind(path) for path in files}
    if site is None and not host:
        raise ValidationError(
            "site",
            "name the site the XML files came from with --site, or its host name with "
            "--host (stored sessions are told apart by their site's host)",
        )
    chosen = _destinations(destinations, data_types)
    client, password = _client(settings, site) if site else (None, None)
    if not host:
        host = client.host if client is not None else ""
    lines: list[TestLine] = []
    try:
        for dest in chosen:
            plugin = open_destination(settings, dest)
            with plugin:
                lines += _store_files(
                    plugin, host, site or host, kinds, data_types, client, password, report
                )
    finally:
        if client is not None:
            client.close()
    return lines


def _copy(
    client: ApplianceClient,
    plugin: Destination,
    site_name: str,
    data_types: list[DataType],
    selection: Selection,
    password: str | None,
    report: Report | None,
) -> list[TestLine]:
    lines = {t: TestLine(site_name, plugin.name, t) for t in data_types}
    try:
        with plugin:
            items: Iterator[Session | Presentation | Refusal]
            support = [t for t in data_types if t in _SUPPORT]
            if support:
                items = reports.iter_sessions(
                    client, selection.window(), lsids=selection.lsids or None
                )
                _store_items(plugin, client, client.host, items, support, lines, report)
            shows = [t for t in data_types if t in _PRESENTATION]
            if shows:
                items = reports.iter_presentations(
                    client, selection.window(), lsids=selection.lsids or None
                )
                _store_items(plugin, client, client.host, items, shows, lines, report)
            if DataType.SITE_BACKUPS in lines:
                _backup(plugin, client, password, lines[DataType.SITE_BACKUPS], report)
    except (ApplianceError, DestinationError, IctrayError) as error:
        first = next(iter(lines.values()))
        first.errors.append(str(error))
    return list(lines.values())


_SUPPORT = {
    DataType.SESSION_DATA,
    DataType.SESSION_RECORDINGS,
    DataType.SHOW_MY_SCREEN_RECORDINGS,
    DataType.COMMAND_SHELL_RECORDINGS,
}
_PRESENTATION = {DataType.PRESENTATION_DATA, DataType.PRESENTATION_RECORDINGS}


def _store_files(
    plugin: Destination,
    host: str,
    site_label: str,
    kinds: dict[Path, bool],
    data_types: list[DataType],
    client: ApplianceClient | None,
    password: str | None,
    report: Report | None,
) -> list[TestLine]:
    lines = {t: TestLine(site_label, plugin.name, t) for t in data_types}
    try:
        for path, kind in kinds.items():
            wanted = [t for t in data_types if t in (_PRESENTATION if kind else _SUPPORT)]
            if not wanted:
                continue
            with path.open("rb") as handle:
                items: Iterator[Any] = (
                    parse.iter_presentations(handle) if kind else parse.iter_sessions(handle)
                )
                _store_items(plugin, client, host, items, wanted, lines, report)
        if DataType.SITE_BACKUPS in lines and client is not None:
            _backup(plugin, client, password, lines[DataType.SITE_BACKUPS], report)
    except (ApplianceError, DestinationError, IctrayError) as error:
        next(iter(lines.values())).errors.append(str(error))
    return list(lines.values())


def report_kind(path: Path) -> bool:
    """True for a presentation report, False for a support session report (by root element)."""
    with path.open("rb") as handle:
        head = handle.read(65536).decode("utf-8", "replace")
    match = re.search(r"<(?![?!])(?:[\w.-]+:)?([\w.-]+)", head)
    if match is None:
        raise ValidationError("xml", f"{path} holds no XML element")
    root = match.group(1)
    if root == "error":
        raise ValidationError("xml", f"{path} is an error answer from the appliance, not a report")
    if root not in ("session_list", "presentation_session_list"):
        raise ValidationError(
            "xml",
            f"{path} is not a SupportSession or PresentationSession report "
            f"(its root element is <{root}>)",
        )
    return root == "presentation_session_list"


def _store_items(
    plugin: Destination,
    client: ApplianceClient | None,
    host: str,
    items: Iterable[Session | Presentation | Refusal],
    data_types: list[DataType],
    lines: dict[DataType, TestLine],
    report: Report | None,
) -> None:
    data_type = next((t for t in data_types if t in DATA_TYPES), None)
    line_of_refusals = lines[data_type if data_type is not None else data_types[0]]
    batch: list[Any] = []

    def flush() -> None:
        if not batch or data_type is None:
            return
        writer = (
            plugin.write_sessions
            if data_type is DataType.SESSION_DATA
            else (plugin.write_presentations)
        )
        locations = writer(host, list(batch))
        line = lines[data_type]
        line.stored += len(batch)
        line.locations += locations
        if report:
            report(f"{plugin.name}: {line.stored} {data_type.label.lower()} stored")
        batch.clear()

    for item in items:
        if isinstance(item, Refusal):
            # One line that names the session and what was wrong (shown with the results,
            # so only logged here); the others go on.
            log.info("%s", item.message)
            line_of_refusals.refused += 1
            line_of_refusals.errors.append(item.message)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
        if client is None:
            continue
        for recording_type in data_types:
            if recording_type in DATA_TYPES or item.in_progress:
                continue
            for instance in recording_refs(item, recording_type):
                _download(
                    plugin,
                    client,
                    host,
                    item,
                    recording_type,
                    instance,
                    lines[recording_type],
                    report,
                )
    flush()


def _download(
    plugin: Destination,
    client: ApplianceClient,
    host: str,
    item: Session | Presentation,
    data_type: DataType,
    instance: int | None,
    line: TestLine,
    report: Report | None,
) -> None:
    meta = recording_file_meta(host, data_type, item.lsid, instance, file_meta_of(item))
    try:
        with plugin.file_writer(meta) as sink:
            result = reports.download_recording(client, data_type, item.lsid, instance, sink.stream)
            sink.extension = result.extension
    except RecordingExpiredError:
        line.expired += 1
        return
    except (ApplianceError, DestinationError) as error:
        line.failed += 1
        line.errors.append(str(error))
        return
    stored = sink.stored
    if stored is not None:
        line.skipped += int(stored.skipped)
        line.stored += int(not stored.skipped)
        line.locations.append(stored.location)
    if report:
        report(f"{plugin.name}: {data_type.label.lower()} of {item.lsid} stored")


def _backup(
    plugin: Destination,
    client: ApplianceClient,
    password: str | None,
    line: TestLine,
    report: Report | None,
) -> None:
    meta = FileMeta(site_host=client.host, data_type=DataType.SITE_BACKUPS, extension="nsb")
    with plugin.file_writer(meta) as sink:
        result = reports.download_backup(client, sink.stream, password)
        sink.extension = result.extension
    stored = sink.stored
    line.stored += 1
    if stored is not None:
        line.locations.append(stored.location)
    if report:
        report(f"{plugin.name}: site backup stored")
