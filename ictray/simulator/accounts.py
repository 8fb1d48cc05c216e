"""API accounts of the simulated appliance: their permissions and their tokens.

An account is what /login > Management > API Configuration sets up: an OAuth client id and
secret, access to the command API (deny, read-only or full), and permissions for the support
and presentation session reports (and their recordings) and for the backup API. The guide asks
for the reporting and backup permissions only, so the ``guide`` preset has no command API.

Every account holds at most ``MAX_TOKENS_PER_ACCOUNT`` (30) valid tokens: issuing one more
invalidates the oldest, as the appliance does (docs/appliance-api.md#authentication).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from ictray.appliance import contract
from ictray.simulator.contract import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

COMMAND_ACCESS = (contract.COMMAND_DENY, contract.COMMAND_READ_ONLY, contract.COMMAND_FULL)


@dataclass(frozen=True)
class ApiAccount:
    """One API account and what it may do."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    command: str = contract.COMMAND_FULL
    support_reporting: bool = True
    presentation_reporting: bool = True
    backup: bool = True

    def __post_init__(self) -> None:
        if self.command not in COMMAND_ACCESS:
            raise ValueError(
                f"command API access must be one of {', '.join(COMMAND_ACCESS)}, "
                f"not {self.command!r}"
            )

    def permissions(self) -> dict[str, str]:
        """The ``perm_*`` values get_api_info answers with for this account."""
        flags = {
            contract.SUPPORT_REPORTING.name: self.support_reporting,
            contract.PRESENTATION_REPORTING.name: self.presentation_reporting,
            contract.BACKUP.name: self.backup,
        }
        return {
            contract.COMMAND.name: self.command,
            **{name: "1" if allowed else "0" for name, allowed in flags.items()},
        }

    def may(self, permission: contract.Permission) -> bool:
        if permission == contract.COMMAND:
            return self.command != contract.COMMAND_DENY
        if permission == contract.SUPPORT_REPORTING:
            return self.support_reporting
        if permission == contract.PRESENTATION_REPORTING:
            return self.presentation_reporting
        if permission == contract.BACKUP:
            return self.backup
        return False


#: Accounts by the names ``ictray simulate --account`` and the test marker take.
PRESETS = {
    "full": ApiAccount(),
    # as the guide sets one up: reporting and backup permissions, no command API
    "guide": ApiAccount(command=contract.COMMAND_DENY),
    "no-backup": ApiAccount(command=contract.COMMAND_DENY, backup=False),
    "read-only-command": ApiAccount(command=contract.COMMAND_READ_ONLY),
}


def account(choice: ApiAccount | str | None, client_id: str, client_secret: str) -> ApiAccount:
    """An account from a preset name (or an account given whole), with these credentials."""
    if choice is None:
        choice = "full"
    if isinstance(choice, str):
        if choice not in PRESETS:
            raise ValueError(f"no account preset {choice!r}; use one of {', '.join(PRESETS)}")
        choice = PRESETS[choice]
    if choice.client_id == DEFAULT_CLIENT_ID and choice.client_secret == DEFAULT_CLIENT_SECRET:
        choice = replace(choice, client_id=client_id, client_secret=client_secret)
    return choice


class Tokens:
    """Bearer tokens issued per account; each lives until its expiry, the next revocation, or
    until its account has issued ``MAX_TOKENS_PER_ACCOUNT`` newer ones.

    ``clock`` is the time tokens expire by (a test may move it without waiting).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._by_account: dict[str, OrderedDict[str, tuple[float, int]]] = {}
        self.issued: Counter[str] = Counter()

    def issue(self, client_id: str, lifetime: int, epoch: int) -> str:
        token = secrets.token_hex(contract.TOKEN_LENGTH // 2)
        now = self.clock()
        with self._lock:
            held = self._by_account.setdefault(client_id, OrderedDict())
            for old in [t for t, (expiry, era) in held.items() if expiry <= now or era != epoch]:
                del held[old]
            held[token] = (now + lifetime, epoch)
            while len(held) > contract.MAX_TOKENS_PER_ACCOUNT:
                held.popitem(last=False)  # the oldest token stops working
            self.issued[client_id] += 1
        return token

    def account_of(self, token: str, epoch: int) -> str | None:
        """The client id a valid token belongs to, else None."""
        now = self.clock()
        with self._lock:
            for client_id, held in self._by_account.items():
                entry = held.get(token)
                if entry is not None:
                    expiry, era = entry
                    return client_id if expiry > now and era == epoch else None
        return None

    def valid(self, client_id: str, epoch: int) -> int:
        """How many tokens of this account work now."""
        now = self.clock()
        with self._lock:
            held = self._by_account.get(client_id, OrderedDict())
            return sum(1 for expiry, era in held.values() if expiry > now and era == epoch)
