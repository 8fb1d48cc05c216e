"""Schedules and their transfers: what to copy from which site to which destination, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

import peewee
import tzlocal

from ictray.datatypes import DataType
from ictray.destinations.base import load_plugin
from ictray.errors import NotFoundError, ValidationError
from ictray.settings import validation
from ictray.settings.destinations import get_destination
from ictray.settings.models import Schedule, Transfer, utcnow
from ictray.settings.sites import KEEP, Keep, get_site
from ictray.settings.store import Settings


@dataclass(frozen=True)
class TransferSpec:
    """One transfer row as typed: site name, destination name, data types."""

    site: str
    destination: str
    data_types: tuple[DataType, ...]


def parse_transfer(text: str, field: str = "transfer") -> TransferSpec:
    """``SITE:DEST:TYPE,TYPE`` as given to ``--transfer``."""
    parts = (text or "").split(":")
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise ValidationError(
            field,
            f"{text!r} is not SITE:DESTINATION:TYPE[,TYPE...], "
            "e.g. main:archive:session_data,session_recordings",
        )
    site, dest, types_text = (part.strip() for part in parts)
    types: list[DataType] = []
    for name in types_text.split(","):
        try:
            data_type = DataType.parse(name)
        except ValueError as error:
            raise ValidationError(field, str(error)) from None
        if data_type not in types:
            types.append(data_type)
    return TransferSpec(site, dest, tuple(types))


def parse_pair(text: str, field: str = "remove transfer") -> tuple[str, str]:
    """``SITE:DESTINATION`` as given to ``--remove-transfer``."""
    parts = [part.strip() for part in (text or "").split(":")]
    if len(parts) != 2 or not all(parts):
        raise ValidationError(
            field, f"{text!r} is not SITE:DESTINATION, e.g. main:archive (the transfer to remove)"
        )
    return parts[0], parts[1]


def get_schedule(name: str) -> Schedule:
    schedule = Schedule.get_or_none(Schedule.name == name)
    if schedule is None:
        known = ", ".join(s.name for s in Schedule.select().order_by(Schedule.name))
        raise NotFoundError(
            f"there is no schedule named {name!r} (schedules: {known or 'none yet'})"
        )
    return schedule


def local_zone() -> tzinfo:
    """This computer's time zone, with its daylight-saving rules (not just today's offset)."""
    return tzlocal.get_localzone()


def next_run_after(
    every_minutes: int,
    at_time: str | None,
    after: datetime,
    slot: datetime | None = None,
    zone: tzinfo | None = None,
) -> datetime:
    """When a schedule is next due (naive UTC): the first slot of its grid after ``after``.

    The grid is counted from ``slot``, the time the schedule was last due (not when its run
    happened to start, a moment later, nor when it ended): every ``every_minutes`` from it, or,
    with a time of day (whole-day periods only), that wall-clock time every so many days in
    ``zone`` (this computer's), so a daylight-saving change moves nothing. Slots missed while
    the program was not running are passed over: the schedule runs once, not once per slot.
    Without ``slot`` (a schedule that never ran): at once (``after``), or with a time of day
    its first occurrence from ``after`` on.
    """
    if at_time is None:
        if slot is None:
            return after
        period = timedelta(minutes=every_minutes)
        anchor = _whole_minute(slot)
        return anchor + ((after - anchor) // period + 1) * period
    zone = zone or local_zone()
    hour, minute = (int(part) for part in at_time.split(":"))

    def at_local(day: date) -> datetime:
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        return local.astimezone(timezone.utc).replace(tzinfo=None)

    def local_day(moment: datetime) -> date:
        return moment.replace(tzinfo=timezone.utc).astimezone(zone).date()

    if slot is None:
        today = local_day(after)
        first = at_local(today)
        return first if first >= after else at_local(today + timedelta(days=1))
    days = every_minutes // validation.MINUTES_PER_DAY
    first_day = local_day(slot)
    step = (local_day(after) - first_day).days // days
    while (candidate := at_local(first_day + timedelta(days=step * days))) <= after:
        step += 1
    return candidate


def _whole_minute(moment: datetime) -> datetime:
    """The scheduler wakes on whole minutes: slots are whole minutes too."""
    return moment.replace(second=0, microsecond=0)


def _check_unique(name: str, current: Schedule | None = None) -> None:
    clash = Schedule.get_or_none(peewee.fn.lower(Schedule.name) == name.lower())
    if clash is not None and (current is None or clash.id != current.id):
        raise ValidationError("name", f"a schedule named {clash.name!r} already exists")


def _resolve(specs: list[TransferSpec]) -> list[tuple[Any, Any, tuple[DataType, ...]]]:
    rows = []
    seen: set[tuple[int, int]] = set()
    for spec in specs:
        site = get_site(spec.site)
        dest = get_destination(spec.destination)
        if (site.id, dest.id) in seen:
            raise ValidationError(
                "transfer",
                f"site {site.name!r} to destination {dest.name!r} appears twice; "
                "put all its data types in one transfer",
            )
        seen.add((site.id, dest.id))
        if not spec.data_types:
            raise ValidationError("transfer", "choose at least one data type to transfer")
        try:
            load_plugin(dest.plugin).check_data_types(spec.data_types)
        except ValidationError as error:
            raise ValidationError(
                "transfer", f"destination {dest.name!r} cannot take this: {error.message}"
            ) from None
        rows.append((site, dest, spec.data_types))
    return rows


def _replace_transfers(schedule: Schedule, specs: list[TransferSpec]) -> None:
    rows = _resolve(specs)
    existing = {(t.site_id, t.destination_id): t for t in schedule.transfers}
    keep = set()
    for site, dest, types in rows:
        transfer = existing.get((site.id, dest.id))
        if transfer is None:  # a pair new to this schedule (its ledger is the pair's own)
            transfer = Transfer(schedule=schedule, site=site, destination=dest)
        transfer.data_types = list(types)
        transfer.save()
        keep.add(transfer.id)
    for transfer in existing.values():
        if transfer.id not in keep:
            transfer.delete_instance()


def add_schedule(
    settings: Settings,
    *,
    name: str,
    every: str,
    at: str | None = None,
    transfers: list[TransferSpec] | None = None,
    enabled: bool = True,
) -> Schedule:
    name = validation.check_name("name", name)
    _check_unique(name)
    minutes = validation.parse_period(every)
    at_time = validation.parse_time_of_day(at or "", minutes)
    with settings.database.atomic():
        schedule = Schedule.create(
            name=name,
            every_minutes=minutes,
            at_time=at_time,
            enabled=enabled,
            next_run=next_run_after(minutes, at_time, utcnow()),
        )
        _replace_transfers(schedule, transfers or [])
    return schedule


def edit_schedule(
    settings: Settings,
    name: str,
    *,
    new_name: str | Keep = KEEP,
    every: str | Keep = KEEP,
    at: str | Keep | None = KEEP,
    transfers: list[TransferSpec] | None = None,
    add_transfers: list[TransferSpec] | None = None,
    remove_transfers: list[tuple[str, str]] | None = None,
    enabled: bool | Keep = KEEP,
) -> Schedule:
    """Change what is given. ``transfers`` replaces all rows; ``add_transfers`` adds rows;
    ``remove_transfers`` removes the rows of these (site, destination) pairs, by name."""
    schedule = get_schedule(name)
    if new_name is not KEEP:
        schedule.name = validation.check_name("name", new_name)
        _check_unique(schedule.name, schedule)
    if every is not KEEP:
        schedule.every_minutes = validation.parse_period(every)
    if at is not KEEP:
        schedule.at_time = validation.parse_time_of_day(at or "", schedule.every_minutes)
    elif schedule.at_time is not None:
        validation.parse_time_of_day(schedule.at_time, schedule.every_minutes)
    if enabled is not KEEP:
        schedule.enabled = bool(enabled)
    specs = None
    if transfers is not None:
        specs = list(transfers)
    if add_transfers:
        current = (
            specs
            if specs is not None
            else [
                TransferSpec(t.site.name, t.destination.name, tuple(t.data_types))
                for t in schedule.transfers
            ]
        )
        specs = current + list(add_transfers)
    if remove_transfers:
        specs = _without(
            schedule,
            specs
            if specs is not None
            else [
                TransferSpec(t.site.name, t.destination.name, tuple(t.data_types))
                for t in schedule.transfers.order_by(Transfer.id)
            ],
            remove_transfers,
        )
    with settings.database.atomic():
        schedule.next_run = next_run_after(
            schedule.every_minutes, schedule.at_time, utcnow(), schedule.next_run
        )
        schedule.save()
        if specs is not None:
            _replace_transfers(schedule, specs)
    return schedule


def _without(
    schedule: Schedule, specs: list[TransferSpec], pairs: list[tuple[str, str]]
) -> list[TransferSpec]:
    """``specs`` less the transfers of ``pairs``; each pair must be one of them.

    What was copied stays where it is, and stays known as copied: a transfer added back later
    goes on from where it stopped.
    """
    kept = list(specs)
    for site, destination in pairs:
        match = [
            spec
            for spec in kept
            if (spec.site.lower(), spec.destination.lower()) == (site.lower(), destination.lower())
        ]
        if not match:
            listed = ", ".join(f"{spec.site}:{spec.destination}" for spec in kept) or "none"
            raise ValidationError(
                "remove transfer",
                f"schedule {schedule.name!r} has no transfer from site {site!r} to destination "
                f"{destination!r} (its transfers: {listed})",
            )
        kept = [spec for spec in kept if spec not in match]
    return kept


def remove_schedule(settings: Settings, name: str) -> None:
    schedule = get_schedule(name)
    with settings.database.atomic():
        schedule.delete_instance(recursive=False)


def describe_schedule(schedule: Schedule) -> dict[str, Any]:
    def stamp(value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")

    return {
        "name": schedule.name,
        "every": validation.format_period(schedule.every_minutes),
        "at": schedule.at_time,
        "enabled": schedule.enabled,
        "last_run": stamp(schedule.last_run),
        "next_run": stamp(schedule.next_run),
        "transfers": [
            {
                "site": t.site.name,
                "destination": t.destination.name,
                "data_types": [d.value for d in t.data_types],
            }
            for t in schedule.transfers.order_by(Transfer.id)
        ],
    }


def list_schedules() -> list[Schedule]:
    return list(Schedule.select().order_by(Schedule.name))
