"""The token budget: one bearer token per site per process, shared by every client and run.

An API account may hold at most 30 valid tokens; asking for a 31st invalidates the oldest
(docs/appliance-api.md#authentication). Every program using the account shares that budget, so
ictray keeps one token per site (host, client id and secret) for the whole process: every
transfer, thread and run reuses it until shortly before it expires. A client built for a run
takes its site's entry from ``SHARED``; a token refused with a 401 is forgotten there once and
fetched again by whichever thread asks first.

The entry also remembers what was learnt about the site that does not change between runs:
whether the command API answers this account, and how the recording report numbers instances.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: A token is renewed this long before it expires (at most; a tenth of its lifetime if less).
RENEW_MARGIN = 60.0


@dataclass
class SiteEntry:
    """The shared state of one site: its token, and what was learnt about the appliance.

    Hold ``lock`` while reading or changing the token, and while fetching a new one: threads
    that need a token at the same moment then wait for one fetch instead of each making one.
    """

    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    token: str | None = field(default=None, repr=False)
    renew_at: float = 0.0
    tokens_fetched: int = 0
    #: None until asked; False once the command API refused this account (or is absent)
    command_api: bool | None = None
    #: what to add to a session report's recording instance to ask for it (None: not learnt)
    instance_offset: int | None = None

    def forget(self, token: str) -> None:
        """Drop ``token`` if it is still the current one (the appliance refused it)."""
        with self.lock:
            if self.token == token:
                self.token = None


class TokenCache:
    """Site entries by host, client id and secret; ``clock`` measures token lifetimes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, str, str], SiteEntry] = {}
        self._lock = threading.Lock()

    def entry(self, host: str, client_id: str, secret: str) -> SiteEntry:
        """The entry of one site and API account (created on first use)."""
        key = (host.lower(), client_id, _identity(secret))
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                found = self._entries[key] = SiteEntry()
            return found

    def renew_at(self, lifetime: float) -> float:
        """When a token of ``lifetime`` seconds, issued now, is to be replaced."""
        return self.clock() + lifetime - min(RENEW_MARGIN, lifetime / 10)

    def clear(self) -> None:
        """Forget every token and everything learnt (a new process starts like this)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _identity(secret: str) -> str:
    """Tells secrets apart without keeping them in a key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


#: The process's token budget, used by every client unless one is given.
SHARED = TokenCache()
