"""The simulator speaks the contract at the HTTP level: tokens, parameters, framing, faults."""

from __future__ import annotations

import http.client
import io
import ssl
import time

import pytest
import requests

from ictray.appliance import contract, xmlwrite
from ictray.appliance.parse import find_error
from ictray.simulator import contract as rules
from ictray.simulator.faults import Faults
from ictray.simulator.generate import SimulatedSite
from ictray.simulator.server import SimulatorServer

REPORTING = contract.REPORTING_PATH


class Api:
    """Raw HTTPS calls to one simulator with a valid token (no ictray client in between)."""

    def __init__(self, simulator) -> None:
        self.simulator = simulator
        self.base = f"https://{simulator.address}"
        self.verify = str(simulator.ca_bundle)
        self.token = self.fetch_token().json()["access_token"]

    def fetch_token(self, secret: str | None = None, grant: str = "client_credentials"):
        return requests.post(
            self.base + contract.TOKEN_PATH,
            data={"grant_type": grant},
            auth=(self.simulator.client_id, secret or self.simulator.client_secret),
            verify=self.verify,
            timeout=10,
        )

    def get(self, path: str, token: str | None = None, **params: str | int):
        return requests.get(
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {token or self.token}"},
            verify=self.verify,
            timeout=10,
        )

    def post(self, path: str, **options):
        return requests.post(
            self.base + path,
            headers={"Authorization": f"Bearer {self.token}"},
            verify=self.verify,
            timeout=10,
            **options,
        )

    def report(self, **params: str | int):
        return self.get(REPORTING, **params)


@pytest.fixture
def api(simulator) -> Api:
    return Api(simulator)


def _error_text(response: requests.Response) -> str:
    """The text of an ``<error>`` document, which the appliance sends with HTTP 200."""
    assert response.status_code == 200
    text = find_error(response.content)
    assert text is not None, response.content[:200]
    return text


# -- OAuth ----------------------------------------------------------------------------------------


def test_a_token_is_40_characters_and_lives_as_configured(simulator, api):
    answer = api.fetch_token().json()
    assert len(answer["access_token"]) == contract.TOKEN_LENGTH
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600
    simulator.faults.token_lifetime = 1
    short = api.fetch_token().json()
    assert short["expires_in"] == 1
    assert api.get(contract.COMMAND_PATH, token=short["access_token"], action="get_api_info").ok
    time.sleep(1.1)
    expired = api.get(contract.COMMAND_PATH, token=short["access_token"], action="get_api_info")
    assert expired.status_code == 401


def test_wrong_credentials_get_invalid_client(simulator, api):
    answer = api.fetch_token(secret="wrong")
    assert answer.status_code == contract.INVALID_CLIENT_STATUS
    assert answer.json() == {"error": "invalid_client"}
    simulator.faults.reject_credentials = True
    assert api.fetch_token().json() == {"error": "invalid_client"}


def test_only_the_client_credentials_grant_by_post_is_served(api):
    assert api.fetch_token(grant="password").json() == {"error": "unsupported_grant_type"}
    answer = requests.get(api.base + contract.TOKEN_PATH, verify=api.verify, timeout=10)
    assert answer.status_code == 405


def test_api_calls_need_a_current_token(simulator, api):
    assert api.get(contract.COMMAND_PATH, token="x" * 40, action="get_api_info").status_code == 401
    bare = requests.get(api.base + REPORTING, verify=api.verify, timeout=10)
    assert bare.status_code == 401
    simulator.server.revoke_tokens()
    assert api.get(contract.COMMAND_PATH, action="get_api_info").status_code == 401
    fresh = api.fetch_token().json()["access_token"]
    assert api.get(contract.COMMAND_PATH, token=fresh, action="get_api_info").ok


# -- reports --------------------------------------------------------------------------------------


def test_reports_stream_chunked_and_match_the_writer(simulator, api):
    site = simulator.site
    since = site.now - 5 * 86400
    answer = api.report(generate_report="SupportSession", start_time=since, duration=0)
    assert answer.headers["Transfer-Encoding"] == "chunked"
    assert answer.headers["Content-Type"].startswith("text/xml")
    expected = _written(xmlwrite.write_session_list, site.iter_sessions(start_from=since))
    assert answer.content == expected


def _written(write, items) -> bytes:
    out = io.BytesIO()
    write(items, out)
    return out.getvalue()


def test_post_form_answers_as_get_does(api):
    since = api.simulator.site.now - 5 * 86400
    by_get = api.report(generate_report="SupportSessionListing", start_time=since)
    by_post = api.post(
        REPORTING, data={"generate_report": "SupportSessionListing", "start_time": str(since)}
    )
    assert by_post.content == by_get.content
    assert b"<session_summary " in by_post.content


def test_multipart_posts_are_refused(api):
    answer = api.post(REPORTING, files={"generate_report": (None, "SupportSession")})
    assert _error_text(answer) == rules.MULTIPART_REFUSED


def test_an_empty_session_report_is_the_real_error_document(api):
    answer = api.report(generate_report="SupportSession", start_time=1, duration=60)
    assert _error_text(answer) == contract.NO_SUPPORT_RESULTS


def test_an_empty_listing_is_an_empty_list(api):
    answer = api.report(generate_report="SupportSessionListing", start_time=1, duration=60)
    assert answer.status_code == 200
    assert b"<session_summary_list" in answer.content
    assert b"<session_summary " not in answer.content


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({}, rules.MISSING_PARAMETER.format(name="generate_report")),
        ({"generate_report": "Bogus"}, rules.UNKNOWN_REPORT.format(name="Bogus")),
        (
            {"generate_report": "SupportSession", "start_time": "12.5"},
            rules.BAD_TIMESTAMP.format(name="start_time"),
        ),
        (
            {"generate_report": "SupportSession", "end_time": "yesterday"},
            rules.BAD_TIMESTAMP.format(name="end_time"),
        ),
        (
            {"generate_report": "SupportSession", "start_date": "2024-13-01"},
            rules.BAD_DATE.format(name="start_date"),
        ),
        (
            {"generate_report": "SupportSession", "start_time": "1", "duration": "-5"},
            rules.BAD_DURATION,
        ),
        (
            {"generate_report": "SupportSession", "start_time": "1", "end_time": "2"},
            rules.TOO_MANY_CRITERIA.format(names="start_time, end_time"),
        ),
        (
            {"generate_report": "SupportSession", "lsid": "abc"},
            rules.BAD_LSID.format(name="lsid", value="abc"),
        ),
        (
            {"generate_report": "PresentationSessionListing"},
            rules.MISSING_PARAMETER.format(
                name="one of start_date, start_time, end_date, end_time, lsid, lsids"
            ),
        ),
        (
            {"generate_report": "SupportSessionRecording"},
            rules.MISSING_PARAMETER.format(name="lsid"),
        ),
        (
            {"generate_report": "CommandShellRecording", "lsid": "0" * 32},
            rules.MISSING_PARAMETER.format(name="instance"),
        ),
        (
            {"generate_report": "ShowMyScreenRecording", "lsid": "0" * 32, "instance": "x"},
            rules.BAD_INSTANCE,
        ),
    ],
)
def test_bad_parameters_get_an_error_document(api, params, text):
    assert _error_text(api.report(**params)) == text


def test_dates_select_whole_utc_days(simulator, api):
    site = simulator.site
    day = time.strftime("%Y-%m-%d", time.gmtime(site.now - 86400))
    start = rules.parse_list_query("SupportSession", {"start_date": day}).window.since
    answer = api.report(generate_report="SupportSessionListing", start_date=day, duration=1)
    expected = _written(
        xmlwrite.write_session_summary_list,
        site.iter_summaries(start_from=start, start_to=start + 86400),
    )
    assert answer.content == expected


def test_a_malformed_report_loses_its_closing_tags_but_completes(simulator, api):
    since = simulator.site.now - 5 * 86400
    whole = api.report(generate_report="SupportSession", start_time=since).content
    simulator.faults.malformed_reports = 1
    broken = api.report(generate_report="SupportSession", start_time=since).content
    again = api.report(generate_report="SupportSession", start_time=since).content
    assert broken == whole[: -simulator.faults.malformed_tail]
    assert again == whole


# -- recordings and backups -----------------------------------------------------------------------


def _recorded_lsid(site: SimulatedSite) -> str:
    return next(s.lsid for s in site.iter_sessions() if s.has_session_recording)


def test_recordings_have_their_type_and_length(simulator, api):
    lsid = _recorded_lsid(simulator.site)
    answer = api.report(generate_report="SupportSessionRecording", lsid=lsid)
    kind = contract.SUPPORT_SESSION_RECORDING
    assert answer.content == simulator.site.recording(kind, lsid)
    assert answer.headers["Content-Length"] == str(simulator.site.recording_size)
    assert answer.headers["Content-Type"] == simulator.site.recording_content_type(kind, lsid)


def test_expired_recordings_say_so(simulator, api):
    lsid = _recorded_lsid(simulator.site)
    simulator.faults.expired_recordings = True
    answer = api.report(generate_report="SupportSessionRecording", lsid=lsid)
    assert _error_text(answer) == contract.RECORDING_EXPIRED


def test_a_cut_download_sends_less_than_it_announced(simulator, api):
    lsid = _recorded_lsid(simulator.site)
    simulator.faults.cut_downloads = 1
    simulator.faults.cut_after = 500
    context = ssl.create_default_context(cafile=api.verify)
    connection = http.client.HTTPSConnection(
        simulator.host, simulator.port, context=context, timeout=10
    )
    connection.request(
        "GET",
        f"{REPORTING}?generate_report=SupportSessionRecording&lsid={lsid}",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    response = connection.getresponse()
    assert response.getheader("Content-Length") == str(simulator.site.recording_size)
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == 500
    connection.close()
    assert api.report(generate_report="SupportSessionRecording", lsid=lsid).content == (
        simulator.site.recording(contract.SUPPORT_SESSION_RECORDING, lsid)
    )


def test_the_backup_comes_as_an_attachment_and_takes_a_json_password(simulator, api):
    plain = api.get(contract.BACKUP_PATH)
    name = simulator.site.backup_filename()
    assert plain.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert plain.content == simulator.site.backup(None)
    locked = api.post(contract.BACKUP_PATH, json={"password": "pw"})
    assert locked.content == simulator.site.backup("pw") != plain.content
    assert _error_text(api.post(contract.BACKUP_PATH, json=["pw"])) == rules.BAD_JSON


# -- faults and clocks ----------------------------------------------------------------------------


def test_rate_limits_and_server_errors_count_down(simulator, api):
    simulator.faults.rate_limit = 2
    simulator.faults.retry_after = 7
    first = api.get(contract.COMMAND_PATH, action="get_api_info")
    assert (first.status_code, first.headers["Retry-After"]) == (429, "7")
    assert api.get(contract.COMMAND_PATH, action="get_api_info").status_code == 429
    simulator.faults.server_errors = 1
    assert api.get(contract.COMMAND_PATH, action="get_api_info").status_code == 503
    assert api.get(contract.COMMAND_PATH, action="get_api_info").ok
    assert simulator.faults.rate_limit == simulator.faults.server_errors == 0


def test_a_delay_slows_every_answer(simulator, api):
    simulator.faults.delay = 0.4
    started = time.monotonic()
    assert api.get(contract.COMMAND_PATH, action="get_api_info").ok
    assert time.monotonic() - started >= 0.4


def test_clock_offset_and_advance_move_the_reported_time(simulator, api):
    site = simulator.site

    def timestamp() -> int:
        body = api.get(contract.COMMAND_PATH, action="get_api_info").text
        return int(body.split("<timestamp>")[1].split("<")[0])

    before = site.now
    assert timestamp() == before
    simulator.faults.clock_offset = -90
    assert timestamp() == before - 90
    simulator.server.advance_clock(3600)
    assert timestamp() == before + 3600 - 90


def test_unknown_commands_and_paths(api):
    assert _error_text(api.get(contract.COMMAND_PATH, action="reboot")) == (
        rules.UNKNOWN_ACTION.format(name="reboot")
    )
    assert api.get("/api/nothing").status_code == 404


def test_unknown_fault_switches_are_refused():
    faults = Faults()
    with pytest.raises(AttributeError, match="no fault switch 'rate_limt'"):
        faults.rate_limt = 3  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="not a counting fault"):
        faults.take("delay")


def test_a_client_that_does_not_trust_the_ca_leaves_the_server_working(simulator, api):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(api.base + contract.COMMAND_PATH, timeout=10)
    assert api.get(contract.COMMAND_PATH, action="get_api_info").ok


def test_the_ca_is_kept_for_the_next_start(tmp_path):
    site = SimulatedSite(sessions=5, days=1)
    with SimulatorServer(site, ca_dir=tmp_path) as first:
        ca = first.ca_bundle.read_bytes()
    with SimulatorServer(site, ca_dir=tmp_path) as second:
        assert second.ca_bundle.read_bytes() == ca
        answer = requests.post(
            f"https://{second.address}{contract.TOKEN_PATH}",
            data={"grant_type": "client_credentials"},
            auth=(second.client_id, second.client_secret),
            verify=str(second.ca_bundle),
            timeout=10,
        )
        assert answer.ok


def test_following_the_real_clock_lets_the_site_catch_up(tmp_path):
    site = SimulatedSite(sessions=5, days=1, start=int(time.time()) - 600)
    with SimulatorServer(site, ca_dir=tmp_path, follow_real_clock=True) as server:
        requests.get(f"https://{server.address}/", verify=str(server.ca_bundle), timeout=10)
        assert abs(site.now - time.time()) < 2


def test_json_parameters_must_be_an_object_of_strings():
    assert rules.json_parameters(b'{"password": "x"}') == {"password": "x"}
    for body in (b"[1]", b'{"password": 1}', b"{"):
        with pytest.raises(rules.BadRequest):
            rules.json_parameters(body)
