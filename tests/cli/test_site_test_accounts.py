"""``ictray site test`` with API accounts set up in different ways: what the account may do,
and which data types will therefore work, whether or not the command API answers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ictray.appliance import contract
from ictray.simulator.accounts import ApiAccount

CLI = Callable[..., Any]


def _add_and_test(cli: CLI, add_simulator_site: Callable[[], None]) -> Any:
    add_simulator_site()
    return cli("site", "test", "sim")


@pytest.mark.simulator(account="guide")
def test_an_account_set_up_as_the_guide_says_passes_without_the_command_api(
    cli: CLI, simulator, add_simulator_site
) -> None:
    simulator.faults.clock_offset = -120
    result = _add_and_test(cli, add_simulator_site)
    assert result.code == 0, result.err
    out = result.out
    assert f"site 'sim' ({simulator.address}): credentials accepted" in out
    assert "API version: unknown (the command API does not answer this API account" in out
    assert "clock skew: this computer's clock is 12" in out and "(from the Date header)" in out
    assert "the command API: no access for this API account (not needed for copying)" in out
    assert "support session reports and recordings: yes (asked for a listing of one second)" in out
    assert "presentation session reports and recordings: yes" in out
    assert "the backup API: not checked (trying it would make a backup)" in out
    assert (
        "session data, session recordings, show my screen recordings, command shell "
        "recordings: will work"
    ) in out
    assert "presentation data, presentation recordings: will work" in out
    assert "site backups: not checked" in out
    assert simulator.server.count(contract.BACKUP_PATH) == 0


@pytest.mark.simulator(account=ApiAccount(command=contract.COMMAND_READ_ONLY, backup=False))
def test_permissions_come_from_get_api_info_when_the_command_api_answers(
    cli: CLI, simulator, add_simulator_site
) -> None:
    result = _add_and_test(cli, add_simulator_site)
    assert result.code == 0, result.err
    out = result.out
    assert f"API version: {simulator.site.api_info().api_version}" in out
    assert "(from get_api_info)" in out
    assert "the command API: read_only" in out
    assert "support session reports and recordings: yes (get_api_info)" in out
    assert "the backup API: no (get_api_info)" in out
    assert f"site backups: will fail: grant the API account '{contract.BACKUP.label}'" in out
    assert simulator.server.count(contract.REPORTING_PATH) == 0  # nothing probed


@pytest.mark.simulator(
    account=ApiAccount(
        command=contract.COMMAND_DENY, support_reporting=False, presentation_reporting=False
    )
)
def test_an_account_that_may_read_nothing_fails_the_test(
    cli: CLI, simulator, add_simulator_site
) -> None:
    result = _add_and_test(cli, add_simulator_site)
    assert result.code == 1
    assert (
        "support session reports and recordings: no (asked for a listing of one second; "
        "the appliance said: This API account does not have permission" in result.out
    )
    assert (
        "session data, session recordings, show my screen recordings, command shell "
        f"recordings: will fail: grant the API account '{contract.SUPPORT_REPORTING.label}'"
        in result.out
    )
    assert "the API account may not read any data" in result.err
