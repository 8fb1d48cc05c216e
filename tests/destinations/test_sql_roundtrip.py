"""Sessions written by the SQL destination read back field by field, on every database."""

from __future__ import annotations

import base64
import threading
from datetime import datetime
from typing import Any

import pytest

from ictray.destinations.base import DestinationError
from ictray.destinations.sql.plugin import SqlDestination
from ictray.simulator.generate import SimulatedSite

SITE = "support.example.com"


def _destination(url: str, **options: str) -> SqlDestination:
    return SqlDestination("Reports DB", {"connection_string": url, **options})


def test_every_field_of_a_session_is_stored(sql_url, make_session, read_stored, expected_stored):
    sessions = [make_session(number) for number in (1, 2, 3)]
    with _destination(sql_url) as destination:
        locations = destination.write_sessions(SITE, sessions)

    stored = read_stored(sql_url)
    assert sorted(stored) == sorted((SITE, session.lsid) for session in sessions)
    for session in sessions:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)
    assert len(locations) == 3 and all("session.id=" in location for location in locations)


def test_the_guide_mapping_on_concrete_values(sql_url, make_session, read_stored):
    """Spot checks written out by hand, so a shared mistake in both mappings shows."""
    session = make_session(7)
    with _destination(sql_url) as destination:
        destination.write_sessions(SITE, [session])
    stored = read_stored(sql_url)[SITE, session.lsid]

    assert stored["session"]["start_time"] == datetime(2024, 5, 29, 16, 26, 40)
    assert stored["session"]["end_time"] == datetime(2024, 5, 29, 16, 41, 40)
    assert stored["session"]["type"] == "support"
    assert stored["session"]["file_transfers"] == 2
    assert stored["session"]["public_site_id"] == 1
    ann, bob = stored["representative"]
    assert ann["display_name"] == "Ann (Tier 2)"  # the private display name
    assert ann["duration"] == 607 and ann["is_owner"] == 1 and ann["is_primary"] == 1
    assert bob["user_id"] is None  # "rep-x" is no integer: kept in session_data
    (customer,) = stored["customer"]
    assert customer["display_name"] == "Zoë O'Brien 7"
    assert customer["issue_description"] == "It prints only\nevery other page."
    data = dict(stored["session_data"])
    assert data["rep_list/representative[2]/@id"] == "rep-x"
    assert data["customer_list/customer[1]/username"] == "zobrien"
    assert data["cust_survey_list/cust_exit_survey/value[2]/@value"] == "Great & quick"
    assert data["rep_list/representative[2]/skills/skill[2]"] == "VPN"
    chat, encoded = (dict(event["data"]) for event in stored["events"][3:5])
    assert chat["body"] == "Hello — how can I help? 😀"
    assert base64.b64decode(encoded["encoded_body"]).decode() == "bell\x07 and tab\there"
    sysinfo = stored["events"][2]["system_information"]
    assert [category for category, _ in sysinfo] == ["Drives", "General"]
    assert sysinfo[0][1]["rows"][0] == [
        ("Drive", "C:"),
        ("Type", "Fixed <SSD>"),
        ("Percent Used", "63%"),
    ]
    assert dict(stored["events"][7]["data"])["note/@lang"] == "en"


def test_writing_again_replaces_and_never_duplicates(
    sql_url, make_session, read_stored, expected_stored, count_rows
):
    numbers = range(10, 16)
    running = [make_session(number, closed=False) for number in numbers]
    closed = [make_session(number) for number in numbers]
    with _destination(sql_url) as destination:
        destination.write_sessions(SITE, running)
        assert read_stored(sql_url)[SITE, running[0].lsid]["session"]["end_time"] is None
        destination.write_sessions(SITE, closed)
        after_close = count_rows(sql_url)
        destination.write_sessions(SITE, closed)
        assert count_rows(sql_url) == after_close

    with _destination(sql_url) as fresh:  # a second run, new connection
        fresh.write_sessions(SITE, closed[:2])
    stored = read_stored(sql_url)
    assert count_rows(sql_url) == after_close
    assert len(stored) == len(closed)
    for session in closed:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)


def test_the_same_lsid_on_two_sites_is_two_sessions(sql_url, make_session, read_stored):
    session = make_session(4)
    with _destination(sql_url) as destination:
        destination.write_sessions(SITE, [session])
        destination.write_sessions("other.example.com", [session])
    assert sorted(read_stored(sql_url)) == [
        ("other.example.com", session.lsid),
        (SITE, session.lsid),
    ]


def _refuse(url: str, session: Any, db_connect: Any, refuse: bool) -> None:
    """Make the database itself refuse one session, or stop it refusing.

    Server databases refuse an external key wider than its column; SQLite enforces no width,
    so there a trigger refuses the lsid.
    """
    session.external_key = "K" * 5000 if refuse else "TICKET-OK"
    if url.startswith("sqlite"):
        connection = db_connect(url)
        if refuse:
            connection.execute(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON session WHEN NEW.lsid = "
                f"'{session.lsid}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        else:
            connection.execute("DROP TRIGGER refuse_one")
        connection.close()


def test_a_failed_batch_is_rolled_back_whole_and_names_the_session(
    sql_url, make_session, read_stored, expected_stored, count_rows, db_connect
):
    first = make_session(20, closed=False)
    with _destination(sql_url) as destination:
        destination.write_sessions(SITE, [first])
    before = read_stored(sql_url)
    counts = count_rows(sql_url)

    batch = [make_session(20), make_session(21), make_session(22), make_session(23)]
    bad = batch[2]
    _refuse(sql_url, bad, db_connect, refuse=True)
    destination = _destination(sql_url)
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    message = str(caught.value)
    assert "'Reports DB'" in message and bad.lsid in message and "rolled back" in message
    assert caught.value.lsid == bad.lsid
    assert batch[1].lsid not in message
    assert read_stored(sql_url) == before  # the running version of session 20 is intact
    assert count_rows(sql_url) == counts

    _refuse(sql_url, bad, db_connect, refuse=False)
    destination.write_sessions(SITE, batch)  # the same destination carries on
    destination.close()
    stored = read_stored(sql_url)
    assert len(stored) == 4
    for session in batch:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)


def test_a_table_dropped_mid_run_fails_the_next_batch_clearly(
    sqlite_url, make_session, read_stored, db_connect
):
    destination = _destination(sqlite_url)
    destination.write_sessions(SITE, [make_session(30)])
    connection = db_connect(sqlite_url)
    connection.execute("DROP TABLE session_data")
    connection.close()
    batch = [make_session(31), make_session(32)]
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    destination.close()
    assert batch[0].lsid in str(caught.value) and "session_data" in str(caught.value)


def test_without_system_information_no_category_is_stored(
    sql_url, make_session, read_stored, expected_stored, count_rows
):
    session = make_session(40)
    with _destination(sql_url, store_system_information="False") as destination:
        destination.write_sessions(SITE, [session])
    assert count_rows(sql_url)["system_information"] == 0
    stored = read_stored(sql_url)[SITE, session.lsid]
    assert stored == expected_stored(session, SITE, store_system_information=False)
    assert stored["events"][2]["row"]["type"] == "System Information Retrieved"


def test_two_writers_at_once_keep_each_event_with_its_data(
    sql_url, make_session, read_stored, expected_stored
):
    """Ids are read back per session, so concurrent inserts must not mix events up."""
    groups = [[make_session(1000 + writer * 100 + n) for n in range(24)] for writer in (0, 1)]
    errors: list[BaseException] = []

    def write(sessions: list[Any]) -> None:
        try:
            with _destination(sql_url) as destination:
                for start in range(0, len(sessions), 3):
                    destination.write_sessions(SITE, sessions[start : start + 3])
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(group,)) for group in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    stored = read_stored(sql_url)
    for session in groups[0] + groups[1]:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)


def test_simulated_sessions_round_trip_and_close(sql_url, read_stored, expected_stored):
    site = SimulatedSite(sessions=300, days=2, seed=11, start=1_750_000_000)
    first = list(site.iter_sessions())
    assert any(session.in_progress for session in first)
    destination = _destination(sql_url)
    for start in range(0, len(first), 100):
        destination.write_sessions(site.host, first[start : start + 100])

    site.advance(6 * 3600)  # every session running at the first pass has ended now
    closed_now = [site.session(session.lsid) for session in first if session.in_progress]
    destination.write_sessions(site.host, closed_now)
    destination.close()

    latest = {session.lsid: session for session in first}
    latest.update({session.lsid: session for session in closed_now})
    stored = read_stored(sql_url)
    assert len(stored) == len(latest)
    for lsid, session in latest.items():
        assert stored[site.host, lsid] == expected_stored(session, site.host)
    assert all(stored[site.host, s.lsid]["session"]["end_time"] is not None for s in closed_now)


def _kill_other_connections(url: str, db_connect: Any) -> int:
    connection = db_connect(url)
    cursor = connection.cursor()
    if url.startswith("postgresql"):
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        killed = len(cursor.fetchall())
    else:
        cursor.execute(
            "SELECT id FROM information_schema.processlist "
            "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
        ids = [row[0] for row in cursor.fetchall()]
        for connection_id in ids:
            cursor.execute(f"KILL {int(connection_id)}")
        killed = len(ids)
    connection.commit()
    connection.close()
    return killed


def test_a_lost_connection_fails_one_batch_and_the_next_reconnects(
    sql_url, make_session, read_stored, expected_stored, db_connect
):
    if not sql_url.startswith(("postgresql", "mysql")):
        pytest.skip("connections are killed on PostgreSQL and MariaDB")
    destination = _destination(sql_url)
    destination.write_sessions(SITE, [make_session(50)])
    assert _kill_other_connections(sql_url, db_connect) == 1
    batch = [make_session(51), make_session(52)]
    with pytest.raises(DestinationError) as caught:
        destination.write_sessions(SITE, batch)
    message = str(caught.value)
    assert "'Reports DB'" in message and batch[0].lsid in message
    assert "connection to the database was lost" in message
    destination.write_sessions(SITE, batch)
    destination.close()
    stored = read_stored(sql_url)
    assert len(stored) == 3
    for session in batch:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)
