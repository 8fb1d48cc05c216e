"""How the simulator reads and checks a request, as the appliance would.

The names come from ``ictray.appliance.contract`` (one source for client and simulator). The
validation texts here are ``[assumed]``: the appliance's own wording for bad parameters is not
published; only the fact that it answers with an ``<error>`` document (HTTP 200) is
(docs/appliance-api.md#errors).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone

from ictray.appliance import contract

DAY = 86400
#: The simulator's API account: fixed so demos and scripts are repeatable.
DEFAULT_CLIENT_ID = "ictray-simulator"
DEFAULT_CLIENT_SECRET = "simulator-secret-0123456789"

#: Reports the simulator serves, grouped by what they answer with.
LIST_REPORTS = frozenset(
    {
        contract.SUPPORT_SESSION,
        contract.SUPPORT_SESSION_LISTING,
        contract.PRESENTATION_SESSION,
        contract.PRESENTATION_SESSION_LISTING,
    }
)
#: Recording reports, each with whether it takes an ``instance``.
RECORDING_REPORTS = dict(contract.RECORDING_REPORTS.values())

# [assumed] texts of the appliance's <error> answers to bad requests
# (docs/appliance-api.md#errors)
MISSING_PARAMETER = "Missing required parameter: {name}"
UNKNOWN_REPORT = "Invalid report type: {name}"
UNKNOWN_ACTION = "Invalid action: {name}"
BAD_TIMESTAMP = "Invalid value for {name}: a UNIX timestamp (an integer) is required"
BAD_DATE = "Invalid value for {name}: a date in YYYY-MM-DD form is required"
BAD_DURATION = "Invalid value for duration: a non-negative integer is required"
BAD_INSTANCE = "Invalid value for instance: a non-negative integer is required"
BAD_LSID = "Invalid value for {name}: {value}"
TOO_MANY_CRITERIA = "Only one of {names} may be given"
NO_RECORDING = "No recording is available for the given criteria."
MULTIPART_REFUSED = "Multipart POST requests are not supported."
BAD_JSON = "The request body is not a JSON object of strings."
# [assumed] 401 and 5xx body texts (docs/appliance-api.md#errors)
NO_TOKEN = "Invalid or expired access token"
SERVER_FAILURE = "The service is temporarily unavailable."
#: [assumed] an API account lacking a permission is refused with an <error> document with this
#: status and text (docs/appliance-api.md#permissions): the wording is not published
PERMISSION_REFUSED_STATUS = 200
PERMISSION_REFUSED = "This API account does not have permission to use {opens}."

_INTEGER = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadRequest(Exception):
    """A request the appliance answers with an ``<error>`` document holding ``text``."""

    status = 200

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Refused(BadRequest):
    """A request the API account lacks the permission for."""

    status = PERMISSION_REFUSED_STATUS

    def __init__(self, permission: contract.Permission) -> None:
        super().__init__(PERMISSION_REFUSED.format(opens=permission.opens))
        self.permission = permission


@dataclass(frozen=True)
class Window:
    """Sessions that started (``by_end`` false, in progress included) or ended in a window.

    ``until`` is exclusive; ``None`` means "until now" (``duration=0``). ``[assumed]``: the
    window is half-open, and dates are UTC days (docs/appliance-api.md#reports).
    """

    by_end: bool
    since: int
    until: int | None


@dataclass(frozen=True)
class ListQuery:
    """What a session or presentation report asks for: a window, or given LSIDs."""

    report: str
    window: Window | None
    lsids: tuple[str, ...] | None


@dataclass(frozen=True)
class RecordingQuery:
    report: str
    lsid: str
    instance: int | None


def parse_list_query(report: str, params: Mapping[str, str]) -> ListQuery:
    """Check the criteria of a list report; raise ``BadRequest`` as the appliance would."""
    given = [
        name
        for name in (*contract.WINDOW_PARAMETERS, contract.LSID, contract.LSIDS)
        if name in params
    ]
    if not given:
        names = ", ".join((*contract.WINDOW_PARAMETERS, contract.LSID, contract.LSIDS))
        raise BadRequest(MISSING_PARAMETER.format(name=f"one of {names}"))
    if len(given) > 1:
        raise BadRequest(TOO_MANY_CRITERIA.format(names=", ".join(given)))
    name = given[0]
    if name == contract.LSID:
        return ListQuery(report, None, (_lsid(name, params[name]),))
    if name == contract.LSIDS:
        values = [value.strip() for value in params[name].split(",") if value.strip()]
        if not values:
            raise BadRequest(BAD_LSID.format(name=name, value=params[name]))
        return ListQuery(report, None, tuple(_lsid(name, value) for value in values))
    duration = _non_negative(params.get(contract.DURATION, "0"), BAD_DURATION)
    if name in (contract.START_TIME, contract.END_TIME):
        since, span = _timestamp(name, params[name]), duration
    else:
        since, span = _date(name, params[name]), duration * DAY
    window = Window(
        by_end=name in (contract.END_TIME, contract.END_DATE),
        since=since,
        until=since + span if span else None,
    )
    return ListQuery(report, window, None)


def parse_recording_query(report: str, params: Mapping[str, str]) -> RecordingQuery:
    """Check the parameters of a recording report: an LSID, and an instance where needed."""
    if contract.LSID not in params:
        raise BadRequest(MISSING_PARAMETER.format(name=contract.LSID))
    lsid = _lsid(contract.LSID, params[contract.LSID])
    needs_instance = RECORDING_REPORTS[report]
    instance = None
    if needs_instance:
        if contract.INSTANCE not in params:
            raise BadRequest(MISSING_PARAMETER.format(name=contract.INSTANCE))
        instance = _non_negative(params[contract.INSTANCE], BAD_INSTANCE)
    return RecordingQuery(report, lsid, instance)


def report_name(params: Mapping[str, str]) -> str:
    """The ``generate_report`` value, checked against the reports the simulator serves."""
    name = params.get(contract.GENERATE_REPORT)
    if not name:
        raise BadRequest(MISSING_PARAMETER.format(name=contract.GENERATE_REPORT))
    if name not in LIST_REPORTS and name not in RECORDING_REPORTS:
        raise BadRequest(UNKNOWN_REPORT.format(name=name))
    return name


def json_parameters(body: bytes) -> dict[str, str]:
    """The parameters of a JSON body (the backup API takes ``{"password": "..."}``)."""
    try:
        document = json.loads(body)
    except ValueError:
        raise BadRequest(BAD_JSON) from None
    if not isinstance(document, dict) or not all(
        isinstance(value, str) for value in document.values()
    ):
        raise BadRequest(BAD_JSON)
    return document


def _lsid(name: str, value: str) -> str:
    value = value.strip()
    if not contract.is_lsid(value):
        raise BadRequest(BAD_LSID.format(name=name, value=value))
    return value.lower()


def _timestamp(name: str, value: str) -> int:
    if not _INTEGER.fullmatch(value.strip()):
        raise BadRequest(BAD_TIMESTAMP.format(name=name))
    return int(value)


def _non_negative(value: str, message: str) -> int:
    if not _INTEGER.fullmatch(value.strip()) or int(value) < 0:
        raise BadRequest(message)
    return int(value)


def _date(name: str, value: str) -> int:
    try:
        if not _DATE.fullmatch(value.strip()):
            raise ValueError(value)
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(BAD_DATE.format(name=name)) from None
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
