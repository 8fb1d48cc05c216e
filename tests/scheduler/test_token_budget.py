"""The token budget of a busy scheduler: several schedules every minute for a simulated day
share one token per site, renewed shortly before it expires, and a run goes on when another
program takes the account's 30 tokens. A movable clock stands in for the day."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from ictray.appliance import contract
from ictray.appliance.tokens import TokenCache
from ictray.scheduler.service import Scheduler
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import RunRecord, utcnow
from ictray.transfer.result import COMPLETED

DAY = 86400


class MovableClock:
    """Monotonic seconds that move only when told (token lifetimes on both sides)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


CLOCK = MovableClock()


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.simulator(sessions=24, days=1, seed=5, token_clock=CLOCK, token_lifetime=3600)
def test_a_day_of_schedules_every_minute_needs_about_25_tokens(simulator, tmp_path: Path) -> None:
    cache = TokenCache(clock=CLOCK)
    client_options = {
        "token_cache": cache,
        "timeout": 10,
        "max_retries": 2,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
    }
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator_fields(simulator))
        destinations.add_destination(
            settings,
            name="files",
            plugin="filesystem",
            options={"directory": str(tmp_path / "files")},
        )
        destinations.add_destination(
            settings,
            name="db",
            plugin="sql",
            options={"connection_string": f"sqlite:///{tmp_path / 'reports.db'}"},
        )
        for name, transfer in (
            ("sessions", "sim:files:session_data"),
            ("database", "sim:db:session_data"),
            ("presentations", "sim:files:presentation_data"),
        ):
            schedules.add_schedule(
                settings, name=name, every="1m", transfers=[schedules.parse_transfer(transfer)]
            )
        scheduler = Scheduler(settings, client_options=client_options)
        # Each run sets its schedule's next run a minute after it really started; the movable
        # minutes stay ahead of the real ones, so every schedule is due at every tick.
        now = utcnow() + timedelta(seconds=30)
        minutes = DAY // 60
        other_program = minutes // 2
        for minute in range(minutes):
            if minute == other_program:
                take_all_tokens(simulator)
            started = scheduler.tick(now)
            assert sorted(started) == ["database", "presentations", "sessions"], minute
            while scheduler.running():  # the three run side by side, as the service runs them
                time.sleep(0.002)
            now += timedelta(minutes=1)
            CLOCK.now += 60
            simulator.server.advance_clock(60)
        outcomes = {record.outcome for record in RunRecord.select()}
        runs = RunRecord.select().count()
    assert outcomes == {COMPLETED}
    assert runs == 3 * minutes
    ours = simulator.server.tokens_issued() - contract.MAX_TOKENS_PER_ACCOUNT
    refused = simulator.server.count(status=401)
    print(f"\n{ours} tokens for {3 * minutes} runs in a simulated day; {refused} refused")
    # one token an hour less a minute, and one more after the other program took them all
    assert 24 <= ours <= 26, ours
    # only right after the other program: at most each schedule's first call, once
    assert 1 <= refused <= 3


def simulator_fields(simulator) -> dict[str, str]:
    return {
        "host": simulator.address,
        "client_id": simulator.client_id,
        "client_secret": simulator.client_secret,
        "ca_bundle": str(simulator.ca_bundle),
    }


def take_all_tokens(simulator) -> None:
    """Another program using the same API account asks for 30 tokens."""
    for _ in range(contract.MAX_TOKENS_PER_ACCOUNT):
        requests.post(
            f"https://{simulator.address}{contract.TOKEN_PATH}",
            data={"grant_type": "client_credentials"},
            auth=(simulator.client_id, simulator.client_secret),
            verify=str(simulator.ca_bundle),
            timeout=10,
        ).raise_for_status()
