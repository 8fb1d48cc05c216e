"""Fixtures for the destinations: fresh SQL databases and realistic support sessions.

``sql_url`` yields the connection string of an empty database, once per database kind:
SQLite always (a file in the test's folder); PostgreSQL, MariaDB/MySQL and SQL Server when
``ICTRAY_TEST_POSTGRES``, ``ICTRAY_TEST_MYSQL`` and ``ICTRAY_TEST_MSSQL`` hold a connection
string to a server where the login may create databases (e.g.
``postgresql://postgres@127.0.0.1:5432/test``, ``mysql://root@127.0.0.1:3306/test``). Each test
gets its own ``ictray_test_<random>`` database there, dropped afterwards, so runs never collide.

``read_stored(url)`` reads every stored session back with plain SQL; ``expected_stored(session,
host)`` states, from the model objects alone and independently of the writer, what the guide's
mapping puts in each table. Both give the same shape, so a test compares them with ``==``.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ictray.appliance.model import (
    CustomAttribute,
    Customer,
    CustomerInfo,
    Event,
    FileInfo,
    Party,
    RecordingRef,
    Representative,
    Session,
    SystemInfoCategory,
    Team,
    XmlNode,
)
from ictray.destinations.sql.connstr import parse_connection_string
from ictray.destinations.sql.dialects import Connection, dialect_for
from ictray.destinations.sql.tables import TABLES

SITE_HOST = "support.example.com"
T0 = 1_717_000_000  # 2024-05-29 16:26:40 UTC


@pytest.fixture(params=["sqlite", "postgresql", "mysql", "mssql"])
def sql_url(
    request: pytest.FixtureRequest, tmp_path: Path, server_database: Callable[[str], str]
) -> str:
    """The connection string of a new, empty database of each kind available."""
    kind = request.param
    if kind == "sqlite":
        return f"sqlite:///{(tmp_path / 'sessions.db').as_posix()}"
    return server_database(kind)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'sessions.db').as_posix()}"


def build_session(number: int, *, closed: bool = True, start: int = T0) -> Session:
    """A support session with every kind of content the appliance reports.

    ``number`` varies names and ids; ``closed=False`` gives the same session as it looks
    while still in progress (no end, fewer events, no recordings yet).
    """
    lsid = f"{number:08x}{'5f1c2e3d' * 3}"
    cust_gs, rep_gs, rep2_gs = 100 + number, 200 + number, 300 + number
    customer_party = Party("customer", cust_gs, f"Zoë O'Brien {number}")
    rep_party = Party("representative", rep_gs, "Ann Admin")
    rep2_party = Party("representative", rep2_gs, 'Bob "Builder" Brown')
    system = Party("system", 0, "")
    events = [
        Event(start, "Session Start", performed_by=customer_party),
        Event(
            start + 5,
            "Conference Member Added",
            performed_by=system,
            destination=rep_party,
            data=[("invited", "0")],
        ),
        Event(
            start + 9,
            "System Information Retrieved",
            performed_by=rep_party,
            system_information=[
                SystemInfoCategory(
                    "Drives",
                    description=[
                        ("Drive", "Drive"),
                        ("Type", "Type"),
                        ("Percent Used", "Percent Used"),
                    ],
                    rows=[
                        [("Drive", "C:"), ("Type", "Fixed <SSD>"), ("Percent Used", "63%")],
                        [("Drive", "D:"), ("Type", "CD & DVD"), ("Percent Used", "0%")],
                    ],
                ),
                SystemInfoCategory(
                    "General",
                    description=[("Name", "Computer Name")],
                    rows=[[("Name", f"PC-{number}")]],
                ),
            ],
        ),
        Event(
            start + 20,
            "Chat Message",
            performed_by=rep_party,
            destination=customer_party,
            body="Hello — how can I help? 😀",
        ),
        Event(
            start + 31,
            "Chat Message",
            performed_by=customer_party,
            destination=rep_party,
            body="bell\x07 and tab\there",
            body_encoded=True,
        ),
        Event(
            start + 40,
            "File Download",
            performed_by=rep_party,
            filename="C:\\Temp\\report 'Q2'.pdf",
            filesize=123456,
        ),
        Event(
            start + 41,
            "Files Shared",
            performed_by=rep_party,
            files=[FileInfo("a.txt", 10), FileInfo("b.log", None)],
        ),
        Event(
            start + 50,
            "Registry Value Modified",
            performed_by=rep2_party,
            data=[
                ("key", "HKLM\\Software\\Example"),
                ("value_name", "Level"),
                ("old_value", "1"),
                ("new_value", "2"),
            ],
            extra=[XmlNode("note", {"lang": "en"}, "unknown element")],
        ),
    ]
    representatives = [
        Representative(
            rep_gs,
            id="5",
            username="ann",
            display_name="Ann Admin",
            public_display_name="Ann",
            private_display_name="Ann (Tier 2)",
            display_number=17,
            public_ip="203.0.113.9:51000",
            private_ip="10.0.0.5",
            hostname="ANN-PC",
            os="Windows 11",
            session_owner=True,
            primary_rep=True,
            seconds_involved=600 + number,
        ),
        Representative(
            rep2_gs,
            id="rep-x",
            username="bob",
            display_name='Bob "Builder" Brown',
            public_display_name="Bob",
            display_number=None,
            hostname="bob-mac",
            os="macOS 14",
            session_owner=False,
            primary_rep=False,
            seconds_involved=120,
            invited=True,
            extra=[
                XmlNode(
                    "skills",
                    children=[XmlNode("skill", text="printers"), XmlNode("skill", text="VPN")],
                )
            ],
        ),
    ]
    customers = [
        Customer(
            cust_gs,
            username="zobrien",
            public_ip="[2001:db8::1]:443",
            private_ip="192.168.1.20",
            hostname="ZOE-LAPTOP",
            os="Windows 10 Pro",
            primary_cust=True,
            rpat_support=False,
            info=CustomerInfo(
                name=f"Zoë O'Brien {number}",
                company="Acme; Ltd",
                company_code="ACME-7",
                issue="Printer",
                details="It prints only\nevery other page.",
            ),
        ),
    ]
    session = Session(
        lsid=lsid,
        lseq=1000 + number,
        start_time=start,
        end_time=start + 900,
        duration="00:15:00",
        public_site_id="1",
        public_site_name="Default",
        external_key=f"TICKET-{number}" if number % 2 else None,
        custom_attributes=[
            CustomAttribute("Asset Tag", "asset_tag", f"AT-{number}"),
            CustomAttribute("Region", "region", "EMEA"),
        ],
        session_chat_view_url=f"https://{SITE_HOST}/chat?lsid={lsid}&view=1",
        session_chat_download_url=f"https://{SITE_HOST}/chat?lsid={lsid}",
        session_recording_view_url=f"https://{SITE_HOST}/rec?lsid={lsid}&view=1",
        session_recording_download_url=f"https://{SITE_HOST}/rec?lsid={lsid}",
        command_shell_recordings=[RecordingRef(0, f"https://{SITE_HOST}/cs?i=0", None)],
        file_transfer_count=2,
        file_move_count=0,
        file_delete_count=1,
        primary_customer_gsnumber=cust_gs,
        primary_rep_gsnumber=rep_gs,
        primary_rep_id="5",
        primary_customer_name=f"Zoë O'Brien {number}",
        primary_rep_name="Ann Admin",
        customers=customers,
        representatives=representatives,
        teams=[Team("3", "Helpdesk", False), Team("4", "Tier 2", True)],
        events=events,
        extra=[
            XmlNode(
                "cust_survey_list",
                children=[
                    XmlNode(
                        "cust_exit_survey",
                        {"gsnumber": str(cust_gs)},
                        children=[
                            XmlNode("value", {"name": "Rating", "value": "5"}),
                            XmlNode("value", {"name": "Comment", "value": "Great & quick"}),
                        ],
                    )
                ],
            )
        ],
    )
    if not closed:
        session.end_time = None
        session.duration = None
        session.session_recording_view_url = None
        session.session_recording_download_url = None
        session.command_shell_recordings = []
        session.extra = []
        session.events = session.events[:4]
        session.teams = [Team("3", "Helpdesk", True)]
    return session


@pytest.fixture
def make_session() -> Callable[..., Session]:
    """``make_session(number, closed=True)``: see ``build_session``."""
    return build_session


# -- reading the schema back ----------------------------------------------------------------

EPOCH = datetime(1970, 1, 1)

SESSION_COLUMNS = (
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
)
EVENT_COLUMNS = (
    "type",
    "event_time",
    "performed_by",
    "performed_by_type",
    "destination",
    "destination_type",
)
CUSTOMER_COLUMNS = (
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
)
REPRESENTATIVE_COLUMNS = (
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
)
TEAM_COLUMNS = ("team_id", "name", "is_primary")
ATTRIBUTE_COLUMNS = ("display_name", "code_name", "value")


def connect(url: str) -> Connection:
    """A plain connection to the database of ``url`` (the dialect's own settings)."""
    info = parse_connection_string(url)
    return dialect_for(info).connect(info)


def utc(timestamp: int | None) -> datetime | None:
    return None if timestamp is None else EPOCH + timedelta(seconds=timestamp)


def _time(value: Any) -> Any:
    """A time column's value as a datetime (SQLite returns the stored text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _rows(connection: Connection, sql: str) -> list[tuple[Any, ...]]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def parse_information(text: str) -> dict[str, Any]:
    """``system_information.information`` back as description pairs and rows of pairs."""
    root = ElementTree.fromstring(f"<category>{text}</category>")
    description = [
        (field.get("name"), field.text or "") for field in root.findall("description/field")
    ]
    rows = [
        [(field.get("name"), field.text or "") for field in row.findall("field")]
        for row in root.findall("data/row")
    ]
    return {"description": description, "rows": rows}


def read_all(connection: Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """Every stored session keyed by ``(host_name, lsid)``, children in id order."""
    sessions: dict[Any, dict[str, Any]] = {}
    for row in _rows(connection, f"SELECT id, {', '.join(SESSION_COLUMNS)} FROM session"):
        session = dict(zip(SESSION_COLUMNS, row[1:], strict=True))
        session["start_time"] = _time(session["start_time"])
        session["end_time"] = _time(session["end_time"])
        sessions[row[0]] = {
            "session": session,
            "customer": [],
            "representative": [],
            "team": [],
            "custom_attribute": [],
            "session_data": [],
            "events": [],
        }
    for table, columns in (
        ("customer", CUSTOMER_COLUMNS),
        ("representative", REPRESENTATIVE_COLUMNS),
        ("team", TEAM_COLUMNS),
        ("custom_attribute", ATTRIBUTE_COLUMNS),
        ("session_data", ("name", "value")),
    ):
        for row in _rows(
            connection, f"SELECT session_id, {', '.join(columns)} FROM {table} ORDER BY id"
        ):
            item = dict(zip(columns, row[1:], strict=True))
            sessions[row[0]][table].append(
                (item["name"], item["value"]) if table == "session_data" else item
            )
    events: dict[Any, dict[str, Any]] = {}
    for row in _rows(
        connection,
        f"SELECT id, session_id, {', '.join(EVENT_COLUMNS)} FROM session_event ORDER BY id",
    ):
        columns = dict(zip(EVENT_COLUMNS, row[2:], strict=True))
        columns["event_time"] = _time(columns["event_time"])
        event = {"row": columns, "data": [], "system_information": []}
        events[row[0]] = event
        sessions[row[1]]["events"].append(event)
    for row in _rows(
        connection, "SELECT session_event_id, name, value FROM session_event_data ORDER BY id"
    ):
        events[row[0]]["data"].append((row[1], row[2]))
    for row in _rows(
        connection,
        "SELECT session_event_id, category, information FROM system_information ORDER BY id",
    ):
        events[row[0]]["system_information"].append((row[1], parse_information(row[2])))
    return {
        (item["session"]["host_name"], item["session"]["lsid"]): item for item in sessions.values()
    }


# -- what the guide's mapping stores ------------------------------------------------------------


def _flag(value: bool) -> int:
    return 1 if value else 0


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().lstrip("+-").isdigit() else None


def xpath_pairs(nodes: list[XmlNode], prefix: str = "") -> list[tuple[str, str]]:
    """Unknown elements as name/value pairs, numbering a tag only where siblings repeat it."""
    totals = Counter(node.tag for node in nodes)
    positions: Counter[str] = Counter()
    pairs: list[tuple[str, str]] = []
    for node in nodes:
        positions[node.tag] += 1
        path = prefix + node.tag + (f"[{positions[node.tag]}]" if totals[node.tag] > 1 else "")
        pairs += [(f"{path}/@{name}", value) for name, value in node.attrs.items()]
        if node.text.strip() or not (node.attrs or node.children):
            pairs.append((path, node.text))
        pairs += xpath_pairs(node.children, path + "/")
    return pairs


def _session_data(session: Session) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if session.public_site_id is not None and _int_or_none(session.public_site_id) is None:
        pairs.append(("public_site/@id", session.public_site_id))
    for name in (
        "session_chat_view_url",
        "session_chat_download_url",
        "session_recording_view_url",
        "session_recording_download_url",
    ):
        if getattr(session, name) is not None:
            pairs.append((name, getattr(session, name)))
    for path, recordings in (
        ("command_shell_recordings/command_shell_recording", session.command_shell_recordings),
        ("show_my_screen_recordings/show_my_screen_recording", session.show_my_screen_recordings),
    ):
        for n, recording in enumerate(recordings, start=1):
            pairs.append((f"{path}[{n}]/@instance", str(recording.instance)))
            if recording.download_url is not None:
                pairs.append((f"{path}[{n}]/download_url", recording.download_url))
            if recording.view_url is not None:
                pairs.append((f"{path}[{n}]/view_url", recording.view_url))
    for name, value in (
        ("file_move_count", session.file_move_count),
        ("file_delete_count", session.file_delete_count),
        ("primary_customer/@gsnumber", session.primary_customer_gsnumber),
        ("primary_rep/@gsnumber", session.primary_rep_gsnumber),
        ("primary_customer", session.primary_customer_name),
        ("primary_rep", session.primary_rep_name),
        ("primary_rep/@id", session.primary_rep_id),
    ):
        if value is not None:
            pairs.append((name, str(value)))
    for n, customer in enumerate(session.customers, start=1):
        path = f"customer_list/customer[{n}]"
        if customer.info.name is not None and customer.username is not None:
            pairs.append((f"{path}/username", customer.username))
        if customer.primary_cust:
            pairs.append((f"{path}/primary_cust", "1"))
        pairs += xpath_pairs(customer.extra, path + "/")
    for n, rep in enumerate(session.representatives, start=1):
        path = f"rep_list/representative[{n}]"
        if rep.id is not None and _int_or_none(rep.id) is None:
            pairs.append((f"{path}/@id", rep.id))
        if (
            rep.private_display_name is not None
            and rep.display_name is not None
            and rep.private_display_name != rep.display_name
        ):
            pairs.append((f"{path}/display_name", rep.display_name))
        if rep.invited is not None:
            pairs.append((f"{path}/invited", str(_flag(rep.invited))))
        pairs += xpath_pairs(rep.extra, path + "/")
    for n, team in enumerate(session.teams, start=1):
        if team.id is not None and _int_or_none(team.id) is None:
            pairs.append((f"team_list/team[{n}]/@id", team.id))
    return pairs + xpath_pairs(session.extra)


def _event(event: Any, store_system_information: bool) -> dict[str, Any]:
    by, to = event.performed_by, event.destination
    data: list[tuple[str, str]] = []
    for name, party in (("performed_by", by), ("destination", to)):
        if party is not None and party.gsnumber is not None:
            data.append((f"{name}/@gsnumber", str(party.gsnumber)))
    if event.body is not None and event.body_encoded:
        data.append(("encoded_body", base64.b64encode(event.body.encode()).decode()))
    elif event.body is not None:
        data.append(("body", event.body))
    if event.filename is not None:
        data.append(("filename", event.filename))
    if event.filesize is not None:
        data.append(("filesize", str(event.filesize)))
    for n, file in enumerate(event.files, start=1):
        data.append((f"files/file[{n}]/filename", file.filename))
        if file.filesize is not None:
            data.append((f"files/file[{n}]/filesize", str(file.filesize)))
    data += list(event.data) + xpath_pairs(event.extra)
    information = (
        [
            (
                category.name,
                {
                    "description": list(category.description),
                    "rows": [list(row) for row in category.rows],
                },
            )
            for category in event.system_information
        ]
        if store_system_information
        else []
    )
    return {
        "row": {
            "type": event.event_type,
            "event_time": utc(event.timestamp),
            "performed_by": by.name or None if by else None,
            "performed_by_type": by.type or None if by else None,
            "destination": to.name or None if to else None,
            "destination_type": to.type or None if to else None,
        },
        "data": data,
        "system_information": information,
    }


def expected(
    session: Session, site_host: str, store_system_information: bool = True
) -> dict[str, Any]:
    """What the standard schema holds for ``session`` after it is written."""
    return {
        "session": {
            "lsid": session.lsid,
            "type": session.session_type,
            "start_time": utc(session.start_time),
            "end_time": utc(session.end_time),
            "duration": session.duration,
            "file_transfers": session.file_transfer_count,
            "host_name": site_host,
            "external_key": session.external_key,
            "public_site_id": _int_or_none(session.public_site_id),
            "public_site_name": session.public_site_name,
            "lseq": session.lseq,
        },
        "customer": [
            {
                "gs_number": c.gsnumber,
                "issue": c.info.issue,
                "issue_description": c.info.details,
                "display_name": c.info.name if c.info.name is not None else c.username,
                "company_name": c.info.company,
                "company_code": c.info.company_code,
                "public_ip": c.public_ip,
                "private_ip": c.private_ip,
                "rpat_support": _flag(c.rpat_support),
                "host_name": c.hostname,
                "operating_system": c.os,
            }
            for c in session.customers
        ],
        "representative": [
            {
                "gs_number": r.gsnumber,
                "user_id": _int_or_none(r.id),
                "user_name": r.username,
                "display_name": (
                    r.private_display_name if r.private_display_name is not None else r.display_name
                ),
                "public_display_name": r.public_display_name,
                "display_number": r.display_number,
                "public_ip": r.public_ip,
                "private_ip": r.private_ip,
                "is_owner": _flag(r.session_owner),
                "is_primary": _flag(r.primary_rep),
                "duration": r.seconds_involved,
                "host_name": r.hostname,
                "operating_system": r.os,
            }
            for r in session.representatives
        ],
        "team": [
            {"team_id": _int_or_none(t.id), "name": t.name, "is_primary": _flag(t.primary)}
            for t in session.teams
        ],
        "custom_attribute": [
            {"display_name": a.display_name, "code_name": a.code_name, "value": a.value}
            for a in session.custom_attributes
        ],
        "session_data": _session_data(session),
        "events": [_event(event, store_system_information) for event in session.events],
    }


@pytest.fixture
def read_stored() -> Callable[[str], dict[tuple[str, str], dict[str, Any]]]:
    """``read_stored(url)``: every session stored in that database (see ``read_all``)."""

    def read(url: str) -> dict[tuple[str, str], dict[str, Any]]:
        connection = connect(url)
        try:
            return read_all(connection)
        finally:
            connection.close()

    return read


@pytest.fixture
def expected_stored() -> Callable[..., dict[str, Any]]:
    """``expected_stored(session, host, store_system_information=True)``: see ``expected``."""
    return expected


@pytest.fixture
def count_rows() -> Callable[[str], dict[str, int]]:
    """``count_rows(url)``: the number of rows in each standard table."""

    def count(url: str) -> dict[str, int]:
        connection = connect(url)
        try:
            return {
                table: int(_rows(connection, f"SELECT COUNT(*) FROM {table}")[0][0])
                for table in TABLES
            }
        finally:
            connection.close()

    return count


@pytest.fixture
def db_connect() -> Callable[[str], Connection]:
    """``db_connect(url)``: a plain DB-API connection to that database (caller closes it)."""
    return connect
