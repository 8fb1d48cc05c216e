"""Serialise model objects to the appliance's reporting XML (docs/appliance-api.md).

The simulator answers reports with this, and the File System destination stores with it the
sessions it was given without the bytes they came as (``Session.source``), so a file written
here re-parses with ``parse.iter_sessions`` into an equal object. Element order follows real
responses. Lists are written one element at a time to the output stream: a report of any size
never exists whole in memory; elements nest to any depth without recursion.

Conventions shared with the parser: an element always present in real responses is written empty
(``<x></x>``) when its value is ``None``; an optional element is left out.

``Variant`` chooses between plausible forms where the real API is not published, and can add
markup no reader knows (for tests that stored XML keeps everything the appliance sent).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import BinaryIO, TypeVar

from ictray.appliance.model import (
    ApiInfo,
    Customer,
    Event,
    Party,
    Presentation,
    RecordingRef,
    Representative,
    Session,
    SessionSummary,
    SystemInfoCategory,
    XmlNode,
)

DEFAULT_NS = "http://www.bomgar.com/namespaces/API/reporting"
#: get_api_info answers in the command API's namespace (docs/appliance-api.md#command-api)
COMMAND_NS = "http://www.bomgar.com/namespaces/API/command"
#: the namespace of the attribute the extra markup of ``Variant`` adds
EXTENSION_NS = "urn:example:appliance-extension"

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all, even as character references.
_NOT_XML_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_NOT_XML = re.compile(f"[{_NOT_XML_CHARS}]")
# Anything that needs a second look: most values have none and are written as they are.
_TEXT_SPECIAL = re.compile(f"[&<>\r{_NOT_XML_CHARS}]")
_ATTR_SPECIAL = re.compile(f'[&<>"\t\n\r{_NOT_XML_CHARS}]')

T = TypeVar("T")


@dataclass(frozen=True)
class Variant:
    """Forms a document may take where the real API leaves a choice (simulator settings).

    ``flat_show_my_screen``: [assumed] Show My Screen recordings given as session-level
    ``show_my_screen_recording_download_url``/``_view_url`` (one recording) rather than a
    ``show_my_screen_recordings`` list like command shell recordings
    (docs/appliance-api.md#recordings). ``extra_markup``: sessions carry attributes and
    elements no reader knows, one attribute in a namespace of its own.
    """

    flat_show_my_screen: bool = False
    extra_markup: bool = False


PLAIN = Variant()


def needs_encoding(text: str) -> bool:
    """True when ``text`` holds characters XML 1.0 cannot carry (it must go as encoded_body)."""
    return _NOT_XML.search(text) is not None


def _check(text: str, where: str) -> None:
    if _NOT_XML.search(text):
        raise ValueError(
            f"{where} holds a character XML cannot carry ({text!r}); only an event body can be "
            "sent (as encoded_body)"
        )


def _esc_text(text: str, where: str) -> str:
    if not _TEXT_SPECIAL.search(text):
        return text
    _check(text, where)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:  # a bare CR would be read back as LF
        text = text.replace("\r", "&#13;")
    return text


_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def _esc_attr(value: str, where: str) -> str:
    if not _ATTR_SPECIAL.search(value):
        return value
    _check(value, where)
    return value.translate(_ATTR_ESCAPES)


def _attrs(attrs: Iterable[tuple[str, str | None]], where: str) -> str:
    return "".join(
        f' {name}="{_esc_attr(value, where)}"' for name, value in attrs if value is not None
    )


def _leaf(out: list[str], tag: str, value: object, attrs: str = "") -> None:
    """Append ``<tag attrs>value</tag>``; ``None`` becomes an empty element."""
    text = "" if value is None else _esc_text(str(value), tag)
    out.append(f"<{tag}{attrs}>{text}</{tag}>\n")


def _opt(out: list[str], tag: str, value: object) -> None:
    """Append an optional element only when it has a value."""
    if value is not None:
        _leaf(out, tag, value)


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _num(value: int | None) -> str | None:
    return None if value is None else str(value)


def iso_time(timestamp: int) -> str:
    """The ISO-8601 text the appliance writes next to a ``timestamp`` attribute (UTC)."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat()


def _time(out: list[str], tag: str, timestamp: int | None) -> None:
    if timestamp is None:
        out.append(f"<{tag}></{tag}>\n")
    else:
        out.append(f'<{tag} timestamp="{timestamp}">{iso_time(timestamp)}</{tag}>\n')


def _node(out: list[str], node: XmlNode) -> None:
    """An element the model has no field for, with everything in it (from a stack)."""
    stack: list[tuple[XmlNode, bool]] = [(node, False)]
    while stack:
        item, opened = stack.pop()
        if opened:
            out.append(f"</{item.tag}>\n")
            continue
        attrs = _attrs(item.attrs.items(), item.tag)
        out.append(f"<{item.tag}{attrs}>{_esc_text(item.text, item.tag)}")
        if item.children:
            out.append("\n")
        stack.append((item, True))
        stack.extend((child, False) for child in reversed(item.children))


def _party(out: list[str], tag: str, party: Party | None) -> None:
    if party is None:
        return
    attrs = _attrs((("type", party.type), ("gsnumber", _num(party.gsnumber))), tag)
    _leaf(out, tag, party.name, attrs)


def _public_site(out: list[str], site_id: str | None, site_name: str | None) -> None:
    if site_id is not None or site_name is not None:
        _leaf(out, "public_site", site_name, _attrs([("id", site_id)], "public_site"))


def _category(out: list[str], category: SystemInfoCategory) -> None:
    out.append(f"<category{_attrs([('name', category.name)], 'category')}>\n")
    if category.description:
        out.append("<description>\n")
        for name, label in category.description:
            _leaf(out, "field", label, _attrs([("name", name)], "field"))
        out.append("</description>\n")
    if category.rows:
        out.append("<data>\n")
        for row in category.rows:
            out.append("<row>\n")
            for name, value in row:
                _leaf(out, "field", value, _attrs([("name", name)], "field"))
            out.append("</row>\n")
        out.append("</data>\n")
    out.append("</category>\n")


def _event(out: list[str], event: Event, variant: Variant = PLAIN) -> None:
    attrs = _attrs((("timestamp", str(event.timestamp)), ("event_type", event.event_type)), "event")
    if variant.extra_markup:
        attrs += ' source_node="1"'
    out.append(f"<event{attrs}>\n")
    _party(out, "performed_by", event.performed_by)
    _party(out, "destination", event.destination)
    if event.body is not None:
        if event.body_encoded or needs_encoding(event.body):
            encoded = base64.b64encode(event.body.encode("utf-8", "surrogatepass")).decode()
            _leaf(out, "encoded_body", encoded)
        else:
            _leaf(out, "body", event.body)
    _opt(out, "filename", event.filename)
    _opt(out, "filesize", event.filesize)
    if event.files:
        out.append("<files>\n")
        for info in event.files:
            out.append("<file>\n")
            _leaf(out, "filename", info.filename)
            _opt(out, "filesize", info.filesize)
            out.append("</file>\n")
        out.append("</files>\n")
    if event.data:
        out.append("<data>\n")
        for name, value in event.data:
            out.append(f"<value{_attrs((('name', name), ('value', value)), 'value')} />\n")
        out.append("</data>\n")
    if event.system_information:
        out.append("<system_information>\n")
        for category in event.system_information:
            _category(out, category)
        out.append("</system_information>\n")
    for node in event.extra:
        _node(out, node)
    out.append("</event>\n")


def _events(out: list[str], events: list[Event], variant: Variant = PLAIN) -> None:
    out.append("<session_details>\n")
    for event in events:
        _event(out, event, variant)
    out.append("</session_details>\n")


def _customer_body(out: list[str], customer: Customer) -> None:
    _opt(out, "username", customer.username)
    _opt(out, "public_ip", customer.public_ip)
    _opt(out, "private_ip", customer.private_ip)
    _opt(out, "hostname", customer.hostname)
    _opt(out, "os", customer.os)
    _leaf(out, "primary_cust", _flag(customer.primary_cust))
    if customer.rpat_support:
        # [assumed] no public answer shows an rpat_support element; the guide's Customer table
        # has the column, so it is written (only when set) under the column's name
        # (docs/appliance-api.md#sessions).
        _leaf(out, "rpat_support", "1")
    info = customer.info
    fields = (
        ("name", info.name),
        ("company", info.company),
        ("company_code", info.company_code),
        ("issue", info.issue),
        ("details", info.details),
    )
    if any(value is not None for _, value in fields):
        out.append("<info>\n")
        for tag, value in fields:
            _opt(out, tag, value)
        out.append("</info>\n")
    for node in customer.extra:
        _node(out, node)


def _customer(out: list[str], tag: str, customer: Customer) -> None:
    out.append(f"<{tag}{_attrs([('gsnumber', _num(customer.gsnumber))], tag)}>\n")
    _customer_body(out, customer)
    out.append(f"</{tag}>\n")


def _representative(
    out: list[str], tag: str, rep: Representative, variant: Variant = PLAIN
) -> None:
    attrs = _attrs((("gsnumber", _num(rep.gsnumber)), ("id", rep.id)), tag)
    if variant.extra_markup:
        attrs += ' license_type="named"'
    out.append(f"<{tag}{attrs}>\n")
    _opt(out, "username", rep.username)
    _opt(out, "display_name", rep.display_name)
    _opt(out, "public_display_name", rep.public_display_name)
    _opt(out, "private_display_name", rep.private_display_name)
    _opt(out, "display_number", rep.display_number)
    _opt(out, "public_ip", rep.public_ip)
    _opt(out, "private_ip", rep.private_ip)
    _opt(out, "hostname", rep.hostname)
    _opt(out, "os", rep.os)
    _leaf(out, "session_owner", _flag(rep.session_owner))
    _leaf(out, "primary_rep", _flag(rep.primary_rep))
    _opt(out, "seconds_involved", rep.seconds_involved)
    if rep.invited is not None:
        _leaf(out, "invited", _flag(rep.invited))
    for node in rep.extra:
        _node(out, node)
    if variant.extra_markup:
        out.append('<skill level="3">Networking<since year="2021"></since></skill>\n')
    out.append(f"</{tag}>\n")


def _recordings(out: list[str], tag: str, refs: list[RecordingRef]) -> None:
    if not refs:
        return
    out.append(f"<{tag}s>\n")
    for ref in refs:
        out.append(f'<{tag} instance="{ref.instance}">\n')
        _opt(out, "download_url", ref.download_url)
        _opt(out, "view_url", ref.view_url)
        out.append(f"</{tag}>\n")
    out.append(f"</{tag}s>\n")


def _session(out: list[str], session: Session, variant: Variant = PLAIN) -> None:
    attrs = _attrs([("lsid", session.lsid)], "session")
    if variant.extra_markup:
        attrs += f' xmlns:ext="{EXTENSION_NS}" ext:region="eu-1" priority="2"'
    out.append(f"<session{attrs}>\n")
    _leaf(out, "session_type", session.session_type)
    _leaf(out, "lseq", session.lseq)
    _time(out, "start_time", session.start_time)
    _time(out, "end_time", session.end_time)
    _leaf(out, "duration", session.duration)
    _public_site(out, session.public_site_id, session.public_site_name)
    _leaf(out, "external_key", session.external_key)
    out.append("<custom_attributes>")
    if session.custom_attributes:
        out.append("\n")
    for attribute in session.custom_attributes:
        attrs = _attrs(
            (("display_name", attribute.display_name), ("code_name", attribute.code_name)),
            "custom_attribute",
        )
        _leaf(out, "custom_attribute", attribute.value, attrs)
    out.append("</custom_attributes>\n")
    _opt(out, "session_chat_view_url", session.session_chat_view_url)
    _opt(out, "session_chat_download_url", session.session_chat_download_url)
    _opt(out, "session_recording_view_url", session.session_recording_view_url)
    _opt(out, "session_recording_download_url", session.session_recording_download_url)
    _recordings(out, "command_shell_recording", session.command_shell_recordings)
    # [assumed] the form of Show My Screen recordings (docs/appliance-api.md#recordings)
    if variant.flat_show_my_screen:
        for ref in session.show_my_screen_recordings[:1]:
            _opt(out, "show_my_screen_recording_download_url", ref.download_url)
            _opt(out, "show_my_screen_recording_view_url", ref.view_url)
    else:
        _recordings(out, "show_my_screen_recording", session.show_my_screen_recordings)
    _leaf(out, "file_transfer_count", session.file_transfer_count)
    _opt(out, "file_move_count", session.file_move_count)
    _opt(out, "file_delete_count", session.file_delete_count)
    if session.primary_customer_gsnumber is not None or session.primary_customer_name is not None:
        attrs = _attrs([("gsnumber", _num(session.primary_customer_gsnumber))], "primary_customer")
        _leaf(out, "primary_customer", session.primary_customer_name, attrs)
    if (
        session.primary_rep_gsnumber is not None
        or session.primary_rep_id is not None
        or session.primary_rep_name is not None
    ):
        attrs = _attrs(
            (("gsnumber", _num(session.primary_rep_gsnumber)), ("id", session.primary_rep_id)),
            "primary_rep",
        )
        _leaf(out, "primary_rep", session.primary_rep_name, attrs)
    out.append("<customer_list>\n")
    for customer in session.customers:
        _customer(out, "customer", customer)
    out.append("</customer_list>\n<rep_list>\n")
    for rep in session.representatives:
        _representative(out, "representative", rep, variant)
    out.append("</rep_list>\n")
    if session.teams:
        # [assumed] team_list/team[@id][@primary], text = team name (docs/appliance-api.md#teams)
        out.append("<team_list>\n")
        for team in session.teams:
            attrs = _attrs((("id", team.id), ("primary", _flag(team.primary))), "team")
            _leaf(out, "team", team.name, attrs)
        out.append("</team_list>\n")
    _events(out, session.events, variant)
    for node in session.extra:
        _node(out, node)
    if variant.extra_markup:
        out.append(
            '<routing_note kind="escalation" level="2">\n<step order="1">Tier 1</step>\n'
            '<step order="2" final="yes">Tier 2</step>\n</routing_note>\n'
        )
    out.append("</session>\n")


def _presentation(out: list[str], item: Presentation, variant: Variant = PLAIN) -> None:
    # [assumed] the whole presentation layout (docs/appliance-api.md#presentations). It mirrors
    # <session>: presenters are written like representatives, attendees like customers.
    attrs = _attrs([("lsid", item.lsid)], "presentation_session")
    if variant.extra_markup:
        attrs += f' xmlns:ext="{EXTENSION_NS}" ext:region="eu-1"'
    out.append(f"<presentation_session{attrs}>\n")
    _leaf(out, "lseq", item.lseq)
    _time(out, "start_time", item.start_time)
    _time(out, "end_time", item.end_time)
    _leaf(out, "duration", item.duration)
    _public_site(out, item.public_site_id, item.public_site_name)
    _leaf(out, "external_key", item.external_key)
    _opt(out, "presentation_recording_download_url", item.presentation_recording_download_url)
    out.append("<presenter_list>\n")
    for presenter in item.presenters:
        _representative(out, "presenter", presenter, variant)
    out.append("</presenter_list>\n<attendee_list>\n")
    for attendee in item.attendees:
        _customer(out, "attendee", attendee)
    out.append("</attendee_list>\n")
    _events(out, item.events, variant)
    for node in item.extra:
        _node(out, node)
    out.append("</presentation_session>\n")


def _summary(out: list[str], tag: str, summary: SessionSummary) -> None:
    attrs: dict[str, str] = {"lsid": summary.lsid, "has_recording": _flag(summary.has_recording)}
    if summary.external_key is not None:
        attrs["external_key"] = summary.external_key
    for name, value in summary.attrs.items():
        attrs.setdefault(name, value)
    out.append(f"<{tag}{_attrs(attrs.items(), tag)} />\n")


def _root_open(root: str, namespace: str | None) -> str:
    xmlns = "" if namespace is None else f' xmlns="{_esc_attr(namespace, "xmlns")}"'
    return f"{_DECLARATION}<{root}{xmlns}>\n"


def _write_list(
    items: Iterable[T],
    out: BinaryIO,
    root: str,
    namespace: str | None,
    render: Callable[[list[str], T], None],
) -> None:
    out.write(_root_open(root, namespace).encode())
    for item in items:
        parts: list[str] = []
        render(parts, item)
        out.write("".join(parts).encode("utf-8"))
    out.write(f"</{root}>\n".encode())


def _document(root: str, namespace: str | None, render: Callable[[list[str]], None]) -> bytes:
    parts = [_root_open(root, namespace)]
    render(parts)
    parts.append(f"</{root}>\n")
    return "".join(parts).encode("utf-8")


def write_session_list(
    sessions: Iterable[Session],
    out: BinaryIO,
    namespace: str | None = DEFAULT_NS,
    variant: Variant = PLAIN,
) -> None:
    """Stream a ``SupportSession`` report, writing each session as it is produced."""
    _write_list(sessions, out, "session_list", namespace, partial(_session, variant=variant))


def session_xml(session: Session, namespace: str | None = None) -> bytes:
    """One session as a complete document (``<session_list>`` holding it), e.g. for a file."""
    return _document("session_list", namespace, lambda out: _session(out, session))


def write_presentation_list(
    items: Iterable[Presentation],
    out: BinaryIO,
    namespace: str | None = DEFAULT_NS,
    variant: Variant = PLAIN,
) -> None:
    """Stream a ``PresentationSession`` report.

    [assumed] root name, see docs/appliance-api.md#presentations.
    """
    render = partial(_presentation, variant=variant)
    _write_list(items, out, "presentation_session_list", namespace, render)


def presentation_xml(item: Presentation, namespace: str | None = None) -> bytes:
    """One presentation as a complete document, e.g. for a file."""
    return _document("presentation_session_list", namespace, lambda out: _presentation(out, item))


def write_session_summary_list(
    items: Iterable[SessionSummary], out: BinaryIO, namespace: str | None = DEFAULT_NS
) -> None:
    """Stream a ``SupportSessionListing`` report."""
    _write_list(
        items,
        out,
        "session_summary_list",
        namespace,
        lambda parts, item: _summary(parts, "session_summary", item),
    )


def write_presentation_summary_list(
    items: Iterable[SessionSummary], out: BinaryIO, namespace: str | None = DEFAULT_NS
) -> None:
    """Stream a ``PresentationSessionListing`` report.

    [assumed] element names ``presentation_session_summary_list``/``presentation_session_summary``
    by analogy with the support listing (docs/appliance-api.md#presentations).
    """
    _write_list(
        items,
        out,
        "presentation_session_summary_list",
        namespace,
        lambda parts, item: _summary(parts, "presentation_session_summary", item),
    )


def api_info_xml(info: ApiInfo, namespace: str | None = COMMAND_NS) -> bytes:
    """The ``get_api_info`` answer: ``<api_information>`` with version, clock, extras and the
    account's permissions as ``<permission name="perm_...">`` elements."""

    def render(out: list[str]) -> None:
        _leaf(out, "api_version", info.api_version)
        _leaf(out, "timestamp", info.timestamp)
        for tag, value in info.extra.items():
            _leaf(out, tag, value)
        if info.permissions:
            out.append("<permissions>\n")
            for name, value in info.permissions.items():
                _leaf(out, "permission", value, _attrs([("name", name)], "permission"))
            out.append("</permissions>\n")

    return _document("api_information", namespace, render)


def error_xml(text: str, namespace: str | None = None) -> bytes:
    """An ``<error>`` document as the appliance sends it (with or without a namespace)."""
    xmlns = "" if namespace is None else f' xmlns="{_esc_attr(namespace, "xmlns")}"'
    return f"{_DECLARATION}<error{xmlns}>{_esc_text(text, 'error')}</error>\n".encode()
