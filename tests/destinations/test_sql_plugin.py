"""The SQL destination as a plugin: options, refusals, secrets, the schema and its self-test."""

from __future__ import annotations

import secrets
import socket
import threading
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.destinations.base import DestinationError, load_plugin
from ictray.destinations.sql.connstr import parse_connection_string
from ictray.destinations.sql.dialects import dialect_for
from ictray.destinations.sql.plugin import SqlDestination
from ictray.destinations.sql.tables import TABLES
from ictray.errors import ValidationError


def test_registered_under_sql():
    assert load_plugin("sql") is SqlDestination
    assert SqlDestination.replaces_sessions


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("True", "true"),
        ("false", "false"),
        ("YES", "true"),
        ("no", "false"),
        ("1", "true"),
        ("0", "false"),
        (None, "true"),
    ],
)
def test_store_system_information_is_normalised(typed, stored, sqlite_url):
    values = {"connection_string": sqlite_url}
    if typed is not None:
        values["store_system_information"] = typed
    assert SqlDestination.validate_options(values) == {
        "connection_string": sqlite_url,
        "store_system_information": stored,
    }


def test_option_mistakes_name_the_field():
    with pytest.raises(ValidationError) as caught:
        SqlDestination.validate_options({"connection_string": "sqlite:///x.db"})
    assert caught.value.field == "connection_string" and "relative" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        SqlDestination.validate_options({})
    assert caught.value.field == "connection_string" and "required" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        SqlDestination.validate_options(
            {"connection_string": "mysql://u@h/d", "store_system_information": "maybe"}
        )
    assert caught.value.field == "store_system_information" and "'maybe'" in caught.value.message


def test_options_carry_the_guide_labels():
    labels = {spec.key: spec.label for spec in SqlDestination.options}
    assert labels == {
        "connection_string": "Connection String",
        "store_system_information": "Should Store System Information",
    }
    assert all(spec.tooltip for spec in SqlDestination.options)


def test_only_session_data_is_accepted_with_the_guide_reasons():
    SqlDestination.check_data_types([DataType.SESSION_DATA])
    for data_type in (
        DataType.SESSION_RECORDINGS,
        DataType.SHOW_MY_SCREEN_RECORDINGS,
        DataType.COMMAND_SHELL_RECORDINGS,
        DataType.PRESENTATION_RECORDINGS,
        DataType.SITE_BACKUPS,
    ):
        with pytest.raises(ValidationError) as caught:
            SqlDestination.check_data_types([data_type])
        assert "cannot be used to store session recordings or site backups" in str(caught.value)
        assert "File System" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        SqlDestination.check_data_types([DataType.PRESENTATION_DATA])
    assert "support sessions only" in str(caught.value) and "as XML" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "Server=db,1433;Database=Bomgar;User Id=ic;Password='Tr1cky;Pass';",
        "postgresql://ic:Tr1cky%3BPass@db:5432/reports",
    ],
)
def test_the_password_goes_to_the_secrets(text):
    options = SqlDestination.validate_options({"connection_string": text})
    public, hidden = SqlDestination.split_secrets(options)
    assert "Tr1cky" not in public["connection_string"]
    assert hidden == {"connection_string": "Tr1cky;Pass"}
    assert public["store_system_information"] == "true"
    joined = SqlDestination.join_secrets(public, hidden)
    assert SqlDestination("db", joined).connection_info.password == "Tr1cky;Pass"
    assert SqlDestination.split_secrets(public) == (public, {})


def test_test_creates_the_schema_then_finds_it(sql_url, db_connect):
    destination = SqlDestination("Reports DB", {"connection_string": sql_url})
    first = destination.test()
    assert "created the standard tables" in first and "INSERT, UPDATE, SELECT and DELETE" in first
    second = destination.test()
    assert "the standard tables are in place" in second

    connection = db_connect(sql_url)
    cursor = connection.cursor()
    for table, columns in TABLES.items():
        cursor.execute(f"SELECT * FROM {table} WHERE 1 = 0")
        assert {column[0] for column in cursor.description} == {"id", *columns}, table
        cursor.fetchall()
    cursor.execute("SELECT COUNT(*) FROM session")
    assert cursor.fetchone()[0] == 0  # the write test left nothing behind
    cursor.close()
    connection.close()


def test_the_session_key_is_unique(sql_url, db_connect):
    SqlDestination("Reports DB", {"connection_string": sql_url}).test()
    connection = db_connect(sql_url)
    cursor = connection.cursor()
    insert = "INSERT INTO session (lsid, host_name) VALUES ('abc', 'h')"
    cursor.execute(insert)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        cursor.execute(insert)
    connection.rollback()
    connection.close()


def test_a_newer_schema_is_refused(sql_url, db_connect):
    destination = SqlDestination("Reports DB", {"connection_string": sql_url})
    destination.test()
    connection = db_connect(sql_url)
    cursor = connection.cursor()
    cursor.execute(
        "INSERT INTO ictray_schema (version, applied_at) VALUES (99, '2030-01-01 00:00:00')"
    )
    connection.commit()
    connection.close()
    with pytest.raises(DestinationError, match=r"newer ictray.*version 99"):
        destination.open()


def test_a_table_without_the_standard_columns_is_refused(sql_url, db_connect):
    connection = db_connect(sql_url)
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name VARCHAR(20))")
    connection.commit()
    connection.close()
    with pytest.raises(DestinationError) as caught:
        SqlDestination("Reports DB", {"connection_string": sql_url}).open()
    assert "'Reports DB'" in str(caught.value)
    assert "table customer" in str(caught.value) and "session_id" in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scheme", ["postgresql", "mysql", "mssql"])
def test_an_unreachable_server_is_named_without_the_password(scheme):
    port = _closed_port()
    url = f"{scheme}://writer:Sup3rS3cret@127.0.0.1:{port}/reports"
    if scheme == "mssql":
        url += "?login_timeout=2"
    destination = SqlDestination("Reports DB", {"connection_string": url})
    with pytest.raises(DestinationError) as caught:
        destination.test()
    message = str(caught.value)
    assert "'Reports DB'" in message and f"127.0.0.1:{port}" in message
    assert "Sup3rS3cret" not in message
    assert caught.value.__cause__ is None and caught.value.__context__ is not None


def test_a_refused_login_is_named_without_the_password():
    url = "postgresql://no_such_login:Sup3rS3cret@127.0.0.1:5432/test"
    with pytest.raises(DestinationError) as caught:
        SqlDestination("Reports DB", {"connection_string": url}).test()
    message = str(caught.value)
    assert "PostgreSQL 127.0.0.1:5432" in message and "login no_such_login" in message
    assert "Sup3rS3cret" not in message


def test_a_missing_sqlite_folder_is_named(tmp_path: Path):
    url = f"sqlite:///{(tmp_path / 'missing' / 'sessions.db').as_posix()}"
    with pytest.raises(DestinationError, match=r"missing.*does not exist"):
        SqlDestination("Reports DB", {"connection_string": url}).test()


def _grant_reader(url: str, db_connect, login: str) -> str:
    """A login that may read the test database but not create or change; its URL."""
    info = parse_connection_string(url)
    connection = db_connect(url)
    cursor = connection.cursor()
    if info.dialect == "postgresql":
        cursor.execute(f"CREATE ROLE {login} LOGIN PASSWORD 'R3aderPw'")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {login}")
    else:
        cursor.execute(f"CREATE USER '{login}'@'%' IDENTIFIED BY 'R3aderPw'")
        cursor.execute(f"GRANT SELECT ON `{info.database}`.* TO '{login}'@'%'")
    connection.commit()
    connection.close()
    return f"{info.dialect}://{login}:R3aderPw@{info.host}:{info.port}/{info.database}"


def _drop_reader(url: str, db_connect, login: str) -> None:
    connection = db_connect(url)
    cursor = connection.cursor()
    if url.startswith("postgresql"):
        cursor.execute(f"DROP OWNED BY {login}")
        cursor.execute(f"DROP ROLE {login}")
    else:
        cursor.execute(f"DROP USER '{login}'@'%'")
    connection.commit()
    connection.close()


@pytest.mark.parametrize("schema_first", [False, True])
def test_missing_rights_are_explained(sql_url, db_connect, schema_first):
    if not sql_url.startswith(("postgresql", "mysql")):
        pytest.skip("logins with limited rights are made on PostgreSQL and MariaDB")
    if schema_first:
        SqlDestination("admin", {"connection_string": sql_url}).test()
    login = f"ictray_reader_{secrets.token_hex(4)}"
    reader_url = _grant_reader(sql_url, db_connect, login)
    try:
        with pytest.raises(DestinationError) as caught:
            SqlDestination("Reports DB", {"connection_string": reader_url}).test()
    finally:
        _drop_reader(sql_url, db_connect, login)
    message = str(caught.value)
    assert "'Reports DB'" in message and "R3aderPw" not in message
    if schema_first:
        assert "cannot write" in message and "INSERT, UPDATE, DELETE and SELECT" in message
    else:
        assert "cannot create the standard tables" in message


def test_writers_creating_the_schema_at_once_all_succeed(sql_url, count_rows):
    """Two transfers may open one new database together; the loser retries and finds it."""
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_and_test() -> None:
        try:
            start.wait()
            results.append(SqlDestination("Reports DB", {"connection_string": sql_url}).test())
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=open_and_test) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and len(results) == 4
    again = SqlDestination("Reports DB", {"connection_string": sql_url}).test()
    assert "the standard tables are in place" in again
    assert count_rows(sql_url)["session"] == 0


def test_a_real_deadlock_is_recognised_as_worth_retrying(sql_url, db_connect, make_session):
    """The writer tries a batch again only for errors its dialect calls transient."""
    if not sql_url.startswith(("postgresql", "mysql")):
        pytest.skip("deadlocks are made on PostgreSQL and MariaDB")
    with SqlDestination("Reports DB", {"connection_string": sql_url}) as destination:
        destination.write_sessions("h", [make_session(1), make_session(2)])
    dialect = dialect_for(parse_connection_string(sql_url))
    first, second = db_connect(sql_url), db_connect(sql_url)
    update = "UPDATE session SET external_key = 'x' WHERE lsid = '{}'"
    lsids = [make_session(1).lsid, make_session(2).lsid]
    errors: list[BaseException] = []

    def cross(connection, own: str, other: str, ready: threading.Barrier) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute(update.format(own))
            ready.wait()
            cursor.execute(update.format(other))
        except dialect.driver_error() as error:
            errors.append(error)
        finally:
            connection.rollback()

    ready = threading.Barrier(2)
    threads = [
        threading.Thread(target=cross, args=(first, lsids[0], lsids[1], ready)),
        threading.Thread(target=cross, args=(second, lsids[1], lsids[0], ready)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    first.close()
    second.close()
    assert len(errors) == 1 and dialect.transient(errors[0])
    assert not dialect.transient(dialect.driver_error()("some other failure"))
