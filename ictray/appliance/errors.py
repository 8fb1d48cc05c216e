"""Errors from talking to a site, each naming the site and what to do about it.

The hierarchy lets callers tell what is worth another try (``ApplianceUnreachableError``,
``DownloadIncompleteError``), what only a person can fix (``CredentialsRejectedError``,
``CertificateRejectedError``: both are ``ConfigurationError``) and what is gone for good
(``RecordingExpiredError``). No message ever holds a client secret, token or password.
"""

from __future__ import annotations

from ictray.appliance.parse import MalformedReportError
from ictray.errors import ConfigurationError, IctrayError

__all__ = [
    "ApplianceError",
    "ApplianceUnreachableError",
    "CertificateRejectedError",
    "CredentialsRejectedError",
    "DownloadIncompleteError",
    "MalformedReportError",
    "PermissionRefusedError",
    "RecordingExpiredError",
]


class ApplianceError(IctrayError):
    """A site answered with an error, or could not be asked.

    ``appliance_text`` is the appliance's own ``<error>`` text when there was one; ``status``
    the HTTP status when it matters.
    """

    def __init__(
        self,
        site: str,
        message: str,
        *,
        appliance_text: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"site {site}: {message}")
        self.site = site
        self.appliance_text = appliance_text
        self.status = status


class ApplianceUnreachableError(ApplianceError):
    """No answer (connection refused, DNS, timeouts, busy) even after the retries allowed."""


class CredentialsRejectedError(ApplianceError, ConfigurationError):
    """The appliance refused the client id or secret; retrying cannot help."""


class CertificateRejectedError(ApplianceError, ConfigurationError):
    """The site's TLS certificate could not be verified against the trusted CAs."""


class PermissionRefusedError(ApplianceError, ConfigurationError):
    """The API account lacks a permission; the message names it and where it is granted.

    ``permission`` is the ``contract.Permission`` that was missing.
    """

    def __init__(self, site: str, message: str, *, permission: object, **kwargs: object) -> None:
        super().__init__(site, message, **kwargs)  # type: ignore[arg-type]
        self.permission = permission


class RecordingExpiredError(ApplianceError):
    """The appliance no longer keeps this recording: permanent, do not ask again."""


class DownloadIncompleteError(ApplianceError):
    """A download or report stopped before its end; nothing of it should be kept."""

    def __init__(self, site: str, message: str, *, received: int, expected: int | None) -> None:
        super().__init__(site, message)
        self.received = received
        self.expected = expected
