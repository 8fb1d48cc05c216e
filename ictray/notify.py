"""E-mail through SMTP whenever an error is logged (the guide's Notification Settings).

``ErrorMailer`` is a logging handler: every ERROR record of the ``ictray`` logger is queued, and a
mail goes out at most once per ``min_interval`` holding every error since the last one, grouped by
schedule, site and destination with a count — so one outage is one mail, not a hundred.
``send_test`` is the dialog's *Send Test* button.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ictray.errors import IctrayError
from ictray.logs import masker

CONTEXT_FIELDS = ("schedule", "site", "destination", "session")


class NotificationError(IctrayError):
    """The mail could not be sent; the message says what the SMTP server or network answered."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send (the password is held here only while sending)."""

    host: str
    port: int
    security: str  # none | starttls | ssl
    sender: str
    recipients: tuple[str, ...]
    username: str = ""
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    #: log in even where the connection is not encrypted (security "none"): only when asked
    allow_unencrypted_auth: bool = False


def unencrypted_login_refusal(config: SmtpConfig) -> str | None:
    """Why these settings may not log in, when they would send the password in clear."""
    if not config.username or config.security != "none" or config.allow_unencrypted_auth:
        return None
    return (
        f"SMTP server {config.host}:{config.port}: the login for {config.username!r} would go "
        "over an unencrypted connection (security none), where anyone on the network can read "
        "the password; choose security starttls or ssl, or allow it knowingly "
        "(--allow-unencrypted-auth, or Allow login without encryption in Notification "
        "Settings)"
    )


def send_mail(
    config: SmtpConfig, subject: str, body: str, *, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Send one plain-text mail, turning every failure into a ``NotificationError``."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="ictray")
    message.set_content(body)
    context = ssl_context or ssl.create_default_context()
    where = f"SMTP server {config.host}:{config.port}"
    refusal = unencrypted_login_refusal(config)
    if refusal is not None:
        raise NotificationError(refusal)
    try:
        if config.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            if config.security == "starttls":
                client.starttls(context=context)
            if config.username:
                client.login(config.username, config.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise NotificationError(
            f"{where} rejected the login for {config.username!r}; check the user and password"
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        raise NotificationError(
            f"{where} does not support this: {error}; "
            "check the security setting (none, starttls, ssl)"
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(error.recipients)
        raise NotificationError(f"{where} refused the recipient(s) {refused}") from None
    except smtplib.SMTPException as error:
        raise NotificationError(f"{where} did not accept the mail: {error}") from None
    except ssl.SSLError as error:
        raise NotificationError(
            f"{where}: TLS failed ({error.reason or error}); check the security setting and port"
        ) from None
    except TimeoutError:
        raise NotificationError(f"{where} did not answer within {config.timeout:.0f} s") from None
    except OSError as error:
        raise NotificationError(f"{where} cannot be reached: {error.strerror or error}") from None


def send_test(config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
    """The *Send Test* button: one short mail proving the settings work."""
    send_mail(
        config,
        "ictray: test notification",
        "This is a test message from ictray.\n\n"
        "If you can read it, notifications for logged errors will reach you.\n",
        ssl_context=ssl_context,
    )


@dataclass
class _Group:
    count: int = 0
    first: str = ""
    last: str = ""
    first_at: float = 0.0
    last_at: float = 0.0


class ErrorMailer(logging.Handler):
    """Collects ERROR records and mails them, grouped and rate-limited.

    A mail is sent when errors are waiting and ``min_interval`` seconds have passed since the
    previous mail (the first error of a quiet period is mailed at once). ``flush()`` sends what
    waits regardless of the interval; call it at shutdown. A failure to send is written to the
    log at WARNING level (never ERROR, which would feed back into this handler).
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        min_interval: float = 900.0,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(level=logging.ERROR)
        self.config = config
        self.min_interval = min_interval
        self.ssl_context = ssl_context
        self._clock = clock or time.monotonic
        self._groups: OrderedDict[tuple[str, ...], _Group] = OrderedDict()
        self._last_sent: float | None = None
        self._send_lock = threading.Lock()
        self.addFilter(masker)
        self.sent = 0

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "no_mail", False):
            return
        key = tuple(str(getattr(record, name, "") or "") for name in CONTEXT_FIELDS[:3])
        text = record.getMessage()
        now = time.time()
        with self.lock:  # type: ignore[union-attr]
            group = self._groups.setdefault(key, _Group(first=text, first_at=now))
            group.count += 1
            group.last, group.last_at = text, now
        self.send_if_due()

    def send_if_due(self) -> bool:
        """Send the waiting errors if the interval allows; True when a mail went out."""
        now = self._clock()
        if self._last_sent is not None and now - self._last_sent < self.min_interval:
            return False
        return self._send()

    def flush(self) -> None:
        self._send()

    def _send(self) -> bool:
        with self._send_lock:
            with self.lock:  # type: ignore[union-attr]
                groups, self._groups = self._groups, OrderedDict()
            if not groups:
                return False
            self._last_sent = self._clock()
            subject, body = compose(groups)
            try:
                send_mail(self.config, subject, body, ssl_context=self.ssl_context)
            except NotificationError as error:
                logging.getLogger("ictray.notify").warning(
                    "could not mail %d error(s): %s",
                    sum(g.count for g in groups.values()),
                    error,
                    extra={"no_mail": True},
                )
                return False
            self.sent += 1
            return True


def compose(groups: OrderedDict[tuple[str, ...], _Group]) -> tuple[str, str]:
    """Subject and body of one notification mail."""
    total = sum(group.count for group in groups.values())
    host = socket.gethostname()
    subject = f"ictray on {host}: {total} error{'s' if total != 1 else ''}"
    lines = [f"ictray on {host} logged {total} error(s):", ""]
    for (schedule, site, destination), group in groups.items():
        where = (
            ", ".join(
                f"{label} {value!r}"
                for label, value in (
                    ("schedule", schedule),
                    ("site", site),
                    ("destination", destination),
                )
                if value
            )
            or "the program"
        )
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(group.first_at))
        lines.append(f"* {where}: {group.count} time(s), first at {stamp}")
        lines.append(f"  {group.first}")
        if group.count > 1 and group.last != group.first:
            lines.append(f"  latest: {group.last}")
        lines.append("")
    lines.append("The IC log and the Service log hold the details (`ictray log`).")
    return subject, "\n".join(lines)
