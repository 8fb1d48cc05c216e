"""The database stopped in the middle of a run and started again: nothing lost, nothing twice,
and the error logged and mailed."""

from __future__ import annotations

import logging
import threading
import time

import psycopg
import pytest

from ictray import logs
from ictray.notify import ErrorMailer, SmtpConfig
from ictray.scheduler.runner import run_schedule
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.transfer.options import TransferOptions
from ictray.transfer.result import COMPLETED, UNREACHABLE

pytestmark = pytest.mark.simulator(sessions=300, days=2, seed=11, recording_size=1024)


def _stored(url: str) -> list[tuple[str, object]]:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT lsid, end_time FROM session").fetchall()


def test_the_database_stops_mid_run(simulator, postgres, smtp_server, tmp_path) -> None:
    mail = smtp_server()
    logs.setup_logging(tmp_path / "logs")
    mailer = ErrorMailer(
        SmtpConfig(mail.host, mail.port, "none", "ic@example.com", ("ops@example.com",)),
        min_interval=0,
    )
    logs.add_handler(mailer)
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="warehouse", plugin="sql", options={"connection_string": postgres.url}
        )
        schedules.add_schedule(
            settings,
            name="db",
            every="15m",
            transfers=[schedules.parse_transfer("sim:warehouse:session_data")],
        )
        options = TransferOptions(batch_size=10, chunk=6 * 3600)
        simulator.faults.delay = 0.01

        def stop_when_half_stored() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if len(_stored(postgres.url)) >= 40:
                        break
                except psycopg.Error:
                    pass  # the schema is not there yet
                time.sleep(0.02)
            postgres.stop()

        stopper = threading.Thread(target=stop_when_half_stored)
        stopper.start()
        first = run_schedule(settings, schedules.get_schedule("db"), options=options)
        stopper.join()
        assert first.outcome == UNREACHABLE
        message = " ".join(first.results[0].errors)
        assert "warehouse" in message
        service_log = logs.latest_log(tmp_path / "logs", logs.SERVICE_LOG).read_text()
        assert "ERROR" in service_log and "warehouse" in service_log
        assert mail.inbox.messages, "the error was not mailed"
        body = mail.inbox.messages[0].get_payload()
        assert "destination 'warehouse'" in body and "site 'sim'" in body
        assert schedules.get_schedule("db").last_run is not None  # the guide's rule

        postgres.start()
        simulator.faults.delay = 0
        second = run_schedule(settings, schedules.get_schedule("db"), options=options)
        assert second.outcome == COMPLETED, second.results[0].errors
    rows = _stored(postgres.url)
    everything = {s.lsid: s for s in simulator.site.iter_sessions(start_from=0)}
    assert len(rows) == len({lsid for lsid, _ in rows}), "a session is stored twice"
    assert {lsid for lsid, _ in rows} == set(everything)
    for lsid, end_time in rows:
        assert (end_time is None) == (everything[lsid].end_time is None), lsid
    logging.getLogger(logs.LOGGER_NAME).removeHandler(mailer)
