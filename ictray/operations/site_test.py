"""Site Test: do the site and its API account answer, what may the account do, and which data
types will therefore work.

The command API is not ours to rely on: an account set up as the guide says has the reporting
and backup permissions only. When the command API answers, its ``get_api_info`` tells the
account's permissions; otherwise each reporting permission is probed with a listing of a
one-second window (which costs the appliance nothing), and the backup permission is shown as
not checked rather than tried: the only way to try it is to make a backup. The appliance's
clock comes from get_api_info or from the Date header of an answer (``ApplianceClient.
read_clock``), so the clock skew is shown either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ictray.appliance import contract, reports
from ictray.appliance.client import ApplianceClient, ApplianceClock, SiteAccess, describe_clock_skew
from ictray.appliance.errors import (
    ApplianceError,
    ApplianceUnreachableError,
    CertificateRejectedError,
    CredentialsRejectedError,
    DownloadIncompleteError,
)
from ictray.appliance.model import ApiInfo
from ictray.appliance.parse import MalformedReportError
from ictray.datatypes import DataType

YES, NO, NOT_CHECKED = "yes", "no", "not checked"

#: The data types each permission opens.
OPENS: dict[contract.Permission, tuple[DataType, ...]] = {
    contract.SUPPORT_REPORTING: (
        DataType.SESSION_DATA,
        DataType.SESSION_RECORDINGS,
        DataType.SHOW_MY_SCREEN_RECORDINGS,
        DataType.COMMAND_SHELL_RECORDINGS,
    ),
    contract.PRESENTATION_REPORTING: (
        DataType.PRESENTATION_DATA,
        DataType.PRESENTATION_RECORDINGS,
    ),
    contract.BACKUP: (DataType.SITE_BACKUPS,),
}
#: The listing that probes each reporting permission.
PROBES = {
    contract.SUPPORT_REPORTING: reports.iter_session_summaries,
    contract.PRESENTATION_REPORTING: reports.iter_presentation_summaries,
}


@dataclass(frozen=True)
class Capability:
    """Whether the account has one permission: ``state`` is yes, no or not checked;
    ``how`` says how that was learnt; ``detail`` what the appliance said, if anything."""

    permission: contract.Permission
    state: str
    how: str
    detail: str = ""


@dataclass
class SiteTestResult:
    """What a Site Test found (credentials accepted: otherwise it raised)."""

    site: str
    host: str
    clock: ApplianceClock
    capabilities: list[Capability] = field(default_factory=list)

    @property
    def api_version(self) -> str | None:
        return self.clock.info.api_version if self.clock.info is not None else None

    @property
    def command_api(self) -> str:
        """The account's command API access as get_api_info names it, or why it is unknown."""
        info = self.clock.info
        if info is None:
            return "no access for this API account"
        return info.permissions.get(contract.COMMAND.name) or "answers"

    def capability(self, permission: contract.Permission) -> Capability:
        return next(c for c in self.capabilities if c.permission == permission)

    def data_types(self) -> dict[DataType, str]:
        """For each data type: yes (will work), no (the account may not), or not checked."""
        return {t: c.state for c in self.capabilities for t in OPENS[c.permission]}

    @property
    def usable(self) -> bool:
        """True when at least one data type will work."""
        return YES in self.data_types().values()

    def lines(self) -> list[str]:
        """The result as a person reads it (the CLI prints it, the dialog shows it)."""
        out = [f"site {self.site!r} ({self.host}): credentials accepted"]
        version = self.api_version
        if version is None:
            version = "unknown (the command API does not answer this API account; not needed)"
        out.append(f"API version: {version}")
        source = "get_api_info" if self.clock.source == "get_api_info" else "the Date header"
        out.append(f"clock skew: {describe_clock_skew(self.clock.skew)} (from {source})")
        out.append("the API account may use:")
        out.append(f"  the command API: {self.command_api} (not needed for copying)")
        for item in self.capabilities:
            detail = f"; the appliance said: {item.detail}" if item.detail else ""
            out.append(f"  {item.permission.opens}: {item.state} ({item.how}{detail})")
        out.append("data types:")
        for permission, types in OPENS.items():
            state = self.capability(permission).state
            meaning = {
                YES: "will work",
                NO: f"will fail: grant the API account '{permission.label}'",
                NOT_CHECKED: "not checked (only a schedule's run makes a backup)",
            }[state]
            out.append(f"  {', '.join(t.label.lower() for t in types)}: {meaning}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def run_site_test(
    credentials: SiteAccess, client_options: Mapping[str, Any] | None = None
) -> SiteTestResult:
    """Test a configured (or typed-in) site: raises ``IctrayError`` when it cannot be reached
    or refuses the credentials; otherwise tells what the account may do."""
    with ApplianceClient.for_site(credentials, **dict(client_options or {})) as client:
        clock = client.read_clock()
        result = SiteTestResult(credentials.name, client.host, clock)
        info = clock.info
        for permission in OPENS:
            result.capabilities.append(_capability(client, clock, info, permission))
    return result


def _capability(
    client: ApplianceClient,
    clock: ApplianceClock,
    info: ApiInfo | None,
    permission: contract.Permission,
) -> Capability:
    if info is not None and info.permissions:
        value = info.permissions.get(permission.name)
        if value is None and permission in PROBES:
            # Privileged Remote Access names one reporting permission for all reports
            value = info.permissions.get("perm_reporting")
        if value is not None:
            return Capability(permission, YES if value == "1" else NO, "get_api_info")
    if permission not in PROBES:
        return Capability(permission, NOT_CHECKED, "trying it would make a backup")
    return _probe(client, clock, permission)


def _probe(
    client: ApplianceClient, clock: ApplianceClock, permission: contract.Permission
) -> Capability:
    """Ask for the listing of one second: refused means the account lacks the permission."""
    how = "asked for a listing of one second"
    window = reports.TimeWindow(since=clock.now, duration=1)
    try:
        for _ in PROBES[permission](client, window):
            pass
    except (ApplianceUnreachableError, CertificateRejectedError, DownloadIncompleteError):
        raise
    except CredentialsRejectedError as error:  # a token it just accepted: this API is closed
        return Capability(permission, NO, how, error.appliance_text or f"HTTP {error.status}")
    except ApplianceError as error:
        return Capability(permission, NO, how, error.appliance_text or "")
    except MalformedReportError as error:
        return Capability(permission, NO, how, str(error))
    return Capability(permission, YES, how)
