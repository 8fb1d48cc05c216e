"""The settings tables: sites, destinations, schedules and their transfers, application and
notification settings, what each (site, destination) pair holds (watermarks and the ledger)
and run history.

Times are stored as naive UTC datetimes. Secrets are not columns here: they live in the
credential store (or, where none exists, in ``StoredSecret``), see ``secrets.py``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import peewee

from ictray.datatypes import DataType
from ictray.names import Outcome
from ictray.settings.db import BaseModel


def utcnow() -> datetime:
    """Now, as the naive UTC datetime the settings file stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Meta(BaseModel):
    """Key/value facts about the file itself: schema version, its id, who created it."""

    key = peewee.CharField(primary_key=True)
    value = peewee.TextField()


class StoredSecret(BaseModel):
    """Secrets kept in the file itself, only where no OS credential store exists."""

    ref = peewee.CharField(primary_key=True)
    value = peewee.TextField()


class Site(BaseModel):
    """A BeyondTrust Remote Support site to copy from."""

    id = peewee.AutoField()
    name = peewee.CharField(unique=True)
    host = peewee.CharField()  # name[:port], no scheme, no path
    client_id = peewee.CharField()
    ca_bundle = peewee.TextField(null=True)  # a PEM file for a private CA
    has_backup_password = peewee.BooleanField(default=False)
    enabled = peewee.BooleanField(default=True)
    retention_days = peewee.IntegerField(default=90)  # how long the appliance keeps sessions
    created_at = peewee.DateTimeField(default=utcnow)

    if TYPE_CHECKING:  # what peewee adds for the back-references
        transfers: peewee.ModelSelect[Transfer]

    @property
    def client_secret_ref(self) -> str:
        return f"site/{self.id}/client_secret"

    @property
    def backup_password_ref(self) -> str:
        return f"site/{self.id}/backup_password"


class Destination(BaseModel):
    """A configured instance of a destination plugin with that plugin's own options."""

    id = peewee.AutoField()
    name = peewee.CharField(unique=True)
    plugin = peewee.CharField()
    options_json = peewee.TextField(default="{}")
    secret_keys_json = peewee.TextField(default="[]")  # options whose secret is stored apart
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def options(self) -> dict[str, str]:
        return dict(json.loads(self.options_json))

    @options.setter
    def options(self, value: dict[str, str]) -> None:
        self.options_json = json.dumps(value, sort_keys=True)

    @property
    def secret_keys(self) -> list[str]:
        return list(json.loads(self.secret_keys_json))

    @secret_keys.setter
    def secret_keys(self, value: list[str]) -> None:
        self.secret_keys_json = json.dumps(sorted(value))

    def secret_ref(self, key: str) -> str:
        return f"destination/{self.id}/{key}"

    if TYPE_CHECKING:  # what peewee adds for the back-references
        transfers: peewee.ModelSelect[Transfer]


class Schedule(BaseModel):
    """When a set of transfers runs: every N minutes (1 minute to 7 days), whole days at a time."""

    id = peewee.AutoField()
    name = peewee.CharField(unique=True)
    every_minutes = peewee.IntegerField()
    at_time = peewee.CharField(null=True)  # "HH:MM" local time, only for whole-day periods
    enabled = peewee.BooleanField(default=True)
    last_run = peewee.DateTimeField(null=True)
    next_run = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    if TYPE_CHECKING:  # what peewee adds for the back-references
        transfers: peewee.ModelSelect[Transfer]
        runs: peewee.ModelSelect[RunRecord]


class Transfer(BaseModel):
    """One row of a schedule: copy these data types from a site to a destination."""

    id = peewee.AutoField()
    schedule = peewee.ForeignKeyField(Schedule, backref="transfers", on_delete="CASCADE")
    site = peewee.ForeignKeyField(Site, backref="transfers", on_delete="RESTRICT")
    destination = peewee.ForeignKeyField(Destination, backref="transfers", on_delete="RESTRICT")
    if TYPE_CHECKING:  # what peewee adds for the foreign keys
        schedule_id: int
        site_id: int
        destination_id: int
    data_types_text = peewee.TextField()  # comma-separated DataType values
    start_from = peewee.DateTimeField(null=True)  # first run copies from here; None: all kept

    @property
    def data_types(self) -> list[DataType]:
        return [DataType(value) for value in self.data_types_text.split(",") if value]

    @data_types.setter
    def data_types(self, value: list[DataType]) -> None:
        ordered = [t for t in DataType if t in set(value)]
        self.data_types_text = ",".join(t.value for t in ordered)


class AppSettings(BaseModel):
    """Application Settings: one row."""

    id = peewee.AutoField()
    scheduler_enabled = peewee.BooleanField(default=True)
    log_folder = peewee.TextField(null=True)  # None: the folder that goes with the file
    log_removal_days = peewee.IntegerField(null=True)  # None: keep logs forever
    # Data at risk: warn when a site has not been copied for this long, or when something
    # waiting comes this close to the day its appliance deletes it.
    warn_after_hours = peewee.IntegerField(default=24)
    warn_margin_days = peewee.IntegerField(default=7)
    risk_mailed_at = peewee.DateTimeField(null=True)  # the last data-at-risk mail


class NotifySettings(BaseModel):
    """Notification Settings: e-mail through SMTP whenever an error is logged. One row."""

    id = peewee.AutoField()
    enabled = peewee.BooleanField(default=False)
    smtp_host = peewee.CharField(default="")
    smtp_port = peewee.IntegerField(default=25)
    security = peewee.CharField(default="none")  # none | starttls | ssl
    #: log in (send the password) even over an unencrypted connection: only when asked for
    allow_unencrypted_auth = peewee.BooleanField(default=False)
    username = peewee.CharField(default="")
    has_password = peewee.BooleanField(default=False)
    sender = peewee.CharField(default="")
    recipients_text = peewee.TextField(default="")  # comma-separated addresses

    password_ref = "notify/smtp_password"

    @property
    def recipients(self) -> list[str]:
        return [part.strip() for part in self.recipients_text.split(",") if part.strip()]


class Watermark(BaseModel):
    """Up to when (appliance time) one site's data of one type is safely in one destination.

    It belongs to the (site, destination, data type) it describes, not to a schedule: every
    schedule that copies that site to that destination moves the same watermark.
    """

    id = peewee.AutoField()
    site = peewee.ForeignKeyField(Site, backref="watermarks", on_delete="CASCADE")
    destination = peewee.ForeignKeyField(Destination, backref="watermarks", on_delete="CASCADE")
    if TYPE_CHECKING:  # what peewee adds for the foreign keys
        site_id: int
        destination_id: int
    data_type = peewee.CharField()
    watermark = peewee.BigIntegerField(null=True)  # UNIX seconds, appliance clock
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("site", "destination", "data_type"), True),)


class LedgerItem(BaseModel):
    """One session, presentation or recording of a site, and where it stands in a destination.

    The ledger of a (site, destination) pair is shared by every schedule copying that pair, so
    nothing is stored twice however many schedules name it. ``state`` is ``stored`` (safely in
    the destination: ``location``, ``size`` and ``sha256`` say where and prove what), ``writing``
    (handed to the destination when the program stopped; with a ``location`` once its final name
    was chosen: checked by identity on the next run), ``open`` (a session still in progress,
    asked for again until it closes), ``pending`` (a recording not stored yet: tried again on
    later runs), ``expired`` (the appliance no longer has it: never asked for again) or ``gone``
    (given up or refused, with the reason in ``detail``). ``key`` is the lsid, or
    ``lsid/instance`` for command shell and Show My Screen recordings.
    """

    id = peewee.AutoField()
    site = peewee.ForeignKeyField(Site, backref="ledger", on_delete="CASCADE")
    destination = peewee.ForeignKeyField(Destination, backref="ledger", on_delete="CASCADE")
    if TYPE_CHECKING:  # what peewee adds for the foreign keys
        site_id: int
        destination_id: int
    data_type = peewee.CharField()
    key = peewee.CharField()
    state = peewee.CharField()
    session_start = peewee.BigIntegerField(null=True)  # appliance UNIX time
    attempts = peewee.IntegerField(default=0)
    detail = peewee.TextField(default="")
    location = peewee.TextField(default="")
    size = peewee.BigIntegerField(null=True)  # bytes written, when the destination wrote a file
    sha256 = peewee.CharField(null=True)  # of those bytes, hex
    meta_json = peewee.TextField(default="{}")  # what names a recording file: lseq, external key
    updated_at = peewee.DateTimeField(default=utcnow)

    @property
    def file_meta(self) -> dict[str, object]:
        return dict(json.loads(self.meta_json or "{}"))

    class Meta:
        indexes = (
            (("site", "destination", "data_type", "key"), True),
            (("site", "destination", "data_type", "state"), False),
        )


class RunRecord(BaseModel):
    """One run of one schedule (or of a single transfer started by hand), with its outcome."""

    id = peewee.AutoField()
    schedule = peewee.ForeignKeyField(Schedule, null=True, backref="runs", on_delete="SET NULL")
    transfer = peewee.ForeignKeyField(Transfer, null=True, backref="runs", on_delete="SET NULL")
    started_at = peewee.DateTimeField(default=utcnow)
    ended_at = peewee.DateTimeField(null=True)
    outcome = peewee.CharField(default=Outcome.RUNNING.value)  # an ``Outcome``
    counts_json = peewee.TextField(default="{}")
    message = peewee.TextField(default="")


ALL_MODELS: list[type[peewee.Model]] = [
    Meta,
    StoredSecret,
    Site,
    Destination,
    Schedule,
    Transfer,
    AppSettings,
    NotifySettings,
    Watermark,
    LedgerItem,
    RunRecord,
]
