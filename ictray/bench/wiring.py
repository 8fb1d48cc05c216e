"""A settings file of the benchmark's own: the simulator as a site, one destination, one schedule.

Secrets stay in this file (no credential store is touched); the file and its logs live in the
benchmark's temporary folder. The schedule runs once a day at a time two hours past, so it
is not due for a day: the benchmark starts runs itself, and the idle figure sees a scheduler
with nothing to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from ictray.bench.processes import SimulatorInfo
from ictray.datatypes import DataType
from ictray.settings import destinations, open_settings, preferences, schedules, sites
from ictray.settings.models import Transfer

SITE = "simulator"
DESTINATION = "bench"
SCHEDULE = "bench"


def write_settings(
    path: Path,
    simulator: SimulatorInfo,
    *,
    plugin: str,
    options: dict[str, str],
    data_types: tuple[DataType, ...],
    start_from: datetime | None,
) -> None:
    """Create the settings file at ``path``; ``start_from`` is naive UTC (None: all kept)."""
    with open_settings(path, create=True, credential_store=None) as settings:
        sites.add_site(
            settings,
            name=SITE,
            host=simulator.host,
            client_id=simulator.client_id,
            client_secret=simulator.client_secret,
            ca_bundle=simulator.ca_bundle,
        )
        destinations.add_destination(settings, name=DESTINATION, plugin=plugin, options=options)
        past = datetime.now().astimezone() - timedelta(hours=2)
        spec = schedules.TransferSpec(SITE, DESTINATION, data_types)
        schedules.add_schedule(
            settings, name=SCHEDULE, every="1d", at=f"{past:%H:%M}", transfers=[spec]
        )
        transfer = Transfer.get()
        transfer.start_from = start_from
        transfer.save()
        preferences.set_app(settings, log_folder=str(path.parent / "logs"))


def days_ago(days: float) -> datetime:
    """Naive UTC ``days`` before now, as ``Transfer.start_from`` holds it."""
    return (datetime.now(timezone.utc) - timedelta(days=days)).replace(tzinfo=None)
