"""The client with API accounts as the guide sets them up: the appliance's clock without the
command API, permissions named when refused, and one token per site shared by the process."""

from __future__ import annotations

import io
import threading

import pytest
import requests

from ictray.appliance import contract, reports, tokens
from ictray.appliance.client import ApplianceClient
from ictray.appliance.errors import CredentialsRejectedError, PermissionRefusedError
from ictray.simulator.accounts import ApiAccount

TOKEN = contract.TOKEN_PATH
COMMAND = contract.COMMAND_PATH
REPORTING = contract.REPORTING_PATH


def test_the_clock_comes_from_get_api_info_when_the_command_api_answers(simulator) -> None:
    simulator.faults.clock_offset = 300
    with simulator.client() as client:
        clock = client.read_clock()
    assert clock.source == "get_api_info" and clock.info is not None
    assert clock.now == simulator.site.now + 300
    assert clock.info.permissions["perm_backup"] == "1"
    assert simulator.server.count(COMMAND, 200) == 1


@pytest.mark.simulator(account="guide")
@pytest.mark.parametrize("offset", [-600, 300])
def test_without_the_command_api_the_clock_comes_from_the_date_header(simulator, offset) -> None:
    simulator.server.catch_up_clock()  # the site's time is now this computer's
    simulator.faults.clock_offset = offset
    with simulator.client() as client:
        first = client.read_clock()
        second = client.read_clock()
        skew = client.clock_skew()
    for clock in (first, second):
        assert clock.source == "the Date header" and clock.info is None
        assert clock.now == simulator.site.now + offset
        assert clock.skew == pytest.approx(-offset, abs=2)
    assert skew == pytest.approx(-offset, abs=2)
    # The command API was asked once; its refusal is remembered for the site.
    assert simulator.server.count(COMMAND) == 1
    assert simulator.server.count(TOKEN, 200) == 1
    assert simulator.server.count(REPORTING) == 2  # one cheap listing per later reading


@pytest.mark.simulator(account="guide")
def test_a_new_client_of_the_same_site_remembers_the_refusal(simulator) -> None:
    with simulator.client() as client:
        client.read_clock()
    with simulator.client() as client:
        assert client.read_clock().source == "the Date header"
    assert simulator.server.count(COMMAND) == 1


@pytest.mark.simulator(account="no-backup")
def test_a_backup_refused_names_the_permission_to_grant(simulator) -> None:
    with simulator.client() as client, pytest.raises(PermissionRefusedError) as caught:
        reports.download_backup(client, io.BytesIO())
    message = str(caught.value)
    assert message.startswith("site simulator: the API account may not use the backup API")
    assert f"grant it the permission '{contract.BACKUP.label}'" in message
    assert "/login > Management > API Configuration" in message
    assert caught.value.permission == contract.BACKUP


@pytest.mark.simulator(account=ApiAccount(support_reporting=False))
def test_a_report_refused_names_its_permission(simulator) -> None:
    window = reports.TimeWindow(since=simulator.site.now - 86400)
    with simulator.client() as client, pytest.raises(PermissionRefusedError) as caught:
        list(reports.iter_sessions(client, window))
    assert contract.SUPPORT_REPORTING.label in str(caught.value)


def test_clients_of_one_site_share_one_token(simulator) -> None:
    clients = [simulator.client() for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def work(client: ApplianceClient) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                client.get_api_info()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert not errors
    assert simulator.server.count(TOKEN, 200) == 1
    assert simulator.server.count(COMMAND, 200) == 18


def test_a_wrong_secret_never_rides_on_a_cached_token(simulator) -> None:
    with simulator.client() as client:
        client.get_api_info()
    wrong = ApplianceClient(
        simulator.address,
        simulator.client_id,
        "not-the-secret-0000",
        ca_bundle=str(simulator.ca_bundle),
        max_retries=0,
    )
    with wrong, pytest.raises(CredentialsRejectedError):
        wrong.get_api_info()


def test_when_another_program_takes_the_30_tokens_ours_is_renewed_once(simulator) -> None:
    with simulator.client() as client:
        client.get_api_info()
        for _ in range(contract.MAX_TOKENS_PER_ACCOUNT):  # another program, same account
            requests.post(
                f"https://{simulator.address}{TOKEN}",
                data={"grant_type": "client_credentials"},
                auth=(simulator.client_id, simulator.client_secret),
                verify=str(simulator.ca_bundle),
                timeout=10,
            ).raise_for_status()
        client.get_api_info()
        client.get_api_info()
    assert simulator.server.count(COMMAND, 401) == 1
    assert simulator.server.count(COMMAND, 200) == 3
    assert simulator.server.tokens_issued() == 2 + contract.MAX_TOKENS_PER_ACCOUNT


def test_tokens_are_kept_until_shortly_before_they_expire() -> None:
    now = [1000.0]
    cache = tokens.TokenCache(clock=lambda: now[0])
    assert cache.renew_at(3600) == 1000 + 3600 - tokens.RENEW_MARGIN
    assert cache.renew_at(60) == 1000 + 60 - 6  # a tenth of a short lifetime
    assert cache.entry("Site:1", "id", "s") is cache.entry("site:1", "id", "s")
    assert cache.entry("site:1", "id", "s") is not cache.entry("site:1", "id", "t")
