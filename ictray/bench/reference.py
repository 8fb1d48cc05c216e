"""The bare reference the ingest figure is compared with: iterparse and executemany, nothing else.

It reads a saved ``SupportSession`` report with the standard library's expat-based
``ElementTree.iterparse`` and inserts the same tables (from the same DDL file) with one
``executemany`` per table per batch, using a default ``sqlite3`` connection. It keeps what
ictray keeps (every event, its data values, files, bodies and system information, people,
teams, custom attributes, and the rest as name/value rows), assigns ids itself (the database
is new), and has none of ictray's checks, error handling or retry logic: a floor to measure
against, not a program to use.
"""

from __future__ import annotations

import importlib.resources
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from xml.etree.ElementTree import Element, iterparse

from ictray.destinations.sql.tables import TABLES

BATCH = 200


class Readable(Protocol):
    """A binary stream: a file, or an HTTP response's raw body."""

    def read(self, size: int = -1, /) -> bytes: ...


Row = tuple[object, ...]
#: children of <session> with columns or tables of their own; the rest become name/value rows
_SESSION_FIELDS = frozenset(
    {
        "session_type",
        "lseq",
        "start_time",
        "end_time",
        "duration",
        "file_transfer_count",
        "external_key",
        "public_site",
        "customer_list",
        "rep_list",
        "team_list",
        "custom_attributes",
        "session_details",
    }
)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _utc(stamp: str | None) -> str | None:
    if not stamp:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(stamp)))


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().lstrip("-").isdigit() else None


def _flag(text: str | None) -> int:
    return 1 if (text or "").strip() == "1" else 0


def _flatten(element: Element, path: str) -> Iterator[tuple[str, str]]:
    for name, value in element.attrib.items():
        yield f"{path}/@{name}", value
    text = element.text or ""
    if text.strip() or not (element.attrib or len(element)):
        yield path, text
    tags = [_local(child.tag) for child in element]
    seen: dict[str, int] = {}
    for child, tag in zip(element, tags, strict=True):
        seen[tag] = seen.get(tag, 0) + 1
        position = f"[{seen[tag]}]" if tags.count(tag) > 1 else ""
        yield from _flatten(child, f"{path}/{tag}{position}")


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _information(category: Element) -> str:
    parts = []
    for part in category:
        tag = _local(part.tag)
        fields = [field for row in part for field in row] if tag == "data" else list(part)
        if tag == "data":
            inner = "".join(
                "<row>"
                + "".join(
                    f'<field name="{_escape(f.get("name", ""))}">{_escape(f.text or "")}</field>'
                    for f in row
                )
                + "</row>"
                for row in part
            )
        else:
            inner = "".join(
                f'<field name="{_escape(f.get("name", ""))}">{_escape(f.text or "")}</field>'
                for f in fields
            )
        parts.append(f"<{tag}>{inner}</{tag}>")
    return "".join(parts)


class _Tables:
    """Rows waiting for the next ``executemany``, and the next id of each table."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {table: [] for table in TABLES}
        self.next_id = dict.fromkeys(TABLES, 1)

    def add(self, table: str, *values: object) -> int:
        row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        self.rows[table].append((row_id, *values))
        return row_id


def _event(tables: _Tables, session_id: int, node: Element) -> None:
    parties: dict[str, tuple[str | None, str | None]] = {}
    data: list[tuple[str, str]] = []
    categories: list[tuple[str, str]] = []
    for child in node:
        tag = _local(child.tag)
        if tag in ("performed_by", "destination"):
            parties[tag] = (child.text or None, child.get("type") or None)
            if child.get("gsnumber") is not None:
                data.append((f"{tag}/@gsnumber", child.get("gsnumber", "")))
        elif tag == "data":
            data += [(value.get("name", ""), value.get("value", "")) for value in child]
        elif tag == "system_information":
            categories += [(category.get("name", ""), _information(category)) for category in child]
        else:
            data += _flatten(child, tag)
    by, to = parties.get("performed_by", (None, None)), parties.get("destination", (None, None))
    event_id = tables.add(
        "session_event", session_id, node.get("event_type"), _utc(node.get("timestamp")), *by, *to
    )
    for name, value in data:
        tables.add("session_event_data", event_id, name, value)
    for name, value in categories:
        tables.add("system_information", event_id, name, value)


def _person(tables: _Tables, session_id: int, node: Element, path: str) -> None:
    fields = {_local(child.tag): child for child in node}
    text = {tag: child.text for tag, child in fields.items()}
    if _local(node.tag) == "customer":
        info = {_local(child.tag): child.text for child in fields.get("info", ())}
        tables.add(
            "customer",
            session_id,
            _int(node.get("gsnumber")),
            info.get("issue"),
            info.get("details"),
            info.get("name") or text.get("username"),
            info.get("company"),
            info.get("company_code"),
            text.get("public_ip"),
            text.get("private_ip"),
            _flag(text.get("rpat_support")),
            text.get("hostname"),
            text.get("os"),
        )
        leftovers = [("username", text.get("username"))] if info.get("name") else []
        leftovers.append(("primary_cust", "1" if _flag(text.get("primary_cust")) else None))
    else:
        private, shown = text.get("private_display_name"), text.get("display_name")
        tables.add(
            "representative",
            session_id,
            _int(node.get("gsnumber")),
            _int(node.get("id")),
            text.get("username"),
            private or shown,
            text.get("public_display_name"),
            _int(text.get("display_number")),
            text.get("public_ip"),
            text.get("private_ip"),
            _flag(text.get("session_owner")),
            _flag(text.get("primary_rep")),
            _int(text.get("seconds_involved")),
            text.get("hostname"),
            text.get("os"),
        )
        leftovers = [("display_name", shown if private and shown != private else None)]
        if "invited" in text:
            leftovers.append(("invited", str(_flag(text["invited"]))))
    for name, value in leftovers:
        if value is not None:
            tables.add("session_data", session_id, f"{path}/{name}", value)


def _session(tables: _Tables, node: Element, host: str) -> None:
    fields: dict[str, Element] = {}
    leftovers: list[tuple[str, str]] = []
    for child in node:
        tag = _local(child.tag)
        if tag in _SESSION_FIELDS:
            fields[tag] = child
        else:
            leftovers += _flatten(child, tag)

    def text(tag: str) -> str | None:
        child = fields.get(tag)
        return None if child is None else (child.text or None)

    site = fields.get("public_site")
    session_id = tables.add(
        "session",
        node.get("lsid"),
        text("session_type"),
        _utc(fields["start_time"].get("timestamp")) if "start_time" in fields else None,
        _utc(fields["end_time"].get("timestamp")) if "end_time" in fields else None,
        text("duration"),
        _int(text("file_transfer_count")),
        host,
        text("external_key"),
        _int(site.get("id")) if site is not None else None,
        text("public_site"),
        _int(text("lseq")),
    )
    for name, value in leftovers:
        tables.add("session_data", session_id, name, value)
    for position, person in enumerate(fields.get("customer_list", ()), start=1):
        _person(tables, session_id, person, f"customer_list/customer[{position}]")
    for position, person in enumerate(fields.get("rep_list", ()), start=1):
        _person(tables, session_id, person, f"rep_list/representative[{position}]")
    for team in fields.get("team_list", ()):
        tables.add("team", session_id, _int(team.get("id")), team.text, _flag(team.get("primary")))
    for attribute in fields.get("custom_attributes", ()):
        tables.add(
            "custom_attribute",
            session_id,
            attribute.get("display_name"),
            attribute.get("code_name"),
            attribute.text,
        )
    for event in fields.get("session_details", ()):
        _event(tables, session_id, event)


def _flush(connection: sqlite3.Connection, tables: _Tables) -> int:
    written = 0
    for table, rows in tables.rows.items():
        if rows:
            columns = ("id", *TABLES[table])
            connection.executemany(
                f"INSERT INTO [{table}] ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                rows,
            )
            written += len(rows)
            rows.clear()
    connection.commit()
    return written


def sqlite_ddl() -> str:
    """The DDL file ictray's SQL destination creates its SQLite tables from."""
    resource = importlib.resources.files("ictray.resources") / "sql" / "sqlite.sql"
    return resource.read_text(encoding="utf-8")


def ingest(report: Path, database: Path, host: str) -> tuple[int, int]:
    """Store every session of ``report`` into a new SQLite ``database``; (sessions, rows)."""
    with report.open("rb") as stream:
        return ingest_stream(stream, database, host)


def ingest_stream(stream: Readable, database: Path, host: str) -> tuple[int, int]:
    """Store every session of a report read from ``stream`` into SQLite ``database`` (created
    with the schema when new); (sessions, rows)."""
    connection = sqlite3.connect(database)
    connection.executescript(sqlite_ddl())
    tables = _Tables()
    sessions = rows = depth = 0
    root: Element | None = None
    for kind, element in iterparse(stream, events=("start", "end")):
        if kind == "start":
            depth += 1
            if depth == 1:
                root = element
            continue
        depth -= 1
        if depth == 1 and root is not None:
            if _local(element.tag) == "session":
                _session(tables, element, host)
                sessions += 1
                if sessions % BATCH == 0:
                    rows += _flush(connection, tables)
            root.remove(element)
    rows += _flush(connection, tables)
    connection.close()
    return sessions, rows
