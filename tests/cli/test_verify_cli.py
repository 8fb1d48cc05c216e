"""``ictray verify`` against the simulator: complete after a run; a deleted and an edited file
are named; ``--repair`` brings back what was deleted; the HTML page says the same."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.simulator(sessions=40, days=2, seed=9, recording_size=4096)


@pytest.fixture
def archived(cli, simulator, tmp_path: Path):
    """A site copied by one run into a folder (everything) and an SQLite database."""
    folder, database = tmp_path / "archive", tmp_path / "reports.db"
    steps = [
        (
            "site",
            "add",
            "sim",
            "--host",
            simulator.address,
            "--client-id",
            simulator.client_id,
            "--ca-bundle",
            str(simulator.ca_bundle),
            "--client-secret-stdin",
        ),
        ("dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={folder}"),
        (
            "dest",
            "add",
            "db",
            "--plugin",
            "sql",
            "--option",
            f"connection_string=sqlite:///{database}",
        ),
        (
            "schedule",
            "add",
            "all",
            "--every",
            "1h",
            "--transfer",
            "sim:files:session_data,session_recordings,command_shell_recordings,"
            "presentation_data,site_backups",
            "--transfer",
            "sim:db:session_data",
        ),
        ("run-now", "--quiet"),
    ]
    for step in steps:
        result = cli(*step, stdin=simulator.client_secret + "\n")
        assert result.code == 0, (step, result.err)
    return folder, database


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Page(HTMLParser):
    """The verdict and the rows of findings of the HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.verdict = ""
        self.rows: list[list[str]] = []
        self._in_verdict = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") == "verdict":
            self._in_verdict = True
        if tag == "tr" and "finding" in (attributes.get("class") or ""):
            self._row = []
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "strong":
            self._in_verdict = False
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict += data
        if self._cell is not None:
            self._cell.append(data)


def test_verify_finds_a_deleted_and_an_edited_file_and_repair_fetches_the_deleted(
    cli, archived, tmp_path: Path
) -> None:
    folder, _ = archived
    clean = cli("verify")
    assert clean.code == 0, clean.out + clean.err
    assert "site 'sim' -> destination 'files': complete" in clean.out
    assert "site 'sim' -> destination 'db': complete" in clean.out
    assert clean.out.rstrip().endswith("all complete")

    recording = sorted(folder.glob("*.flv")) + sorted(folder.glob("*.mp4"))
    deleted = recording[0]
    deleted_digest = _digest(deleted)
    deleted.unlink()
    edited = sorted(folder.glob("*-support-*.xml"))[0]
    edited.write_bytes(edited.read_bytes().replace(b"<session_type>", b"<session_type> "))

    page = tmp_path / "report.html"
    broken = cli("verify", "--html", str(page))
    assert broken.code == 1
    assert "missing: session recordings" in broken.out or "missing:" in broken.out
    assert str(deleted) in broken.out  # where it was recorded as stored
    assert "damaged: session data" in broken.out and str(edited) in broken.out
    assert "changed since it was written" in broken.out
    assert "INCOMPLETE" in broken.out

    parsed = _Page()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert parsed.verdict == "the archive is not complete"
    kinds = {row[0]: row for row in parsed.rows}
    assert set(kinds) == {"missing", "damaged"}
    assert str(edited) == kinds["damaged"][3]
    assert str(deleted) in kinds["missing"][4]

    as_json = json.loads(cli("verify", "--json").out)
    files = next(pair for pair in as_json["pairs"] if pair["destination"] == "files")
    assert files["counts"]["missing"] == 1 and files["counts"]["damaged"] == 1
    assert not as_json["ok"]

    repaired = cli("verify", "--repair")
    assert repaired.code == 1  # the edited file is reported, never replaced
    assert "fetched again: 1 item(s)" in repaired.out
    assert "missing:" not in repaired.out and str(edited) in repaired.out
    restored = [p for p in folder.iterdir() if p.suffix in (".flv", ".mp4")]
    assert deleted_digest in {_digest(path) for path in restored}


def test_verify_finds_a_session_row_deleted_from_the_database(cli, archived) -> None:
    _, database = archived
    with sqlite3.connect(database) as connection:
        (lsid,) = connection.execute("SELECT lsid FROM session ORDER BY lsid LIMIT 1").fetchone()
        connection.execute("DELETE FROM session WHERE lsid = ?", (lsid,))
    result = cli("verify", "--destination", "db")
    assert result.code == 1
    assert f"missing: session data {lsid}" in result.out
    assert "destination 'files'" not in result.out  # only the one asked for
    assert cli("verify", "--destination", "db", "--repair", "--quiet").code == 0
    with sqlite3.connect(database) as connection:
        assert connection.execute(
            "SELECT COUNT(*) FROM session WHERE lsid = ?", (lsid,)
        ).fetchone() == (1,)
