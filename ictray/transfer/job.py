"""Builds one transfer's run from the settings: the job, the site client and the destination."""

from __future__ import annotations

import calendar
import logging
import threading
from dataclasses import dataclass

from ictray.appliance.client import ApplianceClient
from ictray.destinations.base import Destination
from ictray.logs import register_secret
from ictray.settings import Settings
from ictray.settings.destinations import destination_options, open_destination
from ictray.settings.models import Transfer
from ictray.settings.sites import site_credentials
from ictray.transfer.engine import TransferJob, TransferRun
from ictray.transfer.ledger import Ledger
from ictray.transfer.options import TransferOptions
from ictray.transfer.pair_lock import PairLock
from ictray.transfer.progress import ProgressCallback
from ictray.transfer.result import TransferResult

log = logging.getLogger("ictray.transfer")


@dataclass
class PreparedTransfer:
    job: TransferJob
    client: ApplianceClient
    destination: Destination
    ledger: Ledger


def prepare(
    settings: Settings,
    transfer: Transfer,
    *,
    schedule_name: str | None = None,
    client_options: dict[str, object] | None = None,
) -> PreparedTransfer:
    """Everything one run needs; secrets are registered with the log masker on the way."""
    credentials = site_credentials(settings, transfer.site)
    register_secret(credentials.client_secret)
    register_secret(credentials.backup_password)
    options = destination_options(settings, transfer.destination)
    for key in transfer.destination.secret_keys:
        register_secret(options.get(key))
    start_from = None
    if transfer.start_from is not None:
        start_from = calendar.timegm(transfer.start_from.timetuple())
    job = TransferJob(
        site_name=credentials.name,
        site_host=credentials.host,
        destination_name=transfer.destination.name,
        data_types=tuple(transfer.data_types),
        start_from=start_from,
        backup_password=credentials.backup_password,
        schedule_name=schedule_name,
        keep_days=transfer.site.retention_days,
    )
    client = ApplianceClient.for_site(credentials, **(client_options or {}))
    return PreparedTransfer(
        job,
        client,
        open_destination(settings, transfer.destination),
        Ledger(transfer.site_id, transfer.destination_id),
    )


def run_transfer(
    settings: Settings,
    transfer: Transfer,
    *,
    schedule_name: str | None = None,
    options: TransferOptions | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    client_options: dict[str, object] | None = None,
) -> TransferResult:
    """Run one transfer once, start to end; not while another run copies the same pair.

    Two schedules naming the same site and destination share what was stored; when one is
    copying that pair, the other passes it by this time (the first copies what it would have).
    """
    lock = PairLock(settings.path, transfer.site_id, transfer.destination_id)
    holder = f"schedule {schedule_name!r}" if schedule_name else "a run started by hand"
    if not lock.try_acquire(holder):
        site, destination = transfer.site.name, transfer.destination.name
        note = (
            f"site {site!r} to destination {destination!r} is being copied by "
            f"{lock.holder() or 'another run'}; not copied twice at the same time"
        )
        log.info(
            "%s",
            note,
            extra={"schedule": schedule_name or "", "site": site, "destination": destination},
        )
        return TransferResult(site, destination, note=note)
    try:
        prepared = prepare(
            settings, transfer, schedule_name=schedule_name, client_options=client_options
        )
        with prepared.client:
            return TransferRun(
                prepared.job,
                prepared.client,
                prepared.destination,
                prepared.ledger,
                options=options,
                progress=progress,
                stop=stop,
            ).run()
    finally:
        lock.release()
