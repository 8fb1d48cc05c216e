"""Streaming parser for the appliance's reporting XML: bytes in, model objects out.

Reports can hold tens of thousands of sessions, so the document is fed in chunks to
ElementTree's C parser (expat underneath) and each ``<session>`` is turned into a ``Session``
and dropped from the tree as soon as its end tag is read: memory stays flat whatever the
report's size. Elements are matched by local name, so the
namespaces of different appliance versions (or none) all work; unknown elements are kept as
``XmlNode`` extras; missing optional elements leave ``None``.

Reports come from a network peer, so anything the appliance never sends and that could make
parsing dangerous (DTDs, entity declarations, external entities) is refused outright.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO, Generic, TypeVar
from xml.etree import ElementTree
from xml.etree.ElementTree import Element
from xml.parsers import expat

from ictray.appliance.model import (
    ApiInfo,
    CustomAttribute,
    Customer,
    Event,
    FileInfo,
    Party,
    Presentation,
    RecordingRef,
    Representative,
    Session,
    SessionSummary,
    SystemInfoCategory,
    Team,
    XmlNode,
)
from ictray.errors import IctrayError

__all__ = [
    "ApplianceReportedError",
    "MalformedReportError",
    "find_error",
    "iter_documents",
    "iter_presentation_summaries",
    "iter_presentations",
    "iter_session_summaries",
    "iter_sessions",
    "parse_api_info",
]

CHUNK_SIZE = 64 * 1024
UNKNOWN = "Unknown"  # the appliance's text for a value it does not know

T = TypeVar("T")
Source = BinaryIO | Iterable[bytes] | bytes


class MalformedReportError(IctrayError):
    """A report is not the XML the appliance sends (truncated, broken, or with a DTD).

    ``line``/``column`` locate the problem; ``last_lsid`` names the last session read whole,
    which tells a support admin where in the report it broke.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        last_lsid: str | None = None,
    ) -> None:
        where = f" at line {line}, column {column}" if line is not None else ""
        after = f" (after session {last_lsid})" if last_lsid else ""
        super().__init__(f"{message}{where}{after}")
        self.line = line
        self.column = column
        self.last_lsid = last_lsid


class ApplianceReportedError(IctrayError):
    """The document's root is ``<error>``: the appliance answered with an error text."""

    def __init__(self, text: str) -> None:
        super().__init__(f"the appliance answered with an error: {text}")
        self.text = text


def _refuse(what: str) -> Callable[..., int]:
    def handler(*_: object) -> int:
        raise MalformedReportError(
            f"the report holds {what}, which the appliance never sends; it is refused because "
            "it could expand without limit or read other files"
        )

    return handler


def _guarded_expat() -> expat.XMLParserType:
    """An expat parser that raises ``MalformedReportError`` at any DTD or entity."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse("a document type declaration (DTD)")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.ExternalEntityRefHandler = _refuse("a reference to an external entity")
    return parser


class _PrologGuard:
    """Refuses a DTD before the root element, the only place one can appear.

    The tree is built by ElementTree's C parser, which offers no hook for declarations; this
    small expat parser reads the same bytes only until the root element starts.
    """

    class RootReached(Exception):
        """The prolog is over: nothing dangerous can follow."""

    def __init__(self) -> None:
        parser = _guarded_expat()
        parser.StartElementHandler = self._root
        self.parser: expat.XMLParserType | None = parser

    def _root(self, *_: object) -> None:
        raise self.RootReached

    def check(self, data: bytes, final: bool) -> None:
        if self.parser is None:
            return
        try:
            self.parser.Parse(data, final)
        except (self.RootReached, expat.ExpatError):
            # Past the prolog, or broken XML the tree parser reports with its position.
            self.parser = None
        except MalformedReportError as error:
            raise MalformedReportError(
                str(error),
                line=self.parser.CurrentLineNumber,
                column=self.parser.CurrentColumnNumber,
            ) from None


class _Reader(Generic[T]):
    """Feeds chunks to the parser and converts each finished item (a child of the root).

    ``items`` names the children to convert; ``None`` converts every child. A converted item is
    removed from the tree at once, so memory holds one item at a time.

    The tree is built by ElementTree's C parser. It reports the start of elements only until
    the root is known; after that, Python sees no event per element (a report has hundreds per
    session): after each chunk, every child of the root but the last is complete, and the last
    is complete once the document is.
    """

    def __init__(
        self,
        roots: frozenset[str],
        items: frozenset[str] | None,
        convert: Callable[[Element], T],
        what: str,
    ) -> None:
        self.roots = roots
        self.items = items
        self.convert = convert
        self.what = what
        self.guard = _PrologGuard()
        self.parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder())
        # The hook XMLPullParser and iterparse use; the C parser appends (event, element).
        self.started: list[tuple[str, Element]] = []
        self.parser._setevents(self.started, ("start",))  # type: ignore[attr-defined]
        self.root: Element | None = None
        self.is_error = False
        self.last_lsid: str | None = None

    def feed(self, data: bytes, final: bool = False) -> list[T]:
        self.guard.check(data, final)
        try:
            if data:
                self.parser.feed(data)
            if self.root is None and self.started:
                self._check_root(self.started[0][1])
            if final:
                self.parser.close()
        except ElementTree.ParseError as error:
            raise self._broken(error) from None
        return self._collect(final)

    def _check_root(self, element: Element) -> None:
        self.started.clear()
        self.parser._setevents(self.started, ())  # type: ignore[attr-defined]
        tag = _tag(element)
        self.is_error = tag == "error"
        if not self.is_error and tag not in self.roots:
            expected = " or ".join(f"<{root}>" for root in sorted(self.roots))
            raise MalformedReportError(
                f"the {self.what} report starts with <{tag}>, not {expected}",
                last_lsid=self.last_lsid,
            )
        self.root = element

    def _collect(self, final: bool) -> list[T]:
        root = self.root
        if root is None:
            return []
        if self.is_error:
            if final:
                raise ApplianceReportedError(_all_text(root).strip())
            return []
        complete = len(root) if final else len(root) - 1  # the last child may be open
        if complete <= 0:
            return []
        ready = [self._convert(element) for element in root[:complete]
                 if self.items is None or _tag(element) in self.items]
        del root[:complete]
        return ready

    def _convert(self, element: Element) -> T:
        item = self.convert(element)
        self.last_lsid = element.get("lsid", self.last_lsid)
        return item

    def _broken(self, error: ElementTree.ParseError) -> MalformedReportError:
        line, column = error.position
        if error.code == _NO_ELEMENTS and self.root is None:
            message = f"the {self.what} report is empty or holds no XML element"
        else:
            reason = expat.errors.messages.get(error.code, str(error))  # type: ignore[call-overload]
            message = f"the {self.what} report is not well-formed XML ({reason})"
        return MalformedReportError(message, line=line, column=column, last_lsid=self.last_lsid)

    def run(self, source: Source) -> Iterator[T]:
        for chunk in _chunks(source):
            yield from self.feed(chunk)
        yield from self.feed(b"", final=True)


_NO_ELEMENTS = expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]


def _chunks(source: Source) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for offset in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[offset : offset + CHUNK_SIZE])
        return
    read = getattr(source, "read", None)
    if read is not None:
        while chunk := read(CHUNK_SIZE):
            yield chunk
        return
    yield from source  # type: ignore[misc]


class _LocalNames(dict[str, str]):
    """``{uri}local`` → ``local``, cached: reports repeat a few dozen names endlessly.

    Looked up as ``LOCAL[element.tag]`` in the loops that run for every element.
    """

    def __missing__(self, name: str) -> str:
        local = name.rpartition("}")[2]
        if len(self) < 4096:
            self[name] = local
        return local


LOCAL = _LocalNames()


def _tag(element: Element) -> str:
    return LOCAL[element.tag]


def _attrs(element: Element) -> dict[str, str]:
    attrs = element.attrib
    if any(key.startswith("{") for key in attrs):
        return {LOCAL[key]: value for key, value in attrs.items()}
    return dict(attrs)


def _all_text(element: Element) -> str:
    """The element's own text, including text between its children."""
    text = element.text or ""
    if len(element):
        text += "".join(child.tail or "" for child in element)
    return text


# -- leaves ---------------------------------------------------------------------------------------


def _leaf_text(element: Element) -> str:
    return element.text or ""


def _str(node: Element) -> str | None:
    """Text of a leaf; an empty element means no value."""
    text = _leaf_text(node)
    return text if text else None


def _int_text(text: str | None, node: Element, attribute: str | None = None) -> int | None:
    """A whole number; ``None`` for no value, an empty one or ``Unknown``; else refused.

    ``attribute`` names the attribute the text came from, else it is the element's text.
    """
    if text is None:
        return None
    try:
        return int(text)  # int() takes surrounding whitespace too
    except ValueError:
        text = text.strip()
    if not text or text == UNKNOWN:
        return None
    what = f"attribute {attribute}" if attribute else f"<{_tag(node)}>"
    raise MalformedReportError(
        f"<{_tag(node)}> holds {text!r} where {what} should be a whole number"
    )


def _int(node: Element) -> int | None:
    return _int_text(node.text, node)


def _int_attr(node: Element, name: str) -> int | None:
    return _int_text(node.get(name), node, name)


def _bool(node: Element) -> bool:
    return _leaf_text(node).strip().lower() in ("1", "true", "yes")


def _time(node: Element) -> int | None:
    """UNIX time from the ``timestamp`` attribute, else from the ISO-8601 text."""
    stamp = _int_attr(node, "timestamp")
    if stamp is not None:
        return stamp
    text = _leaf_text(node).strip()
    if not text or text == UNKNOWN:
        return None
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise MalformedReportError(f"<{_tag(node)}> holds {text!r}, not a time") from None


def _xml_node(node: Element) -> XmlNode:
    text = _all_text(node)
    if len(node):
        text = text.strip()  # around children, whitespace is layout
    return XmlNode(_tag(node), _attrs(node), text, [_xml_node(c) for c in node])


# -- people ---------------------------------------------------------------------------------------

_CUSTOMER_TEXT = ("username", "public_ip", "private_ip", "hostname", "os")
_INFO_TEXT = ("name", "company", "company_code", "issue", "details")
_REP_TEXT = (
    "username",
    "display_name",
    "public_display_name",
    "private_display_name",
    "public_ip",
    "private_ip",
    "hostname",
    "os",
)


def _customer(node: Element) -> Customer:
    customer = Customer(gsnumber=_int_attr(node, "gsnumber"))
    for child in node:
        tag = LOCAL[child.tag]
        if tag in _CUSTOMER_TEXT:
            setattr(customer, tag, _str(child))
        elif tag == "primary_cust":
            customer.primary_cust = _bool(child)
        elif tag == "rpat_support":
            customer.rpat_support = _bool(child)
        elif tag == "info":
            for field in child:
                if _tag(field) in _INFO_TEXT:
                    setattr(customer.info, _tag(field), _str(field))
                else:
                    customer.extra.append(_xml_node(field))
        else:
            customer.extra.append(_xml_node(child))
    return customer


def _representative(node: Element) -> Representative:
    rep = Representative(gsnumber=_int_attr(node, "gsnumber"), id=node.get("id"))
    for child in node:
        tag = LOCAL[child.tag]
        if tag in _REP_TEXT:
            setattr(rep, tag, _str(child))
        elif tag in ("display_number", "seconds_involved"):
            setattr(rep, tag, _int(child))
        elif tag in ("session_owner", "primary_rep"):
            setattr(rep, tag, _bool(child))
        elif tag == "invited":
            rep.invited = _bool(child) if _leaf_text(child).strip() else None
        else:
            rep.extra.append(_xml_node(child))
    return rep


def _party(node: Element) -> Party:
    return Party(node.get("type", ""), _int_attr(node, "gsnumber"), node.text or "")


# -- events ---------------------------------------------------------------------------------------


def _decode_body(node: Element) -> str:
    try:
        raw = base64.b64decode("".join(_leaf_text(node).split()), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedReportError(
            f"<encoded_body> holds text that is not base64: {_leaf_text(node)[:40]!r}"
        ) from None
    return raw.decode("utf-8", "replace")


def _category(node: Element) -> SystemInfoCategory:
    category = SystemInfoCategory(node.get("name", ""))
    for part in node:
        if _tag(part) == "description":
            category.description.extend(
                (field.get("name", ""), _leaf_text(field)) for field in part
            )
        elif _tag(part) == "data":
            category.rows.extend(
                [(field.get("name", ""), _leaf_text(field)) for field in row] for row in part
            )
    return category


def _event(node: Element) -> Event:
    stamp = _int_attr(node, "timestamp")
    if stamp is None:
        raise MalformedReportError(
            f"an <event> of type {node.get('event_type', '')!r} has no timestamp"
        )
    event = Event(stamp, node.get("event_type", ""))
    for child in node:
        tag = LOCAL[child.tag]
        if tag == "performed_by":
            event.performed_by = _party(child)
        elif tag == "destination":
            event.destination = _party(child)
        elif tag == "body":
            event.body = _str(child)
        elif tag == "encoded_body":
            event.body = _decode_body(child)
            event.body_encoded = True
        elif tag == "filename":
            event.filename = _str(child)
        elif tag == "filesize":
            event.filesize = _int(child)
        elif tag == "files":
            for item in child:
                fields = {_tag(field): field for field in item}
                name = fields.get("filename")
                size = fields.get("filesize")
                event.files.append(
                    FileInfo(
                        _leaf_text(name) if name is not None else "",
                        _int(size) if size is not None else None,
                    )
                )
        elif tag == "data":
            for value in child:
                if LOCAL[value.tag] == "value":
                    event.data.append((value.get("name", ""), value.get("value", "")))
                else:
                    event.extra.append(_xml_node(value))
        elif tag == "system_information":
            event.system_information.extend(_category(c) for c in child)
        else:
            event.extra.append(_xml_node(child))
    return event


def _events(node: Element, extra: list[XmlNode]) -> list[Event]:
    events = []
    for child in node:
        if LOCAL[child.tag] == "event":
            events.append(_event(child))
        else:
            extra.append(_xml_node(child))
    return events


# -- sessions -------------------------------------------------------------------------------------

_SESSION_TEXT = (
    "duration",
    "external_key",
    "session_chat_view_url",
    "session_chat_download_url",
    "session_recording_view_url",
    "session_recording_download_url",
)
_SESSION_INT = ("lseq", "file_transfer_count", "file_move_count", "file_delete_count")


def _recordings(node: Element) -> list[RecordingRef]:
    refs = []
    for item in node:
        ref = RecordingRef(_int_attr(item, "instance") or 0)
        for field in item:
            if _tag(field) in ("download_url", "view_url"):
                setattr(ref, _tag(field), _str(field))
        refs.append(ref)
    return refs


def _teams(session: Session, node: Element) -> None:
    for item in node:
        primary = item.get("primary", "").strip().lower() in ("1", "true", "yes")
        session.teams.append(Team(item.get("id"), _leaf_text(item), primary))


def _primary_team(session: Session, node: Element) -> None:
    # [assumed] CONTRACT.md: accept primary_team[@id] as well as team_list/team[@primary].
    team_id = node.get("id")
    for team in session.teams:
        if team.id == team_id:
            team.primary = True
            return
    session.teams.append(Team(team_id, _leaf_text(node), True))


def _session_child(session: Session, child: Element) -> None:
    tag = LOCAL[child.tag]
    if tag in _SESSION_TEXT:
        setattr(session, tag, _str(child))
    elif tag in _SESSION_INT:
        setattr(session, tag, _int(child))
    elif tag == "session_type":
        session.session_type = _leaf_text(child)
    elif tag == "start_time":
        session.start_time = _time(child)
    elif tag == "end_time":
        session.end_time = _time(child)
    elif tag == "public_site":
        session.public_site_id = child.get("id")
        session.public_site_name = _str(child)
    elif tag == "custom_attributes":
        session.custom_attributes.extend(
            CustomAttribute(c.get("display_name", ""), c.get("code_name", ""), _leaf_text(c))
            for c in child
        )
    elif tag == "command_shell_recordings":
        session.command_shell_recordings = _recordings(child)
    elif tag == "show_my_screen_recordings":
        session.show_my_screen_recordings = _recordings(child)
    elif tag == "primary_customer":
        session.primary_customer_gsnumber = _int_attr(child, "gsnumber")
        session.primary_customer_name = _str(child)
    elif tag == "primary_rep":
        session.primary_rep_gsnumber = _int_attr(child, "gsnumber")
        session.primary_rep_id = child.get("id")
        session.primary_rep_name = _str(child)
    elif tag == "customer_list":
        session.customers.extend(_customer(c) for c in child)
    elif tag == "rep_list":
        session.representatives.extend(_representative(c) for c in child)
    elif tag == "team_list":
        _teams(session, child)
    elif tag == "primary_team":
        _primary_team(session, child)
    elif tag == "session_details":
        session.events.extend(_events(child, session.extra))
    else:
        session.extra.append(_xml_node(child))


def _session(node: Element) -> Session:
    session = Session(lsid=node.get("lsid", ""))
    try:
        for child in node:
            _session_child(session, child)
    except MalformedReportError as error:
        raise MalformedReportError(f"session {session.lsid}: {error}") from None
    return session


def _presentation_child(item: Presentation, child: Element) -> None:
    tag = _tag(child)
    if tag in ("duration", "external_key"):
        setattr(item, tag, _str(child))
    elif tag == "lseq":
        item.lseq = _int(child)
    elif tag == "start_time":
        item.start_time = _time(child)
    elif tag == "end_time":
        item.end_time = _time(child)
    elif tag == "public_site":
        item.public_site_id = child.get("id")
        item.public_site_name = _str(child)
    elif tag in ("presentation_recording_download_url", "session_recording_download_url"):
        item.presentation_recording_download_url = _str(child)
    elif tag in ("presenter_list", "rep_list"):
        item.presenters.extend(_representative(c) for c in child)
    elif tag in ("attendee_list", "customer_list"):
        item.attendees.extend(_customer(c) for c in child)
    elif tag == "session_details":
        item.events.extend(_events(child, item.extra))
    else:
        item.extra.append(_xml_node(child))


def _presentation(node: Element) -> Presentation:
    # [assumed] layout, see xmlwrite._presentation; the session-style names are accepted too.
    item = Presentation(lsid=node.get("lsid", ""))
    try:
        for child in node:
            _presentation_child(item, child)
    except MalformedReportError as error:
        raise MalformedReportError(f"presentation {item.lsid}: {error}") from None
    return item


def _summary(node: Element) -> SessionSummary:
    attrs = _attrs(node)
    has_recording = attrs.get("has_recording", "").strip().lower() in ("1", "true", "yes")
    return SessionSummary(
        attrs.get("lsid", ""), has_recording, attrs.get("external_key") or None, attrs
    )


# -- public API -----------------------------------------------------------------------------------


def iter_sessions(stream: Source) -> Iterator[Session]:
    """Sessions of a ``SupportSession`` report, each yielded as soon as it is read.

    Raises ``ApplianceReportedError`` for an ``<error>`` document and ``MalformedReportError``
    for anything that is not a well-formed report.
    """
    reader = _Reader(frozenset({"session_list"}), frozenset({"session"}), _session, "session")
    return reader.run(stream)


def iter_presentations(stream: Source) -> Iterator[Presentation]:
    """Presentations of a ``PresentationSession`` report [assumed layout, see CONTRACT.md]."""
    reader = _Reader(
        frozenset({"presentation_session_list", "presentation_list"}),
        frozenset({"presentation_session", "presentation"}),
        _presentation,
        "presentation",
    )
    return reader.run(stream)


def iter_documents(stream: Source) -> Iterator[Session | Presentation]:
    """The sessions or presentations of either report, whichever the document is.

    For documents read back from storage, where the name does not tell which they hold.
    """
    converters: dict[str, Callable[[Element], Session | Presentation]] = {
        "session": _session,
        "presentation_session": _presentation,
        "presentation": _presentation,
    }
    reader: _Reader[Session | Presentation] = _Reader(
        frozenset({"session_list", "presentation_session_list", "presentation_list"}),
        frozenset(converters),
        lambda element: converters[_tag(element)](element),
        "stored",
    )
    return reader.run(stream)


def iter_session_summaries(stream: Source) -> Iterator[SessionSummary]:
    """Rows of a ``SupportSessionListing`` report."""
    reader = _Reader(
        frozenset({"session_summary_list"}), frozenset({"session_summary"}), _summary, "listing"
    )
    return reader.run(stream)


def iter_presentation_summaries(stream: Source) -> Iterator[SessionSummary]:
    """Rows of a ``PresentationSessionListing`` report [assumed names, see CONTRACT.md]."""
    reader = _Reader(
        frozenset({"presentation_session_summary_list", "session_summary_list"}),
        frozenset({"presentation_session_summary", "session_summary"}),
        _summary,
        "presentation listing",
    )
    return reader.run(stream)


def parse_api_info(data: bytes) -> ApiInfo:
    """The ``get_api_info`` answer: API version, appliance clock, other simple fields."""
    reader: _Reader[tuple[str, str]] = _Reader(
        frozenset({"api_information"}),
        None,
        lambda node: (_tag(node), _leaf_text(node).strip()),
        "API information",
    )
    fields = dict(reader.run(data))
    version = fields.pop("api_version", "")
    stamp = fields.pop("timestamp", "")
    if not version or not stamp.isdigit():
        raise MalformedReportError(
            "the API information lacks <api_version> or a numeric <timestamp>"
        )
    return ApiInfo(api_version=version, timestamp=int(stamp), extra=fields)


class _ErrorProbe:
    """Reads just far enough into a body to tell whether its root is ``<error>``."""

    class Done(Exception):
        """The answer is known; stop reading."""

    def __init__(self) -> None:
        self.depth = 0
        self.is_error = False
        self.parts: list[str] = []

    def start(self, name: str, _attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            self.is_error = (
                name.rpartition(":")[2] == "error"
            )  # no namespace processing: "prefix:local"
            if not self.is_error:
                raise self.Done

    def end(self, _name: str) -> None:
        self.depth -= 1
        if self.depth == 0:
            raise self.Done

    def text(self, data: str) -> None:
        if self.depth == 1:
            self.parts.append(data)


def find_error(first_chunk: bytes) -> str | None:
    """The text of an ``<error>`` root (any namespace) at the start of a body, else ``None``.

    Only the first chunk is needed: error documents are tiny. Anything else, including a body
    that is not XML at all, gives ``None`` and is left to the parser to judge.
    """
    probe = _ErrorProbe()
    parser = _guarded_expat()
    parser.StartElementHandler = probe.start
    parser.EndElementHandler = probe.end
    parser.CharacterDataHandler = probe.text
    try:
        parser.Parse(first_chunk, False)
    except _ErrorProbe.Done:
        pass
    except (expat.ExpatError, MalformedReportError):
        return None
    return "".join(probe.parts).strip() if probe.is_error else None
