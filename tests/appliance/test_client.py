"""The appliance client over real HTTPS: tokens, retries, TLS, error documents, clock skew."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from ictray.appliance import contract
from ictray.appliance.client import ApplianceClient, normalise_host
from ictray.appliance.errors import (
    ApplianceError,
    ApplianceUnreachableError,
    CertificateRejectedError,
    CredentialsRejectedError,
)
from ictray.errors import ConfigurationError, ValidationError
from ictray.simulator import contract as rules

TOKEN = contract.TOKEN_PATH
COMMAND = contract.COMMAND_PATH


def test_api_info_reports_the_site_clock_and_reuses_one_token(simulator):
    with simulator.client() as client:
        first = client.get_api_info()
        simulator.server.advance_clock(120)
        second = client.get_api_info()
    assert first.api_version == simulator.site.api_info().api_version
    assert second.timestamp - first.timestamp == 120
    assert second.timestamp == simulator.site.now
    assert simulator.server.count(TOKEN) == 1
    assert simulator.server.count(COMMAND, 200) == 2


@pytest.mark.simulator(token_lifetime=1)
def test_a_token_about_to_expire_is_renewed_before_use(simulator):
    with simulator.client() as client:
        client.get_api_info()
        time.sleep(1.0)
        client.get_api_info()
    assert simulator.server.count(TOKEN, 200) == 2
    assert simulator.server.count(COMMAND, 401) == 0


def test_a_revoked_token_is_refreshed_once_and_the_call_goes_on(simulator):
    with simulator.client() as client:
        client.get_api_info()
        simulator.faults.revoke_tokens()
        info = client.get_api_info()
        client.get_api_info()
    assert info.timestamp == simulator.site.now
    assert simulator.server.count(COMMAND, 401) == 1
    assert simulator.server.count(TOKEN, 200) == 2


def test_rejected_credentials_give_one_clear_error_and_no_retry_loop(simulator):
    simulator.faults.reject_credentials = True
    with simulator.client() as client, pytest.raises(CredentialsRejectedError) as caught:
        client.get_api_info()
    message = str(caught.value)
    assert message == (
        "site simulator: the client secret was rejected; was it regenerated on the appliance?"
    )
    assert isinstance(caught.value, ConfigurationError)
    assert simulator.client_secret not in message
    assert simulator.server.count(TOKEN) == 1
    assert simulator.server.count(COMMAND) == 0


def test_a_wrong_secret_is_rejected_without_showing_it(simulator):
    wrong = "not-the-secret-4711"
    client = ApplianceClient(
        simulator.address, simulator.client_id, wrong, ca_bundle=str(simulator.ca_bundle)
    )
    with client, pytest.raises(CredentialsRejectedError) as caught:
        client.get_api_info()
    assert wrong not in str(caught.value)
    assert f"site {simulator.address}:" in str(caught.value)


def test_a_secret_regenerated_mid_run_stops_at_the_refresh(simulator):
    with simulator.client() as client:
        client.get_api_info()
        simulator.faults.revoke_tokens()
        simulator.faults.reject_credentials = True
        with pytest.raises(CredentialsRejectedError):
            client.get_api_info()
    assert simulator.server.count(COMMAND, 401) == 1
    assert simulator.server.count(TOKEN, 401) == 1


def test_rate_limiting_is_honoured_with_retry_after(simulator):
    simulator.faults.retry_after = 1
    with simulator.client() as client:
        client.get_api_info()
        simulator.faults.rate_limit = 1
        started = time.monotonic()
        info = client.get_api_info()
        waited = time.monotonic() - started
    assert info.timestamp == simulator.site.now
    assert waited >= 1.0
    assert simulator.server.count(COMMAND, 429) == 1


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(simulator):
    simulator.faults.retry_after = 30
    with simulator.client(max_retry_time=5) as client:
        client.get_api_info()
        simulator.faults.rate_limit = 1
        started = time.monotonic()
        with pytest.raises(ApplianceUnreachableError) as caught:
            client.get_api_info()
    assert time.monotonic() - started < 2
    assert "rate limited (HTTP 429)" in str(caught.value)


def test_server_errors_are_retried_until_an_answer_comes(simulator):
    simulator.faults.server_errors = 2
    with simulator.client(max_retries=3) as client:
        info = client.get_api_info()
    assert info.timestamp == simulator.site.now
    assert simulator.server.count(status=503) == 2


def test_server_errors_past_the_bound_give_a_clear_error(simulator):
    simulator.faults.server_errors = 100
    simulator.faults.server_error_status = 502
    with (
        simulator.client(max_retries=2) as client,
        pytest.raises(ApplianceUnreachableError) as caught,
    ):
        client.get_api_info()
    message = str(caught.value)
    assert message.startswith("site simulator: gave up asking for an API token after 3 tries")
    assert f"HTTP 502 Bad Gateway: {rules.SERVER_FAILURE}" in message
    assert caught.value.status == 502
    assert simulator.server.count(status=502) == 3


def test_a_closed_port_is_unreachable_after_the_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ApplianceClient(
        f"127.0.0.1:{port}", "id", "secret", max_retries=2, backoff_base=0.01, site_name="gone"
    )
    with client, pytest.raises(ApplianceUnreachableError) as caught:
        client.get_api_info()
    assert "after 3 tries" in str(caught.value)
    assert f"could not connect to 127.0.0.1:{port}" in str(caught.value)


def test_a_slow_appliance_times_out(simulator):
    with simulator.client(timeout=0.3, max_retries=1) as client:
        client.get_api_info()
        simulator.faults.delay = 1.0
        with pytest.raises(ApplianceUnreachableError) as caught:
            client.get_api_info()
    assert "no answer within 0.3 s" in str(caught.value)


def test_an_untrusted_certificate_is_refused_without_retries(simulator):
    client = ApplianceClient(
        simulator.address, simulator.client_id, simulator.client_secret, site_name="sim"
    )
    with client, pytest.raises(CertificateRejectedError) as caught:
        client.get_api_info()
    assert isinstance(caught.value, ConfigurationError)
    assert "CA bundle" in str(caught.value)
    assert simulator.server.count() == 0


def test_a_missing_ca_file_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match=r"the CA file .* does not exist"):
        ApplianceClient("example.com", "id", "secret", ca_bundle=str(tmp_path / "none.pem"))


@pytest.mark.parametrize("offset", [-600, 300])
def test_clock_skew_is_local_minus_appliance(simulator, offset):
    simulator.server.catch_up_clock()
    simulator.faults.clock_offset = offset
    with simulator.client() as client:
        skew = client.clock_skew()
    assert skew == pytest.approx(-offset, abs=2)


def test_an_error_document_names_the_site_and_keeps_the_appliance_text(simulator):
    params = {contract.GENERATE_REPORT: "NoSuchReport"}
    with simulator.client() as client, pytest.raises(ApplianceError) as caught:
        client.open("GET", contract.REPORTING_PATH, what="the NoSuchReport report", params=params)
    expected = rules.UNKNOWN_REPORT.format(name="NoSuchReport")
    assert caught.value.appliance_text == expected
    assert str(caught.value) == (
        f"site simulator: the appliance refused the NoSuchReport report: {expected}"
    )


def test_an_empty_result_is_none_only_where_allowed(simulator):
    params = {
        contract.GENERATE_REPORT: contract.SUPPORT_SESSION,
        contract.START_TIME: "1",
        contract.DURATION: "60",
    }
    with simulator.client() as client:
        assert (
            client.open("GET", contract.REPORTING_PATH, what="x", params=params, empty_ok=True)
            is None
        )
        with pytest.raises(ApplianceError, match=contract.NO_SUPPORT_RESULTS):
            client.open("GET", contract.REPORTING_PATH, what="x", params=params)


def test_retries_are_logged_without_secrets(simulator, caplog):
    simulator.faults.server_errors = 2
    with caplog.at_level(logging.DEBUG), simulator.client() as client:
        client.get_api_info()
    assert "HTTP 503" in caplog.text
    assert simulator.client_secret not in caplog.text


def test_for_site_takes_a_configured_site(simulator):
    class Site:
        name = "lab"
        host = simulator.address
        client_id = simulator.client_id
        client_secret = simulator.client_secret
        ca_bundle = str(simulator.ca_bundle)

    with ApplianceClient.for_site(Site(), timeout=5) as client:
        assert client.site_name == "lab"
        assert client.get_api_info().timestamp == simulator.site.now
    assert simulator.client_secret not in repr(client)


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("support.example.com", "support.example.com"),
        ("  https://Support.Example.com/ ", "support.example.com"),
        ("127.0.0.1:8443", "127.0.0.1:8443"),
        ("[::1]:8443", "[::1]:8443"),
    ],
)
def test_host_names_are_normalised(typed, host):
    assert normalise_host(typed) == host


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("http://support.example.com", "HTTPS only"),
        ("support.example.com/login", "not a host name"),
        ("user@support.example.com", "not a host name"),
        ("support.example.com:99999", "invalid port"),
        ("", "not a host name"),
    ],
)
def test_bad_host_names_are_refused(typed, problem):
    with pytest.raises(ValidationError, match=problem) as caught:
        normalise_host(typed)
    assert caught.value.field == "host"


def test_a_short_secret_never_mangles_a_message(simulator) -> None:
    """A one-letter backup password: the appliance's messages read as written, and the
    password itself, standing alone, is still masked."""
    with simulator.client() as client:
        client.remember_secret("e")
        assert client.describe(Exception("Max retries exceeded with url")) == (
            "Max retries exceeded with url"
        )
        assert client.describe(Exception("password was e here")) == "password was *** here"
