"""What the destinations should hold when they hold exactly what the simulated appliance holds."""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

from ictray.appliance.model import Refusal
from ictray.appliance.parse import iter_presentations, iter_sessions
from ictray.simulator.generate import (
    COMMAND_SHELL_RECORDING,
    PRESENTATION_RECORDING,
    SESSION_RECORDING,
    SHOW_MY_SCREEN_RECORDING,
)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_recordings(site) -> Counter[str]:
    """Digests of every recording of a closed session or presentation that has not expired."""
    wanted: Counter[str] = Counter()
    for session in site.iter_sessions(start_from=0):
        if session.end_time is None:
            continue
        refs = [(SESSION_RECORDING, None)] if session.has_session_recording else []
        refs += [(SHOW_MY_SCREEN_RECORDING, r.instance) for r in session.show_my_screen_recordings]
        refs += [(COMMAND_SHELL_RECORDING, r.instance) for r in session.command_shell_recordings]
        for kind, instance in refs:
            if not site.is_recording_expired(kind, session.lsid, instance):
                wanted[_digest(site.recording(kind, session.lsid, instance))] += 1
    for item in site.iter_presentations(start_from=0):
        has_recording = item.end_time is not None and item.presentation_recording_download_url
        if has_recording and not site.is_recording_expired(PRESENTATION_RECORDING, item.lsid):
            wanted[_digest(site.recording(PRESENTATION_RECORDING, item.lsid))] += 1
    return wanted


def stored_recordings(folder: Path) -> Counter[str]:
    return Counter(
        _digest(path.read_bytes()) for path in folder.iterdir() if path.suffix in (".flv", ".mp4")
    )


def stored_sessions(folder: Path) -> Counter[str]:
    """lsid -> how many session XML files hold it (more than 1 would be a duplicate)."""
    found: Counter[str] = Counter()
    for path in folder.glob("*-support-*.xml"):
        with path.open("rb") as handle:
            found.update(s.lsid for s in iter_sessions(handle))
    return found


def stored_presentations(folder: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in folder.glob("*-presentation-*.xml"):
        with path.open("rb") as handle:
            found.update(p.lsid for p in iter_presentations(handle))
    return found


def folder_contents(folder: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """lsids in the session files, in the presentation files, and digests of the recordings,
    whatever the files are named and in whichever sub-folder."""
    sessions: Counter[str] = Counter()
    presentations: Counter[str] = Counter()
    recordings: Counter[str] = Counter()
    for path in folder.rglob("*"):
        if not path.is_file() or path.name.startswith(".ictray-"):
            continue
        if path.suffix == ".xml":
            root = ElementTree.parse(path).getroot().tag
            is_sessions = root.rsplit("}", 1)[-1] == "session_list"
            found, read = (
                (sessions, iter_sessions) if is_sessions else (presentations, iter_presentations)
            )
            with path.open("rb") as handle:
                found.update(item.lsid for item in read(handle) if not isinstance(item, Refusal))
        elif path.suffix in (".flv", ".mp4"):
            recordings[hashlib.sha256(path.read_bytes()).hexdigest()] += 1
    return sessions, presentations, recordings


def closed(site, presentations: bool = False) -> Counter[str]:
    items = (
        site.iter_presentations(start_from=0) if presentations else site.iter_sessions(start_from=0)
    )
    return Counter(s.lsid for s in items if s.end_time is not None)


def sql_sessions(path: Path) -> dict[str, object]:
    """lsid -> end_time as stored; duplicates would show in the count check."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT lsid, end_time FROM session").fetchall()
    assert len(rows) == len({lsid for lsid, _ in rows}), "a session is stored twice"
    return dict(rows)


def assert_holds_exactly(wired) -> None:
    """Folder and database hold what the appliance holds now: nothing lost, nothing twice."""
    site = wired.simulator.site
    sessions = stored_sessions(wired.folder)
    wanted = closed(site)
    assert sessions == wanted, (
        f"session files differ: extra or twice {sessions - wanted}, missing {wanted - sessions}"
    )
    assert stored_presentations(wired.folder) == closed(site, presentations=True)
    assert stored_recordings(wired.folder) == expected_recordings(site)
    in_sql = sql_sessions(wired.sqlite_path)
    everything = {s.lsid: s for s in site.iter_sessions(start_from=0)}
    assert set(in_sql) == set(everything), "the database misses sessions or has extra ones"
    for lsid, session in everything.items():
        assert (in_sql[lsid] is None) == (session.end_time is None), lsid
