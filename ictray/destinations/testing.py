"""Checks every destination plugin must pass, for the plugin's own tests (pytest).

Subclass ``DestinationContract`` in a test module and give it a ``destination`` fixture: an
instance configured to write somewhere private to the test::

    from ictray.destinations.testing import DestinationContract

    class TestMyPlugin(DestinationContract):
        @pytest.fixture
        def destination(self, tmp_path):
            return MyPlugin("mine", {"directory": str(tmp_path)})

The checks cover what the transfer engine relies on: the options as the dialogs and the command
line show them; refusing what the plugin cannot store, with its reason; testing itself in one
line; opening and closing more than once; a batch of sessions stored with one location each;
writing a batch again storing nothing twice (a plugin that replaces sessions replaces them; one
that keeps copies announces each file before naming it and confirms it by its bytes); what
``holdings`` reads back; several files written at once each landing whole and apart; a write
that fails leaving nothing. The sessions written are the appliance simulator's, as real
reports hold them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

import pytest

from ictray.appliance.model import Session
from ictray.datatypes import DataType
from ictray.destinations.base import (
    Destination,
    DestinationError,
    FileMeta,
    Placement,
)
from ictray.errors import ValidationError
from ictray.simulator.generate import SimulatedSite

SITE_HOST = "support.example.com"
THREADS = 6


class DestinationContract:
    """The checks; a subclass provides the ``destination`` fixture."""

    site_host = SITE_HOST

    @pytest.fixture
    def destination(self) -> Destination:
        raise NotImplementedError("give the `destination` fixture: a configured plugin instance")

    @pytest.fixture
    def sessions(self) -> list[Session]:
        """A dozen closed sessions with every kind of content, as an appliance reports them."""
        site = SimulatedSite(sessions=16, days=1, seed=11, recording_size=4096)
        return [s for s in site.iter_sessions(start_from=0) if s.end_time is not None][:12]

    # -- what the plugin declares ----------------------------------------------------------

    def test_the_plugin_and_its_options_are_described(self, destination: Destination) -> None:
        plugin = type(destination)
        assert plugin.plugin_name and plugin.label and plugin.accepts
        for spec in plugin.options:
            assert spec.key and spec.label and spec.tooltip, spec
        checked = plugin.validate_options(destination.config)  # what Save stores
        assert plugin.validate_options(checked) == checked  # and reads back unchanged

    def test_an_unknown_option_is_refused_by_its_name(self, destination: Destination) -> None:
        with pytest.raises(ValidationError) as caught:
            type(destination).validate_options({**destination.config, "no_such_option": "x"})
        assert "no_such_option" in str(caught.value)

    def test_data_types_it_cannot_store_are_refused_with_a_reason(
        self, destination: Destination
    ) -> None:
        plugin = type(destination)
        plugin.check_data_types(sorted(plugin.accepts, key=list(DataType).index))
        for data_type in DataType:
            if data_type not in plugin.accepts:
                with pytest.raises(ValidationError) as caught:
                    plugin.check_data_types([data_type])
                assert str(caught.value).strip()

    def test_writes_it_cannot_take_name_the_destination(
        self, destination: Destination, sessions: list[Session]
    ) -> None:
        plugin = type(destination)
        with destination:
            if DataType.SESSION_DATA not in plugin.accepts:
                with pytest.raises(DestinationError, match=destination.name):
                    destination.write_sessions(self.site_host, sessions[:1])
            if not any(t.is_recording or t is DataType.SITE_BACKUPS for t in plugin.accepts):
                meta = FileMeta(self.site_host, DataType.SESSION_RECORDINGS, "flv", lsid="0" * 32)
                with (
                    pytest.raises(DestinationError, match=destination.name),
                    destination.file_writer(meta),
                ):
                    pass

    # -- life cycle ------------------------------------------------------------------------

    def test_it_tests_itself_in_one_line(self, destination: Destination) -> None:
        said = destination.test()
        assert said.strip() and "\n" not in said

    def test_it_opens_and_closes_more_than_once(self, destination: Destination) -> None:
        for _ in range(2):
            with destination:
                pass
        destination.close()  # closing what is closed is harmless

    # -- session data ----------------------------------------------------------------------

    def _requires(self, destination: Destination, data_type: DataType) -> None:
        if data_type not in type(destination).accepts:
            pytest.skip(f"the plugin does not store {data_type.label.lower()}")

    def _write(
        self, destination: Destination, sessions: list[Session]
    ) -> tuple[list[str], dict[str, Placement]]:
        announced: dict[str, Placement] = {}
        with destination:
            locations = destination.write_sessions(
                self.site_host, sessions, before_publish=announced.update
            )
        return locations, announced

    def test_a_batch_is_stored_with_one_location_per_session(
        self, destination: Destination, sessions: list[Session]
    ) -> None:
        self._requires(destination, DataType.SESSION_DATA)
        locations, announced = self._write(destination, sessions)
        assert len(locations) == len(sessions) and all(locations)
        if not destination.replaces_sessions:
            # A plugin that keeps copies must say where each file goes before it names it.
            assert set(announced) == {s.lsid for s in sessions}
            assert all(destination.confirm_stored(p) for p in announced.values())

    def test_a_batch_written_again_is_not_stored_twice(
        self, destination: Destination, sessions: list[Session]
    ) -> None:
        self._requires(destination, DataType.SESSION_DATA)
        _, announced = self._write(destination, sessions)
        if destination.replaces_sessions:
            self._write(destination, sessions)
            held = self._held(destination, DataType.SESSION_DATA, {})
            if held is not None:
                assert sorted(held) == sorted(s.lsid for s in sessions)
        else:
            # The engine writes again only what it cannot confirm: each file, by its bytes.
            for placement in announced.values():
                assert destination.confirm_stored(placement)
                changed = Placement(placement.location, placement.size, "0" * 64)
                assert not destination.confirm_stored(changed)

    def test_what_it_holds_is_read_back(
        self, destination: Destination, sessions: list[Session]
    ) -> None:
        self._requires(destination, DataType.SESSION_DATA)
        locations, announced = self._write(destination, sessions)
        manifest: dict[str, Placement | str] = {
            s.lsid: announced.get(s.lsid, where)
            for s, where in zip(sessions, locations, strict=True)
        }
        held = self._held(destination, DataType.SESSION_DATA, manifest)
        if held is None:
            pytest.skip("the plugin cannot list what it holds (holdings returns None)")
        assert sorted(held) == sorted(s.lsid for s in sessions)

    def _held(
        self, destination: Destination, data_type: DataType, manifest: Mapping[str, Any]
    ) -> list[str] | None:
        holdings = destination.holdings(self.site_host, data_type, manifest)
        if holdings is None:
            return None
        assert not holdings.damaged, holdings.damaged
        return [item.key for item in holdings.held]

    # -- files -----------------------------------------------------------------------------

    def _file_type(self, destination: Destination) -> DataType:
        kinds = [t for t in DataType if t.is_recording and t in type(destination).accepts]
        if not kinds:
            pytest.skip("the plugin stores no recordings")
        return kinds[0]

    def test_files_written_at_once_each_land_whole_and_apart(
        self, destination: Destination
    ) -> None:
        data_type = self._file_type(destination)
        barrier = threading.Barrier(THREADS)
        results: dict[int, Any] = {}
        errors: list[BaseException] = []

        def write(index: int) -> None:
            meta = FileMeta(self.site_host, data_type, "flv", lsid=f"{index:032x}")
            try:
                with destination.file_writer(meta) as sink:
                    sink.write(f"recording {index} ".encode() * 500)
                    barrier.wait(30)
                results[index] = sink.stored
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        with destination:
            threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        assert not errors, errors
        assert len({stored.location for stored in results.values()}) == THREADS
        for index, stored in results.items():
            data = f"recording {index} ".encode() * 500
            assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
            placement = Placement(stored.location, len(data), hashlib.sha256(data).hexdigest())
            if not destination.replaces_sessions:
                assert destination.confirm_stored(placement)

    def test_a_file_write_that_fails_leaves_nothing(self, destination: Destination) -> None:
        data_type = self._file_type(destination)
        meta = FileMeta(self.site_host, data_type, "flv", lsid="f" * 32)
        announced: list[Placement] = []
        with (
            destination,
            pytest.raises(RuntimeError, match="the download broke"),
            destination.file_writer(meta, before_publish=announced.append) as sink,
        ):
            sink.write(b"half a recording")
            raise RuntimeError("the download broke")
        assert sink.stored is None and announced == []
