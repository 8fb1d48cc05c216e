"""What went wrong, said in the dialogs' own words.

The settings functions and the engine write their messages for both front ends, and a few
name a command or a flag as the fix (``ictray site edit``, ``--smtp-port``). Exceptions from
the network carry the library's own text (``HTTPSConnectionPool(...)``, ``SSLCertVerification
Error``). A dialog shows none of that: ``describe`` turns any error into what happened and
what to do, naming the dialog or field to use; the technical text stays in the IC log.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl

from ictray.appliance.errors import (
    ApplianceError,
    ApplianceUnreachableError,
    CertificateRejectedError,
)
from ictray.errors import IctrayError, ValidationError

log = logging.getLogger("ictray.desktop")

#: commands named as a fix, and the place in the app that does the same (longest first)
PLACES = (
    ("ictray settings notify", "Notification Settings"),
    ("ictray settings app", "Application Settings"),
    ("ictray site", "Site Configuration"),
    ("ictray dest", "Plugin Configuration"),
    ("ictray schedule", "Schedule Configuration"),
    ("ictray run-now", "Run Now"),
    ("ictray service", "the scheduler service"),
    ("ictray log", "Log File"),
    ("ictray apitest", "the API Tester"),
)
#: flags named in a message, and the field they stand for
FIELDS = {
    "smtp-port": "the Port field",
    "smtp-host": "the SMTP Server field",
    "every": "Run Every",
    "at": "the time of day",
    "transfer": "the transfers",
    "settings": "the settings file",
    "client-secret-stdin": "the Client Secret field",
    "allow-unencrypted-auth": "Allow login without encryption",
    "retention-days": "the Retention Days field",
    "warn-after-hours": "the Warn After field",
    "warn-margin-days": "the Warn Margin field",
}
UNEXPECTED = (
    "ictray could not finish this because of an unexpected problem. The IC log (Log File) "
    "has the details; please pass them on to your support contact."
)

_COMMAND = re.compile(r"(?:(with|in|using|run) )?`(ictray[^`]*)`")
_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z-]*)(?:[ =](?:\.\.\.|[A-Z_]+))?")
_TECHNICAL = re.compile(
    r"[A-Z][A-Za-z]*(?:Error|Exception|Warning|Pool)\b|Traceback|\[SSL|Max retries|errno",
)
#: the name of a library object written out before its bracket: ``IncompleteRead(...)``
_OBJECT = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]*)+$")


def _place(command: str) -> str:
    return next((place for prefix, place in PLACES if command.startswith(prefix)), "ictray")


def plain(text: str) -> str:
    """``text`` with commands and flags replaced by the dialog or field that does the same."""

    def command(match: re.Match[str]) -> str:
        place = _place(match.group(2))
        return f"in {place}" if match.group(1) in ("with", "in", "using") else place

    text = _COMMAND.sub(command, text)
    text = _FLAG.sub(lambda match: FIELDS.get(match.group(1), "its field"), text)
    return scrub(text)


def scrub(text: str) -> str:
    """``text`` without the parts only a programmer reads (exception names, pool dumps).

    A bracketed part is dropped when it (or a bracket inside it) holds such text or follows
    an object's CamelCase name (``IncompleteRead(...)``, dropped with it); the others stay
    as they are.
    """
    dropped, kept = "\x00", []
    while True:
        innermost = re.search(r"\([^()]*\)", text)
        if innermost is None:
            break
        part, start = innermost.group(0), innermost.start()
        named = _OBJECT.search(text[:start])
        if named is not None:  # an object written out: its name goes with its bracket
            start, token = named.start(), dropped
        elif dropped in part or _TECHNICAL.search(part):
            token = dropped
        else:
            kept.append(part)
            token = f"\x01{len(kept) - 1}\x02"
        text = text[:start] + token + text[innermost.end() :]
    while "\x01" in text:
        text = re.sub("\x01(\\d+)\x02", lambda match: kept[int(match.group(1))], text)
    text = re.sub(r"\s*\x00", "", text)
    text = re.sub(r"\b[A-Z][A-Za-z]*(?:Error|Exception):\s*", "", text)
    text = _TECHNICAL.sub("", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _chain(error: BaseException) -> list[BaseException]:
    """The error and what caused it, also when it was raised ``from None``."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def connection_cause(error: BaseException) -> str:
    """Why a connection failed, in a few plain words, from the errors behind ``error``."""
    for item in _chain(error):
        name = type(item).__name__
        if isinstance(item, socket.gaierror) or name == "NameResolutionError":
            return "its host name was not found (check the spelling, or the DNS)"
        if isinstance(item, ConnectionRefusedError) or "refused" in str(item).lower():
            return "the connection was refused (check the host name and the port)"
        if isinstance(item, (TimeoutError, socket.timeout)) or "timed out" in str(item).lower():
            return "it did not answer in time"
        if isinstance(item, ssl.SSLError):
            return "a secure (TLS) connection could not be made"
    status = getattr(error, "status", None)
    if status:
        return f"it answered with the HTTP error {status}"
    return "it did not answer"


def describe(error: BaseException) -> str:
    """What ``error`` means for the person in front of the dialog, in one or two lines."""
    if isinstance(error, ValidationError):
        return plain(f"{error.field.capitalize()}: {error.message}")
    if isinstance(error, CertificateRejectedError):
        log.info("site %s: certificate rejected: %s", error.site, error)
        return (
            f"Site {error.site}: its TLS certificate could not be verified. If the appliance "
            "uses a certificate from a private CA, choose that CA's certificate file as the "
            "site's CA Certificate in Site Configuration."
        )
    if isinstance(error, ApplianceUnreachableError) or (
        isinstance(error, ApplianceError) and _TECHNICAL.search(str(error))
    ):
        log.info("%s", error)
        return (
            f"Site {error.site} could not be reached: {connection_cause(error)}. Check the "
            "host name, the network and that the appliance is up, then try again."
        )
    if isinstance(error, IctrayError):
        return plain(str(error))
    log.error("unexpected error in a dialog", exc_info=error)
    return UNEXPECTED
