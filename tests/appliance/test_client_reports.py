"""Session and presentation reports over real HTTPS, checked against the simulated site."""

from __future__ import annotations

import dataclasses
import tracemalloc

import pytest

from ictray.appliance import contract, reports
from ictray.appliance.errors import ApplianceUnreachableError, MalformedReportError
from ictray.appliance.reports import TimeWindow
from ictray.errors import ValidationError


def _history(simulator) -> TimeWindow:
    """A window from before the site's first session until now."""
    return TimeWindow(since=simulator.site.now - 5 * 86400)


def _assert_same(got, expected) -> None:
    """Field by field, so a mismatch names the field."""
    assert [item.lsid for item in got] == [item.lsid for item in expected]
    for mine, theirs in zip(got, expected, strict=True):
        for field in dataclasses.fields(theirs):
            if not field.compare:  # the bytes a parsed session came as: checked elsewhere
                continue
            assert getattr(mine, field.name) == getattr(theirs, field.name), (
                f"{mine.lsid}: {field.name} differs"
            )


def test_sessions_by_start_window_match_the_site_field_by_field(simulator):
    with simulator.client() as client:
        got = list(reports.iter_sessions(client, _history(simulator)))
    expected = list(simulator.site.iter_sessions(start_from=simulator.site.now - 5 * 86400))
    assert len(got) == 40
    _assert_same(got, expected)


def test_a_start_window_with_a_duration_is_half_open(simulator):
    site = simulator.site
    everything = list(site.iter_sessions())
    since, until = everything[5].start_time, everything[12].start_time
    with simulator.client() as client:
        got = list(reports.iter_sessions(client, TimeWindow(since, duration=until - since)))
    assert [s.lsid for s in got] == [s.lsid for s in everything if since <= s.start_time < until]
    assert got[0].lsid == everything[5].lsid


@pytest.mark.simulator(sessions=300, days=2)
def test_an_end_window_holds_closed_sessions_only(simulator):
    site = simulator.site
    since = site.now - 5 * 86400
    with simulator.client() as client:
        ended = list(reports.iter_sessions(client, TimeWindow(since, by_end=True)))
        started = list(reports.iter_sessions(client, TimeWindow(since)))
    in_progress = [s.lsid for s in started if s.in_progress]
    assert in_progress, "the site should have sessions in progress"
    assert ended and not any(session.in_progress for session in ended)
    _assert_same(ended, list(site.iter_sessions(end_from=since)))
    assert {s.lsid for s in ended} == {s.lsid for s in started} - set(in_progress)


def test_an_empty_window_is_an_empty_result(simulator):
    with simulator.client() as client:
        assert list(reports.iter_sessions(client, TimeWindow(simulator.site.now + 3600))) == []
        assert list(reports.iter_session_summaries(client, TimeWindow(1, duration=60))) == []


@pytest.mark.simulator(sessions=250, days=2)
def test_sessions_by_lsid_come_in_batches_without_duplicates(simulator):
    site = simulator.site
    expected = list(site.iter_sessions())
    lsids = [s.lsid for s in expected]
    assert len(lsids) > contract.LSIDS_BATCH * 2
    with simulator.client() as client:
        got = list(reports.iter_sessions(client, lsids=[*lsids, lsids[0], lsids[1].upper()]))
        single = list(reports.iter_sessions(client, lsids=[lsids[7]]))
    _assert_same(got, expected)
    _assert_same(single, [expected[7]])
    batches = -(-len(lsids) // contract.LSIDS_BATCH)
    assert simulator.server.count(contract.REPORTING_PATH, 200) == batches + 1


def test_a_token_revoked_between_batches_is_renewed_and_the_report_goes_on(simulator):
    lsids = [s.lsid for s in simulator.site.iter_sessions()]
    with simulator.client() as client:
        got = []
        for session in reports.iter_sessions(client, lsids=lsids[:1]):
            got.append(session)
        simulator.faults.revoke_tokens()
        got.extend(reports.iter_sessions(client, lsids=lsids[1:]))
    assert [s.lsid for s in got] == lsids
    assert simulator.server.count(contract.TOKEN_PATH, 200) == 2


def test_listings_match_the_site(simulator):
    site = simulator.site
    with simulator.client() as client:
        got = list(reports.iter_session_summaries(client, _history(simulator)))
    expected = list(site.iter_summaries())
    assert got == expected
    assert any(row.has_recording for row in got) and not all(row.has_recording for row in got)


@pytest.mark.simulator(sessions=40, presentations=12)
def test_presentations_and_their_listing_match_the_site(simulator):
    site = simulator.site
    with simulator.client() as client:
        got = list(reports.iter_presentations(client, _history(simulator)))
        rows = list(reports.iter_presentation_summaries(client, _history(simulator)))
        by_lsid = list(reports.iter_presentations(client, lsids=[got[3].lsid, got[1].lsid]))
    expected = list(site.iter_presentations())
    assert len(got) == 12
    _assert_same(got, expected)
    assert rows == list(site.iter_presentation_summaries())
    _assert_same(by_lsid, [expected[1], expected[3]])


@pytest.mark.parametrize(
    "namespace", [contract.NAMESPACE_BEYONDTRUST, contract.NAMESPACE_PRA, None]
)
def test_every_namespace_parses_alike(simulator, namespace):
    simulator.server.namespace = namespace
    with simulator.client() as client:
        got = list(reports.iter_sessions(client, _history(simulator)))
    _assert_same(got, list(simulator.site.iter_sessions()))


def test_a_truncated_report_is_malformed_and_names_the_site(simulator):
    simulator.faults.malformed_reports = 1
    expected = [s.lsid for s in simulator.site.iter_sessions()]
    got = []
    with simulator.client() as client, pytest.raises(MalformedReportError) as caught:
        for session in reports.iter_sessions(client, _history(simulator)):
            got.append(session.lsid)
    assert str(caught.value).startswith("site simulator: ")
    assert got == expected[: len(got)]
    assert len(got) < len(expected)
    with simulator.client() as client:
        assert len(list(reports.iter_sessions(client, _history(simulator)))) == len(expected)


def test_a_report_during_an_outage_gives_up_with_a_clear_error(simulator):
    with simulator.client(max_retries=1) as client:
        client.get_api_info()
        simulator.faults.server_errors = 5
        with pytest.raises(ApplianceUnreachableError, match="the SupportSession report"):
            list(reports.iter_sessions(client, _history(simulator)))


def test_lsids_are_checked_before_asking(simulator):
    with simulator.client() as client:
        with pytest.raises(ValidationError, match="'not-an-lsid' is not a session LSID"):
            list(reports.iter_sessions(client, lsids=["not-an-lsid"]))
        with pytest.raises(ValueError, match="either a time window or LSIDs"):
            list(reports.iter_sessions(client))
    assert simulator.server.count() == 0


def test_windows_take_whole_seconds_only():
    with pytest.raises(TypeError, match="whole seconds"):
        TimeWindow(since=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="0 or more"):
        TimeWindow(since=1, duration=-1)
    assert TimeWindow(10, 20, by_end=True).params() == {"end_time": "10", "duration": "20"}


@pytest.mark.simulator(sessions=600, days=5)
def test_a_large_report_streams_in_flat_memory(simulator):
    """Peak memory while reading is a small part of the report's size."""
    window = _history(simulator)
    with simulator.client() as client:
        answer = client.open(
            "GET",
            contract.REPORTING_PATH,
            what="size",
            params={contract.GENERATE_REPORT: contract.SUPPORT_SESSION, **window.params()},
        )
        with answer:
            size = sum(len(chunk) for chunk in answer.iter_bytes())
        tracemalloc.start()
        try:
            count = sum(1 for _ in reports.iter_sessions(client, window))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 600
    assert peak < size / 3, f"peak {peak} bytes for a report of {size} bytes"
