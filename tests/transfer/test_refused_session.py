"""A session the database will never take (a value too wide) does not block the others."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from ictray.destinations.base import DestinationError
from ictray.settings import destinations, open_settings, schedules, sites
from ictray.settings.models import LedgerItem, Transfer
from ictray.transfer.batches import BatchWriter
from ictray.transfer.engine import TransferJob, TransferRun
from ictray.transfer.items import SUPPORT
from ictray.transfer.ledger import Ledger


def test_one_refused_session_is_reported_and_the_batch_goes_on(
    simulator, postgres, tmp_path
) -> None:
    sessions = [s for s in simulator.site.iter_sessions(start_from=0) if s.end_time][:12]
    too_wide = dataclasses.replace(sessions[5], external_key="x" * 5000)
    sessions[5] = too_wide
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="pg", plugin="sql", options={"connection_string": postgres.url}
        )
        schedules.add_schedule(
            settings,
            name="s",
            every="1h",
            transfers=[schedules.parse_transfer("sim:pg:session_data")],
        )
        transfer = Transfer.get()
        plugin = destinations.open_destination(settings, transfer.destination)
        job = TransferJob("sim", simulator.address, "pg", tuple(transfer.data_types))
        with simulator.client() as client, plugin:
            ledger = Ledger(transfer.site_id, transfer.destination_id)
            run = TransferRun(job, client, plugin, ledger)
            writer = BatchWriter(run, SUPPORT)
            for session in sessions:
                writer.add(session, "stored")
            writer.flush()
        item = LedgerItem.get(LedgerItem.key == too_wide.lsid)
        assert item.state == "gone"
        assert too_wide.lsid in item.detail
        assert run.result.count(SUPPORT.data_type).stored == 11
        assert run.result.count(SUPPORT.data_type).failed == 1
        assert any(too_wide.lsid in error for error in run.result.errors)
    with psycopg.connect(postgres.url) as connection:
        stored = {r[0] for r in connection.execute("SELECT lsid FROM session")}
    assert stored == {s.lsid for s in sessions} - {too_wide.lsid}


def test_a_stopped_database_is_an_outage_and_no_session_is_given_up(
    simulator, postgres, tmp_path
) -> None:
    """The server gone mid-run: the batch fails as a whole, says writing again is safe, and no
    session is refused; they are all written once the server is back."""
    sessions = [s for s in simulator.site.iter_sessions(start_from=0) if s.end_time][:8]
    with open_settings(tmp_path / "s.db", create=True, credential_store=None) as settings:
        sites.add_site(settings, name="sim", **simulator.site_fields())
        destinations.add_destination(
            settings, name="pg", plugin="sql", options={"connection_string": postgres.url}
        )
        schedules.add_schedule(
            settings,
            name="s",
            every="1h",
            transfers=[schedules.parse_transfer("sim:pg:session_data")],
        )
        transfer = Transfer.get()
        plugin = destinations.open_destination(settings, transfer.destination)
        job = TransferJob("sim", simulator.address, "pg", tuple(transfer.data_types))
        with simulator.client() as client, plugin:
            ledger = Ledger(transfer.site_id, transfer.destination_id)
            run = TransferRun(job, client, plugin, ledger)
            writer = BatchWriter(run, SUPPORT)
            for session in sessions[:4]:
                writer.add(session, "stored")
            writer.flush()
            postgres.stop()
            for session in sessions[4:]:
                writer.add(session, "stored")
            with pytest.raises(DestinationError) as caught:
                writer.flush()
            assert caught.value.lsid is None
            message = str(caught.value)
            assert "connection to the database was lost" in message
            assert "writing them again is safe" in message
            assert not LedgerItem.select().where(LedgerItem.state == "gone").exists()
            assert run.result.count(SUPPORT.data_type).failed == 0
            postgres.start()
            for session in sessions[4:]:
                writer.add(session, "stored")
            writer.flush()
        states = {item.key: item.state for item in LedgerItem.select()}
        assert states == {s.lsid: "stored" for s in sessions}
    with psycopg.connect(postgres.url) as connection:
        stored = sorted(r[0] for r in connection.execute("SELECT lsid FROM session"))
    assert stored == sorted(s.lsid for s in sessions)
