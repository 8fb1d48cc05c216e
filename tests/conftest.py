"""Shared fixtures: a home of each test's own, a simulated appliance over real HTTPS, and an
SMTP server, on loopback.

``private_home`` (automatic) points ``HOME``, the XDG folders and Windows' ``APPDATA`` and
``LOCALAPPDATA`` at a new folder for every test, and drops ``ICTRAY_SETTINGS``: no test reads
or writes the settings, logs or autostart entries of the person running the tests.

``simulator`` starts one per test on a free port. Its site can be shaped with a marker::

    @pytest.mark.simulator(sessions=500, days=10, seed=3, recording_size=4096)
    def test_something(simulator): ...

Marker keywords go to ``SimulatedSite``, except ``token_lifetime``, ``namespace``,
``follow_real_clock``, ``dialect`` (a ``simulator.dialect.Dialect``), ``account`` (a preset name
of ``simulator.accounts.PRESETS``, e.g. ``"guide"``, or an ``ApiAccount``; every permission by
default) and ``token_clock``, which go to the server.

The process-wide token cache is emptied for each simulator: a new appliance on a port an
earlier test used must not be offered that test's token.
"""

from __future__ import annotations

import os
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ictray.appliance import tokens
from ictray.appliance.client import ApplianceClient
from ictray.destinations.sql.connstr import ConnectionInfo, parse_connection_string
from ictray.simulator.faults import Faults
from ictray.simulator.generate import SimulatedSite
from ictray.simulator.server import SimulatorServer

USER, PASSWORD = "ic-mailer", "mail-pass-77"

#: the folders of a home that programs write to, relative to it, by environment variable
HOME_FOLDERS = {
    "XDG_DATA_HOME": ".local/share",
    "XDG_STATE_HOME": ".local/state",
    "XDG_CONFIG_HOME": ".config",
    "XDG_CACHE_HOME": ".cache",
    "LOCALAPPDATA": "AppData/Local",
    "APPDATA": "AppData/Roaming",
}


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own (see the module's docstring); returned for checks."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for variable, relative in HOME_FOLDERS.items():
        monkeypatch.setenv(variable, str(home / relative))
    monkeypatch.delenv("ICTRAY_SETTINGS", raising=False)
    return home


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def _authenticator(logins: list[str]) -> Callable[..., AuthResult]:
    """Accepts ``USER``/``PASSWORD`` and notes every login tried, as ``mechanism user``."""

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            logins.append(f"{mechanism} {auth_data.login.decode()}")
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (USER, PASSWORD)
        return AuthResult(success=ok, handled=False)

    return authenticate


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox
    client_context: ssl.SSLContext
    user: str = USER
    password: str = PASSWORD
    #: every login tried on this server ("PLAIN ic-mailer"), successful or not
    logins: list[str] = field(default_factory=list)


def _free_smtp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp_server(smtp_ca: trustme.CA) -> Iterator[Callable[..., SmtpServer]]:
    """``smtp_server(security="starttls", login=True)`` starts a server for this test."""
    started: list[Controller] = []
    certificate = smtp_ca.issue_cert("127.0.0.1", "localhost")
    client_context = ssl.create_default_context()
    smtp_ca.configure_trust(client_context)

    def start(security: str = "none", login: bool = False) -> SmtpServer:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(server_context)
        inbox = Inbox()
        logins: list[str] = []
        kwargs: dict = {"auth_require_tls": security == "starttls", "auth_required": login}
        if login:
            kwargs["authenticator"] = _authenticator(logins)
        if security == "starttls":
            kwargs["tls_context"] = server_context
            kwargs["require_starttls"] = True
        controller = Controller(
            inbox,
            hostname="127.0.0.1",
            port=_free_smtp_port(),
            ssl_context=server_context if security == "ssl" else None,
            server_hostname="127.0.0.1",
            **kwargs,
        )
        controller.start()
        started.append(controller)
        return SmtpServer("127.0.0.1", controller.port, inbox, client_context, logins=logins)

    yield start
    for controller in started:
        controller.stop()


@dataclass
class SyslogServer:
    """A syslog receiver on loopback UDP: ``messages`` holds each datagram as text."""

    host: str
    port: int
    messages: list[str] = field(default_factory=list)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        """The first message holding ``text``, waiting for it up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [message for message in list(self.messages) if text in message]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no syslog message holds {text!r}; got {self.messages!r}")


@pytest.fixture
def syslog_server() -> Iterator[SyslogServer]:
    """Receives what a ``SysLogHandler`` sends to 127.0.0.1 on a free UDP port."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.1)
    server = SyslogServer("127.0.0.1", int(receiver.getsockname()[1]))
    stopping = threading.Event()

    def receive() -> None:
        while not stopping.is_set():
            try:
                data = receiver.recv(65536)
            except TimeoutError:
                continue
            server.messages.append(data.decode("utf-8", errors="replace"))

    thread = threading.Thread(target=receive, name="syslog-server", daemon=True)
    thread.start()
    yield server
    stopping.set()
    thread.join(5)
    receiver.close()


SITE_DEFAULTS: dict[str, Any] = {"sessions": 40, "days": 3, "seed": 7, "recording_size": 8192}
SERVER_OPTIONS = (
    "token_lifetime",
    "namespace",
    "follow_real_clock",
    "dialect",
    "account",
    "token_clock",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "simulator(**options): shape the site of the `simulator` fixture"
    )


@dataclass
class RunningSimulator:
    """A started simulator: what to configure a site with, and its switches.

    ``host`` is the listening address without the port; ``address`` is ``host:port`` as a
    site's host setting takes it.
    """

    server: SimulatorServer
    host: str
    port: int
    client_id: str
    client_secret: str
    ca_bundle: Path
    site: SimulatedSite
    faults: Faults

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def site_fields(self) -> dict[str, str]:
        """What ``settings.sites.add_site`` takes to configure this simulator as a site."""
        return {
            "host": self.address,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "ca_bundle": str(self.ca_bundle),
        }

    def client(self, **options: Any) -> ApplianceClient:
        """An ``ApplianceClient`` for this simulator with fast retries (override any option)."""
        settings: dict[str, Any] = {
            "ca_bundle": str(self.ca_bundle),
            "timeout": 5,
            "max_retries": 3,
            "max_retry_time": 10,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "site_name": "simulator",
        }
        settings.update(options)
        return ApplianceClient(self.address, self.client_id, self.client_secret, **settings)


@pytest.fixture
def simulator(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningSimulator]:
    """A simulated appliance on 127.0.0.1, a free port, stopped after the test."""
    marker = request.node.get_closest_marker("simulator")
    options = dict(marker.kwargs) if marker else {}
    server_options = {name: options.pop(name) for name in SERVER_OPTIONS if name in options}
    faults = Faults(token_lifetime=server_options.pop("token_lifetime", 3600))
    site = SimulatedSite(**{**SITE_DEFAULTS, "host": "127.0.0.1", **options})
    ca_dir = tmp_path_factory.getbasetemp() / "simulator-ca"
    server = SimulatorServer(site, port=0, ca_dir=ca_dir, faults=faults, **server_options)
    tokens.SHARED.clear()
    server.start()
    try:
        yield RunningSimulator(
            server=server,
            host=server.host,
            port=server.port,
            client_id=server.client_id,
            client_secret=server.client_secret,
            ca_bundle=server.ca_bundle,
            site=site,
            faults=faults,
        )
    finally:
        server.stop()


# -- SQL test servers --------------------------------------------------------------------------

SERVER_VARIABLES = {
    "postgresql": "ICTRAY_TEST_POSTGRES",
    "mysql": "ICTRAY_TEST_MYSQL",
    "mssql": "ICTRAY_TEST_MSSQL",
}


def _url(info: ConnectionInfo, database: str) -> str:
    """A URL for ``info``'s server and login, naming ``database`` instead of its own."""
    credentials = quote(info.user or "", safe="")
    if info.password:
        credentials += ":" + quote(info.password, safe="")
    host = info.host or "localhost"
    if info.instance:
        host += f"\\{info.instance}"
    elif info.port:
        host += f":{info.port}"
    return f"{info.dialect}://{credentials}@{host}/{database}"


def _create_database(info: ConnectionInfo, name: str) -> None:
    if info.dialect == "postgresql":
        import psycopg

        with psycopg.connect(_url(info, info.database), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    elif info.dialect == "mysql":
        import pymysql

        connection = pymysql.connect(
            host=info.host, port=info.port, user=info.user, password=info.password or ""
        )
        with connection, connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    else:
        import pymssql

        server = f"{info.host}\\{info.instance}" if info.instance else info.host
        connection = pymssql.connect(
            server=server,
            port=str(info.port or 1433),
            user=info.user,
            password=info.password,
            autocommit=True,
        )
        with connection, connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE [{name}]")


def _drop_database(info: ConnectionInfo, name: str) -> None:
    if info.dialect == "postgresql":
        import psycopg

        with psycopg.connect(_url(info, info.database), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif info.dialect == "mysql":
        import pymysql

        connection = pymysql.connect(
            host=info.host, port=info.port, user=info.user, password=info.password or ""
        )
        with connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    else:
        import pymssql

        server = f"{info.host}\\{info.instance}" if info.instance else info.host
        connection = pymssql.connect(
            server=server,
            port=str(info.port or 1433),
            user=info.user,
            password=info.password,
            autocommit=True,
        )
        with connection, connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE")
            cursor.execute(f"DROP DATABASE [{name}]")


@pytest.fixture
def server_database() -> Iterator[Callable[[str], str]]:
    """``server_database("postgresql")``: the URL of a new, empty database on that test server.

    The servers come from ``ICTRAY_TEST_POSTGRES``, ``ICTRAY_TEST_MYSQL`` and
    ``ICTRAY_TEST_MSSQL`` (a login that may create databases); the test is skipped with the
    reason when the variable is not set. Each call gets its own ``ictray_test_<random>``
    database, dropped after the test, so runs never collide.
    """
    created: list[tuple[ConnectionInfo, str]] = []

    def make(kind: str) -> str:
        variable = SERVER_VARIABLES[kind]
        server = os.environ.get(variable)
        if not server:
            pytest.skip(f"{variable} is not set (a connection string to a {kind} test server)")
        info = parse_connection_string(server)
        name = f"ictray_test_{secrets.token_hex(6)}"
        _create_database(info, name)
        created.append((info, name))
        return _url(info, name)

    yield make
    for info, name in created:
        _drop_database(info, name)
