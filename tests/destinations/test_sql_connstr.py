"""Connection strings: both forms parsed, mistakes named, passwords split out and masked."""

from __future__ import annotations

import sys

import pytest

from ictray.destinations.sql.connstr import (
    is_secret_key,
    join_password,
    join_secrets,
    parse_connection_string,
    split_password,
    split_secrets,
)
from ictray.destinations.sql.dialects import MssqlDialect


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Server=db1.corp.local;Database=Bomgar;User Id=ic_writer;Password=s3cret;",
            ("mssql", "db1.corp.local", 1433, None, "Bomgar", "ic_writer", "s3cret"),
        ),
        (
            "data source=10.0.0.7,14330;initial catalog=Sessions;uid=sa;pwd=x;",
            ("mssql", "10.0.0.7", 14330, None, "Sessions", "sa", "x"),
        ),
        (
            "SERVER=sql01\\SQLEXPRESS; DATABASE=ic; USER=ic; PASSWORD='a;b''c';",
            ("mssql", "sql01", None, "SQLEXPRESS", "ic", "ic", "a;b'c"),
        ),
        (
            'Server=tcp:(local),1533;Database=ic;User ID=ic;Password="p""w";Encrypt=True;'
            "TrustServerCertificate=True;MultipleActiveResultSets=False;Integrated Security=False",
            ("mssql", "localhost", 1533, None, "ic", "ic", 'p"w'),
        ),
        (
            "mssql://ic_writer:p%40ss%2Fw@db1:1433/Bomgar",
            ("mssql", "db1", 1433, None, "Bomgar", "ic_writer", "p@ss/w"),
        ),
        (
            "mssql://sa:pa@ss?@sql01\\SQLEXPRESS/ic",
            ("mssql", "sql01", None, "SQLEXPRESS", "ic", "sa", "pa@ss?"),
        ),
        (
            "sqlserver://sa@sql01/ic?instance=INST2",
            ("mssql", "sql01", None, "INST2", "ic", "sa", None),
        ),
        (
            "postgresql://postgres@127.0.0.1:5432/test?sslmode=require",
            ("postgresql", "127.0.0.1", 5432, None, "test", "postgres", None),
        ),
        (
            "postgres://u:pw@[::1]/reports",
            ("postgresql", "::1", 5432, None, "reports", "u", "pw"),
        ),
        (
            "mysql://root@127.0.0.1:3306/test",
            ("mysql", "127.0.0.1", 3306, None, "test", "root", None),
        ),
        (
            "mariadb://ic:pw@maria.local/ic?connect_timeout=5",
            ("mysql", "maria.local", 3306, None, "ic", "ic", "pw"),
        ),
    ],
)
def test_both_forms_are_understood(text, expected):
    info = parse_connection_string(text)
    assert (
        info.dialect,
        info.host,
        info.port,
        info.instance,
        info.database,
        info.user,
        info.password,
    ) == expected


def test_admin_form_options_reach_the_driver_settings():
    info = parse_connection_string(
        "Server=db;Database=d;User Id=u;Password=p;Connect Timeout=7;Encrypt=yes"
    )
    assert dict(info.options) == {"login_timeout": "7", "encryption": "require"}
    info = parse_connection_string("postgresql://u@h/d?sslmode=verify-full&connect_timeout=3")
    assert dict(info.options) == {"sslmode": "verify-full", "connect_timeout": "3"}


def test_sqlite_takes_an_absolute_path(tmp_path):
    path = (tmp_path / "sessions.db").as_posix()
    info = parse_connection_string(f"sqlite:///{path}")
    assert (info.dialect, info.database) == ("sqlite", path)
    assert info.redacted() == f"sqlite:///{path}"


@pytest.mark.skipif(sys.platform != "win32", reason="drive letters are absolute on Windows only")
def test_sqlite_takes_a_windows_path():
    info = parse_connection_string("sqlite:///C:/ProgramData/ictray/sessions.db")
    assert info.database == "C:/ProgramData/ictray/sessions.db"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["empty", "Server="]),
        ("just some text", ["not a connection string", "Server="]),
        (
            "Server=db;Database=d;User Id=u;Integrated Security=SSPI;",
            ["Windows authentication", "User Id="],
        ),
        ("Database=d;User Id=u;Password=p;", ["no server", "Server="]),
        ("Server=db;User Id=u;Password=p;", ["no database", "Database="]),
        ("Server=db;Database=d;Password=p;", ["no login", "User Id="]),
        ("Server=db,99999;Database=d;User Id=u;", ["'99999'", "TCP port"]),
        ("Server=np:\\\\db\\pipe\\sql\\query;Database=d;User Id=u;", ["only TCP"]),
        ("Server=db;Database=d;User Id=u;Colour=blue;", ["'Colour'", "Server, Database"]),
        ("Server=db;Database=d;User Id=u;Password='open", ["no closing '"]),
        ("Server=db;Database=d;User Id=u;Connect Timeout=soon", ["Connect Timeout"]),
        ("oracle://u:p@h/d", ["unsupported database type 'oracle'", "postgresql://"]),
        ("postgresql://u:p@h:5432", ["names no database", "/<database>"]),
        ("postgresql://u:p@h/d?password=x", ["password", "in the URL itself"]),
        ("postgresql://u@h/d?colour=blue", ["invalid PostgreSQL option", "colour"]),
        ("mysql://u@h/d?charset=latin1", ["unknown option 'charset'", "connect_timeout"]),
        ("mysql://u@h:port/d", ["'port' is not a TCP port"]),
        ("mysql://u@h\\inst/d", ["SQL Server only"]),
        ("mssql://u@h/d?encryption=maybe", ["off, request or require"]),
        ("sqlite:///relative/sessions.db", ["relative", "absolute path"]),
        ("sqlite://server/share/s.db", ["sqlite:///", "absolute path"]),
        ("sqlite:///:memory:", ["name an SQLite database file"]),
    ],
)
def test_mistakes_are_named_with_the_fix(text, words):
    with pytest.raises(ValueError) as caught:
        parse_connection_string(text)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(
    ("text", "public", "password"),
    [
        (
            "Server=db;Database=d;User Id=u;Password=s3cret;Encrypt=true;",
            "Server=db;Database=d;User Id=u;Encrypt=true;",
            "s3cret",
        ),
        ('Server=db;PWD="a;b""c";Database=d;User Id=u', "Server=db;Database=d;User Id=u", 'a;b"c'),
        ("mssql://ic:p%40ss@db:1433/Bomgar", "mssql://ic@db:1433/Bomgar", "p@ss"),
        (
            "postgresql://u:pa@ss?word@h/d?sslmode=require",
            "postgresql://u@h/d?sslmode=require",
            "pa@ss?word",
        ),
        ("mysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/test", None),
        ("Server=db;Database=d;User Id=u;", "Server=db;Database=d;User Id=u;", None),
    ],
)
def test_the_password_splits_out_and_joins_back(text, public, password):
    without, secret = split_password(text)
    assert (without, secret) == (public, password)
    assert "Password" not in without and (password is None or password not in without)
    rejoined = join_password(without, secret)
    assert parse_connection_string(rejoined) == parse_connection_string(text)


@pytest.mark.parametrize("password", ["plain", "semi;colon", " spaced ", "quo'te\"s", "@/:?#%"])
def test_any_password_survives_the_round_trip(password):
    for public in ("Server=db;Database=d;User Id=u;", "mssql://u@db/d", "postgresql://u@h/d"):
        joined = join_password(public, password)
        assert parse_connection_string(joined).password == password
        assert split_password(joined) == (public, password)


def test_redacted_masks_the_password_and_repr_hides_it():
    info = parse_connection_string("Server=db\\INST;Database=Bomgar;User Id=ic;Password=hunter2;")
    assert info.redacted() == "mssql://ic:***@db\\INST/Bomgar"
    assert "hunter2" not in repr(info)
    assert parse_connection_string("postgresql://u@h:5433/d").redacted() == (
        "postgresql://u@h:5433/d"
    )


@pytest.mark.parametrize(
    ("text", "server"),
    [
        ("Server=db;Database=d;Integrated Security=SSPI;", "db:1433"),
        ("Server=db;Database=d;Trusted_Connection=yes;", "db:1433"),
        ("Data Source=sql01\\INST;Initial Catalog=d;Integrated Security=true", "sql01\\INST"),
        ("mssql://db/d?trusted_connection=yes", "db:1433"),
    ],
)
def test_windows_authentication_logs_on_as_the_running_account_on_windows(text, server):
    info = parse_connection_string(text, windows=True)
    assert (info.integrated, info.windows_login, info.user, info.password) == (
        True,
        True,
        None,
        None,
    )
    assert (info.server, info.database) == (server, "d")
    assert info.redacted() == f"mssql://{server}/d?trusted_connection=yes"
    assert parse_connection_string(info.redacted(), windows=True) == info
    arguments = MssqlDialect.connect_arguments(info)
    assert (arguments["user"], arguments["password"]) == ("", "")  # FreeTDS then uses SSPI


@pytest.mark.parametrize(
    "text",
    ["Server=db;Database=d;Trusted_Connection=yes;", "mssql://db/d?trusted_connection=true"],
)
def test_windows_authentication_elsewhere_is_refused_with_the_alternative(text):
    with pytest.raises(ValueError) as caught:
        parse_connection_string(text, windows=False)
    message = str(caught.value)
    assert "Windows authentication" in message and "works on Windows only" in message
    assert "User Id=DOMAIN\\user;Password=<password>;" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Server=db;Database=d;User Id=u;Integrated Security=SSPI;", ["remove User Id="]),
        ("mssql://u:p@db/d?trusted_connection=yes", ["remove user@ in the URL"]),
        ("Server=db;Database=d;Integrated Security=maybe;", ["use true (or SSPI) or false"]),
    ],
)
def test_windows_authentication_mistakes_are_named_everywhere(text, words):
    for windows in (True, False):
        with pytest.raises(ValueError) as caught:
            parse_connection_string(text, windows=windows)
        for word in words:
            assert word in str(caught.value)


def test_integrated_security_false_needs_a_login():
    info = parse_connection_string(
        "Server=db;Database=d;Integrated Security=False;User Id=u;Password=p", windows=True
    )
    assert (info.integrated, info.user) == (False, "u")
    with pytest.raises(ValueError, match="Integrated Security=SSPI; to log on as the Windows"):
        parse_connection_string("Server=db;Database=d;Integrated Security=no;", windows=True)


@pytest.mark.parametrize("windows", [True, False])
@pytest.mark.parametrize(
    "text",
    [
        "Server=db;Database=d;User Id=CORP\\ic_writer;Password=pw;",
        "mssql://CORP%5Cic_writer:pw@db/d",
    ],
)
def test_a_windows_login_with_its_password_works_everywhere(text, windows):
    info = parse_connection_string(text, windows=windows)
    assert (info.user, info.password, info.integrated, info.windows_login) == (
        "CORP\\ic_writer",
        "pw",
        False,
        True,
    )
    arguments = MssqlDialect.connect_arguments(info)
    assert (arguments["user"], arguments["password"]) == ("CORP\\ic_writer", "pw")  # NTLM
    public, secret = split_password(text)
    assert secret == "pw" and parse_connection_string(public, windows=windows).user == (
        "CORP\\ic_writer"
    )
    assert not parse_connection_string(
        "Server=db;Database=d;User Id=sa;", windows=windows
    ).windows_login


@pytest.mark.parametrize(
    ("text", "public", "secrets"),
    [
        (
            "postgresql://u:pw@h/d?sslmode=require&sslpassword=K%26ey",
            "postgresql://u@h/d?sslmode=require",
            {"": "pw", "sslpassword": "K&ey"},
        ),
        ("postgresql://u@h/d?sslpassword=a+b", "postgresql://u@h/d", {"sslpassword": "a b"}),
        ("Server=db;Database=d;User Id=u;pwd=s3;", "Server=db;Database=d;User Id=u;", {"": "s3"}),
        (
            "Server=db;Database=d;User Id=u;PASSWORD=s3;",
            "Server=db;Database=d;User Id=u;",
            {"": "s3"},
        ),
        (
            "mysql://root@127.0.0.1:3306/test?ssl_ca=/ca.pem",
            "mysql://root@127.0.0.1:3306/test?ssl_ca=/ca.pem",
            {},
        ),
    ],
)
def test_every_secret_splits_out_and_joins_back(text, public, secrets):
    without, found = split_secrets(text)
    assert (without, found) == (public, secrets)
    for value in found.values():
        assert value not in without
    rejoined = join_secrets(without, found)
    assert parse_connection_string(rejoined) == parse_connection_string(text)
    assert sorted(parse_connection_string(rejoined).secrets) == sorted(found.values())


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("sslpassword", True),
        ("Pwd", True),
        ("PASSWORD", True),
        ("client_secret", True),
        ("Pass Word", True),
        ("sslmode", False),
        ("User Id", False),
        ("passfile", False),
    ],
)
def test_password_like_names_are_secrets_whatever_their_case(name, secret):
    assert is_secret_key(name) is secret
