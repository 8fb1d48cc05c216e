"""The simulated site: deterministic, lazy, windowed like the appliance, realistic in content."""

from __future__ import annotations

import re
import struct
import time
from collections import Counter

import pytest

from ictray.appliance.xmlwrite import needs_encoding
from ictray.simulator.generate import (
    COMMAND_SHELL_RECORDING,
    MAX_DURATION,
    PRESENTATION_RECORDING,
    SESSION_RECORDING,
    SHOW_MY_SCREEN_RECORDING,
    SimulatedSite,
)

START = 1_700_000_000
DAY = 86400
# The event types the guide lists for the Session_Event table.
GUIDE_EVENT_TYPES = {
    "Callback Button Deployed",
    "Callback Button Removed",
    "Chat Message",
    "Command Shell Session Started",
    "Conference Member Added",
    "Conference Member Departed",
    "Conference Member State Changed",
    "Conference Owner Changed",
    "Customer Exit Survey",
    "Directory Created",
    "External Key",
    "File Deleted",
    "File Download",
    "File Download Failed",
    "File Moved",
    "File Upload",
    "File Upload Failed",
    "Files Shared",
    "Foreground Window Changed",
    "Legal Agreement Response",
    "Registry Exported",
    "Registry Imported",
    "Registry Key Added",
    "Registry Key Deleted",
    "Registry Key Renamed",
    "Registry Value Added",
    "Registry Value Deleted",
    "Registry Value Modified",
    "Registry Value Renamed",
    "Remote Shell Session Started",
    "Representative Exit Survey",
    "Service Access Allowed",
    "Session Assigned",
    "Session Assignment Response",
    "Session End",
    "Session Note Added",
    "Session Start",
    "Show My Screen Recording",
    "System Information Retrieved",
}


def site(**kwargs: object) -> SimulatedSite:
    options: dict[str, object] = {"sessions": 200, "days": 7, "seed": 1, "start": START}
    options.update(kwargs)
    return SimulatedSite(**options)  # type: ignore[arg-type]


def test_same_seed_gives_same_data_and_other_seed_other_data() -> None:
    first = list(site().iter_sessions())
    assert first == list(site().iter_sessions())
    other = list(site(seed=2).iter_sessions())
    assert {s.lsid for s in first}.isdisjoint({s.lsid for s in other})


def test_sessions_are_spread_over_the_days_before_the_clock_in_start_order() -> None:
    sessions = list(site().iter_sessions())
    assert len(sessions) == 200
    starts = [s.start_time for s in sessions]
    assert starts == sorted(starts)
    assert all(START - 7 * DAY <= t <= START for t in starts if t is not None)
    assert len({s.lsid for s in sessions}) == 200
    assert all(re.fullmatch("[0-9a-f]{32}", s.lsid) for s in sessions)


def test_start_window_matches_a_brute_force_filter_and_includes_sessions_in_progress() -> None:
    simulated = site()
    everything = list(simulated.iter_sessions())
    low, high = START - 2 * DAY, START - DAY // 2
    expected = [s.lsid for s in everything if low <= (s.start_time or 0) < high]
    assert [s.lsid for s in simulated.iter_sessions(start_from=low, start_to=high)] == expected
    recent = list(simulated.iter_sessions(start_from=START - 3600))
    assert any(s.in_progress for s in recent)


def test_end_window_returns_only_closed_sessions_that_ended_inside_it() -> None:
    simulated = site()
    everything = list(simulated.iter_sessions())
    low, high = START - 3 * DAY, START
    expected = [s.lsid for s in everything if s.end_time is not None and low <= s.end_time < high]
    found = list(simulated.iter_sessions(end_from=low, end_to=high))
    assert [s.lsid for s in found] == expected
    assert all(not s.in_progress for s in found)
    open_only = list(simulated.iter_sessions(end_from=START - 600))
    assert all(s.end_time is not None and s.end_time >= START - 600 for s in open_only)


def test_lsid_filter_and_lookup() -> None:
    simulated = site()
    sessions = list(simulated.iter_sessions())
    wanted = [sessions[5].lsid, sessions[2].lsid, "0" * 32, "not an lsid"]
    assert [s.lsid for s in simulated.iter_sessions(lsids=wanted)] == [
        sessions[2].lsid,
        sessions[5].lsid,
    ]
    assert simulated.session(sessions[7].lsid) == sessions[7]
    assert simulated.session(sessions[7].lsid.upper()) == sessions[7]
    assert simulated.session("f" * 32) is None


def test_a_session_in_progress_shows_only_what_has_happened() -> None:
    simulated = site(sessions=2000)
    running = [s for s in simulated.iter_sessions(start_from=START - 7200) if s.in_progress]
    assert running, "a busy site has sessions in progress at any moment"
    for session in running:
        assert session.end_time is None and session.duration is None
        assert all(e.timestamp <= START for e in session.events)
        assert "Session End" not in {e.event_type for e in session.events}
        assert session.session_chat_download_url is None
        assert session.session_recording_download_url is None
        assert session.command_shell_recordings == []
        assert simulated.session_recording(session.lsid) is None
        for rep in session.representatives:
            assert rep.seconds_involved is not None and rep.seconds_involved >= 0


def test_advancing_the_clock_closes_sessions_and_brings_new_ones() -> None:
    simulated = site(sessions=2000)
    running = [s for s in simulated.iter_sessions() if s.in_progress]
    simulated.advance(MAX_DURATION + 1)
    for before in running:
        after = simulated.session(before.lsid)
        assert after is not None and after.end_time is not None
        assert after.events[-1].event_type == "Session End"
        assert len(after.events) >= len(before.events)
        assert after.start_time == before.start_time
    newer = list(simulated.iter_sessions(start_from=START + 1))
    expected_rate = 2000 / (7 * DAY) * (MAX_DURATION + 1)
    assert abs(len(newer) - expected_rate) <= 2
    assert simulated.session(newer[-1].lsid) is not None


def test_a_closed_session_never_changes_as_the_clock_moves_on() -> None:
    simulated = site(sessions=500)
    closed = [s for s in simulated.iter_sessions() if not s.in_progress]
    summaries = list(simulated.iter_summaries(lsids=[s.lsid for s in closed]))
    simulated.advance(3 * DAY)
    assert [simulated.session(s.lsid) for s in closed] == closed
    assert list(simulated.iter_summaries(lsids=[s.lsid for s in closed])) == summaries


def test_a_future_session_does_not_exist_until_the_clock_reaches_it() -> None:
    simulated = site()
    later = site()
    later.advance(DAY)
    future = next(iter(later.iter_sessions(start_from=START + 1)))
    assert simulated.session(future.lsid) is None
    simulated.advance(DAY)
    assert simulated.session(future.lsid) == future


def test_a_window_of_a_huge_site_is_found_without_generating_every_session() -> None:
    simulated = site(sessions=1_000_000)
    began = time.perf_counter()
    found = list(simulated.iter_sessions(start_from=START - DAY, start_to=START - DAY + 60))
    summaries = list(simulated.iter_summaries(end_from=START - DAY, end_to=START - DAY + 60))
    elapsed = time.perf_counter() - began
    assert 80 <= len(found) <= 120  # 1,000,000 per week is about 99 a minute
    assert all(START - DAY <= (s.start_time or 0) < START - DAY + 60 for s in found)
    assert summaries
    assert elapsed < 10, "a narrow window must not cost a walk over every session"


def test_summaries_agree_with_sessions() -> None:
    simulated = site()
    sessions = list(simulated.iter_sessions())
    summaries = list(simulated.iter_summaries())
    assert [s.lsid for s in summaries] == [s.lsid for s in sessions]
    for summary, session in zip(summaries, sessions, strict=True):
        assert summary.has_recording == session.has_session_recording
        assert summary.external_key == session.external_key
        assert summary.attrs["lsid"] == session.lsid


def test_sessions_look_like_a_real_site() -> None:
    sessions = list(site(sessions=400).iter_sessions())
    events = [e for s in sessions for e in s.events]
    types = Counter(e.event_type for e in events)
    assert 20 <= len(events) / len(sessions) <= 40
    assert set(types) == GUIDE_EVENT_TYPES
    assert Counter(len(s.representatives) for s in sessions).keys() >= {1, 2, 3, 4}
    bodies = [e.body for e in events if e.body]
    assert any(e.body_encoded and needs_encoding(e.body or "") for e in events)
    assert all(e.body_encoded == needs_encoding(e.body or "") for e in events)
    for sample in ("ü", "こんにちは", "مرحبا"):
        assert any(sample in body for body in bodies), sample
    keys = {s.external_key for s in sessions}
    assert None in keys and "../../etc/passwd" in keys
    assert any(len(k or "") > 255 for k in keys)
    ips = {c.public_ip for s in sessions for c in s.customers}
    assert "[::1]:443" in ips
    assert "Unknown" in {r.private_ip for s in sessions for r in s.representatives}
    categories = {c.name for e in events for c in e.system_information}
    assert {"General", "Memory", "Drives"} <= categories
    assert any(s.extra and s.extra[0].tag.endswith("survey_list") for s in sessions)
    assert any(len(s.teams) == 2 for s in sessions)
    assert any(s.custom_attributes for s in sessions)
    assert any(c.info.company_code for s in sessions for c in s.customers)
    assert len({s.lseq for s in sessions}) < len(sessions), "lseq is not unique"
    closed = [s for s in sessions if not s.in_progress]
    assert any(s.command_shell_recordings for s in closed)
    assert any(s.show_my_screen_recordings for s in closed)
    assert any(s.has_session_recording for s in closed)
    assert any(not s.has_session_recording for s in closed)


def test_every_closed_session_is_internally_consistent() -> None:
    for session in site(sessions=300, seed=7).iter_sessions():
        times = [e.timestamp for e in session.events]
        assert times == sorted(times)
        assert session.events[0].event_type == "Session Start"
        primaries = [r for r in session.representatives if r.primary_rep]
        assert len(primaries) == (1 if session.representatives else 0)
        if session.in_progress:
            continue
        assert session.start_time is not None and session.end_time is not None
        assert times[0] == session.start_time and times[-1] == session.end_time
        assert primaries[0].gsnumber == session.primary_rep_gsnumber
        transfers = sum(e.event_type in ("File Upload", "File Download") for e in session.events)
        assert session.file_transfer_count == transfers
        for rep in session.representatives:
            assert rep.seconds_involved is not None
            assert 0 <= rep.seconds_involved <= session.end_time - session.start_time
        assert sum(t.primary for t in session.teams) == 1


def _is_flv(data: bytes) -> bool:
    if not data.startswith(b"FLV\x01"):
        return False
    offset = 13
    while offset < len(data):  # walk the tags: each must end where its size says
        size = int.from_bytes(data[offset + 1 : offset + 4], "big")
        previous = int.from_bytes(data[offset + 11 + size : offset + 15 + size], "big")
        if previous != 11 + size:
            return False
        offset += 15 + size
    return offset == len(data)


def _is_mp4(data: bytes) -> bool:
    (ftyp_size,) = struct.unpack(">I", data[:4])
    (mdat_size,) = struct.unpack(">I", data[ftyp_size : ftyp_size + 4])
    return data[4:8] == b"ftyp" and ftyp_size + mdat_size == len(data)


def test_recordings_are_deterministic_valid_media_of_the_configured_size() -> None:
    simulated = site(recording_size=10_000)
    seen_types = set()
    for session in simulated.iter_sessions(end_to=START):
        data = simulated.session_recording(session.lsid)
        if not session.has_session_recording:
            assert data is None
            continue
        assert data is not None and len(data) == 10_000
        kind = simulated.recording_content_type(SESSION_RECORDING, session.lsid)
        seen_types.add(kind)
        assert _is_mp4(data) if kind == "video/mp4" else _is_flv(data)
        assert data == site(recording_size=10_000).session_recording(session.lsid)
        for ref in session.command_shell_recordings:
            shell = simulated.command_shell_recording(session.lsid, ref.instance)
            assert shell is not None and len(shell) == 10_000 and shell != data
        count = len(session.command_shell_recordings)
        assert simulated.command_shell_recording(session.lsid, count) is None
        for ref in session.show_my_screen_recordings:
            assert simulated.show_my_screen_recording(session.lsid, ref.instance) is not None
    assert seen_types == {"video/x-flv", "video/mp4"}


def test_presentations_have_presenters_attendees_and_recordings() -> None:
    simulated = site(presentations=40)
    items = list(simulated.iter_presentations())
    assert len(items) == 40
    assert all(p.presenters and p.events for p in items)
    assert any(len(p.attendees) > 1 for p in items)
    with_recording = [p for p in items if p.presentation_recording_download_url]
    assert with_recording
    data = simulated.presentation_recording(with_recording[0].lsid)
    assert data is not None and len(data) == simulated.recording_size
    assert simulated.presentation(items[3].lsid) == items[3]
    assert simulated.session(items[3].lsid) is None
    summaries = list(simulated.iter_presentation_summaries())
    assert [s.lsid for s in summaries] == [p.lsid for p in items]


def test_expired_recordings_are_a_stable_seeded_fraction() -> None:
    simulated = site(sessions=2000, expired_fraction=0.25)
    lsids = [s.lsid for s in simulated.iter_sessions()]
    expired = [lsid for lsid in lsids if simulated.is_recording_expired(SESSION_RECORDING, lsid)]
    assert 0.2 <= len(expired) / len(lsids) <= 0.3
    again = site(sessions=2000, expired_fraction=0.25)
    assert expired == [x for x in lsids if again.is_recording_expired(SESSION_RECORDING, x)]
    again.expire_recordings(0.0)
    assert not any(again.is_recording_expired(SESSION_RECORDING, x) for x in lsids)
    again.expire_recordings(1.0)
    assert all(again.is_recording_expired(COMMAND_SHELL_RECORDING, x, 0) for x in lsids)
    with pytest.raises(ValueError, match="between 0 and 1"):
        again.expire_recordings(1.5)


def test_unknown_recording_kind_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown recording kind 'Video'"):
        site().recording("Video", "0" * 32)
    for kind in (SHOW_MY_SCREEN_RECORDING, PRESENTATION_RECORDING):
        assert site().recording(kind, "0" * 32, 0) is None


def test_backup_names_site_and_time_and_depends_on_the_password() -> None:
    simulated = site(host="support.example.com")
    plain = simulated.backup(None)
    assert plain == site(host="support.example.com").backup(None)
    assert b"support.example.com" in plain[:200] and b"2023-11-14" in plain[:200]
    secret = "s3cret-pass"
    locked = simulated.backup(secret)
    assert locked != plain and secret.encode() not in locked
    assert locked == simulated.backup(secret) != simulated.backup("other")
    assert simulated.backup_filename() == "support.example.com-2023-11-14.nsb"
    simulated.advance(DAY)
    assert simulated.backup_filename() == "support.example.com-2023-11-15.nsb"


def test_api_info_reports_the_clock() -> None:
    simulated = site()
    simulated.advance(42)
    assert simulated.api_info().timestamp == START + 42
    with pytest.raises(ValueError):
        simulated.advance(-1)


def test_an_empty_site_has_no_sessions() -> None:
    simulated = site(sessions=0)
    simulated.advance(DAY)
    assert list(simulated.iter_sessions()) == []
    assert list(simulated.iter_presentations()) == []
