"""The appliance API contract in one place: paths, report and parameter names, error texts.

Everything here is described, with its public sources, in docs/appliance-api.md. Items marked
``[assumed]`` are not published anywhere we could read; each is one constant, so correcting it
is a one-line change that the client and the simulator both follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ictray.datatypes import DataType

# -- paths ---------------------------------------------------------------------------------------

TOKEN_PATH = "/oauth2/token"
COMMAND_PATH = "/api/command"
REPORTING_PATH = "/api/reporting"
BACKUP_PATH = "/api/backup"

#: [seen] "When making consecutive API calls, you must close the connection after each API call."
CLOSE_CONNECTION_AFTER_EACH_CALL = True

# -- OAuth client credentials ---------------------------------------------------------------------

GRANT_TYPE = "grant_type"
CLIENT_CREDENTIALS = "client_credentials"
ACCESS_TOKEN = "access_token"
EXPIRES_IN = "expires_in"
TOKEN_TYPE_BEARER = "Bearer"
DEFAULT_TOKEN_LIFETIME = 3600  # seconds, when the answer has no expires_in
OAUTH_INVALID_CLIENT = "invalid_client"
#: [assumed] 400 or 401, the client accepts both; an expired or revoked bearer token 401
#: (docs/appliance-api.md#authentication)
INVALID_CLIENT_STATUS = 401
INVALID_TOKEN_STATUS = 401
TOKEN_LENGTH = 40
#: [seen] an API account holds at most this many valid tokens; one more invalidates the oldest
MAX_TOKENS_PER_ACCOUNT = 30

# -- throttling -----------------------------------------------------------------------------------

#: [assumed] past about 20 requests/s per API account (docs/appliance-api.md#authentication)
RATE_LIMITED_STATUS = 429
RETRY_AFTER = "Retry-After"

# -- commands ------------------------------------------------------------------------------------

ACTION = "action"
GET_API_INFO = "get_api_info"
#: [seen] the command API answers this account only with read-only or full access
COMMAND_DENY, COMMAND_READ_ONLY, COMMAND_FULL = "deny", "read_only", "full_access"
#: [seen] answers carry the appliance's clock in the HTTP Date header (whole seconds)
DATE_HEADER = "Date"

# -- API account permissions -----------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    """One permission of an API account: its ``perm_*`` name in get_api_info, how /login
    labels it (where it is granted), and what it opens, for messages."""

    name: str
    label: str
    opens: str


#: [seen] name and label (docs/appliance-api.md#permissions)
SUPPORT_REPORTING = Permission(
    "perm_reporting_support",
    "Allow Access to Support Session Reports and Recordings",
    "support session reports and recordings",
)
#: [seen] name; [assumed] label, by analogy (docs/appliance-api.md#permissions)
PRESENTATION_REPORTING = Permission(
    "perm_reporting_presentation",
    "Allow Access to Presentation Session Reports and Recordings",
    "presentation session reports and recordings",
)
#: [seen] name; [assumed] label wording (docs/appliance-api.md#permissions)
BACKUP = Permission("perm_backup", "Allow Access to Backup API", "the backup API")
#: [seen] name and its values deny / read_only / full_access
COMMAND = Permission("perm_command", "Command API: Read-Only or Full Access", "the command API")
#: [assumed] words that tell a refusal for want of a permission from other <error> texts
#: (docs/appliance-api.md#permissions)
_PERMISSION_WORDS = (
    "permission",
    "not allowed",
    "not authorized",
    "unauthorized",
    "access denied",
    "forbidden",
    "does not have access",
)


def is_permission_refusal(text: str) -> bool:
    """True for an ``<error>`` text that says the account may not do this."""
    lowered = text.lower()
    return any(word in lowered for word in _PERMISSION_WORDS)


# -- reports -------------------------------------------------------------------------------------

GENERATE_REPORT = "generate_report"

SUPPORT_SESSION = "SupportSession"
SUPPORT_SESSION_LISTING = "SupportSessionListing"
SUPPORT_SESSION_RECORDING = "SupportSessionRecording"
SHOW_MY_SCREEN_RECORDING = "ShowMyScreenRecording"
COMMAND_SHELL_RECORDING = "CommandShellRecording"
PRESENTATION_SESSION = "PresentationSession"
PRESENTATION_SESSION_LISTING = "PresentationSessionListing"
PRESENTATION_SESSION_RECORDING = "PresentationSessionRecording"

# window parameters: one of these, with DURATION
START_DATE = "start_date"
START_TIME = "start_time"
END_DATE = "end_date"
END_TIME = "end_time"
DURATION = "duration"  # days with *_date, seconds with *_time, 0 = until now
WINDOW_PARAMETERS = (START_DATE, START_TIME, END_DATE, END_TIME)

LSID = "lsid"
LSIDS = "lsids"  # comma separated
_LSID = re.compile(r"[0-9a-fA-F]{32}")  # a GUID without dashes
#: [assumed] lsids per request; no limit is published (docs/appliance-api.md#reports)
LSIDS_BATCH = 100
#: [seen] session reports number command shell recordings from 0; [assumed] the recording
#: report takes the same number as ``instance``: when instance 0 is refused, 1 is tried and
#: the site is asked from 1 on (docs/appliance-api.md#recordings)
INSTANCE = "instance"

#: The report that serves each recording kind, and whether it takes an ``instance``.
#: [assumed] report parameters (docs/appliance-api.md#recordings)
RECORDING_REPORTS: dict[DataType, tuple[str, bool]] = {
    DataType.SESSION_RECORDINGS: (SUPPORT_SESSION_RECORDING, False),
    DataType.SHOW_MY_SCREEN_RECORDINGS: (SHOW_MY_SCREEN_RECORDING, True),
    DataType.COMMAND_SHELL_RECORDINGS: (COMMAND_SHELL_RECORDING, True),
    DataType.PRESENTATION_RECORDINGS: (PRESENTATION_SESSION_RECORDING, False),
}

#: The permission each report needs.
REPORT_PERMISSIONS = {
    SUPPORT_SESSION: SUPPORT_REPORTING,
    SUPPORT_SESSION_LISTING: SUPPORT_REPORTING,
    SUPPORT_SESSION_RECORDING: SUPPORT_REPORTING,
    SHOW_MY_SCREEN_RECORDING: SUPPORT_REPORTING,
    COMMAND_SHELL_RECORDING: SUPPORT_REPORTING,
    PRESENTATION_SESSION: PRESENTATION_REPORTING,
    PRESENTATION_SESSION_LISTING: PRESENTATION_REPORTING,
    PRESENTATION_SESSION_RECORDING: PRESENTATION_REPORTING,
}

DEFAULT_RECORDING_EXTENSION = "flv"
#: Content types a recording may come as, with the file extension each gets.
RECORDING_EXTENSIONS = {  # [assumed] content types (docs/appliance-api.md#recordings)
    "video/x-flv": "flv",
    "video/flv": "flv",
    "video/mp4": "mp4",
    "video/webm": "webm",
}
#: The first bytes of each video format, for answers that name no type (octet-stream).
RECORDING_SIGNATURES = ((0, b"FLV", "flv"), (4, b"ftyp", "mp4"), (0, b"\x1aE\xdf\xa3", "webm"))

# -- backup --------------------------------------------------------------------------------------

#: [seen] "Either GET or POST"; a password goes in a JSON body ``{"password": "..."}``
#: (docs.beyondtrust.com/rs/docs/backup-api), so it never appears in a URL or a log.
BACKUP_METHOD = "POST"
BACKUP_PASSWORD = "password"
BACKUP_EXTENSION = "nsb"
BACKUP_CONTENT_TYPE = "application/octet-stream"  # [assumed] docs/appliance-api.md#backups

# -- XML namespaces seen (the parser ignores them; the simulator writes one) -------------------

NAMESPACE_BOMGAR = "http://www.bomgar.com/namespaces/API/reporting"
NAMESPACE_BEYONDTRUST = "https://www.beyondtrust.com/namespaces/API/reporting"
NAMESPACE_PRA = "http://www.beyondtrust.com/sra/namespaces/API/reporting"

# -- <error> texts seen in the wild ---------------------------------------------------------------

#: The only empty-result text seen; [assumed] presentation reports answer the same
#: (docs/appliance-api.md#errors).
NO_SUPPORT_RESULTS = "No Support report information matching your chosen criteria is available."
NO_RESULTS_PREFIX = "No "
NO_RESULTS_MARKER = "matching your chosen criteria"
NO_ARCHIVES = "No archives found for the given search criteria."
RECORDING_EXPIRED = "This recording has expired and can no longer be viewed or downloaded."
RECORDING_EXPIRED_MARKER = "recording has expired"
LOGIN_FAILED = "Login failed"


def is_empty_result(text: str) -> bool:
    """True for the appliance's "nothing matched" answers, which mean an empty result."""
    text = text.strip()
    return (text.startswith(NO_RESULTS_PREFIX) and NO_RESULTS_MARKER in text) or text == NO_ARCHIVES


def is_lsid(text: str) -> bool:
    """True for a session LSID: a GUID as 32 hex digits (either case)."""
    return _LSID.fullmatch(text) is not None


def is_recording_expired(text: str) -> bool:
    return RECORDING_EXPIRED_MARKER in text.lower()
