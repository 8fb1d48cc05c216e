"""Plain dataclasses for what the appliance reports: the currency between layers.

The parser (``parse.py``) builds these from the reporting API's XML, the simulator generates
them and serialises them with ``xmlwrite.py``, and destinations store them. Element and attribute
names follow docs/appliance-api.md; a value the appliance sends as empty or absent is
``None`` (or an empty list), never a made-up default. Times are UNIX seconds (UTC) as integers.

Anything the parser does not know is kept as ``XmlNode`` trees in ``extra`` so nothing in a
session is dropped on its way to a database; a parsed session also keeps the bytes the appliance
sent for it (``source``), which file destinations store as they came.

A session the parser cannot take (no or a malformed lsid, a number out of range, a field that is
not what it must be) is not an exception that ends the report: it is a ``Refusal`` in its place,
and the sessions after it are read on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class XmlNode:
    """An element the model has no field for, kept whole (tag is the local name)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""
    children: list[XmlNode] = field(default_factory=list)


@dataclass(slots=True)
class Party:
    """Who performed an event, or to whom it was directed (``performed_by``/``destination``)."""

    type: str  # "system", "customer" or "representative" as the appliance spells it
    gsnumber: int | None = None
    name: str = ""


@dataclass(slots=True)
class FileInfo:
    filename: str
    filesize: int | None = None


@dataclass(slots=True)
class SystemInfoCategory:
    """One ``system_information/category``: column descriptions and data rows.

    ``description`` holds ``(field name, label)`` pairs; each row holds ``(field name, value)``
    pairs in document order (names may repeat, so these are lists, not dicts).
    """

    name: str
    description: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[tuple[str, str]]] = field(default_factory=list)


@dataclass(slots=True)
class Event:
    """One ``session_details/event``."""

    timestamp: int
    event_type: str
    performed_by: Party | None = None
    destination: Party | None = None
    body: str | None = None  # decoded text, whether it came as body or encoded_body
    body_encoded: bool = False  # True when the appliance sent it as base64 encoded_body
    filename: str | None = None
    filesize: int | None = None
    files: list[FileInfo] = field(default_factory=list)
    data: list[tuple[str, str]] = field(default_factory=list)  # data/value[@name][@value]
    system_information: list[SystemInfoCategory] = field(default_factory=list)
    extra: list[XmlNode] = field(default_factory=list)


@dataclass(slots=True)
class CustomerInfo:
    """``customer/info``: what the customer typed in the issue submission form."""

    name: str | None = None
    company: str | None = None
    company_code: str | None = None
    issue: str | None = None
    details: str | None = None


@dataclass(slots=True)
class Customer:
    gsnumber: int | None
    username: str | None = None
    public_ip: str | None = None
    private_ip: str | None = None
    hostname: str | None = None
    os: str | None = None
    primary_cust: bool = False
    rpat_support: bool = False
    info: CustomerInfo = field(default_factory=CustomerInfo)
    extra: list[XmlNode] = field(default_factory=list)


@dataclass(slots=True)
class Representative:
    gsnumber: int | None
    id: str | None = None  # the rep's user id on the appliance (attribute ``id``)
    username: str | None = None
    display_name: str | None = None
    public_display_name: str | None = None
    private_display_name: str | None = None
    display_number: int | None = None
    public_ip: str | None = None
    private_ip: str | None = None
    hostname: str | None = None
    os: str | None = None
    session_owner: bool = False
    primary_rep: bool = False
    seconds_involved: int | None = None
    invited: bool | None = None
    extra: list[XmlNode] = field(default_factory=list)


@dataclass(slots=True)
class Team:
    id: str | None
    name: str
    primary: bool = False


@dataclass(slots=True)
class CustomAttribute:
    display_name: str
    code_name: str
    value: str


@dataclass(slots=True)
class RecordingRef:
    """A command shell or Show My Screen recording listed in a session (numbered from 0)."""

    instance: int
    download_url: str | None = None
    view_url: str | None = None


@dataclass(frozen=True, slots=True)
class SourceXml:
    """One session (or presentation) element as the appliance sent it, and its report's frame.

    ``element`` is the element's bytes (UTF-8); ``head`` is the XML declaration and the report's
    root start tag, which declares the namespace the element's names are in; ``tail`` closes the
    root. Together they are a document holding this one session, every element and attribute
    in its order. ``head`` and ``tail`` are shared by all sessions of a report.
    """

    head: bytes
    element: bytes
    tail: bytes

    def document(self) -> bytes:
        return b"".join((self.head, self.element, self.tail))


@dataclass(slots=True)
class Session:
    """One ``SupportSession`` ``<session>``."""

    lsid: str
    session_type: str = "support"
    lseq: int | None = None
    start_time: int | None = None
    end_time: int | None = None  # None while in progress or after an abnormal close
    duration: str | None = None  # HH:MM:SS as the appliance sends it
    public_site_id: str | None = None
    public_site_name: str | None = None
    external_key: str | None = None
    custom_attributes: list[CustomAttribute] = field(default_factory=list)
    session_chat_view_url: str | None = None
    session_chat_download_url: str | None = None
    session_recording_view_url: str | None = None
    session_recording_download_url: str | None = None
    command_shell_recordings: list[RecordingRef] = field(default_factory=list)
    show_my_screen_recordings: list[RecordingRef] = field(default_factory=list)
    file_transfer_count: int | None = None
    file_move_count: int | None = None
    file_delete_count: int | None = None
    primary_customer_gsnumber: int | None = None
    primary_rep_gsnumber: int | None = None
    primary_rep_id: str | None = None
    primary_customer_name: str | None = None  # text of primary_customer
    primary_rep_name: str | None = None  # text of primary_rep
    customers: list[Customer] = field(default_factory=list)
    representatives: list[Representative] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    extra: list[XmlNode] = field(default_factory=list)  # surveys and unknown elements
    #: the element as the appliance sent it (None for sessions not read from a report)
    source: SourceXml | None = field(default=None, compare=False, repr=False)

    @property
    def in_progress(self) -> bool:
        return self.end_time is None

    @property
    def has_session_recording(self) -> bool:
        return self.session_recording_download_url is not None


@dataclass(slots=True)
class Presentation:
    """One ``PresentationSession`` ``<presentation_session>``.

    [assumed] layout, see docs/appliance-api.md#presentations.

    Presenters are representatives and attendees are customers in the appliance's terms.
    """

    lsid: str
    lseq: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    duration: str | None = None
    public_site_id: str | None = None
    public_site_name: str | None = None
    external_key: str | None = None
    presentation_recording_download_url: str | None = None
    presenters: list[Representative] = field(default_factory=list)
    attendees: list[Customer] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    extra: list[XmlNode] = field(default_factory=list)
    source: SourceXml | None = field(default=None, compare=False, repr=False)

    @property
    def in_progress(self) -> bool:
        return self.end_time is None


@dataclass(frozen=True)
class Refusal:
    """A session (or presentation) the parser refuses, in the place where it stood.

    ``key`` identifies it for bookkeeping: its lsid when that is well-formed, else a
    fingerprint of the element (``no-lsid-`` and 16 hex digits), the same each time the same
    element is read. ``lsid`` is what the element carried (maybe empty or malformed);
    ``field`` the element/attribute path that was wrong (``start_time@timestamp``);
    ``reason`` what was wrong, for a person; ``start_time`` the session's start when it could
    be read.
    """

    key: str
    lsid: str
    noun: str  # "session" or "presentation"
    field: str
    reason: str
    start_time: int | None = None

    @property
    def message(self) -> str:
        """One line naming the session, the field and what was wrong."""
        started = ""
        if self.key != self.lsid and self.start_time is not None:
            moment = time.gmtime(self.start_time)
            started = time.strftime(" (started %Y-%m-%d %H:%M:%S UTC)", moment)
        return f"{self.noun} {self.key}{started} refused: {self.field} {self.reason}"

    def __str__(self) -> str:
        return self.message


#: What the session and presentation parsers yield.
ParsedSession = Session | Refusal
ParsedPresentation = Presentation | Refusal
Parsed = Session | Presentation | Refusal


@dataclass(slots=True)
class SessionSummary:
    """One ``session_summary`` of a ``*Listing`` report."""

    lsid: str
    has_recording: bool = False
    external_key: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)  # every attribute as sent


@dataclass(slots=True)
class ApiInfo:
    """``get_api_info``: the API version, the appliance's clock, the account's permissions.

    ``permissions`` maps each ``perm_*`` name to its text as sent (``1``/``0``, or
    ``full_access``/``read_only``/``deny`` for ``perm_command``).
    """

    api_version: str
    timestamp: int
    extra: dict[str, str] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
