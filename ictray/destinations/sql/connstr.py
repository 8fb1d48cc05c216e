"""Connection strings of the SQL destination: parse, display without the password, split it out.

Two forms are accepted:

- the SQL Server admin form, as SQL Server tools and .NET programs write it:
  ``Server=host[,port|\\instance];Database=name;User Id=login;Password=secret;`` (keys are
  case-insensitive; ``Data Source``/``Address``, ``Initial Catalog``, ``UID``/``User``,
  ``PWD``, ``Connect Timeout`` and ``Encrypt`` are understood, pool and driver settings that do
  not apply are ignored);
- a URL: ``mssql://``, ``postgresql://``, ``mysql://`` (also ``mariadb://``) as
  ``scheme://user:password@host:port/database?option=value``, and ``sqlite:///<absolute path>``.

SQLite paths must be absolute: the scheduler service runs with another working directory than
the command line, so a relative path would silently point at two different files.

SQL Server takes two kinds of login, as its *Authentication Type* says:

- SQL Server authentication: ``User Id=login;Password=secret``;
- Windows authentication: ``Integrated Security=SSPI`` (or ``Trusted_Connection=yes``; in a URL
  ``?trusted_connection=yes``) logs on as the Windows account ictray runs as — the service's
  account, or the logged-in user for the tray app. The driver (pymssql on FreeTDS) does that
  through SSPI on Windows only, so elsewhere it is refused with the alternative: a Windows login
  with its password, ``User Id=DOMAIN\\user;Password=secret``, which FreeTDS sends as an NTLM
  domain login on every system.

No secret has to live in the settings file: ``split_secrets`` removes every password-like part
from the text — the login's password (in the URL's ``user:password@`` or as ``Password``/``PWD``),
and options named like a password or a secret (PostgreSQL's ``sslpassword``...), whatever their
case — for the credential store, and ``join_secrets`` puts them back.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, unquote, unquote_plus

MSSQL = "mssql"
POSTGRESQL = "postgresql"
MYSQL = "mysql"
SQLITE = "sqlite"

_SCHEMES = {
    "mssql": MSSQL,
    "sqlserver": MSSQL,
    "mssql+pymssql": MSSQL,
    "postgresql": POSTGRESQL,
    "postgres": POSTGRESQL,
    "postgresql+psycopg": POSTGRESQL,
    "mysql": MYSQL,
    "mariadb": MYSQL,
    "mysql+pymysql": MYSQL,
    "mariadb+pymysql": MYSQL,
    "sqlite": SQLITE,
}

_DEFAULT_PORTS = {MSSQL: 1433, POSTGRESQL: 5432, MYSQL: 3306}

_EXAMPLES = (
    "Server=host,1433;Database=name;User Id=login;Password=secret; or a URL such as "
    "mssql://login:secret@host:1433/name, postgresql://user:secret@host:5432/name, "
    "mysql://user:secret@host:3306/name or sqlite:///C:/data/sessions.db"
)

# URL query options passed on to the driver; PostgreSQL takes any libpq option instead.
_URL_OPTIONS = {
    MSSQL: frozenset({"instance", "login_timeout", "encryption", "trusted_connection"}),
    MYSQL: frozenset(
        {
            "connect_timeout",
            "ssl_ca",
            "ssl_cert",
            "ssl_key",
            "ssl_verify_cert",
            "ssl_verify_identity",
        }
    ),
    SQLITE: frozenset(),
}
_PG_RESERVED = frozenset({"host", "hostaddr", "port", "dbname", "user", "password"})

# Admin-form keys, normalised (lower case, no spaces or underscores).
_SERVER_KEYS = frozenset({"server", "datasource", "address", "addr", "networkaddress"})
_DATABASE_KEYS = frozenset({"database", "initialcatalog"})
_USER_KEYS = frozenset({"userid", "uid", "user", "username"})
_PASSWORD_KEYS = frozenset({"password", "pwd"})
_INTEGRATED_KEYS = frozenset({"integratedsecurity", "trustedconnection"})
_TIMEOUT_KEYS = frozenset({"connecttimeout", "connectiontimeout", "timeout"})
_ENCRYPT_KEYS = frozenset({"encrypt"})
# Settings of .NET, OLE DB and ODBC drivers that mean nothing to ictray's driver.
_IGNORED_KEYS = frozenset(
    {
        "applicationname",
        "app",
        "connectionlifetime",
        "connectretrycount",
        "connectretryinterval",
        "driver",
        "enlist",
        "loadbalancetimeout",
        "maxpoolsize",
        "minpoolsize",
        "multipleactiveresultsets",
        "multisubnetfailover",
        "packetsize",
        "persistsecurityinfo",
        "pooling",
        "provider",
        "trustservercertificate",
        "workstationid",
        "wsid",
    }
)
_KNOWN_KEYS = (
    _SERVER_KEYS
    | _DATABASE_KEYS
    | _USER_KEYS
    | _PASSWORD_KEYS
    | _INTEGRATED_KEYS
    | _TIMEOUT_KEYS
    | _ENCRYPT_KEYS
)
_TRUE = frozenset({"true", "yes", "1", "sspi", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


@dataclass(frozen=True)
class ConnectionInfo:
    """Where and how to connect, whatever form the connection string had."""

    dialect: str  # one of MSSQL, POSTGRESQL, MYSQL, SQLITE
    database: str  # the database name; for SQLite the absolute file path
    host: str | None = None
    port: int | None = None
    instance: str | None = None  # SQL Server named instance (``host\\instance``)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    integrated: bool = False  # SQL Server Windows authentication as the account ictray runs as

    @property
    def windows_login(self) -> bool:
        """True for SQL Server Windows authentication: integrated, or a DOMAIN\\user login."""
        return self.integrated or (self.dialect == MSSQL and "\\" in (self.user or ""))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret this connection carries: the password and password-like options."""
        found = [value for key, value in self.options.items() if is_secret_key(key) and value]
        return tuple([self.password, *found] if self.password else found)

    @property
    def server(self) -> str:
        """The server as a person names it in a message (no credentials)."""
        if self.dialect == SQLITE:
            return self.database
        host = f"[{self.host}]" if self.host and ":" in self.host else (self.host or "")
        if self.instance and self.port is None:
            return f"{host}\\{self.instance}"
        return f"{host}:{self.port}" if self.port is not None else host

    def redacted(self) -> str:
        """The connection as a URL with the password masked, for logs and dialogs."""
        if self.dialect == SQLITE:
            return f"sqlite:///{self.database}"
        if self.integrated:
            database = quote(self.database, safe="")
            return f"{self.dialect}://{self.server}/{database}?trusted_connection=yes"
        credentials = ""
        if self.user:
            credentials = quote(self.user, safe="")
            credentials += ":***@" if self.password else "@"
        elif self.password:
            credentials = ":***@"
        return f"{self.dialect}://{credentials}{self.server}/{quote(self.database, safe='')}"


def parse_connection_string(text: str, *, windows: bool | None = None) -> ConnectionInfo:
    """Parse either form; raise ``ValueError`` saying what is wrong and how to write it.

    ``windows`` says whether SQL Server Windows authentication as the running account can
    work here (default: on Windows only).
    """
    text = text.strip()
    if windows is None:
        windows = sys.platform == "win32"
    if not text:
        raise ValueError(f"the connection string is empty; write {_EXAMPLES}")
    if "://" in text:
        return _parse_url(text, windows)
    if "=" in text:
        return _parse_admin_form(text, windows)
    raise ValueError(f"{text!r} is not a connection string; write {_EXAMPLES}")


#: the part ``split_secrets`` gives the login's password under (options have names)
PASSWORD = ""


def is_secret_key(name: str) -> bool:
    """Whether an option of this name holds a secret (``sslpassword``, ``PWD``, ``Secret``...)."""
    key = _normalise_key(name).replace("-", "")
    return key == "pwd" or any(word in key for word in ("password", "passwd", "secret"))


def split_secrets(text: str) -> tuple[str, dict[str, str]]:
    """The connection string without any secret, and the secrets by part.

    The login's password is the part ``PASSWORD``; a password-like option is the part named as
    the option is written (``sslpassword``). Raises ``ValueError`` for text that cannot be split.
    """
    without, password = split_password(text)
    secrets = {PASSWORD: password} if password else {}
    if "://" in without:
        without, options = _split_url_options(without)
    else:
        without, options = _split_admin_options(without)
    secrets.update(options)
    return without, secrets


def join_secrets(text: str, secrets: Mapping[str, str]) -> str:
    """Inverse of ``split_secrets``."""
    joined = join_password(text, secrets.get(PASSWORD))
    for name, value in secrets.items():
        if name == PASSWORD or not value:
            continue
        if "://" in joined:
            separator = "&" if "?" in joined.partition("://")[2].rpartition("@")[2] else "?"
            joined = f"{joined}{separator}{quote(name, safe='')}={quote(value, safe='')}"
        else:
            separator = "" if not joined or joined.endswith(";") else ";"
            joined = f"{joined}{separator}{name}={_quote_admin_value(value)};"
    return joined


def _split_url_options(text: str) -> tuple[str, dict[str, str]]:
    url = _split_url(text)
    location, question, query = url.rest.partition("?")
    if not question:
        return text, {}
    kept: list[str] = []
    secrets: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if is_secret_key(unquote_plus(name)):
            secrets[unquote_plus(name)] = unquote_plus(value)
        else:
            kept.append(pair)
    if not secrets:
        return text, {}
    rest = location + ("?" + "&".join(kept) if kept else "")
    credentials = url.user_raw + (":" + url.password if url.password is not None else "")
    return f"{url.scheme}://{credentials}{'@' if credentials else ''}{rest}", secrets


def _split_admin_options(text: str) -> tuple[str, dict[str, str]]:
    pairs = _admin_pairs(text)
    secret = [pair for pair in pairs if is_secret_key(pair.name)]
    if not secret:
        return text, {}
    kept = "".join(text[pair.start : pair.end] for pair in pairs if pair not in secret)
    return kept, {pair.name: pair.value for pair in secret}


def split_password(text: str) -> tuple[str, str | None]:
    """The connection string without its password, and the password (``None`` if none)."""
    text = text.strip()
    if "://" in text:
        url = _split_url(text)
        if url.password is None:
            return text, None
        return f"{url.scheme}://{url.user_raw}@{url.rest}", unquote(url.password)
    pairs = _admin_pairs(text)
    secrets = [pair for pair in pairs if pair.key in _PASSWORD_KEYS]
    if not secrets:
        return text, None
    kept = "".join(text[pair.start : pair.end] for pair in pairs if pair.key not in _PASSWORD_KEYS)
    return kept, secrets[-1].value


def join_password(text: str, password: str | None) -> str:
    """Inverse of ``split_password``: put the password back into the connection string."""
    if not password:
        return text
    text = text.strip()
    if "://" in text:
        url = _split_url(text)
        return f"{url.scheme}://{url.user_raw}:{quote(password, safe='')}@{url.rest}"
    separator = "" if not text or text.endswith(";") else ";"
    return f"{text}{separator}Password={_quote_admin_value(password)};"


# -- URL form ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Url:
    scheme: str
    user_raw: str  # as written (still percent-encoded); empty when there is no user part
    password: str | None  # still percent-encoded
    rest: str  # host, port, path and query


def _split_url(text: str) -> _Url:
    scheme, _, rest = text.partition("://")
    if scheme.lower() == SQLITE:
        return _Url(scheme, "", None, rest)
    # The last "@" ends the credentials, so a password may hold "@", "/" or "?" unencoded.
    credentials, at, after = rest.rpartition("@")
    if not at:
        return _Url(scheme, "", None, rest)
    user, colon, password = credentials.partition(":")
    return _Url(scheme, user, password if colon else None, after)


def _parse_url(text: str, windows: bool) -> ConnectionInfo:
    url = _split_url(text)
    dialect = _SCHEMES.get(url.scheme.lower())
    if dialect is None:
        raise ValueError(
            f"unsupported database type {url.scheme!r}; use mssql://, postgresql://, "
            "mysql:// (also for MariaDB) or sqlite:///"
        )
    if dialect == SQLITE:
        return _parse_sqlite(url.rest)
    location, _, query = url.rest.partition("?")
    hostport, slash, path = location.partition("/")
    database = unquote(path.strip("/")) if slash else ""
    if not database:
        raise ValueError(
            f"the URL names no database; add it after the host: {url.scheme}://user:password@"
            f"{hostport or 'host'}/<database>"
        )
    host, port, instance = _split_hostport(hostport, dialect)
    options = dict(parse_qsl(query, keep_blank_values=True))
    _check_url_options(dialect, options)
    integrated = False
    if dialect == MSSQL:
        instance = options.pop("instance", None) or instance
        integrated = _integrated(options.pop("trusted_connection", None), "trusted_connection")
        _check_mssql_options(options)
    user = unquote(url.user_raw) or None
    password = unquote(url.password) if url.password else None
    if integrated:
        _check_integrated(windows, user, "user@ in the URL")
    return ConnectionInfo(
        dialect=dialect,
        database=database,
        host=host,
        port=port if port is not None or instance else _DEFAULT_PORTS[dialect],
        instance=instance if port is None else None,
        user=user,
        password=password,
        options=MappingProxyType(options),
        integrated=integrated,
    )


def _integrated(value: str | None, name: str) -> bool:
    """Whether ``Integrated Security``/``Trusted_Connection`` asks for Windows authentication."""
    if value is None:
        return False
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ValueError(f"{name}={value!r}: use true (or SSPI) or false")


def _check_integrated(windows: bool, user: str | None, user_part: str) -> None:
    if user:
        raise ValueError(
            "Windows authentication (Integrated Security / Trusted_Connection) logs on as the "
            f"Windows account ictray runs as; remove {user_part} and the password, or turn "
            "Windows authentication off to log on as that login (User Id=DOMAIN\\user for a "
            "Windows login)"
        )
    if not windows:
        raise ValueError(
            "Windows authentication as the account ictray runs as (Integrated Security / "
            "Trusted_Connection) works on Windows only; here, log on with a Windows login "
            "and its password (User Id=DOMAIN\\user;Password=<password>;) or a SQL Server "
            "login"
        )


def _split_hostport(hostport: str, dialect: str) -> tuple[str, int | None, str | None]:
    hostport = unquote(hostport)
    if not hostport:
        raise ValueError("the URL names no server; write user:password@host:port after //")
    instance = None
    if hostport.startswith("["):
        host, bracket, tail = hostport[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise ValueError(f"{hostport!r} is not a valid [IPv6 address]:port")
        port_text = tail[1:] if tail else ""
    else:
        host, _, port_text = hostport.partition(":")
        if "\\" in host:
            if dialect != MSSQL:
                raise ValueError(f"{host!r}: named instances (host\\instance) are SQL Server only")
            host, _, instance = host.partition("\\")
    if not host:
        raise ValueError(f"{hostport!r} names no server host")
    return host, _port(port_text) if port_text else None, instance or None


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{text!r} is not a TCP port; use a number from 1 to 65535")
    return int(text)


def _check_url_options(dialect: str, options: dict[str, str]) -> None:
    if dialect == POSTGRESQL:
        refused = sorted(set(options) & _PG_RESERVED)
        if refused:
            raise ValueError(
                f"give {', '.join(refused)} in the URL itself, not as ?{refused[0]}=: "
                "postgresql://user:password@host:port/database"
            )
        _check_libpq_options(options)
        return
    unknown = sorted(set(options) - _URL_OPTIONS[dialect])
    if unknown:
        allowed = ", ".join(sorted(_URL_OPTIONS[dialect])) or "none"
        raise ValueError(
            f"unknown option {unknown[0]!r} in the URL; options for {dialect}: {allowed}"
        )


def _check_libpq_options(options: dict[str, str]) -> None:
    from psycopg.conninfo import make_conninfo  # imported here: only PostgreSQL needs it

    try:
        make_conninfo("", **options)
    except Exception as error:  # psycopg.ProgrammingError: libpq names the bad option
        raise ValueError(f"invalid PostgreSQL option in the URL: {error}") from None


def _check_mssql_options(options: dict[str, str]) -> None:
    if "login_timeout" in options and not options["login_timeout"].isdigit():
        raise ValueError("login_timeout must be a number of seconds")
    if "encryption" in options and options["encryption"] not in ("off", "request", "require"):
        raise ValueError("encryption must be off, request or require")


def _parse_sqlite(rest: str) -> ConnectionInfo:
    if not rest.startswith("/"):
        raise ValueError(
            "write an SQLite file as sqlite:/// followed by its absolute path, e.g. "
            "sqlite:///C:/data/sessions.db or sqlite:////var/lib/ictray/sessions.db"
        )
    location, question, _ = rest[1:].partition("?")
    if question:
        raise ValueError("sqlite:/// URLs take no options; remove the part from '?'")
    path_text = unquote(location)
    if not path_text or path_text == ":memory:":
        raise ValueError("name an SQLite database file: sqlite:///<absolute path>")
    if not Path(path_text).is_absolute():
        raise ValueError(
            f"the SQLite path {path_text!r} is relative; give the absolute path (the scheduler "
            "service runs in another folder), e.g. sqlite:///C:/data/sessions.db or "
            "sqlite:////var/lib/ictray/sessions.db"
        )
    return ConnectionInfo(dialect=SQLITE, database=path_text)


# -- SQL Server admin form --------------------------------------------------------------------


@dataclass(frozen=True)
class _Pair:
    key: str  # normalised
    name: str  # as written
    value: str
    start: int  # span of "key=value;" in the text
    end: int


def _normalise_key(key: str) -> str:
    return "".join(key.split()).replace("_", "").lower()


def _admin_pairs(text: str) -> list[_Pair]:
    """Split ``key=value;`` pairs; values may be quoted with ' or " (doubled inside)."""
    pairs: list[_Pair] = []
    position = 0
    while position < len(text):
        start = position
        while position < len(text) and (text[position].isspace() or text[position] == ";"):
            position += 1
        if position >= len(text):
            break
        equals = text.find("=", position)
        semicolon = text.find(";", position)
        if equals < 0 or 0 <= semicolon < equals:
            fragment = text[position : semicolon if semicolon >= 0 else len(text)].strip()
            raise ValueError(f"{fragment!r} is not a key=value pair; write {_EXAMPLES}")
        name = text[position:equals].strip()
        value, position = _admin_value(text, equals + 1, name)
        pairs.append(_Pair(_normalise_key(name), name, value, start, position))
    return pairs


def _admin_value(text: str, position: int, name: str) -> tuple[str, int]:
    """Read one value from ``position``; return it and the index after its ``;``."""
    while position < len(text) and text[position] in " \t":
        position += 1
    if position < len(text) and text[position] in "'\"":
        quote_char = text[position]
        chars: list[str] = []
        position += 1
        while True:
            if position >= len(text):
                raise ValueError(f"the value of {name} has no closing {quote_char}")
            if text[position] == quote_char:
                if text[position + 1 : position + 2] == quote_char:
                    chars.append(quote_char)
                    position += 2
                    continue
                position += 1
                break
            chars.append(text[position])
            position += 1
        end = text.find(";", position)
        end = len(text) if end < 0 else end
        if text[position:end].strip():
            raise ValueError(f"unexpected text after the quoted value of {name}")
        return "".join(chars), min(end + 1, len(text))
    end = text.find(";", position)
    end = len(text) if end < 0 else end
    return text[position:end].strip(), min(end + 1, len(text))


def _quote_admin_value(value: str) -> str:
    if value != value.strip() or any(char in value for char in ";'\""):
        return '"' + value.replace('"', '""') + '"'
    return value


def _parse_admin_form(text: str, windows: bool) -> ConnectionInfo:
    values: dict[str, tuple[str, str]] = {}
    for pair in _admin_pairs(text):
        if pair.key in _IGNORED_KEYS:
            continue
        if pair.key not in _KNOWN_KEYS:
            raise ValueError(
                f"{pair.name!r} is not a setting ictray understands in a SQL Server connection "
                "string; use Server, Database, User Id, Password, Connect Timeout, Encrypt"
            )
        values[pair.key] = (pair.name, pair.value)

    def first(keys: frozenset[str]) -> str | None:
        found = [value for key, (_, value) in values.items() if key in keys]
        return found[-1] if found else None

    integrated = _integrated(first(_INTEGRATED_KEYS), "Integrated Security")
    if integrated:
        _check_integrated(windows, first(_USER_KEYS) or first(_PASSWORD_KEYS), "User Id=")
    server = first(_SERVER_KEYS)
    if not server:
        raise ValueError("the connection string names no server; add Server=host[,port];")
    database = first(_DATABASE_KEYS)
    if not database:
        raise ValueError("the connection string names no database; add Database=<name>;")
    user = first(_USER_KEYS)
    if not user and not integrated:
        raise ValueError(
            "the connection string names no login; add User Id=<SQL Server login>; (or "
            "DOMAIN\\user for a Windows login) and Password=, or Integrated Security=SSPI; to "
            "log on as the Windows account ictray runs as"
        )
    host, port, instance = _parse_server(server)
    options: dict[str, str] = {}
    timeout = first(_TIMEOUT_KEYS)
    if timeout is not None:
        if not timeout.isdigit():
            raise ValueError(f"Connect Timeout={timeout!r}: use a number of seconds")
        options["login_timeout"] = timeout
    encrypt = first(_ENCRYPT_KEYS)
    if encrypt is not None:
        options["encryption"] = _encryption(encrypt)
    return ConnectionInfo(
        dialect=MSSQL,
        database=database,
        host=host,
        port=port if port is not None or instance else _DEFAULT_PORTS[MSSQL],
        instance=instance if port is None else None,
        user=user,
        password=first(_PASSWORD_KEYS) or None,
        options=MappingProxyType(options),
        integrated=integrated,
    )


def _parse_server(server: str) -> tuple[str, int | None, str | None]:
    """``[tcp:]host[\\instance][,port]``; ``.`` and ``(local)`` mean this computer."""
    protocol, colon, rest = server.partition(":")
    if colon and protocol.lower() in ("tcp", "np", "lpc", "admin"):
        if protocol.lower() != "tcp":
            raise ValueError(
                f"Server={server!r}: only TCP connections are supported; write Server=host,port"
            )
        server = rest
    name, comma, port_text = server.partition(",")
    host, _, instance = name.strip().partition("\\")
    if host.lower() in (".", "(local)", "localhost", "(localdb)"):
        if host.lower() == "(localdb)":
            raise ValueError("LocalDB cannot be reached over TCP; use a SQL Server instance")
        host = "localhost"
    if not host:
        raise ValueError(f"Server={server!r} names no host")
    return host, _port(port_text) if comma else None, instance.strip() or None


def _encryption(text: str) -> str:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "mandatory", "strict"):
        return "require"
    if lowered in ("false", "no", "optional"):
        return "request"
    raise ValueError(f"Encrypt={text!r}: use true or false")
