"""Notifications against a real SMTP server on loopback: security modes, login, grouping, limits."""

from __future__ import annotations

import logging

import pytest

from ictray.logs import register_secret
from ictray.notify import ErrorMailer, NotificationError, SmtpConfig, send_test


def _config(server, security: str, login: bool = False, **changes) -> SmtpConfig:
    values = dict(
        host=server.host,
        port=server.port,
        security=security,
        sender="ic@example.com",
        recipients=("ops@example.com", "lead@example.com"),
        username=server.user if login else "",
        password=server.password if login else None,
        timeout=10,
    )
    values.update(changes)
    return SmtpConfig(**values)


@pytest.mark.parametrize(
    ("security", "login"), [("none", False), ("starttls", True), ("ssl", True), ("ssl", False)]
)
def test_send_test_reaches_the_server(smtp_server, security: str, login: bool) -> None:
    server = smtp_server(security=security, login=login)
    send_test(_config(server, security, login), ssl_context=server.client_context)
    assert len(server.inbox.messages) == 1
    mail = server.inbox.messages[0]
    assert mail["Subject"] == "ictray: test notification"
    assert mail["To"] == "ops@example.com, lead@example.com"
    assert "notifications for logged errors will reach you" in mail.get_payload()


def test_a_wrong_password_is_reported_clearly(smtp_server) -> None:
    server = smtp_server(security="starttls", login=True)
    config = _config(server, "starttls", login=True, password="wrong-one")
    with pytest.raises(NotificationError) as caught:
        send_test(config, ssl_context=server.client_context)
    assert f"rejected the login for '{server.user}'" in str(caught.value)
    assert "wrong-one" not in str(caught.value)
    assert server.inbox.messages == []


def test_plain_smtp_to_an_ssl_port_says_to_check_the_security_setting(smtp_server) -> None:
    server = smtp_server(security="ssl")
    with pytest.raises(NotificationError) as caught:
        send_test(_config(server, "none", timeout=3), ssl_context=server.client_context)
    assert f"{server.host}:{server.port}" in str(caught.value)


def test_an_untrusted_certificate_fails_with_tls_in_the_message(smtp_server) -> None:
    server = smtp_server(security="ssl")
    with pytest.raises(NotificationError, match="TLS failed"):
        send_test(_config(server, "ssl"))  # the system store does not trust the test CA


def test_nobody_listening_is_reported(smtp_server) -> None:
    server = smtp_server()
    config = _config(server, "none", port=1)
    with pytest.raises(NotificationError, match="cannot be reached"):
        send_test(config)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"ictray.test.{id(handler)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_one_outage_is_one_mail_grouped_by_site_and_destination(smtp_server) -> None:
    server = smtp_server()
    clock = FakeClock()
    mailer = ErrorMailer(_config(server, "none"), min_interval=900, clock=clock)
    logger = _logger(mailer)
    context = {"schedule": "nightly", "site": "main", "destination": "archive"}
    logger.error("site 'main': the appliance cannot be reached", extra=context)
    assert len(server.inbox.messages) == 1  # the first error of a quiet period goes at once
    for attempt in range(100):
        logger.error("site 'main': the appliance cannot be reached (%d)", attempt, extra=context)
    logger.error("destination 'db' refused the write", extra={"destination": "db"})
    logger.warning("a warning is not mailed")
    assert len(server.inbox.messages) == 1  # rate-limited: the rest waits
    clock.now += 901
    mailer.send_if_due()
    assert len(server.inbox.messages) == 2
    body = server.inbox.messages[1].get_payload()
    assert "101 error(s)" in body
    assert "schedule 'nightly', site 'main', destination 'archive': 100 time(s)" in body
    assert "destination 'db': 1 time(s)" in body
    assert "a warning" not in body
    mailer.flush()
    assert len(server.inbox.messages) == 2  # nothing was waiting


def test_secrets_never_reach_a_mail(smtp_server) -> None:
    server = smtp_server()
    mailer = ErrorMailer(_config(server, "none"), min_interval=0)
    register_secret("Sup3r-Secret-Value")
    _logger(mailer).error("token request with Sup3r-Secret-Value failed; password=hunter22")
    body = server.inbox.messages[0].get_payload()
    assert "Sup3r-Secret-Value" not in body and "hunter22" not in body
    assert "********" in body


def test_a_mail_that_cannot_be_sent_is_logged_as_a_warning(smtp_server, caplog) -> None:
    server = smtp_server()
    mailer = ErrorMailer(_config(server, "none", port=1), min_interval=0)
    with caplog.at_level(logging.WARNING, logger="ictray.notify"):
        _logger(mailer).error("disk full")
    assert any("could not mail 1 error(s)" in r.getMessage() for r in caplog.records)


def test_a_login_over_plain_smtp_is_never_sent_unless_allowed(smtp_server) -> None:
    server = smtp_server(security="none", login=True)
    with pytest.raises(NotificationError) as caught:
        send_test(_config(server, "none", login=True))
    message = str(caught.value)
    assert "unencrypted connection" in message and "--allow-unencrypted-auth" in message
    assert server.password not in message
    assert server.logins == [] and server.inbox.messages == []
    send_test(_config(server, "none", login=True, allow_unencrypted_auth=True))
    assert server.logins == [f"PLAIN {server.user}"] and len(server.inbox.messages) == 1
