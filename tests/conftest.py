"""Shared fixtures: a simulated appliance over real HTTPS, and an SMTP server, on loopback.

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

import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ictray.appliance import tokens
from ictray.appliance.client import ApplianceClient
from ictray.simulator.faults import Faults
from ictray.simulator.generate import SimulatedSite
from ictray.simulator.server import SimulatorServer

USER, PASSWORD = "ic-mailer", "mail-pass-77"


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox
    client_context: ssl.SSLContext
    user: str = USER
    password: str = PASSWORD


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
        kwargs: dict = {"auth_require_tls": security == "starttls", "auth_required": login}
        if login:
            kwargs["authenticator"] = _authenticate
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
        return SmtpServer("127.0.0.1", controller.port, inbox, client_context)

    yield start
    for controller in started:
        controller.stop()


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
