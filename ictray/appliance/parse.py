"""Streaming parser for the appliance's reporting XML: bytes in, model objects out.

Reports can hold tens of thousands of sessions, so the document is fed in chunks to
ElementTree's C parser (expat underneath) and each ``<session>`` is turned into a ``Session``
and dropped from the tree as soon as its end tag is read: memory stays flat whatever the
report's size. Elements are matched by local name, so the
namespaces of different appliance versions (or none) all work; unknown elements are kept as
``XmlNode`` extras; missing optional elements leave ``None``. Each session also keeps its bytes
as sent (``Session.source``, found by ``xmlsource.RawSlicer``), released with the session.

Reports come from a network peer, so anything the appliance never sends and that could make
parsing dangerous (DTDs, entity declarations, external entities) is refused outright, and a
document that is not well-formed fails as a whole (``MalformedReportError``). Within a
well-formed report, a session that cannot be taken (no or a malformed lsid, a number out of its
range, a timestamp missing, nesting deeper than any real session's) becomes a ``Refusal`` in
its place, naming the field and what was wrong, and the sessions after it are read on. Numbers
are range-checked as they are read, and nothing recurses over the document.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import BinaryIO, Generic, TypeVar
from xml.etree import ElementTree
from xml.etree.ElementTree import Element
from xml.parsers import expat

import xmltodict

from ictray.appliance import contract
from ictray.appliance.model import (
    ApiInfo,
    CustomAttribute,
    Customer,
    Event,
    FileInfo,
    Party,
    Presentation,
    RecordingRef,
    Refusal,
    Representative,
    Session,
    SessionSummary,
    SystemInfoCategory,
    Team,
    XmlNode,
)
from ictray.appliance.xmlsource import RawSlicer, serialise_element
from ictray.errors import IctrayError

__all__ = [
    "ApplianceReportedError",
    "MalformedReportError",
    "Refusal",
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

# Sane ranges of the numbers a report carries (docs/appliance-api.md#numbers). A value outside
# is refused where it is read, before it can overflow a date conversion or a database column.
#: UNIX times: 1970-01-01 up to the end of 2099
TIMESTAMPS = (0, 4_102_444_799)
#: file sizes in bytes: what a signed 64-bit column holds
SIZES = (0, 2**63 - 1)
#: counts, sequence and display numbers, gsnumbers, seconds, recording instances
COUNTS = (0, 2**31 - 1)
#: no number the appliance sends has more digits than this; longer text is not converted
MAX_DIGITS = 20
#: levels of elements the parser has no field for, nested in one another: real sessions have a
#: handful (exit surveys); deeper nesting is refused, so nothing downstream recurses deeper
MAX_UNKNOWN_DEPTH = 32

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


class _FieldError(Exception):
    """One field of a session is not what it must be: the session is refused, not the report."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.reason = reason

    def within(self, path: str) -> _FieldError:
        """The same error with the field's path below ``path`` (``customer_list/customer``).

        A field already named from ``path`` itself (``customer@gsnumber``) stays as it is.
        """
        field = self.field
        if not (field == path or field.startswith((f"{path}@", f"{path}/"))):
            self.field = f"{path}/{field}"
        return self


def _shown(text: str, limit: int = 40, *, quoted: bool = False) -> str:
    """A value as a message shows it: quoted when it is not a plain number, cut when long."""
    text = text.strip()
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text)} characters)"
    return text if text.isdigit() and not quoted else repr(text)


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
    removed from the tree at once, so memory holds one item at a time. With ``keep_source``
    each item's bytes as sent are handed to ``convert`` too.

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
        keep_source: bool = False,
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
        self.slicer: RawSlicer | None = RawSlicer() if keep_source else None

    def feed(self, data: bytes, final: bool = False) -> list[T]:
        self.guard.check(data, final)
        if self.slicer is not None and data:
            self.slicer.add(data)
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
        if self.slicer is not None:
            if self.is_error:
                self.slicer.give_up()
            else:
                self.slicer.find_root(element)

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
        slicer = self.slicer
        ready = []
        for element in root[:complete]:
            raw = slicer.take(element) if slicer is not None else None
            if self.items is None or _tag(element) in self.items:
                ready.append(self._convert(element, raw))
        del root[:complete]
        if slicer is not None:
            slicer.compact()
        return ready

    def _convert(self, element: Element, raw: bytes | None) -> T:
        item = self.convert(element)
        if isinstance(item, Refusal):
            if item.key:
                return item
            body = raw if raw is not None else serialise_element(element)
            return _fingerprinted(item, body)  # type: ignore[return-value]  # T holds Refusal
        if self.slicer is not None:
            item.source = self.slicer.source(element, raw)  # type: ignore[attr-defined]
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


def _fingerprinted(refusal: Refusal, body: bytes) -> Refusal:
    """A refusal without a usable lsid, keyed by what the element holds."""
    digest = hashlib.sha256(body).hexdigest()[:16]
    return Refusal(
        f"{NO_LSID_PREFIX}{digest}",
        refusal.lsid,
        refusal.noun,
        refusal.field,
        refusal.reason,
        refusal.start_time,
    )


NO_LSID_PREFIX = "no-lsid-"


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


def _number(
    text: str | None, node: Element, attribute: str | None, limits: tuple[int, int]
) -> int | None:
    """A whole number within ``limits``; ``None`` for no value, an empty one or ``Unknown``.

    Anything else raises ``_FieldError`` naming the element (and attribute) it came from.
    """
    if text is None:
        return None
    if len(text) <= MAX_DIGITS:
        try:
            value = int(text)  # int() takes surrounding whitespace too
        except ValueError:
            pass
        else:
            if limits[0] <= value <= limits[1]:
                return value
            raise _FieldError(_field(node, attribute), _out_of_range(text, limits))
    stripped = text.strip()
    if not stripped or stripped == UNKNOWN:
        return None
    digits = stripped.lstrip("+-")
    if digits.isdigit() and digits.isascii():
        raise _FieldError(_field(node, attribute), _out_of_range(stripped, limits))
    raise _FieldError(_field(node, attribute), f"{_shown(stripped)} is not a whole number")


def _field(node: Element, attribute: str | None) -> str:
    return f"{_tag(node)}@{attribute}" if attribute else _tag(node)


def _out_of_range(text: str, limits: tuple[int, int]) -> str:
    low, high = limits
    span = "a time between 1970 and 2099" if limits == TIMESTAMPS else f"{low} to {high}"
    return f"{_shown(text)} is out of range ({span})"


def _int(node: Element, limits: tuple[int, int] = COUNTS) -> int | None:
    return _number(node.text, node, None, limits)


def _int_attr(node: Element, name: str, limits: tuple[int, int] = COUNTS) -> int | None:
    return _number(node.get(name), node, name, limits)


def _bool(node: Element) -> bool:
    return _leaf_text(node).strip().lower() in ("1", "true", "yes")


def _time(node: Element) -> int | None:
    """UNIX time from the ``timestamp`` attribute, else from the ISO-8601 text."""
    stamp = _int_attr(node, "timestamp", TIMESTAMPS)
    if stamp is not None:
        return stamp
    text = _leaf_text(node).strip()
    if not text or text == UNKNOWN:
        return None
    try:
        stamp = int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except (ValueError, OverflowError):
        raise _FieldError(_tag(node), f"{_shown(text)} is not a time") from None
    if not TIMESTAMPS[0] <= stamp <= TIMESTAMPS[1]:
        raise _FieldError(_tag(node), _out_of_range(text, TIMESTAMPS))
    return stamp


def _xml_node(node: Element) -> XmlNode:
    """An element the model has no field for, kept whole: built from a stack, not recursion.

    Nesting deeper than ``MAX_UNKNOWN_DEPTH`` raises ``_FieldError``.
    """
    top = _xml_leaf(node)
    stack: list[tuple[Element, XmlNode, int]] = [(node, top, 1)]
    while stack:
        element, built, depth = stack.pop()
        if not len(element):
            continue
        if depth >= MAX_UNKNOWN_DEPTH:
            raise _FieldError(_tag(node), f"nests elements deeper than {MAX_UNKNOWN_DEPTH} levels")
        for child in element:
            made = _xml_leaf(child)
            built.children.append(made)
            stack.append((child, made, depth + 1))
    return top


def _xml_leaf(node: Element) -> XmlNode:
    text = _all_text(node)
    if len(node):
        text = text.strip()  # around children, whitespace is layout
    return XmlNode(_tag(node), _attrs(node), text)


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
    try:
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
    except _FieldError as error:
        raise error.within(_tag(node)) from None
    return customer


def _representative(node: Element) -> tuple[Representative, bool]:
    """A representative, and whether it carried its own ``primary_rep`` flag."""
    flagged = False
    try:
        rep = Representative(gsnumber=_int_attr(node, "gsnumber"), id=node.get("id"))
        for child in node:
            tag = LOCAL[child.tag]
            if tag in _REP_TEXT:
                setattr(rep, tag, _str(child))
            elif tag in ("display_number", "seconds_involved"):
                setattr(rep, tag, _int(child))
            elif tag == "session_owner":
                rep.session_owner = _bool(child)
            elif tag == "primary_rep":
                rep.primary_rep = _bool(child)
                flagged = True
            elif tag == "invited":
                rep.invited = _bool(child) if _leaf_text(child).strip() else None
            else:
                rep.extra.append(_xml_node(child))
    except _FieldError as error:
        raise error.within(_tag(node)) from None
    return rep, flagged


def _people(node: Element, convert: Callable[[Element], T]) -> list[T]:
    """The children of a ``customer_list`` or ``rep_list``, errors named by the list."""
    try:
        return [convert(child) for child in node]
    except _FieldError as error:
        raise error.within(_tag(node)) from None


def _mark_primary(
    reps: list[tuple[Representative, bool]], gsnumber: int | None, rep_id: str | None
) -> list[Representative]:
    """Privileged Remote Access names the primary representative only at session level
    (``primary_rep[@gsnumber][@id]``): when no representative carries its own flag, the one
    named there is the primary one."""
    people = [rep for rep, _ in reps]
    if any(flagged for _, flagged in reps) or (gsnumber is None and rep_id is None):
        return people
    for rep in people:
        if (gsnumber is not None and rep.gsnumber == gsnumber) or (
            gsnumber is None and rep_id is not None and rep.id == rep_id
        ):
            rep.primary_rep = True
    return people


def _party(node: Element) -> Party:
    return Party(node.get("type", ""), _int_attr(node, "gsnumber"), node.text or "")


# -- events ---------------------------------------------------------------------------------------


def _decode_body(node: Element) -> str:
    try:
        raw = base64.b64decode("".join(_leaf_text(node).split()), validate=True)
    except (binascii.Error, ValueError):
        raise _FieldError(
            "encoded_body", f"holds text that is not base64: {_shown(_leaf_text(node))}"
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
    stamp = _int_attr(node, "timestamp", TIMESTAMPS)
    if stamp is None:
        raise _FieldError("event@timestamp", "is missing")
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
            event.filesize = _int(child, SIZES)
        elif tag == "files":
            for item in child:
                fields = {_tag(field): field for field in item}
                name = fields.get("filename")
                size = fields.get("filesize")
                event.files.append(
                    FileInfo(
                        _leaf_text(name) if name is not None else "",
                        _int(size, SIZES) if size is not None else None,
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
            try:
                events.append(_event(child))
            except _FieldError as error:
                raise error.within("event").within(_tag(node)) from None
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
#: [assumed] Show My Screen recordings given flat, like the session recording
#: (docs/appliance-api.md#recordings): one recording, instance 0
_SMS_FLAT = ("show_my_screen_recording_download_url", "show_my_screen_recording_view_url")


def _recordings(node: Element) -> list[RecordingRef]:
    refs = []
    for item in node:
        try:
            ref = RecordingRef(_int_attr(item, "instance") or 0)
        except _FieldError as error:
            raise error.within(_tag(node)) from None
        for field in item:
            if _tag(field) in ("download_url", "view_url"):
                setattr(ref, _tag(field), _str(field))
        refs.append(ref)
    return refs


def _flat_show_my_screen(session: Session, tag: str, child: Element) -> None:
    if not session.show_my_screen_recordings:
        session.show_my_screen_recordings.append(RecordingRef(0))
    ref = session.show_my_screen_recordings[0]
    if tag.endswith("_download_url"):
        ref.download_url = _str(child)
    else:
        ref.view_url = _str(child)


def _teams(session: Session, node: Element) -> None:
    for item in node:
        primary = item.get("primary", "").strip().lower() in ("1", "true", "yes")
        session.teams.append(Team(item.get("id"), _leaf_text(item), primary))


def _primary_team(session: Session, node: Element) -> None:
    # [assumed] primary_team[@id] as well as team_list/team[@primary]
    # (docs/appliance-api.md#teams).
    team_id = node.get("id")
    for team in session.teams:
        if team.id == team_id:
            team.primary = True
            return
    session.teams.append(Team(team_id, _leaf_text(node), True))


def _session_child(
    session: Session, child: Element, reps: list[tuple[Representative, bool]]
) -> None:
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
    elif tag in _SMS_FLAT:
        _flat_show_my_screen(session, tag, child)
    elif tag == "primary_customer":
        session.primary_customer_gsnumber = _int_attr(child, "gsnumber")
        session.primary_customer_name = _str(child)
    elif tag == "primary_rep":
        session.primary_rep_gsnumber = _int_attr(child, "gsnumber")
        session.primary_rep_id = child.get("id")
        session.primary_rep_name = _str(child)
    elif tag == "customer_list":
        session.customers.extend(_people(child, _customer))
    elif tag == "rep_list":
        reps.extend(_people(child, _representative))
    elif tag == "team_list":
        _teams(session, child)
    elif tag == "primary_team":
        _primary_team(session, child)
    elif tag == "session_details":
        session.events.extend(_events(child, session.extra))
    else:
        session.extra.append(_xml_node(child))


def _checked_lsid(node: Element, noun: str) -> tuple[str, Refusal | None]:
    """The element's lsid, or the refusal of an element whose lsid is missing or malformed."""
    lsid = node.get("lsid", "").strip()
    if contract.is_lsid(lsid):
        return lsid, None
    reason = (
        "is missing"
        if not lsid
        else f"{_shown(lsid, quoted=True)} is not a session ID (32 hexadecimal digits)"
    )
    return lsid, Refusal("", lsid, noun, "@lsid", reason, _start_of(node))


def _start_of(node: Element) -> int | None:
    """The start time of an element being refused, when it can be read at all."""
    for child in node:
        if LOCAL[child.tag] == "start_time":
            try:
                return _time(child)
            except _FieldError:
                return None
    return None


def _refusal(lsid: str, noun: str, error: _FieldError, node: Element) -> Refusal:
    return Refusal(lsid, lsid, noun, error.field, error.reason, _start_of(node))


def _session(node: Element) -> Session | Refusal:
    lsid, refused = _checked_lsid(node, "session")
    if refused is not None:
        return refused
    session = Session(lsid=lsid)
    reps: list[tuple[Representative, bool]] = []
    try:
        for child in node:
            try:
                _session_child(session, child, reps)
            except _FieldError as error:
                raise error.within(LOCAL[child.tag]) from None
    except _FieldError as error:
        return _refusal(lsid, "session", error, node)
    session.representatives = _mark_primary(
        reps, session.primary_rep_gsnumber, session.primary_rep_id
    )
    return session


def _presentation_child(
    item: Presentation, child: Element, presenters: list[tuple[Representative, bool]]
) -> None:
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
        presenters.extend(_people(child, _representative))
    elif tag in ("attendee_list", "customer_list"):
        item.attendees.extend(_people(child, _customer))
    elif tag == "session_details":
        item.events.extend(_events(child, item.extra))
    else:
        item.extra.append(_xml_node(child))


def _presentation(node: Element) -> Presentation | Refusal:
    # [assumed] layout, see docs/appliance-api.md#presentations; the session-style names are
    # accepted too.
    lsid, refused = _checked_lsid(node, "presentation")
    if refused is not None:
        return refused
    item = Presentation(lsid=lsid)
    presenters: list[tuple[Representative, bool]] = []
    try:
        for child in node:
            try:
                _presentation_child(item, child, presenters)
            except _FieldError as error:
                raise error.within(LOCAL[child.tag]) from None
    except _FieldError as error:
        return _refusal(lsid, "presentation", error, node)
    item.presenters = [rep for rep, _ in presenters]
    return item


def _summary(node: Element) -> SessionSummary:
    attrs = _attrs(node)
    has_recording = attrs.get("has_recording", "").strip().lower() in ("1", "true", "yes")
    return SessionSummary(
        attrs.get("lsid", ""), has_recording, attrs.get("external_key") or None, attrs
    )


# -- public API -----------------------------------------------------------------------------------


def iter_sessions(stream: Source) -> Iterator[Session | Refusal]:
    """Sessions of a ``SupportSession`` report in document order, each as soon as it is read.

    A session that cannot be taken is yielded as a ``Refusal`` in its place. Raises
    ``ApplianceReportedError`` for an ``<error>`` document and ``MalformedReportError`` for
    anything that is not a well-formed report.
    """
    reader: _Reader[Session | Refusal] = _Reader(
        frozenset({"session_list"}), frozenset({"session"}), _session, "session", True
    )
    return reader.run(stream)


def iter_presentations(stream: Source) -> Iterator[Presentation | Refusal]:
    """Presentations of a ``PresentationSession`` report, like ``iter_sessions``.

    [assumed] layout, see docs/appliance-api.md#presentations.
    """
    reader: _Reader[Presentation | Refusal] = _Reader(
        frozenset({"presentation_session_list", "presentation_list"}),
        frozenset({"presentation_session", "presentation"}),
        _presentation,
        "presentation",
        True,
    )
    return reader.run(stream)


def iter_documents(stream: Source) -> Iterator[Session | Presentation | Refusal]:
    """The sessions or presentations of either report, whichever the document is (a session
    that cannot be taken as a ``Refusal``, as in the reports).

    For documents read back from storage, where the name does not tell which they hold.
    """
    converters: dict[str, Callable[[Element], Session | Presentation | Refusal]] = {
        "session": _session,
        "presentation_session": _presentation,
        "presentation": _presentation,
    }
    reader: _Reader[Session | Presentation | Refusal] = _Reader(
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
    """Rows of a ``PresentationSessionListing`` report.

    [assumed] element names, see docs/appliance-api.md#presentations.
    """
    reader = _Reader(
        frozenset({"presentation_session_summary_list", "session_summary_list"}),
        frozenset({"presentation_session_summary", "session_summary"}),
        _summary,
        "presentation listing",
    )
    return reader.run(stream)


def parse_api_info(data: bytes) -> ApiInfo:
    """The ``get_api_info`` answer: API version, appliance clock, permissions, other fields.

    Permissions come as ``<permissions><permission name="perm_backup">1</permission>...``
    (docs/appliance-api.md#command-api); ``<perm_backup>1</perm_backup>`` children are read too.
    A small answer, read whole with xmltodict rather than streamed; it refuses entity
    declarations as the report parser does.
    """
    try:
        document = xmltodict.parse(data, postprocessor=_local_key)
    except (expat.ExpatError, ValueError) as error:
        reason = f"the API information is not well-formed XML ({error})"
        raise MalformedReportError(reason) from None
    if "error" in document:
        raise ApplianceReportedError(_text(document["error"]))
    root = document.get("api_information")
    if not isinstance(root, dict):
        raise MalformedReportError(
            f"the API information starts with <{next(iter(document), '')}>, not <api_information>"
        )
    permissions: dict[str, str] = {}
    granted = root.pop("permissions", None)
    for name, values in granted.items() if isinstance(granted, dict) else ():
        for value in values if isinstance(values, list) else [values]:
            if name == "permission" and isinstance(value, dict):
                name_given = value.get("@name")
                if name_given:
                    permissions[name_given] = _text(value)
            elif not name.startswith("@"):
                permissions[name] = _text(value)
    fields = {
        name: _text(value)
        for name, value in root.items()
        if not name.startswith("@") and not isinstance(value, list)
    }
    version = fields.pop("api_version", "")
    stamp = fields.pop("timestamp", "")
    if (
        not version
        or not stamp.isdigit()
        or len(stamp) > MAX_DIGITS
        or not TIMESTAMPS[0] <= int(stamp) <= TIMESTAMPS[1]
    ):
        raise MalformedReportError(
            "the API information lacks <api_version> or a <timestamp> that is a time"
        )
    return ApiInfo(api_version=version, timestamp=int(stamp), extra=fields, permissions=permissions)


def _local_key(_path: object, key: str, value: object) -> tuple[str, object] | None:
    """xmltodict's keys by local name (any namespace prefix dropped, declarations left out)."""
    if key.startswith("@xmlns"):
        return None
    if key.startswith("@"):
        return "@" + key[1:].rpartition(":")[2], value
    return key.rpartition(":")[2], value


def _text(value: object) -> str:
    """The text of an element as xmltodict gives it (a string, or ``#text`` beside attributes)."""
    if isinstance(value, dict):
        value = value.get("#text")
    return "" if value is None else str(value).strip()


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
