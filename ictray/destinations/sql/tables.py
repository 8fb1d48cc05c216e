"""The standard tables and their columns: the public interface that customers' reports query.

The first eight tables are the guide's ("SQL Server Storage Database") to the letter;
``session_data`` is ictray's own, for what a session holds that no column of the guide's tables
does, and ``ictray_schema`` records the schema version. Each table also has an ``id``
auto-increment primary key, which the database assigns.
"""

from __future__ import annotations

VERSION_TABLE = "ictray_schema"

#: Each table's columns besides ``id``, parent key first: the order the writer inserts in.
TABLES: dict[str, tuple[str, ...]] = {
    "session": (
        "lsid",
        "type",
        "start_time",
        "end_time",
        "duration",
        "file_transfers",
        "host_name",
        "external_key",
        "public_site_id",
        "public_site_name",
        "lseq",
    ),
    "session_event": (
        "session_id",
        "type",
        "event_time",
        "performed_by",
        "performed_by_type",
        "destination",
        "destination_type",
    ),
    "session_event_data": ("session_event_id", "name", "value"),
    "system_information": ("session_event_id", "category", "information"),
    "representative": (
        "session_id",
        "gs_number",
        "user_id",
        "user_name",
        "display_name",
        "public_display_name",
        "display_number",
        "public_ip",
        "private_ip",
        "is_owner",
        "is_primary",
        "duration",
        "host_name",
        "operating_system",
    ),
    "customer": (
        "session_id",
        "gs_number",
        "issue",
        "issue_description",
        "display_name",
        "company_name",
        "company_code",
        "public_ip",
        "private_ip",
        "rpat_support",
        "host_name",
        "operating_system",
    ),
    "team": ("session_id", "team_id", "name", "is_primary"),
    "custom_attribute": ("session_id", "display_name", "code_name", "value"),
    "session_data": ("session_id", "name", "value"),
}

#: Columns holding a time (UTC); the dialect may bind them through an SQL expression.
TIME_COLUMNS = frozenset({"start_time", "end_time", "event_time", "applied_at"})

#: Tables keyed by ``session_event_id`` and by ``session_id``: the children, deleted first.
EVENT_CHILDREN = ("session_event_data", "system_information")
SESSION_CHILDREN = (
    "session_event",
    "representative",
    "customer",
    "team",
    "custom_attribute",
    "session_data",
)
