"""One support session as the rows of the standard schema (no database involved).

Column values follow the guide: ``session.type`` is the session type, ``customer.display_name``
the name typed in the issue form (else the customer's user name), ``representative.display_name``
the private display name (else the display name), ``representative.duration`` the seconds
involved, flags are 1 or 0.

Nothing in a session is dropped. What has no column of its own becomes a name/value row:

- for an event, in ``session_event_data``: every ``data/value`` pair under its own name, and
  ``body`` (``encoded_body``, base64 of the UTF-8 text, when the appliance had to encode it
  because it holds characters XML cannot carry), ``filename``, ``filesize``,
  ``files/file[n]/filename`` and ``/filesize``, ``performed_by/@gsnumber``,
  ``destination/@gsnumber`` and unknown elements flattened to XPath-like names;
- for the session, in ``session_data``: chat and recording URLs, command shell and Show My
  Screen recordings, ``file_move_count``, ``file_delete_count``, ``primary_customer`` (its
  text) and ``primary_customer/@gsnumber``, ``primary_rep``, ``primary_rep/@gsnumber`` and
  ``primary_rep/@id``, what a customer or representative holds beyond the
  columns (``customer_list/customer[n]/username`` when a typed name took the display name,
  ``.../primary_cust``, ``rep_list/representative[n]/display_name`` when the private display name
  took the column, ``.../invited``), ids that are not integers, exit surveys and unknown elements.

Positions ``[n]`` count from 1 in document order, as in XPath.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ictray.appliance.model import (
    Customer,
    Event,
    RecordingRef,
    Representative,
    Session,
    SystemInfoCategory,
    XmlNode,
)

Row = tuple[object, ...]
Pair = tuple[str, str]
TimeValue = Callable[[int | None], object]

_INTEGER = re.compile(r"[+-]?\d+")
_INT_LIMIT = 2**31  # the integer columns are 32-bit on every database


@dataclass
class SessionRows:
    """The rows of one session, without the generated keys (the writer adds them)."""

    lsid: str
    session: Row
    customers: list[Row] = field(default_factory=list)
    representatives: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    custom_attributes: list[Row] = field(default_factory=list)
    session_data: list[Pair] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    #: per event, in the order of ``events``
    event_data: list[list[Pair]] = field(default_factory=list)
    system_information: list[list[Pair]] = field(default_factory=list)


def session_rows(
    session: Session, site_host: str, time_value: TimeValue, store_system_information: bool
) -> SessionRows:
    """Map ``session`` to rows; ``time_value`` turns UNIX seconds into the driver's datetime."""
    leftovers: list[Pair] = []
    rows = SessionRows(
        lsid=session.lsid,
        session=(
            session.lsid,
            session.session_type,
            time_value(session.start_time),
            time_value(session.end_time),
            session.duration,
            session.file_transfer_count,
            site_host,
            session.external_key,
            _integer(session.public_site_id, "public_site/@id", leftovers),
            session.public_site_name,
            session.lseq,
        ),
    )
    leftovers.extend(_session_leftovers(session))
    for position, customer in enumerate(session.customers, start=1):
        path = f"customer_list/customer[{position}]"
        rows.customers.append(_customer_row(customer))
        leftovers.extend(_customer_leftovers(customer, path))
    for position, rep in enumerate(session.representatives, start=1):
        path = f"rep_list/representative[{position}]"
        rows.representatives.append(_representative_row(rep, path, leftovers))
        leftovers.extend(_representative_leftovers(rep, path))
    for position, team in enumerate(session.teams, start=1):
        team_id = _integer(team.id, f"team_list/team[{position}]/@id", leftovers)
        rows.teams.append((team_id, team.name, _flag(team.primary)))
    rows.custom_attributes = [
        (attribute.display_name, attribute.code_name, attribute.value)
        for attribute in session.custom_attributes
    ]
    leftovers.extend(flatten(session.extra))
    rows.session_data = leftovers
    for event in session.events:
        rows.events.append(_event_row(event, time_value))
        rows.event_data.append(_event_data(event))
        rows.system_information.append(
            [(category.name, information_xml(category)) for category in event.system_information]
            if store_system_information
            else []
        )
    return rows


def _integer(text: str | None, path: str, leftovers: list[Pair]) -> int | None:
    """An id for an integer column; one that is not an integer is kept as a leftover."""
    if text is None:
        return None
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped) and -_INT_LIMIT < int(stripped) < _INT_LIMIT:
        return int(stripped)
    leftovers.append((path, text))
    return None


def _flag(value: bool) -> int:
    return 1 if value else 0


def _session_leftovers(session: Session) -> Iterator[Pair]:
    for name in (
        "session_chat_view_url",
        "session_chat_download_url",
        "session_recording_view_url",
        "session_recording_download_url",
    ):
        value = getattr(session, name)
        if value is not None:
            yield name, value
    yield from _recordings(
        "command_shell_recordings/command_shell_recording", session.command_shell_recordings
    )
    yield from _recordings(
        "show_my_screen_recordings/show_my_screen_recording", session.show_my_screen_recordings
    )
    for name, number in (
        ("file_move_count", session.file_move_count),
        ("file_delete_count", session.file_delete_count),
        ("primary_customer/@gsnumber", session.primary_customer_gsnumber),
        ("primary_rep/@gsnumber", session.primary_rep_gsnumber),
    ):
        if number is not None:
            yield name, str(number)
    for name, text in (
        ("primary_customer", session.primary_customer_name),
        ("primary_rep", session.primary_rep_name),
        ("primary_rep/@id", session.primary_rep_id),
    ):
        if text is not None:
            yield name, text


def _recordings(path: str, recordings: Iterable[RecordingRef]) -> Iterator[Pair]:
    for position, recording in enumerate(recordings, start=1):
        yield f"{path}[{position}]/@instance", str(recording.instance)
        if recording.download_url is not None:
            yield f"{path}[{position}]/download_url", recording.download_url
        if recording.view_url is not None:
            yield f"{path}[{position}]/view_url", recording.view_url


def _customer_row(customer: Customer) -> Row:
    info = customer.info
    return (
        customer.gsnumber,
        info.issue,
        info.details,
        info.name if info.name is not None else customer.username,
        info.company,
        info.company_code,
        customer.public_ip,
        customer.private_ip,
        _flag(customer.rpat_support),
        customer.hostname,
        customer.os,
    )


def _customer_leftovers(customer: Customer, path: str) -> Iterator[Pair]:
    if customer.info.name is not None and customer.username is not None:
        yield f"{path}/username", customer.username
    if customer.primary_cust:
        yield f"{path}/primary_cust", "1"
    yield from flatten(customer.extra, f"{path}/")


def _representative_row(rep: Representative, path: str, leftovers: list[Pair]) -> Row:
    return (
        rep.gsnumber,
        _integer(rep.id, f"{path}/@id", leftovers),
        rep.username,
        rep.private_display_name if rep.private_display_name is not None else rep.display_name,
        rep.public_display_name,
        rep.display_number,
        rep.public_ip,
        rep.private_ip,
        _flag(rep.session_owner),
        _flag(rep.primary_rep),
        rep.seconds_involved,
        rep.hostname,
        rep.os,
    )


def _representative_leftovers(rep: Representative, path: str) -> Iterator[Pair]:
    if (
        rep.private_display_name is not None
        and rep.display_name is not None
        and rep.display_name != rep.private_display_name
    ):
        yield f"{path}/display_name", rep.display_name
    if rep.invited is not None:
        yield f"{path}/invited", str(_flag(rep.invited))
    yield from flatten(rep.extra, f"{path}/")


def _event_row(event: Event, time_value: TimeValue) -> Row:
    by, to = event.performed_by, event.destination
    return (
        event.event_type,
        time_value(event.timestamp),
        None if by is None else by.name or None,
        None if by is None else by.type or None,
        None if to is None else to.name or None,
        None if to is None else to.type or None,
    )


def _event_data(event: Event) -> list[Pair]:
    """The event's name/value pairs (a list built in place: this runs for every event)."""
    pairs: list[Pair] = []
    performed_by, destination = event.performed_by, event.destination
    if performed_by is not None and performed_by.gsnumber is not None:
        pairs.append(("performed_by/@gsnumber", str(performed_by.gsnumber)))
    if destination is not None and destination.gsnumber is not None:
        pairs.append(("destination/@gsnumber", str(destination.gsnumber)))
    if event.body is not None:
        if event.body_encoded:
            encoded = base64.b64encode(event.body.encode("utf-8")).decode("ascii")
            pairs.append(("encoded_body", encoded))
        else:
            pairs.append(("body", event.body))
    if event.filename is not None:
        pairs.append(("filename", event.filename))
    if event.filesize is not None:
        pairs.append(("filesize", str(event.filesize)))
    for position, file in enumerate(event.files, start=1):
        pairs.append((f"files/file[{position}]/filename", file.filename))
        if file.filesize is not None:
            pairs.append((f"files/file[{position}]/filesize", str(file.filesize)))
    pairs.extend(event.data)
    if event.extra:
        pairs.extend(flatten(event.extra))
    return pairs


def information_xml(category: SystemInfoCategory) -> str:
    """The category's ``<description>`` and ``<data>`` elements, as the appliance sends them."""
    parts = ["<description>"]
    parts += [
        f'<field name="{_xml(name)}">{_xml(label)}</field>' for name, label in category.description
    ]
    parts.append("</description><data>")
    for row in category.rows:
        parts.append("<row>")
        parts += [f'<field name="{_xml(name)}">{_xml(value)}</field>' for name, value in row]
        parts.append("</row>")
    parts.append("</data>")
    return "".join(parts)


def _xml(text: str) -> str:
    """Escape for element text and double-quoted attributes (fast path: nothing to escape)."""
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
        )
    return text


def flatten(nodes: Iterable[XmlNode], prefix: str = "") -> Iterator[Pair]:
    """Name/value pairs for unknown elements: ``a/b`` for text, ``a/b/@x`` for attributes.

    A tag repeated among its siblings gets its position (``a/b[2]``); an element with neither
    text, attributes nor children still yields one pair with an empty value.
    """
    nodes = list(nodes)
    if not nodes:
        return
    repeated = {tag for tag, count in Counter(node.tag for node in nodes).items() if count > 1}
    seen: Counter[str] = Counter()
    for node in nodes:
        seen[node.tag] += 1
        path = f"{prefix}{node.tag}"
        if node.tag in repeated:
            path += f"[{seen[node.tag]}]"
        for name, value in node.attrs.items():
            yield f"{path}/@{name}", value
        if node.text.strip() or not (node.attrs or node.children):
            yield path, node.text
        yield from flatten(node.children, f"{path}/")
