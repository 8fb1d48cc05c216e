"""A session the database cannot take is that session's refusal, named with the column and the
limit; the other sessions of the batch are stored; a database that fails is no session's fault.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import Any

import pymssql
import pytest

from ictray.appliance.model import Event, Party
from ictray.destinations.base import DestinationError
from ictray.destinations.sql.dialects import DIALECTS
from ictray.destinations.sql.limits import Limits
from ictray.destinations.sql.plugin import SqlDestination
from ictray.destinations.sql.rows import session_rows
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import LedgerItem, Transfer
from ictray.transfer.batches import BatchWriter
from ictray.transfer.engine import TransferJob, TransferRun
from ictray.transfer.items import SUPPORT
from ictray.transfer.ledger import Ledger

SITE = "support.example.com"
MIB = 2**20


def _destination(url: str) -> SqlDestination:
    return SqlDestination("Reports DB", {"connection_string": url})


def _server_only(url: str) -> None:
    if url.startswith("sqlite"):
        pytest.skip("SQLite stores any length whatever the declared width (tested below)")


def _beyond_the_packet(url: str, db_connect: Any) -> int:
    """Characters that make one statement larger than the server takes (MySQL: read from the
    server; the others: the same size, which a 1,024-character column cannot take either)."""
    if not url.startswith("mysql"):
        return 16 * MIB + MIB
    connection = db_connect(url)
    cursor = connection.cursor()
    cursor.execute("SELECT @@max_allowed_packet")
    packet = int(cursor.fetchone()[0])
    connection.close()
    return packet + MIB


def _max_allowed_packet(url: str, db_connect: Any) -> int:
    return _beyond_the_packet(url, db_connect) - MIB


def test_a_value_too_large_for_its_column_is_that_sessions_refusal(
    sql_url, make_session, read_stored, expected_stored, db_connect
):
    """The issue's case: a huge external key. On MariaDB the statement is larger than
    max_allowed_packet, the server drops the connection, and yet it is no outage."""
    _server_only(sql_url)
    batch = [make_session(n) for n in range(60, 64)]
    bad = batch[2]
    bad.external_key = "K" * _beyond_the_packet(sql_url, db_connect)
    destination = _destination(sql_url)
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    message = str(caught.value)
    assert caught.value.lsid == bad.lsid
    assert f"session {bad.lsid} of {SITE}" in message and "'Reports DB'" in message
    assert "external_key" in message
    assert "the column session.external_key holds at most 1,024" in message
    assert "connection to the database was lost" not in message
    assert "writing them again" not in message

    rest = [session for session in batch if session is not bad]
    destination.write_sessions(SITE, rest)  # the same destination goes on with the others
    destination.close()
    stored = read_stored(sql_url)
    assert sorted(lsid for _, lsid in stored) == sorted(session.lsid for session in rest)
    for session in rest:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)


def test_a_statement_beyond_max_allowed_packet_names_the_setting(
    sql_url, make_session, read_stored, db_connect
):
    """A chat message larger than MariaDB's max_allowed_packet fits its LONGTEXT column, but no
    statement can carry it: the session is named with the table, the size and the setting."""
    if not sql_url.startswith("mysql"):
        pytest.skip("max_allowed_packet is MySQL's and MariaDB's")
    packet = _max_allowed_packet(sql_url, db_connect)
    batch = [make_session(n) for n in range(70, 73)]
    bad = batch[1]
    talker = Party("customer", 1, "Talker")
    bad.events = [
        *bad.events,
        Event(bad.start_time + 60, "Chat Message", performed_by=talker, body="b" * (packet + MIB)),
    ]
    destination = _destination(sql_url)
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    message = str(caught.value)
    assert caught.value.lsid == bad.lsid
    assert f"session {bad.lsid}" in message
    assert "session_event_data row" in message and "value of 'body'" in message
    assert f"{packet:,} bytes" in message and "raise max_allowed_packet" in message
    assert "connection to the database was lost" not in message

    destination.write_sessions(SITE, [batch[0], batch[2]])
    destination.close()
    assert sorted(lsid for _, lsid in read_stored(sql_url)) == sorted(
        [batch[0].lsid, batch[2].lsid]
    )


def test_sqlite_names_a_value_beyond_its_length_limit(sqlite_url, make_session, read_stored):
    """SQLite refuses strings longer than its length limit ("string or blob too big"). The
    limit is a billion bytes unless SQLite was built or set otherwise; it is lowered on the
    destination's own connection here, as a smaller build would have it."""
    destination = _destination(sqlite_url)
    destination.write_sessions(SITE, [make_session(80)])
    connection = destination._connection
    assert isinstance(connection, sqlite3.Connection)
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 100_000)
    batch = [make_session(n) for n in range(81, 84)]
    bad = batch[1]
    bad.custom_attributes[0].value = "v" * 200_000
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    message = str(caught.value)
    assert caught.value.lsid == bad.lsid
    assert "value of 'Asset Tag' is 200,000 bytes long" in message
    assert "at most 100,000 bytes" in message
    destination.write_sessions(SITE, [batch[0], batch[2]])  # a new connection: the usual limit
    destination.close()
    assert len(read_stored(sqlite_url)) == 3


def test_sqlite_stores_what_the_declared_width_would_refuse(sqlite_url, make_session, read_stored):
    session = make_session(85)
    session.external_key = "K" * 5000
    with _destination(sqlite_url) as destination:
        destination.write_sessions(SITE, [session])
    assert read_stored(sqlite_url)[SITE, session.lsid]["session"]["external_key"] == "K" * 5000


def test_an_integer_out_of_range_names_the_column(sql_url, make_session, read_stored):
    _server_only(sql_url)
    batch = [make_session(90), make_session(91)]
    batch[0].lseq = 2**40
    destination = _destination(sql_url)
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    assert caught.value.lsid == batch[0].lsid
    assert "lseq is 1099511627776, outside the range of the integer column session.lseq" in str(
        caught.value
    )
    destination.write_sessions(SITE, batch[1:])
    destination.close()
    assert len(read_stored(sql_url)) == 1


def test_text_that_is_no_unicode_is_refused_not_a_traceback(sql_url, make_session, read_stored):
    """A lone surrogate cannot be encoded for any database: the driver raises before sending."""
    batch = [make_session(95), make_session(96)]
    batch[1].customers[0].info.company = "Acme \ud800 Ltd"
    destination = _destination(sql_url)
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    assert caught.value.lsid == batch[1].lsid
    assert "company_name holds the character U+D800 at position 6" in str(caught.value)
    destination.write_sessions(SITE, batch[:1])
    destination.close()
    assert len(read_stored(sql_url)) == 1


def test_a_database_failing_every_session_alike_gives_none_up(sqlite_url, make_session, db_connect):
    """A table dropped (or rights revoked) fails every session: the first one is not to blame,
    whether the batch holds several sessions or one. (Opening the destination again creates
    the missing table, so it is dropped before each batch.)"""
    destination = _destination(sqlite_url)
    for batch in ([make_session(101), make_session(102)], [make_session(103)]):
        destination.write_sessions(SITE, [make_session(100)])
        connection = db_connect(sqlite_url)
        connection.execute("DROP TABLE custom_attribute")
        connection.close()
        with pytest.raises(DestinationError) as caught:
            destination.write_sessions(SITE, batch)
        assert caught.value.lsid is None
        assert "custom_attribute" in str(caught.value) and "writing" in str(caught.value)
    destination.close()


@pytest.mark.simulator(sessions=60, days=2, seed=5)
def test_the_engine_gives_up_only_the_session_too_large(
    simulator, sql_url, db_connect, read_stored, tmp_path
):
    """Through the transfer engine: the session is remembered as refused with the reason, the
    others of its batch are stored, and the run says so."""
    _server_only(sql_url)
    sessions = [s for s in simulator.site.iter_sessions(start_from=0) if s.end_time][:12]
    too_large = dataclasses.replace(
        sessions[5], external_key="x" * _beyond_the_packet(sql_url, db_connect)
    )
    sessions[5] = too_large
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="db", plugin="sql", options={"connection_string": sql_url}
        )
        schedules.add_schedule(
            settings,
            name="s",
            every="1h",
            transfers=[schedules.parse_transfer("sim:db:session_data")],
        )
        transfer = Transfer.get()
        plugin = destinations.open_destination(settings, transfer.destination)
        job = TransferJob("sim", simulator.address, "db", tuple(transfer.data_types))
        with simulator.client() as client, plugin:
            ledger = Ledger(transfer.site_id, transfer.destination_id)
            run = TransferRun(job, client, plugin, ledger)
            writer = BatchWriter(run, SUPPORT)
            for session in sessions:
                writer.add(session, "stored")
            writer.flush()
        item = LedgerItem.get(LedgerItem.key == too_large.lsid)
        assert item.state == "gone"
        assert "session.external_key holds at most 1,024" in item.detail
        states = {i.key: i.state for i in LedgerItem.select()}
        assert [states[s.lsid] for s in sessions if s is not too_large] == ["stored"] * 11
        assert run.result.count(SUPPORT.data_type).stored == 11
        assert run.result.count(SUPPORT.data_type).failed == 1
        assert any(
            too_large.lsid in error and "external_key" in error for error in run.result.errors
        )
    stored = {lsid for _, lsid in read_stored(sql_url)}
    assert stored == {s.lsid for s in sessions} - {too_large.lsid}


# -- SQL Server: no server here, so the rules are checked on their own ------------------------


def test_sql_server_counts_widths_in_utf16_units(make_session):
    session = make_session(110)
    session.external_key = "😀" * 600  # 600 characters, 1,200 UTF-16 units
    rows = session_rows(session, SITE, lambda t: t, True)
    mssql = Limits(DIALECTS["mssql"], DIALECTS["mssql"].server_limits(None))  # type: ignore[arg-type]
    postgresql = Limits(DIALECTS["postgresql"], DIALECTS["postgresql"].server_limits(None))  # type: ignore[arg-type]
    assert mssql.refusal(rows) == (
        "external_key is 1,200 UTF-16 units long; the column session.external_key holds at "
        "most 1,024"
    )
    assert postgresql.refusal(rows) is None


@pytest.mark.parametrize(
    ("number", "refuses"),
    [
        (8152, True),
        (2628, True),
        (8115, True),
        (220, True),
        (242, True),
        (515, True),
        (2627, False),
        (4060, False),
        (18456, False),
        (20009, False),
    ],
)
def test_sql_server_errors_that_refuse_the_data(number, refuses):
    """Truncation, overflow and NULL refuse a session; a duplicate key, a database or login
    refused, or a server unreachable (20009) do not."""
    error = pymssql.OperationalError(number, b"message from the server")
    assert DIALECTS["mssql"].refuses_data(error) is refuses
