"""The XML writer: the appliance's layout, escaping, encoded bodies and streaming output."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import datetime
from xml.etree import ElementTree

import pytest

from ictray.appliance.model import (
    ApiInfo,
    Customer,
    Event,
    Party,
    Representative,
    Session,
    SessionSummary,
    XmlNode,
)
from ictray.appliance.xmlwrite import (
    DEFAULT_NS,
    api_info_xml,
    error_xml,
    presentation_xml,
    session_xml,
    write_presentation_summary_list,
    write_session_list,
    write_session_summary_list,
)
from ictray.simulator.generate import SimulatedSite

NS = "{" + DEFAULT_NS + "}"
START = 1_700_000_000
# The children of <session> in the order real responses have them (docs/appliance-api.md).
CONTRACT_ORDER = [
    "session_type",
    "lseq",
    "start_time",
    "end_time",
    "duration",
    "public_site",
    "external_key",
    "custom_attributes",
    "session_chat_view_url",
    "session_chat_download_url",
    "session_recording_view_url",
    "session_recording_download_url",
    "command_shell_recordings",
    "show_my_screen_recordings",
    "file_transfer_count",
    "file_move_count",
    "file_delete_count",
    "primary_customer",
    "primary_rep",
    "customer_list",
    "rep_list",
    "team_list",
    "session_details",
]


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def sessions(count: int = 60, seed: int = 3) -> list[Session]:
    return list(SimulatedSite(sessions=count, seed=seed, start=START).iter_sessions())


def report(items: list[Session], namespace: str | None = DEFAULT_NS) -> ElementTree.Element:
    out = io.BytesIO()
    write_session_list(items, out, namespace)
    return ElementTree.fromstring(out.getvalue())


def test_report_is_well_formed_with_elements_in_contract_order() -> None:
    items = sessions()
    root = report(items)
    assert root.tag == NS + "session_list"
    assert [s.get("lsid") for s in root] == [s.lsid for s in items]
    for element in root:
        tags = [local(child.tag) for child in element]
        known = [tag for tag in tags if tag in CONTRACT_ORDER]
        assert known == sorted(known, key=CONTRACT_ORDER.index)
        assert tags[: len(known)] == known, "unknown elements come after the known ones"


def test_times_carry_unix_timestamp_attributes_and_iso_text() -> None:
    session = next(s for s in sessions() if not s.in_progress)
    element = report([session])[0]
    start = element.find(NS + "start_time")
    assert start is not None and start.get("timestamp") == str(session.start_time)
    assert start.text is not None and start.text.endswith("+00:00")
    assert datetime.fromisoformat(start.text).timestamp() == session.start_time
    events = element.findall(f"{NS}session_details/{NS}event")
    assert [int(e.get("timestamp", "")) for e in events] == [e.timestamp for e in session.events]


def test_a_session_in_progress_has_an_empty_end_time() -> None:
    session = Session(lsid="a" * 32, start_time=START, end_time=None)
    element = report([session])[0]
    end = element.find(NS + "end_time")
    assert end is not None and end.text is None and "timestamp" not in end.attrib
    assert b"<end_time></end_time>" in session_xml(session)


def test_namespace_is_the_default_overridable_or_absent() -> None:
    items = sessions(3)
    assert report(items).tag == NS + "session_list"
    other = "https://www.beyondtrust.com/namespaces/API/reporting"
    assert report(items, other).tag == "{" + other + "}session_list"
    assert report(items, None).tag == "session_list"


def test_body_with_control_characters_goes_as_base64_encoded_body() -> None:
    text = "pasted \x1b[31mred\x1b[0m and NUL\x00 — ü"
    event = Event(START, "Chat Message", body=text, body_encoded=True)
    plain = Event(START, "Chat Message", body='a < b & "c"\r\nnext')
    data = session_xml(Session(lsid="b" * 32, events=[event, plain]))
    root = ElementTree.fromstring(data)
    first, second = root.iter("event")
    encoded = first.find("encoded_body")
    assert encoded is not None and first.find("body") is None
    assert base64.b64decode(encoded.text or "").decode("utf-8") == text
    body = second.find("body")
    assert body is not None and body.text == 'a < b & "c"\r\nnext'


def test_a_body_xml_cannot_carry_is_encoded_even_when_not_flagged() -> None:
    data = session_xml(Session(lsid="c" * 32, events=[Event(START, "Chat Message", body="\x07")]))
    assert b"<encoded_body>Bw==</encoded_body>" in data


def test_control_characters_outside_a_body_are_refused_with_the_element_named() -> None:
    broken = Session(lsid="d" * 32, customers=[Customer(1, hostname="PC\x01")])
    with pytest.raises(ValueError, match="hostname"):
        session_xml(broken)


def test_urls_and_attributes_are_escaped() -> None:
    session = Session(
        lsid="e" * 32,
        session_chat_download_url="https://h/session_download?lsid=x&dl_action=chat",
        representatives=[Representative(5, id='7"&<', display_name="Renée & Co")],
        events=[Event(START, "X", data=[("line\nbreak", "tab\there")])],
    )
    data = session_xml(session)
    assert b"lsid=x&amp;dl_action=chat" in data
    root = ElementTree.fromstring(data)
    rep = next(root.iter("representative"))
    assert rep.get("id") == '7"&<'
    value = next(root.iter("value"))
    assert value.get("name") == "line\nbreak" and value.get("value") == "tab\there"


def test_extras_are_written_back_whole() -> None:
    extra = XmlNode("jump_group", {"type": "shared", "id": "1"}, "Servers & more")
    survey = XmlNode(
        "cust_survey_list",
        children=[
            XmlNode(
                "cust_exit_survey",
                {"gsnumber": "3"},
                "",
                [XmlNode("value", {"name": "rating", "value": "5"})],
            )
        ],
    )
    session = Session(
        lsid="f" * 32,
        customers=[Customer(3, extra=[XmlNode("locale", text="de-DE")])],
        events=[
            Event(
                START,
                "X",
                performed_by=Party("system", 0, "System"),
                extra=[XmlNode("new_thing", {"a": "b"})],
            )
        ],
        extra=[extra, survey],
    )
    root = ElementTree.fromstring(session_xml(session))
    element = root[0]
    group = element.find("jump_group")
    assert group is not None and group.attrib == {"type": "shared", "id": "1"}
    assert group.text == "Servers & more"
    assert element.find("cust_survey_list/cust_exit_survey/value[@name='rating']") is not None
    assert element.find("customer_list/customer/locale") is not None
    assert element.find("session_details/event/new_thing[@a='b']") is not None


def test_session_xml_is_a_complete_document_holding_one_session() -> None:
    session = sessions(5)[2]
    data = session_xml(session, DEFAULT_NS)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<session_list xmlns=')
    root = ElementTree.fromstring(data)
    assert [element.get("lsid") for element in root] == [session.lsid]
    assert b"xmlns" not in session_xml(session)


class _RecordingStream(io.BytesIO):
    """Notes how many sessions had been produced when each write happened."""

    def __init__(self, produced: list[int]) -> None:
        super().__init__()
        self.produced = produced
        self.seen: list[int] = []

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.seen.append(self.produced[0])
        return super().write(data)


def test_report_is_written_while_sessions_are_still_being_produced() -> None:
    produced = [0]
    items = sessions(20)

    def lazily() -> Iterator[Session]:
        for item in items:
            produced[0] += 1
            yield item

    out = _RecordingStream(produced)
    write_session_list(lazily(), out)
    assert out.seen[1] == 1, "the first session is written before the second is produced"
    assert out.seen == sorted(out.seen) and out.seen[-1] == 20
    assert len(ElementTree.fromstring(out.getvalue())) == 20


def test_listings_carry_lsid_has_recording_and_external_key() -> None:
    out = io.BytesIO()
    write_session_summary_list(
        [SessionSummary("1" * 32, True, "INC1", {}), SessionSummary("2" * 32, False)], out
    )
    root = ElementTree.fromstring(out.getvalue())
    assert root.tag == NS + "session_summary_list"
    assert [dict(e.attrib) for e in root] == [
        {"lsid": "1" * 32, "has_recording": "1", "external_key": "INC1"},
        {"lsid": "2" * 32, "has_recording": "0"},
    ]
    out = io.BytesIO()
    write_presentation_summary_list([], out, None)
    assert ElementTree.fromstring(out.getvalue()).tag == "presentation_session_summary_list"


def test_presentation_document() -> None:
    simulated = SimulatedSite(sessions=50, seed=2, start=START, presentations=5)
    item = next(iter(simulated.iter_presentations()))
    root = ElementTree.fromstring(presentation_xml(item))
    element = root[0]
    assert root.tag == "presentation_session_list" and element.get("lsid") == item.lsid
    assert len(element.findall("presenter_list/presenter")) == len(item.presenters)
    assert len(element.findall("attendee_list/attendee")) == len(item.attendees)


def test_api_info_and_error_documents() -> None:
    info = ElementTree.fromstring(api_info_xml(ApiInfo("1.19.0", START, {"product": "RS"})))
    assert local(info.tag) == "api_information"
    assert [(local(e.tag), e.text) for e in info] == [
        ("api_version", "1.19.0"),
        ("timestamp", str(START)),
        ("product", "RS"),
    ]
    assert error_xml("Login failed") == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<error>Login failed</error>\n'
    )
    root = ElementTree.fromstring(error_xml("a & b", DEFAULT_NS))
    assert root.tag == NS + "error" and root.text == "a & b"


def test_elements_nested_deeper_than_the_recursion_limit_are_written() -> None:
    depth = 5000
    top = XmlNode("level", {"n": "0"})
    node = top
    for n in range(1, depth):
        child = XmlNode("level", {"n": str(n)})
        node.children.append(child)
        node = child
    node.text = "bottom"
    data = session_xml(Session(lsid="a" * 32, extra=[top]))
    assert data.count(b"<level ") == depth and data.count(b"</level>") == depth
    assert b'<level n="4999">bottom</level>' in data
    assert data.index(b'n="1"') < data.index(b'n="2"') < data.index(b"bottom")
