"""Every statement the SQL Server dialect runs, checked against a T-SQL grammar.

SQL Server cannot run in the test environment, so sqlglot's T-SQL parser stands in for it: the
DDL file and every statement of the writer, the schema check (and its lock) and the write test
must parse as T-SQL without falling back to an opaque command. sqlglot is lenient (it accepts
other dialects' syntax too), so the checks go further: writer statements must come back
unchanged when T-SQL is generated from their tree, and the DDL may use SQL Server's own types
and IDENTITY only. The same suite runs live on SQL Server when ``ICTRAY_TEST_MSSQL`` is set
(see ``conftest.py``).
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from ictray.destinations.sql.dialects import MssqlDialect
from ictray.destinations.sql.schema import load_ddl
from ictray.destinations.sql.statements import MAX_KEYS, Statements
from ictray.destinations.sql.tables import EVENT_CHILDREN, SESSION_CHILDREN, TABLES, VERSION_TABLE

# sqlglot reads T-SQL's TINYINT (0 to 255) as UTINYINT.
TSQL_TYPES = {
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.UTINYINT,
    exp.DataType.Type.NVARCHAR,
    exp.DataType.Type.DATETIME2,
}
ALL_TABLES = {
    **{table: ("id", *columns) for table, columns in TABLES.items()},
    VERSION_TABLE: ("version", "applied_at"),
}


def _parse(sql: str) -> exp.Expression:
    """The T-SQL tree of ``sql`` (pymssql's %s placeholders stand where T-SQL has values)."""
    tree = sqlglot.parse_one(sql.replace("%s", "?"), read="tsql")
    assert not isinstance(tree, exp.Command), f"not understood as T-SQL: {sql}"
    return tree


def _writer_statements() -> list[str]:
    statements = Statements(MssqlDialect())
    found = [statements.insert(table) for table in TABLES]
    found += [statements.insert(table, 3) for table in TABLES]  # INSERT ... SELECT ... ORDER BY
    for count in (1, 3, MAX_KEYS):
        found += [
            statements.select_session_ids(count),
            statements.select_event_ids(count),
            statements.select_event_id_ranges(count),
            statements.delete_sessions(count),
        ]
        found += [statements.delete_event_children(table, count) for table in EVENT_CHILDREN]
        found += [statements.delete_session_children(table, count) for table in SESSION_CHILDREN]
    found += [
        statements.update_external_key(),
        statements.select_external_key(),
        statements.select_version(),
        statements.insert_version(),
    ]
    found += [statements.select_no_rows(table) for table in TABLES]
    lock = MssqlDialect.lock_schema_sql
    assert lock is not None
    return [*found, MssqlDialect.table_exists_sql, MssqlDialect.index_exists_sql, lock]


def _names(tree: exp.Expression) -> tuple[set[str], set[str]]:
    tables = {table.name for table in tree.find_all(exp.Table)}
    columns = {column.name for column in tree.find_all(exp.Column)}
    if isinstance(tree, exp.Insert):
        columns |= {identifier.name for identifier in tree.this.expressions}
    return tables, columns


def test_the_checks_can_fail():
    with pytest.raises(sqlglot.errors.ParseError):
        _parse("SELEC 1")
    with pytest.raises(AssertionError):
        _parse("CREATE TABLE x (a INT) GARBAGE GARBAGE")
    limited = "SELECT * FROM session LIMIT 1"  # valid elsewhere; T-SQL says TOP
    assert _parse(limited).sql("tsql") != limited


@pytest.mark.parametrize("sql", _writer_statements())
def test_writer_statements_are_tsql(sql):
    tree = _parse(sql)
    assert tree.sql("tsql") == sql.replace("%s", "?")
    assert isinstance(tree, exp.Insert | exp.Select | exp.Delete | exp.Update | exp.Execute)
    tables, columns = _names(tree)
    catalog = {"tables", "indexes", "sp_getapplock"}  # sys.tables, sys.indexes, the lock
    known_tables = set(ALL_TABLES) | catalog
    assert tables <= known_tables, tables - known_tables
    if not tables & catalog:
        # the position multi-row inserts number their rows by (see Statements.insert)
        known_columns = {"ictray_position"}.union(*(ALL_TABLES[table] for table in tables))
        assert columns <= known_columns, columns - known_columns


def test_ddl_is_tsql_with_the_standard_tables():
    ddl = load_ddl("mssql")
    tables = {}
    for statement in ddl:
        tree = _parse(statement.sql)
        assert isinstance(tree, exp.Create) and not tree.args.get("exists"), statement.sql
        assert not tree.args.get("properties"), f"not T-SQL table options: {statement.sql}"
        if statement.kind == "table":
            tables[statement.name] = tree
        else:
            assert tree.this.args["table"].name in tables, statement.sql  # table made first
    assert set(tables) == set(ALL_TABLES)
    for name, tree in tables.items():
        columns = {column.name: column for column in tree.find_all(exp.ColumnDef)}
        assert set(columns) == set(ALL_TABLES[name]), name
        for column in columns.values():
            assert column.args["kind"].this in TSQL_TYPES, f"{name}.{column.name}"
            kinds = {type(c.kind) for c in column.args.get("constraints") or []}
            assert exp.AutoIncrementColumnConstraint not in kinds
        if name != VERSION_TABLE:
            id_kinds = {type(c.kind) for c in columns["id"].args["constraints"]}
            assert exp.GeneratedAsIdentityColumnConstraint in id_kinds, name
        for key in tree.find_all(exp.ForeignKey):
            assert key.args["reference"].find(exp.Table).name in tables


def test_ddl_text_columns_are_unicode_and_times_utc_datetimes():
    ddl = {
        statement.name: _parse(statement.sql)
        for statement in load_ddl("mssql")
        if statement.kind == "table"
    }
    session = {
        column.name: column.args["kind"] for column in ddl["session"].find_all(exp.ColumnDef)
    }
    assert session["start_time"].this == exp.DataType.Type.DATETIME2
    assert session["lsid"].this == exp.DataType.Type.NVARCHAR
    information = next(
        column
        for column in ddl["system_information"].find_all(exp.ColumnDef)
        if column.name == "information"
    )
    assert information.args["kind"].sql("tsql") == "NVARCHAR(MAX)"
