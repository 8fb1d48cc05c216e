"""The streaming report parser: real-world shapes, round trips, hostile and broken input, memory."""

from __future__ import annotations

import base64
import io
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ictray.appliance.model import (
    ApiInfo,
    FileInfo,
    Party,
    Refusal,
    Session,
    SystemInfoCategory,
    Team,
    XmlNode,
)
from ictray.appliance.parse import (
    ApplianceReportedError,
    MalformedReportError,
    find_error,
    iter_presentation_summaries,
    iter_presentations,
    iter_session_summaries,
    iter_sessions,
    parse_api_info,
)
from ictray.appliance.xmlwrite import (
    api_info_xml,
    session_xml,
    write_presentation_list,
    write_presentation_summary_list,
    write_session_list,
    write_session_summary_list,
)
from ictray.errors import IctrayError
from ictray.simulator.generate import SimulatedSite

START = 1_700_000_000
NAMESPACES = (
    "http://www.bomgar.com/namespaces/API/reporting",
    "https://www.beyondtrust.com/namespaces/API/reporting",
    "http://www.beyondtrust.com/sra/namespaces/API/reporting",
    None,
)

# Shaped like a Privileged Remote Access answer quoted in a public integration's tests:
# unknown <jump_group>, "Unknown" values, empty elements, odd indentation, an empty event.
PRA_SESSION = b"""<?xml version="1.0" encoding="UTF-8"?>
<session_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<session lsid="e9e99aeb9ad54fb381634498502c5a1b">
    <session_type>support</session_type>
    <lseq>8</lseq>
    <start_time timestamp="1733239565">2024-12-03T15:26:05+00:00</start_time>
    <end_time timestamp="1733240467">2024-12-03T15:41:07+00:00</end_time>
    <duration>00:15:02</duration>
    <external_key></external_key>
    <custom_attributes></custom_attributes>
    <session_chat_view_url>https://pra.example.com/session_download?lsid=l%3De9e9&amp;\
dl_action=chat&amp;view=1</session_chat_view_url>
    <file_transfer_count>2</file_transfer_count>
    <file_move_count>0</file_move_count>
    <file_delete_count>1</file_delete_count>
    <primary_customer gsnumber="22">Integration host</primary_customer>
    <jump_group type="shared" id="1">Servers</jump_group>

    <primary_rep gsnumber="21" id="1">Admin</primary_rep>
    <customer_list>
    <customer gsnumber="22">
    <username>Integration host</username>
    <public_ip>4.231.237.19:61606</public_ip>
    <private_ip>10.0.0.4</private_ip>
    <hostname>Windows2022</hostname>
    <os>Windows Server 2022 Datacenter Azure Edition (21H2)</os>
</customer>
    </customer_list>
    <rep_list>
    <representative gsnumber="21" id="1">
    <username>admin</username>
    <display_name>Admin</display_name>
        <public_ip>[2a01:e34:ec57:b230:f188:56c5:7089:d987]:56722</public_ip>
    <private_ip>Unknown</private_ip>
    <os>Unknown</os>
    <session_owner>1</session_owner>
        <seconds_involved>901</seconds_involved>
</representative>
    </rep_list>
<session_details>
<event timestamp="1733239565" event_type="Session Start" >

    </event>
<event timestamp="1733239565" event_type="Conference Owner Changed" >

    <destination type="system" gsnumber="0">Pre-start Conference</destination>
    <data>
            <value name="owner" value="Pre-start Conference" />
        </data>
</event>
</session_details>
</session>
</session_list>
"""

ENCODED = base64.b64encode("Grüße \x1b[0m\x00".encode()).decode()
# A Remote Support session with everything: attributes in another order, a prefixed namespace,
# Unknown numbers, self-closing and empty elements, unknown elements at every level.
RS_SESSION = f"""<?xml version="1.0" encoding="UTF-8"?>
<r:session_list xmlns:r="https://www.beyondtrust.com/namespaces/API/reporting">
  <r:session lsid="0123456789abcdef0123456789abcdef">
    <r:session_type>support</r:session_type>
    <r:lseq>Unknown</r:lseq>
    <r:start_time>2024-01-02T03:04:05Z</r:start_time>
    <r:end_time/>
    <r:duration></r:duration>
    <r:public_site id="1">Default</r:public_site>
    <r:external_key>../../etc/passwd</r:external_key>
    <r:custom_attributes>
      <r:custom_attribute code_name="kostenstelle" display_name="Kostenstelle">4711-Ö\
</r:custom_attribute>
      <r:custom_attribute display_name="Empty" code_name="empty"></r:custom_attribute>
    </r:custom_attributes>
    <r:command_shell_recordings>
      <r:command_shell_recording instance="1">
        <r:download_url>https://h/dl?a=1&amp;b=2</r:download_url>
      </r:command_shell_recording>
    </r:command_shell_recordings>
    <r:file_transfer_count>Unknown</r:file_transfer_count>
    <r:primary_customer gsnumber="5"/>
    <r:customer_list>
      <r:customer gsnumber="5">
        <r:username>Unknown</r:username>
        <r:public_ip>[::1]:443</r:public_ip>
        <r:hostname></r:hostname>
        <r:primary_cust>1</r:primary_cust>
        <r:locale>de-DE</r:locale>
        <r:info>
          <r:name>Klaus Bäcker</r:name>
          <r:company>Müller &amp; Söhne</r:company>
          <r:company_code/>
          <r:issue>Printer</r:issue>
          <r:details>Zeile 1
Zeile 2</r:details>
        </r:info>
      </r:customer>
    </r:customer_list>
    <r:rep_list>
      <r:representative id="7" gsnumber="9">
        <r:display_name>田中</r:display_name>
        <r:display_number>Unknown</r:display_number>
        <r:seconds_involved>Unknown</r:seconds_involved>
        <r:session_owner>0</r:session_owner>
        <r:primary_rep>1</r:primary_rep>
        <r:invited>1</r:invited>
        <r:skill level="3">Networking</r:skill>
      </r:representative>
    </r:rep_list>
    <r:team_list><r:team primary="0" id="2">Tier 2</r:team></r:team_list>
    <r:primary_team id="3">Escalations</r:primary_team>
    <r:session_details>
      <r:event event_type="Chat Message" timestamp="1704164700">
        <r:performed_by gsnumber="9" type="representative">田中</r:performed_by>
        <r:encoded_body>{ENCODED}</r:encoded_body>
      </r:event>
      <r:event timestamp="1704164800" event_type="Files Shared">
        <r:files>
          <r:file><r:filename>a &amp; b.txt</r:filename><r:filesize>12</r:filesize></r:file>
          <r:file><r:filename>no size.txt</r:filename></r:file>
        </r:files>
        <r:future_field>kept</r:future_field>
      </r:event>
      <r:event timestamp="1704164900" event_type="System Information Retrieved">
        <r:system_information>
          <r:category name="Drives">
            <r:description><r:field name="drive">Drive</r:field></r:description>
            <r:data>
              <r:row><r:field name="drive">C:</r:field></r:row>
              <r:row><r:field name="drive">D:</r:field></r:row>
            </r:data>
          </r:category>
        </r:system_information>
      </r:event>
      <r:event timestamp="1704165000" event_type="File Upload">
        <r:filename>report.pdf</r:filename>
        <r:filesize>Unknown</r:filesize>
        <r:body>  spaced  </r:body>
      </r:event>
    </r:session_details>
    <r:cust_survey_list>
      <r:cust_exit_survey gsnumber="5"><r:value name="rating" value="5"/></r:cust_exit_survey>
    </r:cust_survey_list>
  </r:session>
</r:session_list>
""".encode()


def test_a_privileged_remote_access_answer() -> None:
    (session,) = iter_sessions(PRA_SESSION)
    assert session.lsid == "e9e99aeb9ad54fb381634498502c5a1b"
    assert (session.session_type, session.lseq, session.duration) == ("support", 8, "00:15:02")
    assert (session.start_time, session.end_time) == (1733239565, 1733240467)
    assert session.external_key is None and session.custom_attributes == []
    assert session.session_chat_view_url == (
        "https://pra.example.com/session_download?lsid=l%3De9e9&dl_action=chat&view=1"
    )
    assert session.session_chat_download_url is None
    assert (session.file_transfer_count, session.file_move_count) == (2, 0)
    assert session.primary_customer_gsnumber == 22
    assert session.primary_customer_name == "Integration host"
    assert (session.primary_rep_gsnumber, session.primary_rep_id) == (21, "1")
    assert session.extra == [XmlNode("jump_group", {"type": "shared", "id": "1"}, "Servers")]
    (customer,) = session.customers
    assert customer.public_ip == "4.231.237.19:61606" and customer.primary_cust is False
    (rep,) = session.representatives
    assert rep.private_ip == "Unknown" and rep.os == "Unknown"
    assert rep.public_ip == "[2a01:e34:ec57:b230:f188:56c5:7089:d987]:56722"
    assert rep.session_owner and rep.seconds_involved == 901 and rep.hostname is None
    first, second = session.events
    assert first.event_type == "Session Start" and first.performed_by is None
    assert second.destination == Party("system", 0, "Pre-start Conference")
    assert second.data == [("owner", "Pre-start Conference")]


def test_a_remote_support_answer_with_every_shape() -> None:
    (session,) = iter_sessions(RS_SESSION)
    assert session.lseq is None and session.end_time is None and session.duration is None
    assert session.start_time == 1704164645
    assert session.external_key == "../../etc/passwd"
    assert [(a.display_name, a.code_name, a.value) for a in session.custom_attributes] == [
        ("Kostenstelle", "kostenstelle", "4711-Ö"),
        ("Empty", "empty", ""),
    ]
    (shell,) = session.command_shell_recordings
    assert (shell.instance, shell.download_url, shell.view_url) == (
        1,
        "https://h/dl?a=1&b=2",
        None,
    )
    assert session.file_transfer_count is None
    assert session.primary_customer_gsnumber == 5 and session.primary_customer_name is None
    (customer,) = session.customers
    assert customer.username == "Unknown" and customer.hostname is None
    assert customer.public_ip == "[::1]:443" and customer.primary_cust
    assert customer.info.company == "Müller & Söhne" and customer.info.company_code is None
    assert customer.info.details == "Zeile 1\nZeile 2"
    assert customer.extra == [XmlNode("locale", {}, "de-DE")]
    (rep,) = session.representatives
    assert (rep.gsnumber, rep.id, rep.display_name) == (9, "7", "田中")
    assert rep.display_number is None and rep.seconds_involved is None
    assert rep.primary_rep and not rep.session_owner and rep.invited is True
    assert rep.extra == [XmlNode("skill", {"level": "3"}, "Networking")]
    assert session.teams == [Team("2", "Tier 2", False), Team("3", "Escalations", True)]
    chat, files, info, upload = session.events
    assert chat.body == "Grüße \x1b[0m\x00" and chat.body_encoded
    assert chat.performed_by == Party("representative", 9, "田中")
    assert files.files == [FileInfo("a & b.txt", 12), FileInfo("no size.txt", None)]
    assert files.extra == [XmlNode("future_field", {}, "kept")]
    assert info.system_information == [
        SystemInfoCategory("Drives", [("drive", "Drive")], [[("drive", "C:")], [("drive", "D:")]])
    ]
    assert (upload.filename, upload.filesize, upload.body) == ("report.pdf", None, "  spaced  ")
    assert not upload.body_encoded
    (survey,) = session.extra
    assert survey.tag == "cust_survey_list" and survey.text == ""
    assert survey.children[0].children == [XmlNode("value", {"name": "rating", "value": "5"}, "")]


@pytest.mark.parametrize("seed", range(1, 13))
def test_generated_sessions_survive_write_and_parse_unchanged(seed: int) -> None:
    site = SimulatedSite(sessions=120, days=2, seed=seed, start=START)
    expected = list(site.iter_sessions())
    namespace = NAMESPACES[seed % len(NAMESPACES)]
    out = io.BytesIO()
    write_session_list(expected, out, namespace)
    out.seek(0)
    parsed = list(iter_sessions(out))
    assert len(parsed) == len(expected)
    for got, want in zip(parsed, expected, strict=True):
        assert got == want, want.lsid


@pytest.mark.parametrize("seed", range(1, 5))
def test_presentations_and_listings_survive_write_and_parse(seed: int) -> None:
    site = SimulatedSite(sessions=100, seed=seed, start=START, presentations=25)
    site.advance(600)
    presentations = list(site.iter_presentations())
    out = io.BytesIO()
    write_presentation_list(presentations, out)
    assert list(iter_presentations(out.getvalue())) == presentations
    summaries = list(site.iter_summaries())
    out = io.BytesIO()
    write_session_summary_list(summaries, out)
    assert list(iter_session_summaries(out.getvalue())) == summaries
    listing = list(site.iter_presentation_summaries())
    out = io.BytesIO()
    write_presentation_summary_list(listing, out)
    assert list(iter_presentation_summaries(out.getvalue())) == listing


def test_sessions_in_progress_survive_write_and_parse() -> None:
    site = SimulatedSite(sessions=3000, days=2, seed=5, start=START)
    running = [s for s in site.iter_sessions(start_from=START - 4 * 3600) if s.in_progress]
    assert len(running) > 10
    out = io.BytesIO()
    write_session_list(running, out)
    assert list(iter_sessions(out.getvalue())) == running


def test_one_session_per_file_reparses() -> None:
    for session in SimulatedSite(sessions=30, start=START).iter_sessions():
        assert list(iter_sessions(session_xml(session))) == [session]


def test_listing_of_a_real_site() -> None:
    listing = b"""<?xml version="1.0" encoding="UTF-8"?>
<session_summary_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">
<session_summary lsid="e9e99aeb9ad54fb381634498502c5a1b" has_recording="0"  />
<session_summary has_recording="1" lsid="219ca41dc71940a5a69687b49736d97b" external_key="T-1"/>
</session_summary_list>"""
    first, second = iter_session_summaries(listing)
    assert (first.lsid, first.has_recording, first.external_key) == (
        "e9e99aeb9ad54fb381634498502c5a1b",
        False,
        None,
    )
    assert (second.has_recording, second.external_key) == (True, "T-1")
    assert second.attrs["lsid"] == "219ca41dc71940a5a69687b49736d97b"
    empty = b'<session_summary_list xmlns="urn:x"></session_summary_list>'
    assert list(iter_session_summaries(empty)) == []


def test_api_info() -> None:
    data = b"""<?xml version="1.0"?><api_information xmlns="urn:any">
      <api_version>1.19.0</api_version> <timestamp>1733239565</timestamp>
      <permissions><perm>x</perm></permissions><product_version>23.1</product_version>
    </api_information>"""
    info = parse_api_info(data)
    assert (info.api_version, info.timestamp) == ("1.19.0", 1733239565)
    assert info.extra["product_version"] == "23.1"
    info = ApiInfo("1.2", 5, {"a": "b"})
    assert parse_api_info(api_info_xml(info)) == info
    with pytest.raises(MalformedReportError, match="timestamp"):
        parse_api_info(b"<api_information><api_version>1</api_version></api_information>")
    with pytest.raises(ApplianceReportedError, match="Login failed"):
        parse_api_info(b"<error>Login failed</error>")
    expanding = b'<!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">]><api_information>&x;</api_information>'
    with pytest.raises(MalformedReportError, match="entities are disabled"):
        parse_api_info(expanding)


# -- errors from the appliance ---------------------------------------------------------------------

# Verbatim bodies of real answers (sources in docs/appliance-api.md#errors).
ERROR_SAMPLES = {
    b"<error>Login failed</error>\n": "Login failed",
    b'<?xml version="1.0" encoding="UTF-8"?>\n\n<error xmlns="http://www.bomgar.com/namespaces/'
    b'API/reporting">No archives found for the given search criteria.</error>\n\n\n\n': (
        "No archives found for the given search criteria."
    ),
    b"<error >No Support report information matching your chosen criteria is available."
    b"</error>\n": "No Support report information matching your chosen criteria is available.",
    b"<error>This recording has expired and can no longer be viewed or downloaded.</error>\n": (
        "This recording has expired and can no longer be viewed or downloaded."
    ),
}


@pytest.mark.parametrize("body", list(ERROR_SAMPLES))
def test_error_documents_are_found_and_never_read_as_an_empty_report(body: bytes) -> None:
    text = ERROR_SAMPLES[body]
    assert find_error(body) == text
    with pytest.raises(ApplianceReportedError) as caught:
        list(iter_sessions(body))
    assert caught.value.text == text
    assert isinstance(caught.value, IctrayError)


def test_find_error_answers_none_for_anything_but_an_error_root() -> None:
    assert find_error(PRA_SESSION[:200]) is None
    assert find_error(b"<session_list><error>inside</error></session_list>") is None
    assert find_error(b"FLV\x01\x05\x00\x00\x00\x09 binary") is None
    assert find_error(b"<html><body>502 Bad Gateway</body></html>") is None
    assert find_error(b"") is None
    assert find_error(b'<!DOCTYPE x [<!ENTITY a "b">]><error>&a;</error>') is None
    assert find_error(b"<e:error xmlns:e='urn:x'>prefixed</e:error>") == "prefixed"


# -- hostile input ---------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<session_list><session lsid="x"><external_key>&lol9;</external_key></session></session_list>
"""


def test_billion_laughs_fails_fast() -> None:
    began = time.perf_counter()
    with pytest.raises(MalformedReportError, match="document type declaration") as caught:
        list(iter_sessions(BILLION_LAUGHS))
    assert time.perf_counter() - began < 1
    assert caught.value.line == 2


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<session_list><session lsid='a'><external_key>&e;</external_key></session>"
        b"</session_list>",
        b'<!DOCTYPE session_list SYSTEM "http://127.0.0.1:9/evil.dtd"><session_list/>',
        b"<!DOCTYPE session_list><session_list/>",
    ],
)
def test_any_dtd_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedReportError, match="refused"):
        list(iter_sessions(body))


def test_a_dtd_split_over_tiny_chunks_is_still_refused() -> None:
    chunks = [BILLION_LAUGHS[i : i + 1] for i in range(len(BILLION_LAUGHS))]
    with pytest.raises(MalformedReportError, match="document type declaration"):
        list(iter_sessions(chunks))


def test_an_undeclared_entity_is_malformed() -> None:
    body = b"<session_list><session lsid='a'><lseq>&oops;</lseq></session></session_list>"
    with pytest.raises(MalformedReportError, match="undefined entity"):
        list(iter_sessions(body))


# -- broken input ----------------------------------------------------------------------------------


def _report(count: int, seed: int = 4) -> bytes:
    out = io.BytesIO()
    write_session_list(SimulatedSite(sessions=count, seed=seed, start=START).iter_sessions(), out)
    return out.getvalue()


def test_a_truncated_report_names_position_and_last_complete_session() -> None:
    data = _report(5)
    sessions = list(iter_sessions(data))
    cut = data.index(b"<session ", data.index(sessions[2].lsid.encode())) + 200
    received = []
    with pytest.raises(MalformedReportError) as caught:
        for session in iter_sessions(data[:cut]):
            received.append(session.lsid)
    assert received == [s.lsid for s in sessions[:3]]
    error = caught.value
    assert error.last_lsid == sessions[2].lsid and error.line is not None
    assert f"line {error.line}" in str(error) and sessions[2].lsid in str(error)
    assert "not well-formed" in str(error)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<session_list><session lsid='a'></sesion></session_list>", "mismatched tag"),
        (b"<html><body>Service Unavailable</body></html>", "starts with <html>"),
        (b"<session_list></session_list><session_list/>", "junk after document element"),
    ],
)
def test_malformed_input_is_reported_clearly(body: bytes, expected: str) -> None:
    with pytest.raises(MalformedReportError, match=expected):
        list(iter_sessions(body))


# A field that is not what it must be refuses its session, not the report (these four were
# whole-report errors before sessions could be refused one by one).
LSID_A = "0123456789abcdef0123456789abcdef"
LSID_B = "fedcba9876543210fedcba9876543210"


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<lseq>7a</lseq>", "lseq '7a' is not a whole number"),
        ("<start_time timestamp=' 9x '/>", "start_time@timestamp '9x' is not a whole number"),
        (
            "<session_details><event event_type='X'/></session_details>",
            "session_details/event@timestamp is missing",
        ),
        (
            "<session_details><event timestamp='1'><encoded_body>***</encoded_body></event>"
            "</session_details>",
            "session_details/event/encoded_body holds text that is not base64: '***'",
        ),
    ],
)
def test_a_session_with_a_bad_field_is_refused_and_the_next_is_read(
    inner: str, expected: str
) -> None:
    body = (
        f"<session_list><session lsid='{LSID_A}'>{inner}</session>"
        f"<session lsid='{LSID_B}'><lseq>3</lseq></session></session_list>"
    ).encode()
    refused, session = iter_sessions(body)
    assert isinstance(refused, Refusal) and isinstance(session, Session)
    assert refused.message == f"session {LSID_A} refused: {expected}"
    assert (refused.key, refused.lsid, refused.noun) == (LSID_A, LSID_A, "session")
    assert (session.lsid, session.lseq) == (LSID_B, 3)


# -- streaming and memory --------------------------------------------------------------------------


def test_sessions_are_yielded_before_the_stream_is_read_to_its_end() -> None:
    data = _report(200)
    consumed = [0]

    def chunks() -> Iterator[bytes]:
        for offset in range(0, len(data), 16 * 1024):
            consumed[0] = offset + 16 * 1024
            yield data[offset : offset + 16 * 1024]

    first = next(iter_sessions(chunks()))
    assert first.lsid
    assert consumed[0] < len(data) // 10


@pytest.mark.parametrize("size", [1, 5, 333, 4096, 1 << 20])
def test_any_chunking_gives_the_same_sessions(size: int) -> None:
    """Items are taken from the tree when the next chunk has begun another: never half-read."""
    expected = list(SimulatedSite(sessions=6, days=1, seed=3, start=START).iter_sessions())
    out = io.BytesIO()
    write_session_list(expected, out)
    data = out.getvalue()
    chunks = [data[offset : offset + size] for offset in range(0, len(data), size)]
    assert list(iter_sessions(chunks)) == expected


def test_a_chunk_that_ends_right_after_a_session_still_yields_it_whole() -> None:
    expected = list(SimulatedSite(sessions=4, days=1, seed=4, start=START).iter_sessions())
    out = io.BytesIO()
    write_session_list(expected, out)
    data = out.getvalue()
    ends = [i + len(b"</session>") for i in range(len(data)) if data.startswith(b"</session>", i)]
    pieces = [data[start:end] for start, end in zip([0, *ends], [*ends, len(data)], strict=True)]
    assert len(pieces) == len(expected) + 1
    assert list(iter_sessions(pieces)) == expected


def _peak_while_parsing(path: Path) -> tuple[int, int, float]:
    tracemalloc.start()
    try:
        began = time.perf_counter()
        with path.open("rb") as stream:
            count = sum(1 for _ in iter_sessions(stream))
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak, elapsed


def test_memory_stays_flat_however_long_the_report(tmp_path: Path) -> None:
    # Sessions cut to their first events: tracemalloc slows every allocation, and flatness is
    # about the number of sessions, not their size.
    blocks = []
    for session in SimulatedSite(sessions=2000, days=7, seed=11, start=START).iter_sessions():
        session.events = session.events[:3]
        blocks.append(session_xml(session).split(b"\n", 2)[2].rsplit(b"</session_list>", 1)[0])
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<session_list xmlns="urn:x">\n'
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    for path, repeat in ((small, 1), (large, 10)):
        with path.open("wb") as out:
            out.write(head)
            for _ in range(repeat):
                out.writelines(blocks)
            out.write(b"</session_list>\n")
    _peak_while_parsing(small)  # warm caches so both runs start alike
    count_small, peak_small, _ = _peak_while_parsing(small)
    count_large, peak_large, elapsed = _peak_while_parsing(large)
    assert (count_small, count_large) == (2000, 20000)
    print(
        f"\npeak while parsing: {peak_small / 1024:.0f} KiB for 2,000 sessions, "
        f"{peak_large / 1024:.0f} KiB for 20,000 ({large.stat().st_size / 1e6:.0f} MB); "
        f"{count_large / elapsed:.0f} sessions/s under tracemalloc"
    )
    assert peak_large <= peak_small * 1.2
