"""The steps that bring an older settings file up to this program's schema, one per version.

Each step is plain SQL written for the schema it starts from, never the current models (which
move on): ``db.migrate`` runs it in its own transaction, after a copy of the file was made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

if TYPE_CHECKING:
    from playhouse.migrate import SqliteMigrator

#: What a (site, destination) pair holds, whichever schedule copies it (schema 2).
_PAIR_TABLES = (
    'CREATE TABLE "watermark" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"site_id" INTEGER NOT NULL, "destination_id" INTEGER NOT NULL, '
    '"data_type" VARCHAR(255) NOT NULL, "watermark" INTEGER, "updated_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("site_id") REFERENCES "site" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("destination_id") REFERENCES "destination" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "watermark_site_id" ON "watermark" ("site_id")',
    'CREATE INDEX "watermark_destination_id" ON "watermark" ("destination_id")',
    'CREATE UNIQUE INDEX "watermark_site_id_destination_id_data_type" '
    'ON "watermark" ("site_id", "destination_id", "data_type")',
    'CREATE TABLE "ledger_item" ("id" INTEGER NOT NULL PRIMARY KEY, '
    '"site_id" INTEGER NOT NULL, "destination_id" INTEGER NOT NULL, '
    '"data_type" VARCHAR(255) NOT NULL, "key" VARCHAR(255) NOT NULL, '
    '"state" VARCHAR(255) NOT NULL, "session_start" INTEGER, "attempts" INTEGER NOT NULL, '
    '"detail" TEXT NOT NULL, "location" TEXT NOT NULL, "size" INTEGER, '
    '"sha256" VARCHAR(255), "meta_json" TEXT NOT NULL, "updated_at" DATETIME NOT NULL, '
    'FOREIGN KEY ("site_id") REFERENCES "site" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("destination_id") REFERENCES "destination" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "ledger_item_site_id" ON "ledger_item" ("site_id")',
    'CREATE INDEX "ledger_item_destination_id" ON "ledger_item" ("destination_id")',
    'CREATE UNIQUE INDEX "ledger_item_site_id_destination_id_data_type_key" '
    'ON "ledger_item" ("site_id", "destination_id", "data_type", "key")',
    'CREATE INDEX "ledger_item_site_id_destination_id_data_type_state" '
    'ON "ledger_item" ("site_id", "destination_id", "data_type", "state")',
)

#: When two transfers of one pair recorded the same item, the state that says most wins:
#: stored (it is in the destination) before the final refusals, before "not finished yet".
#: A ``writing`` item of schema 1 has no proof of identity: it is written again.
_STATE_RANK = (
    "CASE i.state WHEN 'stored' THEN 0 WHEN 'expired' THEN 1 WHEN 'gone' THEN 2 "
    "WHEN 'writing' THEN 3 WHEN 'pending' THEN 4 ELSE 5 END"
)


def to_pair_ledger(_migrator: SqliteMigrator, database: peewee.SqliteDatabase) -> None:
    """Schema 2: watermarks and items belong to (site, destination), not to one transfer.

    Transfers of the same pair in several schedules are merged: an item keeps its most final
    state, a watermark the earliest time (a later window is asked for again and finds its
    sessions already stored, which costs a little time and loses nothing).
    """
    for statement in _PAIR_TABLES:
        database.execute_sql(statement)
    database.execute_sql(
        'INSERT INTO "ledger_item" ("site_id", "destination_id", "data_type", "key", "state", '
        '"session_start", "attempts", "detail", "location", "size", "sha256", "meta_json", '
        '"updated_at") '
        "SELECT site_id, destination_id, data_type, key, state, session_start, attempts, "
        "detail, location, NULL, NULL, meta_json, updated_at FROM ("
        "SELECT t.site_id, t.destination_id, i.data_type, i.key, i.state, i.session_start, "
        "i.attempts, i.detail, i.location, i.meta_json, i.updated_at, "
        f"MIN({_STATE_RANK}) AS rank "
        'FROM "transfer_item" i JOIN "transfer" t ON t.id = i.transfer_id '
        "GROUP BY t.site_id, t.destination_id, i.data_type, i.key)"
    )
    database.execute_sql(
        'INSERT INTO "watermark" ("site_id", "destination_id", "data_type", "watermark", '
        '"updated_at") '
        "SELECT t.site_id, t.destination_id, s.data_type, MIN(s.watermark), MAX(s.updated_at) "
        'FROM "sync_state" s JOIN "transfer" t ON t.id = s.transfer_id '
        "GROUP BY t.site_id, t.destination_id, s.data_type"
    )
    database.execute_sql('DROP TABLE "transfer_item"')
    database.execute_sql('DROP TABLE "sync_state"')


def data_at_risk(_migrator: SqliteMigrator, database: peewee.SqliteDatabase) -> None:
    """Schema 3: each site says how many days its appliance keeps sessions and recordings, and
    the application settings when to warn that data is at risk (and when it last mailed so)."""
    for statement in (
        'ALTER TABLE "site" ADD COLUMN "retention_days" INTEGER NOT NULL DEFAULT 90',
        'ALTER TABLE "app_settings" ADD COLUMN "warn_after_hours" INTEGER NOT NULL DEFAULT 24',
        'ALTER TABLE "app_settings" ADD COLUMN "warn_margin_days" INTEGER NOT NULL DEFAULT 7',
        'ALTER TABLE "app_settings" ADD COLUMN "risk_mailed_at" DATETIME',
    ):
        database.execute_sql(statement)


def add_notify_allow_unencrypted_auth(
    _migrator: SqliteMigrator, database: peewee.SqliteDatabase
) -> None:
    """Schema 4: Notification Settings remember whether logging in to the SMTP server over an
    unencrypted connection was explicitly allowed. Off in files from before: such a login is
    refused until the user chooses encryption or allows it."""
    database.execute_sql(
        'ALTER TABLE "notify_settings" ADD COLUMN "allow_unencrypted_auth" INTEGER NOT NULL '
        "DEFAULT 0"
    )
