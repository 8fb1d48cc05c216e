"""Data at risk: a waiting recording nearing the appliance's retention, and copying that
stopped, are said by ``ictray status``, by a mail once a day, and cleared when they end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ictray.scheduler.runner import run_schedule
from ictray.scheduler.watch import EXPIRING, STALE, RiskWatch, find_risks
from ictray.settings import destinations, open_settings, preferences, schedules, sites
from ictray.settings.models import Watermark, utcnow
from ictray.transfer.options import TransferOptions

pytestmark = pytest.mark.simulator(sessions=30, days=2, seed=3, recording_size=4096)

DAY = 86_400
FAST = {"timeout": 5, "max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.05}


@pytest.fixture
def watched(simulator, smtp_server, tmp_path: Path):
    mail = smtp_server()
    with open_settings(tmp_path / "settings.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings,
            name="files",
            plugin="filesystem",
            options={"directory": str(tmp_path / "archive")},
        )
        schedules.add_schedule(
            settings,
            name="all",
            every="1h",
            transfers=[schedules.parse_transfer("sim:files:session_data,session_recordings")],
        )
        preferences.set_notify(
            settings,
            enabled=True,
            host=mail.host,
            port=mail.port,
            security="none",
            sender="ic@example.com",
            recipients=["ops@example.com"],
        )
        yield settings, mail


def _run(settings) -> None:
    run_schedule(
        settings,
        schedules.get_schedule("all"),
        options=TransferOptions(concurrency=2),
        client_options=FAST,
    )


def _status(settings) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICTRAY_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "ictray", "--settings", str(settings.path), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_a_waiting_recording_near_the_retention_is_said_everywhere(simulator, watched) -> None:
    settings, mail = watched
    simulator.faults.cut_downloads, simulator.faults.cut_after = 100_000, 100
    _run(settings)  # every recording waits
    assert find_risks() == []
    # 84 days on, on the appliance's clock: the first sessions' recordings have 6 days left.
    simulator.server.advance_clock(84 * DAY)
    _run(settings)  # the recordings still cannot be fetched; the clock is learnt from the run
    risks = find_risks()
    assert [risk.kind for risk in risks] == [EXPIRING]
    assert "still waiting to be copied will be deleted by the appliance" in risks[0].message
    assert "site 'sim' to destination 'files'" in risks[0].message

    status = _status(settings)
    assert status.returncode == 1, status.stderr
    shown = json.loads(status.stdout)
    assert shown["at_risk"] is True
    assert shown["risks"][0]["kind"] == EXPIRING
    [pair] = shown["transfers"]
    assert pair["waiting"]["session_recordings"] > 0

    watch = RiskWatch(settings)
    now = utcnow()
    watch.check(now)
    assert len(mail.inbox.messages) == 1
    message = mail.inbox.messages[0]
    assert message["Subject"] == "ictray: data at risk (1 warning(s))"
    assert "will be deleted by the appliance" in message.get_payload(decode=True).decode()
    watch.check(now + timedelta(hours=1))
    assert len(mail.inbox.messages) == 1  # once a day while it lasts
    RiskWatch(settings).check(now + timedelta(hours=2))  # a restart remembers the last mail
    assert len(mail.inbox.messages) == 1
    watch.check(now + timedelta(days=1, minutes=1))
    assert len(mail.inbox.messages) == 2

    simulator.faults.reset()
    _run(settings)  # now they are fetched: the risk ends
    assert watch.check() == []
    assert settings.app().risk_mailed_at is None  # the next risk is mailed at once


def test_copying_that_stopped_is_at_risk_after_a_day(watched) -> None:
    settings, _ = watched
    _run(settings)
    assert find_risks() == []
    later = utcnow() + timedelta(hours=25)
    [risk] = find_risks(later)
    assert risk.kind == STALE
    assert risk.message.startswith("site 'sim' to destination 'files': nothing copied since ")
    app = settings.app()
    app.warn_after_hours = 48
    app.save()
    assert find_risks(later) == []
    assert find_risks(utcnow() + timedelta(hours=49))[0].kind == STALE


def test_a_pair_never_copied_is_at_risk_once_it_was_set_up_a_day_ago(watched) -> None:
    assert Watermark.select().count() == 0
    assert find_risks() == []
    [risk] = find_risks(utcnow() + timedelta(days=2))
    assert risk.kind == STALE and "nothing copied yet" in risk.message
