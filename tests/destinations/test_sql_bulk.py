"""Rows go to the database in few statements, in order, and each lands with its own parent.

On every database: values with the characters a literal or a COPY must escape read back
unchanged; MySQL statements split at their byte limit keep the order; event ids read back as
ranges fall back to a list when another writer's ids came in between. For SQL Server, which
cannot run here, the statements of many rows are checked as T-SQL and against its limits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from itertools import chain
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from ictray.destinations.sql import bulk
from ictray.destinations.sql.bulk import ValuesInserter, inserter_for
from ictray.destinations.sql.dialects import DIALECTS, MssqlDialect
from ictray.destinations.sql.plugin import SqlDestination
from ictray.destinations.sql.statements import Statements
from ictray.destinations.sql.tables import TABLES

SITE = "support.example.com"
#: what SQL Server takes in one request, and in one VALUES list
MSSQL_PARAMETERS = 2100
MSSQL_VALUES_ROWS = 1000
#: every character an SQL literal or a COPY line escapes, and what drivers substitute
AWKWARD = "back\\slash 'single' \"double\" new\nline carriage\rreturn ctrl-z\x1a tab\t 100% %s %%"


def _destination(url: str) -> SqlDestination:
    return SqlDestination("Reports DB", {"connection_string": url})


# -- every database ----------------------------------------------------------------------------


def test_values_that_need_escaping_read_back_unchanged(
    sql_url, make_session, read_stored, expected_stored
):
    sessions = [make_session(n) for n in (200, 201)]
    sessions[0].custom_attributes[0].value = AWKWARD
    sessions[0].customers[0].info.details = AWKWARD + "\\"  # a backslash last, before the quote
    sessions[1].events[3].body = AWKWARD
    if not sql_url.startswith("postgresql"):  # PostgreSQL text cannot hold NUL
        sessions[1].external_key = "nul\x00inside"
    with _destination(sql_url) as destination:
        destination.write_sessions(SITE, sessions)
    stored = read_stored(sql_url)
    for session in sessions:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)


def test_event_ids_interleaved_with_another_writers_are_listed_not_guessed(
    sqlite_url, make_session, read_stored, expected_stored, db_connect
):
    """A trigger adds an event of another session after each chat message, as a second writer
    inserting at the same moment would: the batch's event ids are no longer consecutive, and
    each event's data must still land on its own event."""
    other = make_session(210)
    with _destination(sqlite_url) as destination:
        destination.write_sessions(SITE, [other])
    connection = db_connect(sqlite_url)
    connection.execute(
        "CREATE TRIGGER interleave AFTER INSERT ON session_event "
        "WHEN NEW.type = 'Chat Message' BEGIN "
        "INSERT INTO session_event (session_id, type) "
        f"SELECT id, 'from another writer' FROM session WHERE lsid = '{other.lsid}'; END"
    )
    connection.commit()
    connection.close()
    batch = [make_session(n) for n in (211, 212, 213)]
    with _destination(sqlite_url) as destination:
        destination.write_sessions(SITE, batch)
    stored = read_stored(sqlite_url)
    for session in batch:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)
    interleaved = [
        event
        for event in stored[SITE, other.lsid]["events"]
        if event["row"]["type"] == "from another writer"
    ]
    assert len(interleaved) == 6  # two chat messages in each of the three sessions


def test_mysql_statements_split_at_their_size_keep_the_order(
    sql_url, make_session, read_stored, expected_stored, monkeypatch
):
    """Statements of about 3 KB: each table of the batch takes many, and a row larger than
    that goes alone."""
    if not sql_url.startswith("mysql"):
        pytest.skip("MySQL/MariaDB statements are sized in bytes")
    monkeypatch.setattr(bulk, "STATEMENT_BYTES", 3000)
    executed: list[bytes] = []
    sessions = [make_session(n) for n in range(220, 232)]
    sessions[4].custom_attributes[1].value = "x" * 5000
    with _destination(sql_url) as destination:
        destination.open()
        writer = destination._writer
        assert writer is not None
        inserter = inserter_for(writer.dialect, writer.statements, writer.connection)
        original = inserter.insert

        def insert(cursor: Any, table: str, rows: Sequence[Any]) -> None:
            class Recording:
                def execute(self, sql: bytes) -> Any:
                    executed.append(sql)
                    return cursor.execute(sql)

            original(Recording(), table, rows)  # type: ignore[arg-type]

        monkeypatch.setattr(inserter, "insert", insert)
        writer._inserter, writer._inserter_connection = inserter, writer.connection
        destination.write_sessions(SITE, sessions)
    stored = read_stored(sql_url)
    for session in sessions:
        assert stored[SITE, session.lsid] == expected_stored(session, SITE)
    inserts = [sql for sql in executed if sql.startswith(b"INSERT INTO `session_event_data`")]
    assert len(inserts) >= 3
    assert all(len(sql) <= 3000 for sql in executed if b"x" * 5000 not in sql)
    (alone,) = [sql for sql in executed if b"x" * 5000 in sql]
    assert alone.startswith(b"INSERT INTO `custom_attribute`") and b"),(" not in alone


#: values of every kind a row holds, and text with whatever a literal may have to escape
LITERAL_VALUES: list[object] = [
    None,
    0,
    -7,
    2**40,
    "",
    "plain",
    AWKWARD,
    AWKWARD + "\\",
    "nul\x00inside",
    *AWKWARD.split(" "),  # each character to escape alone in its text
    "ünïcødé ☃ 日本",
    "no-break\u00a0space",
    "line\u2028separator",
    "lone surrogate \udcff",
    datetime(2026, 1, 2, 3, 4, 5),
    datetime(2026, 1, 2, 3, 4, 5, 600),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    True,
    1.5,
]


@pytest.mark.parametrize("no_backslash_escapes", [False, True], ids=["backslash", "quotes"])
def test_mysql_literals_are_written_as_pymysql_escapes_each_value(no_backslash_escapes):
    """The row writer's inline cases give what PyMySQL gives value by value: its escape
    table (or doubled quotes when the server takes no backslash escapes), NULL, integers
    and times as it writes them."""
    from pymysql import converters

    def reference(value: object) -> str:
        if isinstance(value, str) and no_backslash_escapes:
            return "'" + value.replace("'", "''") + "'"
        return str(converters.escape_item(value, "utf8mb4"))

    literal_row = bulk._mysql_literal_row(no_backslash_escapes)
    rows = [(value,) for value in LITERAL_VALUES]
    rows.append(tuple(LITERAL_VALUES))
    rows.append(tuple(reversed(LITERAL_VALUES)))
    for row in rows:
        assert literal_row(row) == "(" + ",".join(reference(value) for value in row) + ")"


# -- SQL Server: statement-level checks ---------------------------------------------------------


def _tsql(sql: str) -> exp.Expression:
    tree = sqlglot.parse_one(sql.replace("%s", "?"), read="tsql")
    assert not isinstance(tree, exp.Command), sql
    return tree


@pytest.mark.parametrize("table", sorted(TABLES))
def test_sql_server_statements_of_many_rows_stay_within_its_limits(table):
    dialect = MssqlDialect()
    statements = Statements(dialect)
    columns = len(TABLES[table])
    per = dialect.rows_per_insert(columns)
    assert 1 < per <= MSSQL_VALUES_ROWS
    assert per * columns <= MSSQL_PARAMETERS
    assert (per + 1) * columns > dialect.max_parameters  # as many rows as the limit allows
    for rows in (2, per):
        sql = statements.insert(table, rows)
        assert sql.count("%s") == rows * columns
        tree = _tsql(sql)
        assert tree.sql("tsql") == sql.replace("%s", "?")
        assert isinstance(tree, exp.Insert)
        select = tree.expression
        assert isinstance(select, exp.Select)
        values = select.find(exp.Values)
        assert values is not None and len(values.expressions) == rows
        # the rows are numbered in the order given, and inserted in that order
        positions = [int(row.expressions[-1].name) for row in values.expressions]
        assert positions == list(range(rows))
        (order,) = select.args["order"].expressions
        assert order.this.name == "ictray_position"
        assert [column.name for column in tree.this.expressions] == list(TABLES[table])


def test_sql_server_single_rows_stay_plain_inserts():
    sql = Statements(MssqlDialect()).insert("session")
    assert "SELECT" not in sql and sql.count("%s") == len(TABLES["session"])


class _RecordingCursor:
    """Records what a SQL Server cursor would be sent: statements with their parameters."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        self.sent.append((sql, tuple(parameters)))

    def executemany(self, sql: str, many: Sequence[Sequence[Any]]) -> None:
        self.sent += [(sql, tuple(parameters)) for parameters in many]


@pytest.mark.parametrize("count", [1, 2, 699, 700, 701, 2345])
def test_sql_server_rows_go_in_order_in_as_few_statements_as_its_limits_allow(count):
    dialect = MssqlDialect()
    inserter = ValuesInserter(dialect, Statements(dialect))
    rows = [(n, f"name {n}", f"value {n}") for n in range(count)]
    cursor = _RecordingCursor()
    inserter.insert(cursor, "session_event_data", rows)  # type: ignore[arg-type]
    per = dialect.rows_per_insert(3)
    assert len(cursor.sent) == -(-count // per)  # one request per statement
    for sql, parameters in cursor.sent:
        assert sql.count("%s") == len(parameters) <= MSSQL_PARAMETERS
        _tsql(sql)
    sent = list(chain.from_iterable(parameters for _, parameters in cursor.sent))
    assert sent == list(chain.from_iterable(rows))


def test_every_dialect_inserts_through_its_bulk_form():
    forms = {
        name: type(inserter_for(dialect, Statements(dialect), None)).__name__  # type: ignore[arg-type]
        for name, dialect in DIALECTS.items()
    }
    assert forms == {
        "sqlite": "ValuesInserter",
        "mssql": "ValuesInserter",
        "postgresql": "CopyInserter",
        "mysql": "LiteralInserter",
    }
    copy = Statements(DIALECTS["postgresql"]).copy("team")
    assert copy == 'COPY "team" ("session_id", "team_id", "name", "is_primary") FROM STDIN'
    assert re.fullmatch(
        r"INSERT INTO `team` \(.*\) VALUES ", Statements(DIALECTS["mysql"]).insert_prefix("team")
    )
