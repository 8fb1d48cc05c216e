"""``ictray apitest`` in both modes, set up with the CLI as a person would."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ictray.appliance.parse import iter_sessions
from ictray.appliance.xmlwrite import write_session_list

CLI = Callable[..., Any]


@pytest.fixture
def configured(cli: CLI, add_simulator_site, tmp_path: Path) -> dict[str, Path]:
    add_simulator_site()
    tested = cli("site", "test", "sim")
    assert tested.code == 0, tested.err
    assert "API version" in tested.out and "clock skew" in tested.out
    folder, database = tmp_path / "archive", tmp_path / "reports.db"
    assert (
        cli(
            "dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={folder}"
        ).code
        == 0
    )
    assert (
        cli(
            "dest",
            "add",
            "reports",
            "--plugin",
            "sql",
            "--option",
            f"connection_string=sqlite:///{database}",
        ).code
        == 0
    )
    return {"folder": folder, "database": database}


def _day_of(simulator) -> str:
    first = min(s.start_time for s in simulator.site.iter_sessions(start_from=0))
    return __import__("datetime").datetime.fromtimestamp(first).strftime("%Y-%m-%d")


def test_a_time_window_to_a_folder_and_a_database(cli: CLI, simulator, configured) -> None:
    result = cli(
        "apitest",
        "--site",
        "sim",
        "--dest",
        "files",
        "--dest",
        "reports",
        "--type",
        "session_data",
        "--start",
        _day_of(simulator),
        "--duration",
        "5d",
    )
    assert result.code == 0, result.out + result.err
    expected = {s.lsid for s in simulator.site.iter_sessions(start_from=0)}
    assert f"sim -> reports: session data: {len(expected)} stored" in result.out
    with sqlite3.connect(configured["database"]) as connection:
        stored = {r[0] for r in connection.execute("SELECT lsid FROM session")}
    assert stored == expected
    files = list(configured["folder"].glob("*.xml"))
    assert len(files) == len(expected)
    assert str(files[0].parent) in result.out


def test_session_ids_with_recordings(cli: CLI, simulator, configured) -> None:
    with_recording = next(
        s
        for s in simulator.site.iter_sessions(start_from=0)
        if s.has_session_recording and s.end_time is not None
    )
    result = cli(
        "apitest",
        "--site",
        "sim",
        "--dest",
        "files",
        "--type",
        "session_data,session_recordings",
        "--session",
        with_recording.lsid,
    )
    assert result.code == 0, result.out + result.err
    assert "session data: 1 stored" in result.out
    assert "session recordings: 1 stored" in result.out
    recordings = [p for p in configured["folder"].iterdir() if p.suffix in (".flv", ".mp4")]
    assert len(recordings) == 1
    assert with_recording.lsid in recordings[0].name


def test_saved_xml_files_into_the_database(cli: CLI, simulator, configured, tmp_path) -> None:
    sessions = list(simulator.site.iter_sessions(start_from=0))[:7]
    saved = tmp_path / "saved-report.xml"
    with saved.open("wb") as handle:
        write_session_list(sessions, handle)
    result = cli(
        "apitest",
        "--xml",
        str(saved),
        "--dest",
        "reports",
        "--type",
        "session_data",
        "--host",
        "support.example.com",
    )
    assert result.code == 0, result.out + result.err
    assert "session data: 7 stored" in result.out
    with sqlite3.connect(configured["database"]) as connection:
        rows = connection.execute("SELECT lsid, host_name FROM session").fetchall()
    assert sorted(rows) == sorted((s.lsid, "support.example.com") for s in sessions)
    with saved.open("rb") as handle:
        assert [s.lsid for s in iter_sessions(handle)] == [s.lsid for s in sessions]


def test_xml_recordings_need_the_site(cli: CLI, configured, tmp_path) -> None:
    saved = tmp_path / "report.xml"
    saved.write_text("<session_list></session_list>")
    result = cli("apitest", "--xml", str(saved), "--dest", "files", "--type", "session_recordings")
    assert result.code == 2
    assert "name the site they were extracted from with --site" in result.err


def test_an_error_document_is_not_a_report(cli: CLI, configured, tmp_path) -> None:
    saved = tmp_path / "answer.xml"
    saved.write_text("<error>Login failed</error>")
    result = cli(
        "apitest",
        "--xml",
        str(saved),
        "--dest",
        "files",
        "--type",
        "session_data",
        "--host",
        "h.example.com",
    )
    assert result.code == 2
    assert "is an error answer from the appliance" in result.err


def test_recordings_to_sql_are_refused_with_the_guides_reason(cli: CLI, configured) -> None:
    result = cli(
        "apitest",
        "--site",
        "sim",
        "--dest",
        "reports",
        "--type",
        "session_recordings",
        "--session",
        "0" * 32,
    )
    assert result.code == 2
    assert "destination 'reports' cannot take this" in result.err


def test_an_unreachable_site_exits_1(cli: CLI, simulator, configured) -> None:
    simulator.faults.reject_credentials = True
    result = cli(
        "apitest",
        "--site",
        "sim",
        "--dest",
        "files",
        "--type",
        "session_data",
        "--start",
        _day_of(simulator),
    )
    assert result.code == 1
    assert "the client secret was rejected" in result.out + result.err


def test_hostile_sessions_in_a_saved_report_are_refused_one_line_each(
    cli: CLI, simulator, configured, tmp_path
) -> None:
    good = list(simulator.site.iter_sessions(start_from=0))[:2]
    deep = "<extra>" * 500 + "</extra>" * 500
    hostile = (
        f'<session lsid="{"1" * 32}"><lseq>1</lseq>{deep}</session>\n'
        f'<session lsid="{"2" * 32}"><start_time timestamp="99999999999999999999"/></session>\n'
        "<session><lseq>3</lseq></session>\n"
    ).encode()
    report = io.BytesIO()
    write_session_list(good, report)
    data = report.getvalue()
    cut = data.rindex(b"</session_list>")
    saved = tmp_path / "hostile.xml"
    saved.write_bytes(data[:cut] + hostile + data[cut:])
    result = cli(
        "apitest",
        "--xml",
        str(saved),
        "--dest",
        "reports",
        "--type",
        "session_data",
        "--host",
        "support.example.com",
    )
    assert result.code == 1, result.out + result.err
    text = result.out + result.err
    assert "Traceback" not in text and "RecursionError" not in text
    assert "OverflowError" not in text
    assert "session data: 2 stored, 3 refused" in result.out
    lines = [line.strip() for line in text.splitlines() if "refused:" in line]
    assert len(lines) == 3
    assert lines[0] == (
        f"error: session {'1' * 32} refused: extra nests elements deeper than 32 levels"
    )
    assert lines[1] == (
        f"error: session {'2' * 32} refused: start_time@timestamp 99999999999999999999 is out "
        "of range (a time between 1970 and 2099)"
    )
    assert lines[2].startswith("error: session no-lsid-") and lines[2].endswith(
        "refused: @lsid is missing"
    )
    with sqlite3.connect(configured["database"]) as connection:
        stored = {r[0] for r in connection.execute("SELECT lsid FROM session")}
    assert stored == {s.lsid for s in good}
