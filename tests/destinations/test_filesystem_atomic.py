"""Atomic writes of the File System destination: a file exists under its final name complete or
not at all, even when the writer fails or is killed, and a later run tidies what a crash left."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ictray.datatypes import DataType
from ictray.destinations import atomic
from ictray.destinations.base import FileMeta
from ictray.destinations.filesystem import FileSystemDestination

HOST = "support.example.com"
FINAL = "support.example.com-support-1234.flv"
META = FileMeta(HOST, DataType.SESSION_RECORDINGS, "flv", lsid="1234")


def destination(folder: Path, **options: str) -> FileSystemDestination:
    return FileSystemDestination("Archive", {"directory": str(folder), **options})


def temps(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(atomic.TEMP_PREFIX))


def age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


@pytest.mark.parametrize("mode", ["AppendNumber", "Overwrite", "Skip"])
def test_an_exception_in_the_block_leaves_no_file(tmp_path: Path, mode: str) -> None:
    dest = destination(tmp_path, conflict_handling=mode)
    with pytest.raises(RuntimeError, match="download broke"), dest.file_writer(META) as sink:
        sink.write(b"half a recording")
        raise RuntimeError("download broke")
    assert list(tmp_path.iterdir()) == []
    assert sink.stored is None


def test_an_existing_file_survives_a_failed_overwrite(tmp_path: Path) -> None:
    (tmp_path / FINAL).write_bytes(b"complete")
    dest = destination(tmp_path, conflict_handling="Overwrite")
    with pytest.raises(RuntimeError), dest.file_writer(META) as stream:
        stream.write(b"partial")
        raise RuntimeError
    assert [p.name for p in tmp_path.iterdir()] == [FINAL]
    assert (tmp_path / FINAL).read_bytes() == b"complete"


def test_the_callers_own_errors_pass_through_unchanged(tmp_path: Path) -> None:
    dest = destination(tmp_path)
    with pytest.raises(ConnectionResetError), dest.file_writer(META):
        raise ConnectionResetError("appliance went away")
    assert list(tmp_path.iterdir()) == []


def test_the_data_is_in_a_hidden_temporary_file_until_the_block_ends(tmp_path: Path) -> None:
    dest = destination(tmp_path)
    with dest.file_writer(META) as sink:
        sink.write(b"abc")
        sink.stream.flush()
        [temp] = temps(tmp_path)
        assert temp.read_bytes() == b"abc"
        assert not (tmp_path / FINAL).exists()
    assert [p.name for p in tmp_path.iterdir()] == [FINAL]
    assert (tmp_path / FINAL).read_bytes() == b"abc"


def test_a_stream_the_caller_closed_is_still_stored(tmp_path: Path) -> None:
    dest = destination(tmp_path)
    with dest.file_writer(META) as sink:
        sink.write(b"closed early")
        sink.stream.close()
    assert (tmp_path / FINAL).read_bytes() == b"closed early"
    assert temps(tmp_path) == []


def test_link_new_refuses_a_taken_name_and_keeps_the_temporary_file(tmp_path: Path) -> None:
    final = tmp_path / "taken.flv"
    final.write_bytes(b"first")
    temp, size, digest = atomic.write_staged(tmp_path, b"second", lambda error: error)
    assert (size, digest) == (6, hashlib.sha256(b"second").hexdigest())
    assert atomic.link_new(temp, final) is False
    assert temp.read_bytes() == b"second" and final.read_bytes() == b"first"
    free = tmp_path / "free.flv"
    assert atomic.link_new(temp, free) is True
    assert free.read_bytes() == b"second" and not temp.exists()


_CRASHING_WRITER = """
import sys, time
from ictray.datatypes import DataType
from ictray.destinations.base import FileMeta
from ictray.destinations.filesystem import FileSystemDestination

dest = FileSystemDestination("Archive", {"directory": sys.argv[1]})
meta = FileMeta("support.example.com", DataType.SESSION_RECORDINGS, "flv", lsid="1234")
with dest.file_writer(meta) as sink:
    sink.write(b"x" * 100_000)
    sink.stream.flush()
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_killed_writer_leaves_no_file_and_the_next_run_tidies_up(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", _CRASHING_WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        os.kill(writer.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    finally:
        writer.wait(timeout=30)
        if writer.stdout is not None:
            writer.stdout.close()
    assert not (tmp_path / FINAL).exists()
    [temp] = temps(tmp_path)
    assert temp.stat().st_size == 100_000

    destination(tmp_path).open()  # young: it could belong to a writer still at work
    assert temps(tmp_path) == [temp]

    age(temp, atomic.STALE_AFTER_SECONDS + 60)
    dest = destination(tmp_path)
    dest.open()
    assert temps(tmp_path) == []
    with dest.file_writer(META) as stream:
        stream.write(b"complete")
    assert [p.name for p in tmp_path.iterdir()] == [FINAL]


def test_sub_folders_are_tidied_when_first_written_to(tmp_path: Path) -> None:
    sub = tmp_path / HOST
    sub.mkdir()
    stale = sub / ".ictray-0123456789abcdef.partial"
    stale.write_bytes(b"left by a crash")
    age(stale, atomic.STALE_AFTER_SECONDS + 60)
    dest = destination(tmp_path, name_format="%SUPPORT_SITE_HOST%/%LSID%.%EXTENSION%")
    dest.open()
    assert stale.exists()
    with dest.file_writer(META) as stream:
        stream.write(b"v")
    assert sorted(p.name for p in sub.iterdir()) == ["1234.flv"]


def test_the_sweep_removes_only_its_own_old_temporary_files(tmp_path: Path) -> None:
    own = tmp_path / ".ictray-fedcba9876543210.partial"
    lookalikes = [
        tmp_path / name
        for name in (
            ".ictray-notes",
            ".ictray-0123.partial",
            ".hidden.partial",
            "ictray-0123456789abcdef.partial",
            ".ictray-0123456789abcdef.partial.keep",
        )
    ]
    folder = tmp_path / ".ictray-aaaaaaaaaaaaaaaa.partial"
    folder.mkdir()
    for path in [own, *lookalikes]:
        path.write_bytes(b"x")
        age(path, atomic.STALE_AFTER_SECONDS * 10)
    assert atomic.sweep_stale(tmp_path) == [own]
    assert all(path.exists() for path in lookalikes) and folder.is_dir()
