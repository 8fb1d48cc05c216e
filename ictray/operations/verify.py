"""``ictray verify``: is everything the appliance still holds in the archive, unharmed?

For each site and destination a schedule copies, what the appliance still holds (its reports
over the days it keeps, up to where ictray has copied) is compared with what the destination
holds, read from the destination itself: the session documents in a folder, the rows of the
session table, the files ictray recorded (checked against the size and SHA-256 recorded when
they were written). Missing, damaged, extra and doubled items are reported. ``repair`` fetches
what is missing while the appliance still has it, through the ordinary transfer, and checks
again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ictray.appliance import reports
from ictray.appliance.model import Refusal
from ictray.datatypes import DataType
from ictray.destinations.base import Holdings
from ictray.errors import IctrayError
from ictray.operations.display import local_minute
from ictray.settings import Settings
from ictray.settings.models import Transfer, utcnow
from ictray.transfer.items import PRESENTATIONS, SUPPORT, Family, file_meta_of, recording_refs
from ictray.transfer.job import prepare, run_transfer
from ictray.transfer.ledger import (
    EXPIRED,
    GONE,
    OPEN,
    PENDING,
    STORED,
    Ledger,
    recording_key,
)

log = logging.getLogger("ictray.verify")

DAY = 86_400
#: Days asked for in one report: a long window in one answer would hold the appliance up.
CHUNK_DAYS = 7
#: Kept clear of the appliance's retention edge, where it may drop items while we look.
EDGE = DAY

MISSING = "missing"
DAMAGED = "damaged"
TWICE = "twice"
EXTRA = "extra"
EXPIRED_ON_APPLIANCE = "expired"
#: what makes a check fail (an expired recording is a fact, not a fault of the archive)
PROBLEMS = (MISSING, DAMAGED, TWICE)


@dataclass(frozen=True)
class Finding:
    """One item that is not as it should be, with where it is and why."""

    kind: str
    data_type: DataType
    key: str
    location: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "data_type": self.data_type.value,
            "key": self.key,
            "location": self.location,
            "detail": self.detail,
        }


@dataclass
class PairCheck:
    """What was checked of one site and destination, and what was found."""

    site: str
    destination: str
    data_types: tuple[DataType, ...]
    since: int | None = None  # appliance time, the window checked
    until: int | None = None
    checked: Counter[DataType] = field(default_factory=Counter)  # items the appliance holds
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    error: str = ""
    repaired: int = 0
    #: what a repair needs of each missing item: its session start and how files name it
    to_fetch: dict[tuple[DataType, str], tuple[int | None, dict[str, Any]]] = field(
        default_factory=dict, repr=False
    )

    def count(self, kind: str) -> int:
        return sum(1 for finding in self.findings if finding.kind == kind)

    @property
    def ok(self) -> bool:
        return not self.error and not any(f.kind in PROBLEMS for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "destination": self.destination,
            "data_types": [t.value for t in self.data_types],
            "window": {"since": _iso(self.since), "until": _iso(self.until)},
            "checked": {t.value: n for t, n in self.checked.items()},
            "counts": {kind: self.count(kind) for kind in (*PROBLEMS, EXTRA, EXPIRED_ON_APPLIANCE)},
            "findings": [finding.as_dict() for finding in self.findings],
            "not_checked": self.not_checked,
            "error": self.error,
            "repaired": self.repaired,
            "ok": self.ok,
        }


@dataclass
class VerifyReport:
    checked_at: datetime  # naive UTC
    pairs: list[PairCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(pair.ok for pair in self.pairs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at.isoformat(timespec="seconds") + "Z",
            "checked_at_local": local_minute(self.checked_at),
            "ok": self.ok,
            "pairs": [pair.as_dict() for pair in self.pairs],
        }


@dataclass
class _Pair:
    """The transfers of one site and destination, across schedules."""

    transfers: list[Transfer]
    data_types: tuple[DataType, ...]
    start_from: int | None


@dataclass
class _Appliance:
    """What the appliance holds of one family over the window."""

    every: set[str] = field(default_factory=set)  # every key, in progress or not
    closed: set[str] = field(default_factory=set)
    refused: dict[str, Refusal] = field(default_factory=dict)
    recordings: dict[DataType, dict[str, tuple[int | None, dict[str, Any]]]] = field(
        default_factory=dict
    )
    starts: dict[str, int | None] = field(default_factory=dict)


Progress = Callable[[str], None]


def verify(
    settings: Settings,
    *,
    site: str | None = None,
    destination: str | None = None,
    repair: bool = False,
    client_options: dict[str, object] | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Check every site and destination pair (or those named); with ``repair``, fetch what is
    missing and check again."""
    say = progress or (lambda text: None)
    report = VerifyReport(utcnow())
    for pair in _pairs(site, destination):
        transfer = pair.transfers[0]
        where = f"site {transfer.site.name!r} to destination {transfer.destination.name!r}"
        say(f"checking {where}")
        check = _check(settings, pair, client_options)
        if repair and check.to_fetch:
            say(f"fetching {len(check.to_fetch)} missing item(s) for {where}")
            repaired = _repair(settings, pair, check, client_options)
            error = check.error
            check = _check(settings, pair, client_options)
            check.repaired = repaired
            check.error = check.error or error
        report.pairs.append(check)
    return report


def _pairs(site: str | None, destination: str | None) -> list[_Pair]:
    grouped: dict[tuple[int, int], list[Transfer]] = {}
    for transfer in Transfer.select().order_by(Transfer.id):
        if site is not None and transfer.site.name != site:
            continue
        if destination is not None and transfer.destination.name != destination:
            continue
        grouped.setdefault((transfer.site_id, transfer.destination_id), []).append(transfer)
    pairs = []
    for transfers in grouped.values():
        types = {t for transfer in transfers for t in transfer.data_types}
        starts = [transfer.start_from for transfer in transfers]
        start_from = None
        if all(start is not None for start in starts):
            start_from = int(min(s for s in starts if s is not None).timestamp())
        pairs.append(_Pair(transfers, tuple(t for t in DataType if t in types), start_from))
    return pairs


def _check(settings: Settings, pair: _Pair, client_options: dict[str, object] | None) -> PairCheck:
    transfer = pair.transfers[0]
    check = PairCheck(transfer.site.name, transfer.destination.name, pair.data_types)
    if DataType.SITE_BACKUPS in pair.data_types:
        check.not_checked.append(
            "site backups: each is a new snapshot, not a copy of something the appliance keeps"
        )
    try:
        prepared = prepare(settings, transfer, client_options=client_options)
    except IctrayError as error:
        check.error = str(error)
        return check
    retention = transfer.site.retention_days
    try:
        with prepared.client:
            for family in (SUPPORT, PRESENTATIONS):
                types = family.types_in(pair.data_types)
                if types:
                    _check_family(prepared, family, types, pair, retention, check)
    except IctrayError as error:
        check.error = str(error)
    return check


def _check_family(
    prepared: Any,
    family: Family,
    types: tuple[DataType, ...],
    pair: _Pair,
    retention: int,
    check: PairCheck,
) -> None:
    ledger: Ledger = prepared.ledger
    marks = [ledger.watermark(t) for t in types]
    if any(mark is None for mark in marks):
        check.not_checked.append(f"{family.noun}s: not copied yet")
        return
    until = min(m for m in marks if m is not None)
    since = until - retention * DAY + EDGE
    if pair.start_from is not None:
        since = max(since, pair.start_from)
    check.since = since if check.since is None else min(check.since, since)
    check.until = until if check.until is None else max(check.until, until)
    appliance = _appliance(prepared.client, family, types, since, until)
    destination = prepared.destination
    for data_type in types:
        holdings = destination.holdings(
            prepared.job.site_host, data_type, ledger.manifest(data_type), since=since
        )
        if holdings is None:
            check.not_checked.append(
                f"{data_type.label.lower()}: destination {check.destination!r} cannot list "
                "what it holds"
            )
            continue
        if data_type is family.data_type:
            expected = appliance.every if destination.replaces_sessions else appliance.closed
            expected = expected | set(appliance.refused)
        else:
            expected = set(appliance.recordings.get(data_type, {}))
        check.checked[data_type] += len(expected)
        _compare(check, data_type, expected, appliance, holdings, ledger, since, until)


def _appliance(
    client: Any, family: Family, types: tuple[DataType, ...], since: int, until: int
) -> _Appliance:
    found = _Appliance()
    begin = since
    while begin < until:
        end = min(begin + CHUNK_DAYS * DAY, until)
        for item in family.fetch(client, reports.TimeWindow(since=begin, duration=end - begin)):
            if isinstance(item, Refusal):
                found.refused[item.key] = item
                found.every.add(item.key)
                continue
            found.every.add(item.lsid)
            found.starts[item.lsid] = item.start_time
            if item.in_progress:
                continue
            found.closed.add(item.lsid)
            for data_type in types:
                if data_type is family.data_type:
                    continue
                for instance in recording_refs(item, data_type):
                    key = recording_key(item.lsid, instance)
                    found.recordings.setdefault(data_type, {})[key] = (
                        item.start_time,
                        file_meta_of(item),
                    )
        begin = end
    return found


def _compare(
    check: PairCheck,
    data_type: DataType,
    expected: set[str],
    appliance: _Appliance,
    holdings: Holdings,
    ledger: Ledger,
    since: int,
    until: int,
) -> None:
    known = ledger.known(data_type)
    held = Counter(item.key for item in holdings.held)
    damaged = {damage.key for damage in holdings.damaged if damage.key}
    for damage in holdings.damaged:
        check.findings.append(
            Finding(DAMAGED, data_type, damage.key, damage.location, damage.reason)
        )
    for key in sorted(expected):
        if held[key] or key in damaged:
            continue
        row = known.get(key)
        if row is not None and row.state == EXPIRED:
            check.findings.append(
                Finding(EXPIRED_ON_APPLIANCE, data_type, key, detail="expired on the appliance")
            )
            continue
        refusal = appliance.refused.get(key)
        detail = f"refused: {refusal.message}" if refusal is not None else _why(row)
        check.findings.append(Finding(MISSING, data_type, key, detail=detail))
        if refusal is None and (row is None or row.state != GONE):
            start, meta = appliance.recordings.get(data_type, {}).get(
                key, (appliance.starts.get(key), {})
            )
            check.to_fetch[data_type, key] = (start, meta)
    locations: dict[str, list[str]] = {}
    for item in holdings.held:
        locations.setdefault(item.key, []).append(item.location)
    for key, count in held.items():
        if count > 1 and key in expected:
            check.findings.append(
                Finding(TWICE, data_type, key, "; ".join(locations[key]), f"stored {count} times")
            )
    for item in holdings.held:
        if item.key in appliance.every or item.key in appliance.recordings.get(data_type, {}):
            continue
        row = known.get(item.key)
        if row is None and not holdings.per_site:
            continue  # another site's item in a shared folder
        start = item.start_time
        if start is None and row is not None:
            start = row.session_start
        if start is not None and since <= start < until:
            check.findings.append(
                Finding(
                    EXTRA,
                    data_type,
                    item.key,
                    item.location,
                    "stored, but the appliance does not list it",
                )
            )


def _why(row: Any) -> str:
    """What the ledger says of an item that is not in the destination."""
    if row is None:
        return "not in the destination, and never recorded as stored"
    if row.state == STORED:
        where = f" in {row.location}" if row.location else ""
        return (
            f"recorded as stored{where} on {local_minute(row.updated_at)}, but not there any more"
        )
    if row.state == GONE:
        return f"refused: {row.detail}"
    if row.state == OPEN:
        return "in progress when last seen; copied once it closes"
    tries = f" ({row.attempts} attempt(s): {row.detail})" if row.attempts else ""
    return f"waiting to be copied{tries}"


def _repair(
    settings: Settings, pair: _Pair, check: PairCheck, client_options: dict[str, object] | None
) -> int:
    """Mark what is missing as still to copy, then run the pair's transfers: a session is
    asked for again by its lsid, a recording downloaded again, as after any interruption."""
    transfer = pair.transfers[0]
    ledger = Ledger(transfer.site_id, transfer.destination_id)
    for (data_type, key), (start, meta) in check.to_fetch.items():
        if data_type.is_recording:
            ledger.record(data_type, [(key, PENDING, start)], meta=meta)
        else:
            ledger.record(data_type, [(key, OPEN, start)])
    for each in pair.transfers:
        result = run_transfer(settings, each, client_options=client_options)
        if not result.ok:
            check.error = "; ".join(result.errors[:3]) or result.outcome
    return len(check.to_fetch)


def _iso(moment: int | None) -> str | None:
    return None if moment is None else local_minute(moment)
