"""Recordings and site backups over real HTTPS: bytes, types, cuts, expiry, file names."""

from __future__ import annotations

import io
import logging
from datetime import date

import pytest

from ictray.appliance import contract, reports
from ictray.appliance.errors import (
    ApplianceError,
    DownloadIncompleteError,
    RecordingExpiredError,
)
from ictray.datatypes import DataType
from ictray.simulator import contract as rules

KINDS = {
    DataType.SESSION_RECORDINGS: contract.SUPPORT_SESSION_RECORDING,
    DataType.SHOW_MY_SCREEN_RECORDINGS: contract.SHOW_MY_SCREEN_RECORDING,
    DataType.COMMAND_SHELL_RECORDINGS: contract.COMMAND_SHELL_RECORDING,
    DataType.PRESENTATION_RECORDINGS: contract.PRESENTATION_SESSION_RECORDING,
}


def _recordings(site, kind: DataType) -> list[tuple[str, int | None]]:
    """Every (lsid, instance) of ``kind`` the site lists now."""
    if kind is DataType.PRESENTATION_RECORDINGS:
        return [
            (p.lsid, None)
            for p in site.iter_presentations()
            if p.presentation_recording_download_url
        ]
    found: list[tuple[str, int | None]] = []
    for session in site.iter_sessions():
        if kind is DataType.SESSION_RECORDINGS and session.has_session_recording:
            found.append((session.lsid, None))
        refs = {
            DataType.SHOW_MY_SCREEN_RECORDINGS: session.show_my_screen_recordings,
            DataType.COMMAND_SHELL_RECORDINGS: session.command_shell_recordings,
        }.get(kind, [])
        found.extend((session.lsid, ref.instance) for ref in refs)
    return found


@pytest.mark.simulator(sessions=60, presentations=30, recording_size=20_000)
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_recording_kind_arrives_whole_with_its_type(simulator, kind):
    site = simulator.site
    wanted = _recordings(site, kind)
    assert wanted, f"the site has no {kind.label.lower()}"
    extensions = set()
    with simulator.client() as client:
        for lsid, instance in wanted[:6]:
            out = io.BytesIO()
            result = reports.download_recording(client, kind, lsid, instance, out)
            expected = site.recording(KINDS[kind], lsid, instance)
            content_type = site.recording_content_type(KINDS[kind], lsid, instance)
            assert out.getvalue() == expected
            assert result.bytes == len(expected) == 20_000
            assert result.content_type == content_type
            assert result.extension == {"video/x-flv": "flv", "video/mp4": "mp4"}[content_type]
            extensions.add(result.extension)
    assert "flv" in extensions


def _one_recording(simulator) -> tuple[str, bytes]:
    lsid, _ = _recordings(simulator.site, DataType.SESSION_RECORDINGS)[0]
    return lsid, simulator.site.recording(contract.SUPPORT_SESSION_RECORDING, lsid)


@pytest.mark.simulator(recording_size=200_000)
@pytest.mark.parametrize("cut_after", [1000, 150_000])
def test_a_cut_download_is_fetched_again_from_the_start(simulator, cut_after):
    """A cut in the first chunk and one after bytes went into ``out`` alike."""
    lsid, expected = _one_recording(simulator)
    simulator.faults.cut_downloads = 1
    simulator.faults.cut_after = cut_after
    out = io.BytesIO(b"kept")
    out.seek(4)
    with simulator.client() as client:
        result = reports.download_recording(client, DataType.SESSION_RECORDINGS, lsid, None, out)
    assert out.getvalue() == b"kept" + expected
    assert result.bytes == len(expected)
    assert simulator.server.count(contract.REPORTING_PATH, 200) == 2


def test_a_download_cut_every_time_keeps_nothing(simulator):
    lsid, _ = _one_recording(simulator)
    simulator.faults.cut_downloads = 100
    out = io.BytesIO(b"kept")
    out.seek(4)
    with (
        simulator.client(max_retries=2) as client,
        pytest.raises(DownloadIncompleteError) as caught,
    ):
        reports.download_recording(client, DataType.SESSION_RECORDINGS, lsid, None, out)
    assert out.getvalue() == b"kept"
    assert caught.value.expected == simulator.site.recording_size
    assert caught.value.received < caught.value.expected
    assert f"session recording of session {lsid}" in str(caught.value)
    assert simulator.server.count(contract.REPORTING_PATH, 200) == 3


class _Pipe(io.RawIOBase):
    """A write-only stream that cannot seek, like a pipe."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk) -> int:
        self.data += chunk
        return len(chunk)


@pytest.mark.simulator(recording_size=200_000)
def test_a_cut_into_a_stream_that_cannot_rewind_is_not_retried(simulator):
    lsid, _ = _one_recording(simulator)
    simulator.faults.cut_downloads = 1
    simulator.faults.cut_after = 150_000
    pipe = _Pipe()
    with simulator.client() as client, pytest.raises(DownloadIncompleteError) as caught:
        reports.download_recording(client, DataType.SESSION_RECORDINGS, lsid, None, pipe)
    assert simulator.server.count(contract.REPORTING_PATH, 200) == 1
    assert "(1 try:" in str(caught.value)
    assert 0 < len(pipe.data) < 200_000


def test_an_expired_recording_is_a_permanent_typed_error(simulator):
    lsid, _ = _one_recording(simulator)
    simulator.faults.expired_recordings = True
    out = io.BytesIO()
    with simulator.client() as client, pytest.raises(RecordingExpiredError) as caught:
        reports.download_recording(client, DataType.SESSION_RECORDINGS, lsid, None, out)
    assert caught.value.appliance_text == contract.RECORDING_EXPIRED
    assert lsid in str(caught.value)
    assert out.getvalue() == b""
    assert simulator.server.count(contract.REPORTING_PATH) == 1


@pytest.mark.simulator(expired_fraction=1.0)
def test_recordings_the_site_expired_say_so(simulator):
    lsid, _ = _recordings(simulator.site, DataType.SESSION_RECORDINGS)[0]
    with simulator.client() as client, pytest.raises(RecordingExpiredError):
        reports.download_recording(client, DataType.SESSION_RECORDINGS, lsid, None, io.BytesIO())


def test_a_recording_that_does_not_exist_is_an_appliance_error(simulator):
    lsid = next(s.lsid for s in simulator.site.iter_sessions() if not s.command_shell_recordings)
    with simulator.client() as client, pytest.raises(ApplianceError) as caught:
        reports.download_recording(client, DataType.COMMAND_SHELL_RECORDINGS, lsid, 0, io.BytesIO())
    assert caught.value.appliance_text == rules.NO_RECORDING
    assert "(instance 0)" in str(caught.value)


def test_instances_are_required_exactly_where_they_exist(simulator):
    lsid, _ = _one_recording(simulator)
    with simulator.client() as client:
        with pytest.raises(ValueError, match="need instance"):
            reports.download_recording(
                client, DataType.COMMAND_SHELL_RECORDINGS, lsid, None, io.BytesIO()
            )
        with pytest.raises(ValueError, match="take no instance"):
            reports.download_recording(client, DataType.SESSION_RECORDINGS, lsid, 0, io.BytesIO())
        with pytest.raises(ValueError, match="are not recordings"):
            reports.download_recording(client, DataType.SESSION_DATA, lsid, None, io.BytesIO())


def test_the_backup_arrives_with_the_appliance_file_name(simulator):
    out = io.BytesIO()
    with simulator.client() as client:
        result = reports.download_backup(client, out)
    assert out.getvalue() == simulator.site.backup(None)
    assert result.filename == simulator.site.backup_filename()
    assert result.extension == "nsb"
    assert result.bytes == len(out.getvalue())


def test_a_backup_password_is_used_and_never_shown(simulator, caplog):
    password = "Backup-Pässwort-42"
    simulator.faults.server_errors = 1
    simulator.faults.cut_downloads = 1
    out = io.BytesIO()
    with caplog.at_level(logging.DEBUG), simulator.client() as client:
        reports.download_backup(client, out, password)
        simulator.faults.cut_downloads = 100
        with pytest.raises(DownloadIncompleteError) as caught:
            reports.download_backup(client, io.BytesIO(), password)
    assert out.getvalue() == simulator.site.backup(password)
    assert out.getvalue() != simulator.site.backup(None)
    assert password not in caplog.text
    assert password not in str(caught.value)


@pytest.mark.parametrize(
    ("content_type", "filename", "extension"),
    [
        ("video/x-flv", None, "flv"),
        ("video/mp4", None, "mp4"),
        ("application/octet-stream", None, "flv"),
        (None, None, "flv"),
        ("application/octet-stream", "support-1234.MP4", "mp4"),
        ("video/quicktime", None, "mov"),
    ],
)
def test_recording_extensions(content_type, filename, extension):
    assert reports.recording_extension(content_type, filename) == extension


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="site-2024-01-02.nsb"', "site-2024-01-02.nsb"),
        ("attachment; filename*=UTF-8''s%C3%AFte.nsb", "sïte.nsb"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Windows\\\\evil.nsb"', "evil.nsb"),
        ("attachment", None),
    ],
)
def test_file_names_from_content_disposition_are_bare(header, name):
    assert reports.disposition_filename({"Content-Disposition": header}) == name


def test_a_backup_without_a_file_name_is_named_after_host_and_day():
    assert reports.backup_filename("support.example.com:8443", {}) == (
        f"support.example.com-{date.today():%Y-%m-%d}.nsb"
    )
