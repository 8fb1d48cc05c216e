"""The simulator's API accounts: permissions, refusals as the appliance sends them, the cap of
30 valid tokens per account, and the appliance's clock in every answer's Date header."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
import requests

from ictray.appliance import contract
from ictray.appliance.parse import find_error, parse_api_info
from ictray.simulator import contract as rules
from ictray.simulator.accounts import PRESETS, ApiAccount

BACKUP = contract.BACKUP_PATH
COMMAND = contract.COMMAND_PATH
REPORTING = contract.REPORTING_PATH


class Account:
    """Raw HTTPS calls as one API account of a simulator."""

    def __init__(self, simulator, client_id: str, secret: str) -> None:
        self.base = f"https://{simulator.address}"
        self.verify = str(simulator.ca_bundle)
        self.client_id, self.secret = client_id, secret

    def token(self) -> str:
        answer = requests.post(
            self.base + contract.TOKEN_PATH,
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.secret),
            verify=self.verify,
            timeout=10,
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def get(self, path: str, token: str, **params: str | int) -> requests.Response:
        return requests.get(
            self.base + path,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            verify=self.verify,
            timeout=10,
        )


@pytest.fixture
def main(simulator) -> Account:
    return Account(simulator, simulator.client_id, simulator.client_secret)


def _refusal(answer: requests.Response) -> str | None:
    assert answer.status_code == rules.PERMISSION_REFUSED_STATUS
    return find_error(answer.content)


@pytest.mark.simulator(account="guide")
def test_a_guide_account_may_report_and_back_up_but_not_use_the_command_api(
    simulator, main: Account
) -> None:
    token = main.token()
    refused = main.get(COMMAND, token, action=contract.GET_API_INFO)
    assert _refusal(refused) == rules.PERMISSION_REFUSED.format(opens="the command API")
    listing = main.get(
        REPORTING,
        token,
        generate_report=contract.SUPPORT_SESSION_LISTING,
        start_time=simulator.site.now - 86400,
        duration=0,
    )
    assert listing.ok and find_error(listing.content) is None
    assert main.get(BACKUP, token).ok
    assert main.get(BACKUP, token).headers["Content-Type"] == contract.BACKUP_CONTENT_TYPE


@pytest.mark.parametrize(
    ("account", "path", "params", "opens"),
    [
        (
            ApiAccount(backup=False),
            BACKUP,
            {},
            "the backup API",
        ),
        (
            ApiAccount(support_reporting=False),
            REPORTING,
            {"generate_report": contract.SUPPORT_SESSION, "start_time": 1, "duration": 0},
            "support session reports and recordings",
        ),
        (
            ApiAccount(support_reporting=False),
            REPORTING,
            {"generate_report": contract.COMMAND_SHELL_RECORDING, "lsid": "0" * 32, "instance": 0},
            "support session reports and recordings",
        ),
        (
            ApiAccount(presentation_reporting=False),
            REPORTING,
            {"generate_report": contract.PRESENTATION_SESSION_LISTING, "lsid": "0" * 32},
            "presentation session reports and recordings",
        ),
    ],
)
def test_each_permission_is_refused_as_the_appliance_does(
    simulator, account: ApiAccount, path: str, params: dict, opens: str
) -> None:
    simulator.server.add_account(ApiAccount(**{**account.__dict__, "client_id": "other"}))
    other = Account(simulator, "other", account.client_secret)
    answer = other.get(path, other.token(), **params)
    assert _refusal(answer) == rules.PERMISSION_REFUSED.format(opens=opens)


@pytest.mark.simulator(account=ApiAccount(command=contract.COMMAND_READ_ONLY, backup=False))
def test_get_api_info_tells_the_accounts_permissions(simulator, main: Account) -> None:
    answer = main.get(COMMAND, main.token(), action=contract.GET_API_INFO)
    info = parse_api_info(answer.content)
    assert info.permissions == {
        "perm_command": "read_only",
        "perm_reporting_support": "1",
        "perm_reporting_presentation": "1",
        "perm_backup": "0",
    }
    assert b'<permission name="perm_backup">0</permission>' in answer.content


def test_the_31st_token_of_an_account_invalidates_the_oldest(simulator, main: Account) -> None:
    first = main.token()
    assert main.get(COMMAND, first, action=contract.GET_API_INFO).ok
    others = [main.token() for _ in range(contract.MAX_TOKENS_PER_ACCOUNT - 1)]
    assert main.get(COMMAND, first, action=contract.GET_API_INFO).ok  # 30 valid: all work
    newest = main.token()
    assert main.get(COMMAND, first, action=contract.GET_API_INFO).status_code == 401
    assert main.get(COMMAND, others[0], action=contract.GET_API_INFO).ok
    assert main.get(COMMAND, newest, action=contract.GET_API_INFO).ok
    assert simulator.server.tokens.valid(simulator.client_id, 0) == 30
    assert simulator.server.tokens_issued() == 31


def test_another_accounts_tokens_do_not_count(simulator, main: Account) -> None:
    simulator.server.add_account(ApiAccount(client_id="reports-tool", client_secret="s" * 20))
    other = Account(simulator, "reports-tool", "s" * 20)
    mine = main.token()
    for _ in range(contract.MAX_TOKENS_PER_ACCOUNT + 5):
        other.token()
    assert main.get(COMMAND, mine, action=contract.GET_API_INFO).ok
    assert simulator.server.tokens_issued("reports-tool") == 35


def test_every_answer_carries_the_appliances_clock(simulator, main: Account) -> None:
    simulator.faults.clock_offset = -7200
    token = main.token()
    for answer in (
        main.get(COMMAND, token, action=contract.GET_API_INFO),
        main.get(REPORTING, token, generate_report="NoSuchReport"),
        main.get(COMMAND, "x" * 40, action=contract.GET_API_INFO),
    ):
        stamp = int(parsedate_to_datetime(answer.headers["Date"]).timestamp())
        assert stamp == simulator.site.now - 7200
    simulator.server.advance_clock(60)
    later = main.get(COMMAND, token, action=contract.GET_API_INFO)
    assert parse_api_info(later.content).timestamp == simulator.site.now - 7200
    assert int(parsedate_to_datetime(later.headers["Date"]).timestamp()) == (
        simulator.site.now - 7200
    )


def test_presets_name_what_the_guide_asks_for() -> None:
    guide = PRESETS["guide"]
    assert (guide.command, guide.support_reporting, guide.backup) == ("deny", True, True)
    assert not PRESETS["no-backup"].backup
    with pytest.raises(ValueError, match="command API access must be one of"):
        ApiAccount(command="sometimes")
