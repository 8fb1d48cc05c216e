"""The appliance API contract in one place: paths, report and parameter names, error texts.

Everything here mirrors ``shared/api/CONTRACT.md``. Items marked ``[assumed]`` are not
published anywhere we could read; each is one constant, so correcting it is a one-line change
that the client and the simulator both follow.
"""

from __future__ import annotations

import re

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
INVALID_CLIENT_STATUS = 401  # [assumed] 400 or 401; the client accepts both
INVALID_TOKEN_STATUS = 401  # [assumed] an expired or revoked bearer token
TOKEN_LENGTH = 40

# -- throttling -----------------------------------------------------------------------------------

RATE_LIMITED_STATUS = 429  # [assumed] past about 20 requests/s per API account
RETRY_AFTER = "Retry-After"

# -- commands ------------------------------------------------------------------------------------

ACTION = "action"
GET_API_INFO = "get_api_info"

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
LSIDS_BATCH = 100  # [assumed] lsids per request; the appliance publishes no limit
INSTANCE = "instance"  # [assumed] recordings with several instances, numbered from 0

#: The report that serves each recording kind, and whether it takes an ``instance``.
RECORDING_REPORTS: dict[DataType, tuple[str, bool]] = {  # [assumed] report parameters
    DataType.SESSION_RECORDINGS: (SUPPORT_SESSION_RECORDING, False),
    DataType.SHOW_MY_SCREEN_RECORDINGS: (SHOW_MY_SCREEN_RECORDING, True),
    DataType.COMMAND_SHELL_RECORDINGS: (COMMAND_SHELL_RECORDING, True),
    DataType.PRESENTATION_RECORDINGS: (PRESENTATION_SESSION_RECORDING, False),
}

DEFAULT_RECORDING_EXTENSION = "flv"
#: Content types a recording may come as, with the file extension each gets.
RECORDING_EXTENSIONS = {  # [assumed] content types
    "video/x-flv": "flv",
    "video/flv": "flv",
    "video/mp4": "mp4",
    "video/webm": "webm",
}

# -- backup --------------------------------------------------------------------------------------

#: [seen] "Either GET or POST"; a password goes in a JSON body ``{"password": "..."}``
#: (docs.beyondtrust.com/rs/docs/backup-api), so it never appears in a URL or a log.
BACKUP_METHOD = "POST"
BACKUP_PASSWORD = "password"
BACKUP_EXTENSION = "nsb"
BACKUP_CONTENT_TYPE = "application/octet-stream"  # [assumed]

# -- XML namespaces seen (the parser ignores them; the simulator writes one) -------------------

NAMESPACE_BOMGAR = "http://www.bomgar.com/namespaces/API/reporting"
NAMESPACE_BEYONDTRUST = "https://www.beyondtrust.com/namespaces/API/reporting"
NAMESPACE_PRA = "http://www.beyondtrust.com/sra/namespaces/API/reporting"

# -- <error> texts seen in the wild ---------------------------------------------------------------

#: The only empty-result text seen; [assumed] presentation reports answer the same.
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
