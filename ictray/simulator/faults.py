"""Switches that make the simulator misbehave the way real appliances and networks do.

Set them when the server starts (``Faults(rate_limit=3)``) or while it runs
(``server.faults.rate_limit = 3``); every change and every countdown holds a lock, so tests
may flip them from any thread. Counters ("the next N ...") count down as requests use them up.

=====================  ==========================================================================
switch                 effect
=====================  ==========================================================================
reject_credentials     every token request answers 401 ``{"error": "invalid_client"}``, and
                       tokens issued before stop working: the secret was regenerated
token_lifetime         seconds a new token lives (``expires_in``); default 3600
token_epoch            bumped by ``revoke_tokens()``: every token issued before stops working, as
                       when the client secret is regenerated on the appliance
rate_limit             the next N requests answer 429 with ``Retry-After: retry_after`` seconds
retry_after            the ``Retry-After`` value of those answers (whole seconds)
server_errors          the next N requests answer ``server_error_status``
server_error_status    the HTTP status of those answers (default 503)
delay                  seconds every answer waits before it starts (slow appliance)
cut_downloads          the next N recording or backup downloads stop after ``cut_after`` bytes of
                       their announced length and the connection is closed
cut_after              bytes sent before such a cut
malformed_reports      the next N non-empty reports lose their end (the closing tags) while
                       the answer itself completes normally
malformed_tail         bytes cut from the end of such a report (default 40)
hostile_sessions       the next N session reports whose window holds the moment a day before the
                       site's first clock reading also carry three sessions a careless appliance
                       could send, started then (``hostile_sessions()``): one nesting unknown
                       elements 500 deep, one with an lseq out of range, one without an lsid
expired_recordings     every recording answers with the appliance's "has expired" error (the
                       site's own ``expired_fraction`` expires a fixed share of them anyway)
clock_offset           seconds the appliance's clock is ahead (negative: behind) of the
                       simulated site's time, as ``get_api_info`` reports it; to move the
                       site's time itself forward, use ``SimulatorServer.advance_clock``
=====================  ==========================================================================
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields

from ictray.appliance.model import Session, XmlNode

COUNTERS = (
    "rate_limit",
    "server_errors",
    "cut_downloads",
    "malformed_reports",
    "hostile_sessions",
)


@dataclass
class Faults:
    """The current fault switches of one simulator (see the module documentation)."""

    reject_credentials: bool = False
    token_lifetime: int = 3600
    token_epoch: int = 0
    rate_limit: int = 0
    retry_after: int = 1
    server_errors: int = 0
    server_error_status: int = 503
    delay: float = 0.0
    cut_downloads: int = 0
    cut_after: int = 1024
    malformed_reports: int = 0
    malformed_tail: int = 40
    hostile_sessions: int = 0
    expired_recordings: bool = False
    clock_offset: float = 0.0
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        """Set under the lock, so a switch never changes halfway through ``take``."""
        if name not in _FIELD_NAMES and name != "_lock":
            raise AttributeError(f"the simulator has no fault switch {name!r}")
        lock = self.__dict__.get("_lock")
        if lock is None:
            object.__setattr__(self, name, value)
            return
        with lock:
            object.__setattr__(self, name, value)

    def take(self, counter: str) -> bool:
        """Use up one of ``counter`` ("the next N ..."): True if this request is affected."""
        if counter not in COUNTERS:
            raise ValueError(
                f"{counter!r} is not a counting fault; use one of {', '.join(COUNTERS)}"
            )
        with self._lock:
            left = getattr(self, counter)
            if left <= 0:
                return False
            setattr(self, counter, left - 1)
            return True

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far, as regenerating the client secret does."""
        with self._lock:
            self.token_epoch += 1

    def reset(self) -> None:
        """Every switch back to normal behaviour (tokens already revoked stay revoked)."""
        normal = Faults()
        with self._lock:
            for item in fields(self):
                if not item.name.startswith("_") and item.name != "token_epoch":
                    setattr(self, item.name, getattr(normal, item.name))


_FIELD_NAMES = frozenset(item.name for item in fields(Faults) if not item.name.startswith("_"))


#: How deep the hostile session nests unknown elements (no real session comes near).
HOSTILE_DEPTH = 500


def hostile_sessions(start: int) -> list[Session]:
    """Three closed sessions, starting at ``start``, that no reader may take as they are.

    Their lsids are fixed, so a test can look for them; none is part of the simulated site.
    """
    nested = XmlNode("custom_note")
    for _ in range(HOSTILE_DEPTH - 1):
        nested = XmlNode("custom_note", children=[nested])
    closed = {"start_time": start, "end_time": start + 60, "duration": "00:01:00"}
    return [
        Session(lsid="e" * 31 + "1", extra=[nested], **closed),  # type: ignore[arg-type]
        Session(lsid="e" * 31 + "2", lseq=10**20, **closed),  # type: ignore[arg-type]
        Session(lsid="", **closed),  # type: ignore[arg-type]
    ]
