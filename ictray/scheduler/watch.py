"""Data at risk: copying that has stopped, and waiting items nearing the appliance's deletion.

The appliance deletes sessions and recordings after its site's retention (90 days at most by
default). Nothing else warns when copying silently stops — the scheduler paused, the app
closed, the machine off, a credential revoked — so ``find_risks`` looks for two things, per
site and destination:

- *stale*: nothing copied for longer than Application Settings' ``warn_after_hours``;
- *expiring*: something waiting to be copied (a session in progress, a recording not fetched
  yet, the sessions after the last copy) comes within ``warn_margin_days`` of the day the
  appliance deletes it.

Deadlines are counted on the appliance's clock, known from the last run (the watermark is
appliance time, written at a known local time), and shown in local time. ``RiskWatch`` runs on
the scheduler's ticks: it logs when a risk starts and ends, and mails once a day while any
lasts.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import peewee

from ictray.datatypes import DataType
from ictray.notify import NotificationError, SmtpConfig, send_mail
from ictray.settings import Settings, preferences
from ictray.settings.db import rows
from ictray.settings.models import AppSettings, LedgerItem, Schedule, Transfer, Watermark, utcnow

log = logging.getLogger("ictray.scheduler")

STALE = "stale"
EXPIRING = "expiring"
MAIL_EVERY = timedelta(days=1)
_WAITING = ("open", "pending", "writing")


@dataclass(frozen=True)
class Risk:
    """One reason data may be lost, in one line that names the site and destination."""

    site: str
    destination: str
    kind: str  # STALE or EXPIRING
    message: str
    deadline: datetime | None = None  # naive UTC: when the appliance starts deleting it


def _epoch(moment: datetime) -> int:
    return calendar.timegm(moment.timetuple())


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def _local(moment: datetime) -> str:
    local = moment.replace(tzinfo=timezone.utc).astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


@dataclass
class _Pair:
    site_id: int
    destination_id: int
    site: str
    destination: str
    retention_days: int
    data_types: set[DataType]
    set_up: datetime  # the earliest schedule naming it


def _pairs() -> list[_Pair]:
    pairs: dict[tuple[int, int], _Pair] = {}
    query = Transfer.select(Transfer, Schedule).join(Schedule)
    for transfer in query:
        key = (transfer.site_id, transfer.destination_id)
        pair = pairs.get(key)
        if pair is None:
            pair = pairs[key] = _Pair(
                transfer.site_id,
                transfer.destination_id,
                transfer.site.name,
                transfer.destination.name,
                transfer.site.retention_days,
                set(),
                transfer.schedule.created_at,
            )
        pair.data_types.update(transfer.data_types)
        pair.set_up = min(pair.set_up, transfer.schedule.created_at)
    return list(pairs.values())


def find_risks(now: datetime | None = None) -> list[Risk]:
    """Every reason, now, that data of a site may be lost before it reaches its destination."""
    now = now or utcnow()
    app = AppSettings.get_by_id(1)
    stale_after = timedelta(hours=app.warn_after_hours)
    margin = timedelta(days=app.warn_margin_days)
    risks: list[Risk] = []
    for pair in _pairs():
        copied = pair.data_types - {DataType.SITE_BACKUPS}
        if not copied:
            continue  # backups are snapshots: nothing of them expires on the appliance
        where = f"site {pair.site!r} to destination {pair.destination!r}"
        retention = timedelta(days=pair.retention_days)
        marks = [
            (mark.watermark, mark.updated_at)
            for mark in Watermark.select().where(
                (Watermark.site == pair.site_id)
                & (Watermark.destination == pair.destination_id)
                & (Watermark.data_type.in_([t.value for t in copied]))
            )
            if mark.watermark is not None
        ]
        if len(marks) < len(copied):
            if now - pair.set_up > stale_after:
                risks.append(
                    Risk(
                        pair.site,
                        pair.destination,
                        STALE,
                        f"{where}: nothing copied yet, since it was set up on "
                        f"{_local(pair.set_up)}; the appliance deletes sessions after "
                        f"{pair.retention_days} days",
                    )
                )
            continue
        # Watermarks are appliance time, written at a known local time: the appliance's clock,
        # as the last run saw it, has moved on by the time since.
        latest_mark, latest_at = max(marks, key=lambda mark: mark[1])
        offset = timedelta(seconds=latest_mark - _epoch(latest_at))
        appliance_now = now + offset
        copied_at = min(at for _, at in marks)
        copied_until = _utc(min(mark for mark, _ in marks))
        deadline = copied_until + retention - offset  # local-clock UTC
        if now - copied_at > stale_after:
            risks.append(
                Risk(
                    pair.site,
                    pair.destination,
                    STALE,
                    f"{where}: nothing copied since {_local(copied_at)}; what the appliance "
                    f"recorded after that is not in the archive, and it deletes the first of "
                    f"it from {_local(deadline)}",
                    deadline,
                )
            )
        oldest_kept = _epoch(appliance_now - retention + margin)
        [(count, oldest)] = rows(
            LedgerItem.select(
                peewee.fn.COUNT(LedgerItem.id), peewee.fn.MIN(LedgerItem.session_start)
            ).where(
                (LedgerItem.site == pair.site_id)
                & (LedgerItem.destination == pair.destination_id)
                & LedgerItem.state.in_(_WAITING)
                & (LedgerItem.session_start <= oldest_kept)
            )
        )
        if count and oldest is not None:
            due = _utc(oldest) + retention - offset
            risks.append(
                Risk(
                    pair.site,
                    pair.destination,
                    EXPIRING,
                    f"{where}: {count} item(s) still waiting to be copied will be deleted by "
                    f"the appliance soon: the oldest, from {_local(_utc(oldest) - offset)}, "
                    f"from {_local(due)}",
                    due,
                )
            )
    return risks


Mailer = Callable[[SmtpConfig, str, str], None]


class RiskWatch:
    """Looks for data at risk on each of the scheduler's ticks.

    A risk that starts is logged as a warning (and one that ends as information); while any
    lasts, a mail goes out at once and then once a day (the time of the last one is kept in
    the settings file, so a restart does not send another).
    """

    def __init__(self, settings: Settings, mail: Mailer = send_mail) -> None:
        self.settings = settings
        self.mail = mail
        self.current: dict[tuple[str, str, str], Risk] = {}

    def check(self, now: datetime | None = None) -> list[Risk]:
        now = now or utcnow()
        risks = find_risks(now)
        found = {(risk.site, risk.destination, risk.kind): risk for risk in risks}
        for key, risk in found.items():
            if key not in self.current:
                log.warning("data at risk: %s", risk.message)
        for key, risk in self.current.items():
            if key not in found:
                log.info(
                    "data no longer at risk: site %r to destination %r", risk.site, risk.destination
                )
        self.current = found
        self._mail_if_due(risks, now)
        return risks

    def _mail_if_due(self, risks: list[Risk], now: datetime) -> None:
        app = self.settings.app()
        if not risks:
            if app.risk_mailed_at is not None:
                app.risk_mailed_at = None  # the next risk is mailed at once
                app.save()
            return
        if app.risk_mailed_at is not None and now - app.risk_mailed_at < MAIL_EVERY:
            return
        notify = self.settings.notify()
        if not notify.enabled:
            return
        subject = f"ictray: data at risk ({len(risks)} warning(s))"
        body = (
            "ictray found data that may be lost before it reaches your archive:\n\n"
            + "\n".join(f"- {risk.message}" for risk in risks)
            + "\n\nRun `ictray status` (or open the main window) for the details. This mail "
            "is sent once a day while the risk lasts.\n"
        )
        try:
            self.mail(preferences.smtp_config(self.settings), subject, body)
        except NotificationError as error:
            log.warning("the data-at-risk mail could not be sent: %s", error)
            return
        app.risk_mailed_at = now
        app.save()
