"""Documents a careless or hostile appliance (or file) could send: each bad session is refused
with one line naming it, the field and what was wrong, and the sessions around it are read."""

from __future__ import annotations

import sys

import pytest

from ictray.appliance.model import Presentation, Refusal, Session
from ictray.appliance.parse import (
    MAX_UNKNOWN_DEPTH,
    MalformedReportError,
    iter_presentations,
    iter_sessions,
    parse_api_info,
)

LSID = "0123456789abcdef0123456789abcdef"
NEXT = "fedcba9876543210fedcba9876543210"
START = 1_733_239_565


def _report(inner: str, lsid: str = LSID) -> bytes:
    """A report of a bad session between two good ones."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<session_list xmlns="http://www.bomgar.com/namespaces/API/reporting">\n'
        f'<session lsid="{"a" * 32}"><lseq>1</lseq></session>\n'
        f'<session lsid="{lsid}"><start_time timestamp="{START}"/>{inner}</session>\n'
        f'<session lsid="{NEXT}"><lseq>2</lseq></session>\n'
        "</session_list>\n"
    ).encode()


def _refused(body: bytes) -> Refusal:
    first, refused, last = iter_sessions(body)
    assert isinstance(first, Session) and isinstance(last, Session)
    assert (first.lseq, last.lseq) == (1, 2)
    assert isinstance(refused, Refusal)
    assert "\n" not in refused.message
    return refused


def test_deeply_nested_unknown_elements_refuse_the_session_without_recursion() -> None:
    depth = max(500, sys.getrecursionlimit() * 3)
    inner = "<custom>" * depth + "x" + "</custom>" * depth
    refused = _refused(_report(inner))
    assert refused.message == (
        f"session {LSID} refused: custom nests elements deeper than {MAX_UNKNOWN_DEPTH} levels"
    )
    assert (refused.key, refused.field, refused.start_time) == (LSID, "custom", START)


def test_nesting_within_the_bound_is_kept() -> None:
    inner = "<custom>" * (MAX_UNKNOWN_DEPTH - 1) + "x" + "</custom>" * (MAX_UNKNOWN_DEPTH - 1)
    _, session, _ = iter_sessions(_report(inner))
    assert isinstance(session, Session)
    node, levels = session.extra[0], 1
    while node.children:
        node, levels = node.children[0], levels + 1
    assert (levels, node.text) == (MAX_UNKNOWN_DEPTH - 1, "x")


@pytest.mark.parametrize(
    ("inner", "field", "reason"),
    [
        (
            '<end_time timestamp="99999999999999999999"/>',
            "end_time@timestamp",
            "99999999999999999999 is out of range (a time between 1970 and 2099)",
        ),
        (
            "<end_time>9999-12-31T23:59:59Z</end_time>",
            "end_time",
            "'9999-12-31T23:59:59Z' is out of range (a time between 1970 and 2099)",
        ),
        (
            '<session_details><event timestamp="-5" event_type="Chat"/></session_details>',
            "session_details/event@timestamp",
            "'-5' is out of range (a time between 1970 and 2099)",
        ),
        (
            '<session_details><event timestamp="5"><files><file><filename>a</filename>'
            f"<filesize>{'9' * 5000}</filesize></file></files></event></session_details>",
            "session_details/event/filesize",
            f"'{'9' * 40}'... (5000 characters) is out of range (0 to 9223372036854775807)",
        ),
        (
            "<file_transfer_count>4294967296</file_transfer_count>",
            "file_transfer_count",
            "4294967296 is out of range (0 to 2147483647)",
        ),
        (
            '<rep_list><representative gsnumber="7"><seconds_involved>1e9</seconds_involved>'
            "</representative></rep_list>",
            "rep_list/representative/seconds_involved",
            "'1e9' is not a whole number",
        ),
        (
            '<customer_list><customer gsnumber="-1"/></customer_list>',
            "customer_list/customer@gsnumber",
            "'-1' is out of range (0 to 2147483647)",
        ),
        (
            '<command_shell_recordings><command_shell_recording instance="99999999999">'
            "</command_shell_recording></command_shell_recordings>",
            "command_shell_recordings/command_shell_recording@instance",
            "99999999999 is out of range (0 to 2147483647)",
        ),
        (
            '<session_details><event timestamp="5"><performed_by type="customer" '
            'gsnumber="x9"/></event></session_details>',
            "session_details/event/performed_by@gsnumber",
            "'x9' is not a whole number",
        ),
    ],
)
def test_numbers_out_of_range_refuse_the_session(inner: str, field: str, reason: str) -> None:
    refused = _refused(_report(inner))
    assert (refused.field, refused.reason) == (field, reason)
    assert refused.message == f"session {LSID} refused: {field} {reason}"


@pytest.mark.parametrize(
    ("lsid", "reason"),
    [
        (None, "is missing"),
        ("", "is missing"),
        ("1234", "'1234' is not a session ID (32 hexadecimal digits)"),
        ("g" * 32, f"'{'g' * 32}' is not a session ID (32 hexadecimal digits)"),
        (
            "../../" + "a" * 26,
            "'../../aaaaaaaaaaaaaaaaaaaaaaaaaa' is not a session ID (32 hexadecimal digits)",
        ),
    ],
)
def test_sessions_without_a_proper_lsid_are_refused_with_a_stable_key(
    lsid: str | None, reason: str
) -> None:
    body = _report("<lseq>9</lseq>")
    body = body.replace(
        f' lsid="{LSID}"'.encode(), b"" if lsid is None else f' lsid="{lsid}"'.encode()
    )
    refused = _refused(body)
    assert refused.field == "@lsid" and refused.reason == reason
    assert refused.lsid == (lsid or "")
    assert refused.key.startswith("no-lsid-") and len(refused.key) == len("no-lsid-") + 16
    assert refused.start_time == START
    assert refused.message == (
        f"session {refused.key} (started 2024-12-03 15:26:05 UTC) refused: @lsid {reason}"
    )
    assert _refused(body).key == refused.key  # the same element, the same key
    other = _refused(body.replace(b"<lseq>9</lseq>", b"<lseq>8</lseq>"))
    assert other.key != refused.key


def test_an_lsid_in_capitals_is_taken_as_sent() -> None:
    _, session, _ = iter_sessions(_report("<lseq>5</lseq>", lsid=LSID.upper()))
    assert isinstance(session, Session) and session.lsid == LSID.upper()


def test_presentations_are_refused_alike() -> None:
    body = (
        "<presentation_session_list>"
        f'<presentation_session lsid="{LSID}"><start_time timestamp="1e3"/></presentation_session>'
        '<presentation_session lsid="nope"/>'
        f'<presentation_session lsid="{NEXT}"><lseq>4</lseq></presentation_session>'
        "</presentation_session_list>"
    ).encode()
    bad_time, bad_lsid, good = iter_presentations(body)
    assert isinstance(bad_time, Refusal) and isinstance(bad_lsid, Refusal)
    assert bad_time.message == (
        f"presentation {LSID} refused: start_time@timestamp '1e3' is not a whole number"
    )
    assert bad_lsid.noun == "presentation" and bad_lsid.key.startswith("no-lsid-")
    assert isinstance(good, Presentation) and good.lseq == 4


def test_a_broken_document_still_fails_as_a_whole() -> None:
    body = _report("<lseq>1</lseq>")[:-30]
    with pytest.raises(MalformedReportError, match="not well-formed"):
        list(iter_sessions(body))


# -- Privileged Remote Access ---------------------------------------------------------------------


def test_the_primary_representative_named_only_at_session_level_is_marked() -> None:
    inner = (
        '<primary_rep gsnumber="21" id="1">Admin</primary_rep><rep_list>'
        '<representative gsnumber="20" id="4"><session_owner>0</session_owner></representative>'
        '<representative gsnumber="21" id="1"><session_owner>1</session_owner></representative>'
        "</rep_list>"
    )
    _, session, _ = iter_sessions(_report(inner))
    assert isinstance(session, Session)
    assert [(r.gsnumber, r.primary_rep) for r in session.representatives] == [
        (20, False),
        (21, True),
    ]


def test_a_representative_flag_of_its_own_wins_over_the_session_level() -> None:
    inner = (
        '<primary_rep gsnumber="21" id="1">Admin</primary_rep><rep_list>'
        '<representative gsnumber="20"><primary_rep>1</primary_rep></representative>'
        '<representative gsnumber="21"><primary_rep>0</primary_rep></representative>'
        "</rep_list>"
    )
    _, session, _ = iter_sessions(_report(inner))
    assert isinstance(session, Session)
    assert [r.primary_rep for r in session.representatives] == [True, False]


# -- the command API ------------------------------------------------------------------------------

# A real get_api_info answer as recorded from an appliance in a public client's test cassette
# (docs/appliance-api.md#command-api).
API_INFO = b"""<?xml version="1.0" encoding="UTF-8"?>

<api_information xmlns="http://www.bomgar.com/namespaces/API/command">
\t<api_version>1.19.0</api_version>
\t<company_name>supportsuse</company_name>
\t<timestamp>1574638362</timestamp>
\t<permissions>
\t\t\t\t<permission name="perm_command">full_access</permission>
\t\t\t\t<permission name="perm_reporting_support">1</permission>
\t\t\t\t<permission name="perm_reporting_presentation">1</permission>
\t\t\t\t<permission name="perm_reporting_license">1</permission>
\t\t\t\t<permission name="perm_reporting_archive">1</permission>
\t\t\t\t<permission name="perm_real_time_state">0</permission>
\t\t\t\t<permission name="perm_ecm">0</permission>
\t\t\t\t<permission name="perm_backup">0</permission>
\t\t\t\t<permission name="perm_scim">0</permission>
\t\t
\t</permissions>
</api_information>
"""


def test_api_info_permissions_of_a_real_answer() -> None:
    info = parse_api_info(API_INFO)
    assert (info.api_version, info.timestamp) == ("1.19.0", 1574638362)
    assert info.extra == {"company_name": "supportsuse"}
    assert info.permissions["perm_command"] == "full_access"
    assert info.permissions["perm_reporting_support"] == "1"
    assert info.permissions["perm_backup"] == "0"
    assert len(info.permissions) == 9


def test_an_api_info_clock_out_of_range_is_malformed() -> None:
    body = API_INFO.replace(b"1574638362", b"99999999999999999999")
    with pytest.raises(MalformedReportError, match="timestamp"):
        parse_api_info(body)
