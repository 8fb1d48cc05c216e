"""Recording requests where the real API is not published: the client takes every plausible
form the simulator can answer in (instance numbering, Show My Screen element shape, video
content types), each behind one named simulator setting."""

from __future__ import annotations

import io

import pytest

from ictray.appliance import contract, reports
from ictray.appliance.errors import ApplianceError
from ictray.appliance.model import Session
from ictray.datatypes import DataType
from ictray.simulator import contract as rules
from ictray.simulator.dialect import Dialect

SHELL = DataType.COMMAND_SHELL_RECORDINGS
REPORT = contract.COMMAND_SHELL_RECORDING


def _with_shells(site, count: int = 2) -> list[Session]:
    found = [s for s in site.iter_sessions() if len(s.command_shell_recordings) >= count]
    assert found, "the simulated site should have sessions with several shell recordings"
    return found


@pytest.mark.simulator(
    sessions=120, recording_size=2048, dialect=Dialect(recording_instance_base=1)
)
def test_a_site_numbering_recordings_from_1_is_learnt_once(simulator) -> None:
    site = simulator.site
    first, second = _with_shells(site)[:2]
    with simulator.client() as client:
        for session in (first, second):
            for ref in session.command_shell_recordings:
                out = io.BytesIO()
                reports.download_recording(client, SHELL, session.lsid, ref.instance, out)
                assert out.getvalue() == site.recording(REPORT, session.lsid, ref.instance)
        assert client.site.instance_offset == 1
    # instance 0 was refused once, for the first recording; never again
    asked = simulator.server.count(contract.REPORTING_PATH, 200)
    fetched = len(first.command_shell_recordings) + len(second.command_shell_recordings)
    assert asked == fetched + 1


@pytest.mark.simulator(sessions=120, recording_size=2048)
def test_a_site_numbering_from_0_is_never_asked_one_higher(simulator) -> None:
    site = simulator.site
    session = _with_shells(site)[0]
    with simulator.client() as client:
        out = io.BytesIO()
        reports.download_recording(client, SHELL, session.lsid, 0, out)
        assert client.site.instance_offset == 0
        missing = len(session.command_shell_recordings)  # one past the last instance
        with pytest.raises(ApplianceError, match=rules.NO_RECORDING):
            reports.download_recording(client, SHELL, session.lsid, missing, io.BytesIO())
        assert client.site.instance_offset == 0


@pytest.mark.simulator(sessions=120, recording_size=2048)
def test_a_missing_instance_0_on_an_unknown_site_is_not_taken_for_numbering(simulator) -> None:
    session = _with_shells(simulator.site, 1)[0]
    with simulator.client() as client, pytest.raises(ApplianceError, match=rules.NO_RECORDING):
        reports.download_recording(client, SHELL, "0" * 32, 0, io.BytesIO())
    with simulator.client() as client:
        assert client.site.instance_offset is None  # nothing learnt from a refusal alone
        out = io.BytesIO()
        reports.download_recording(client, SHELL, session.lsid, 0, out)
        assert client.site.instance_offset == 0


@pytest.mark.parametrize("form", ["video", "named", "bare"])
def test_the_video_format_is_known_however_the_answer_is_typed(simulator, form) -> None:
    simulator.server.dialect = Dialect(recording_content_type=form)
    site = simulator.site
    wanted = [s for s in site.iter_sessions() if s.has_session_recording and s.end_time]
    extensions = set()
    with simulator.client() as client:
        for session in wanted[:12]:
            result = reports.download_recording(
                client, DataType.SESSION_RECORDINGS, session.lsid, None, io.BytesIO()
            )
            kind = site.recording_content_type(contract.SUPPORT_SESSION_RECORDING, session.lsid)
            assert result.extension == ("mp4" if kind == "video/mp4" else "flv"), form
            extensions.add(result.extension)
            if form == "named":
                assert result.filename == f"{session.lsid}.{result.extension}"
    assert extensions == {"flv", "mp4"}


@pytest.mark.simulator(sessions=120, dialect=Dialect(show_my_screen="flat"))
def test_show_my_screen_recordings_given_flat_are_read_and_fetched(simulator) -> None:
    site = simulator.site
    expected = {
        s.lsid: s.show_my_screen_recordings[0]
        for s in site.iter_sessions()
        if s.show_my_screen_recordings
    }
    assert expected
    with simulator.client() as client:
        window = reports.TimeWindow(since=site.now - 8 * 86400)
        got = {
            s.lsid: s.show_my_screen_recordings
            for s in reports.iter_sessions(client, window)
            if isinstance(s, Session) and s.show_my_screen_recordings
        }
        assert set(got) == set(expected)
        for lsid, refs in got.items():
            (ref,) = refs
            assert (ref.instance, ref.download_url, ref.view_url) == (
                0,
                expected[lsid].download_url,
                expected[lsid].view_url,
            )
        lsid = next(iter(got))
        out = io.BytesIO()
        reports.download_recording(client, DataType.SHOW_MY_SCREEN_RECORDINGS, lsid, 0, out)
        assert out.getvalue() == site.recording(contract.SHOW_MY_SCREEN_RECORDING, lsid, 0)
