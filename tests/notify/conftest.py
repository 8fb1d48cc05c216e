"""A real SMTP server on loopback (aiosmtpd), plain, STARTTLS or SSL, with optional login."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

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


def _free_port() -> int:
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
            port=_free_port(),
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
