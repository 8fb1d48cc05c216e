"""The File System destination on real folders: options, conflict handling, session files that
re-parse, retention of site backups, sub-folders, and ``test()``."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from ictray.appliance.model import (
    CustomAttribute,
    Customer,
    CustomerInfo,
    Event,
    Party,
    Presentation,
    Representative,
    Session,
)
from ictray.appliance.parse import iter_presentations, iter_sessions
from ictray.datatypes import DataType
from ictray.destinations.base import (
    DestinationError,
    FileMeta,
    Placement,
    StoredFile,
    load_plugin,
)
from ictray.destinations.filesystem import FileSystemDestination, check_directory
from ictray.errors import ValidationError

HOST = "support.example.com"
GUIDE_NAME = "support.example.com-support-1234.flv"

Make = Callable[..., FileSystemDestination]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "dest"


@pytest.fixture
def make(folder: Path) -> Make:
    def build(today: date = date(2024, 5, 1), **options: str) -> FileSystemDestination:
        return FileSystemDestination(
            "Archive", {"directory": str(folder), **options}, today=lambda: today
        )

    return build


def recording(lsid: str = "1234", **fields: object) -> FileMeta:
    return FileMeta(HOST, DataType.SESSION_RECORDINGS, "flv", lsid=lsid, **fields)  # type: ignore[arg-type]


def backup(host: str = HOST) -> FileMeta:
    return FileMeta(host, DataType.SITE_BACKUPS, "nsb")


def store_file(dest: FileSystemDestination, meta: FileMeta, data: bytes) -> StoredFile:
    with dest.file_writer(meta) as sink:
        sink.write(data)
    assert sink.stored is not None
    return sink.stored


def store(dest: FileSystemDestination, meta: FileMeta, data: bytes) -> Path:
    return Path(store_file(dest, meta, data).location)


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def rich_session(lsid: str, external_key: str | None = None) -> Session:
    return Session(
        lsid=lsid,
        lseq=17,
        start_time=1714550400,
        end_time=1714554000,
        duration="01:00:00",
        public_site_id="1",
        public_site_name="Default",
        external_key=external_key,
        custom_attributes=[CustomAttribute("Ticket", "ticket", "INC-1 & <2>")],
        file_transfer_count=2,
        primary_customer_gsnumber=3,
        primary_rep_gsnumber=2,
        primary_rep_id="5",
        customers=[
            Customer(
                3,
                username="alice",
                primary_cust=True,
                info=CustomerInfo(name="Alice", issue="Printer"),
            )
        ],
        representatives=[
            Representative(
                2,
                id="5",
                username="bob",
                display_name="Bob",
                session_owner=True,
                primary_rep=True,
                seconds_involved=3600,
            )
        ],
        events=[
            Event(1714550400, "Session Start", performed_by=Party("system", 0, "System")),
            Event(
                1714550500,
                "Chat Message",
                performed_by=Party("representative", 2, "Bob"),
                destination=Party("customer", 3, "Alice"),
                body="héllo <there> & ✓",
            ),
        ],
    )


# -- the plugin and its options ------------------------------------------------------------


def test_registered_under_its_name() -> None:
    cls = load_plugin("filesystem")
    assert cls is FileSystemDestination
    assert cls.label == "File System"
    assert cls.accepts == frozenset(DataType)
    assert cls.refusals == {}


def test_options_carry_the_guides_labels_and_tooltips() -> None:
    labels = {spec.key: spec.label for spec in FileSystemDestination.options}
    assert labels == {
        "directory": "Destination Directory",
        "download_format": "Download Format",
        "conflict_handling": "File Name Conflict Handling",
        "name_format": "File Name Format",
        "retention_count": "Retention Count",
    }
    tooltips = {spec.key: spec.tooltip for spec in FileSystemDestination.options}
    assert "Do not enter a mapped drive" in tooltips["directory"]
    assert "Leave this at its default" in tooltips["download_format"]
    assert "%SUPPORT_SITE_HOST%" in tooltips["name_format"]
    assert "Leave this field empty to keep all backups" in tooltips["retention_count"]


def test_defaults(folder: Path) -> None:
    values = FileSystemDestination.validate_options({"directory": str(folder)})
    assert values == {
        "directory": str(folder),
        "download_format": "xml",
        "conflict_handling": "AppendNumber",
        "name_format": "",
        "retention_count": "",
    }


@pytest.mark.parametrize(
    ("options", "field", "text"),
    [
        ({}, "directory", "Destination Directory is required"),
        ({"directory": "relative/folder"}, "directory", "is not a full path"),
        ({"conflict_handling": "Rename"}, "conflict_handling", "AppendNumber, Overwrite, Skip"),
        ({"download_format": "json"}, "download_format", "'json' is not one of"),
        ({"name_format": "%lsid%"}, "name_format", "write %LSID%"),
        ({"name_format": "%FOO%.x"}, "name_format", "%FOO%"),
        ({"name_format": "50%.x"}, "name_format", "unmatched %"),
        ({"retention_count": "-1"}, "retention_count", "enter 0 or more"),
        ({"retention_count": "2.5"}, "retention_count", "'2.5' is not a number of backups"),
        ({"retention_count": "two"}, "retention_count", "leave it empty to keep all backups"),
        (
            {"retention_count": "3", "name_format": "backup.%EXTENSION%"},
            "retention_count",
            "must contain %SUPPORT_SITE_HOST%",
        ),
        ({"colour": "red"}, "colour", "has no option 'colour'"),
    ],
)
def test_bad_options_are_refused_naming_the_field(
    folder: Path, options: dict[str, str], field: str, text: str
) -> None:
    values = {"directory": str(folder), **options}
    if "directory" in options or not options:
        values = options
    with pytest.raises(ValidationError) as caught:
        FileSystemDestination.validate_options(values)
    assert caught.value.field == field
    assert text in caught.value.message


def test_options_are_normalised(folder: Path) -> None:
    values = FileSystemDestination.validate_options(
        {"directory": str(folder), "conflict_handling": "skip", "retention_count": " 007 "}
    )
    assert values["conflict_handling"] == "Skip"
    assert values["retention_count"] == "7"


def test_a_mapped_drive_is_refused_with_the_guides_advice() -> None:
    with pytest.raises(ValueError) as caught:
        check_directory("Z:\\Bomgar", is_mapped=lambda path: path.startswith("Z:"))
    assert "mapped drive" in str(caught.value)
    assert "UNC path" in str(caught.value)


def test_a_bad_stored_setting_stops_the_destination_being_built(folder: Path) -> None:
    with pytest.raises(ValidationError, match="conflict_handling"):
        FileSystemDestination("Archive", {"directory": str(folder), "conflict_handling": "x"})


# -- conflict handling -----------------------------------------------------------------------


def test_append_number_follows_the_guides_example(make: Make, folder: Path) -> None:
    dest = make()
    assert store(dest, recording(), b"one").name == GUIDE_NAME
    assert store(dest, recording(), b"two").name == "support.example.com-support-1234.1.flv"
    assert store(dest, recording(), b"three").name == "support.example.com-support-1234.2.flv"
    assert (folder / GUIDE_NAME).read_bytes() == b"one"
    assert (folder / "support.example.com-support-1234.2.flv").read_bytes() == b"three"
    assert len(names(folder)) == 3


def test_append_number_takes_the_smallest_free_number(make: Make, folder: Path) -> None:
    folder.mkdir()
    for name in (
        GUIDE_NAME,
        "support.example.com-support-1234.1.flv",
        "support.example.com-support-1234.3.flv",
    ):
        (folder / name).write_bytes(b"old")
    dest = make()
    assert store(dest, recording(), b"new").name == "support.example.com-support-1234.2.flv"
    assert store(dest, recording(), b"new").name == "support.example.com-support-1234.4.flv"


def test_append_number_uses_the_name_itself_when_only_numbered_ones_exist(
    make: Make, folder: Path
) -> None:
    folder.mkdir()
    (folder / "support.example.com-support-1234.1.flv").write_bytes(b"old")
    assert store(make(), recording(), b"new").name == GUIDE_NAME


def test_overwrite_replaces_the_contents(make: Make, folder: Path) -> None:
    dest = make(conflict_handling="Overwrite")
    store(dest, recording(), b"first version")
    stored = store(dest, recording(), b"second")
    assert stored.name == GUIDE_NAME
    assert stored.read_bytes() == b"second"
    assert names(folder) == [GUIDE_NAME]


def test_skip_keeps_the_existing_file_and_creates_nothing(make: Make, folder: Path) -> None:
    dest = make(conflict_handling="Skip")
    store(dest, recording(), b"first")
    with dest.file_writer(recording()) as sink:
        sink.write(b"second")
    assert sink.stored is not None
    assert sink.stored.skipped
    assert sink.stored.location == str(folder / GUIDE_NAME)
    assert (folder / GUIDE_NAME).read_bytes() == b"first"
    assert names(folder) == [GUIDE_NAME]


def test_two_writers_never_take_the_same_name(make: Make, folder: Path) -> None:
    dest_a, dest_b = make(), make()
    with dest_a.file_writer(recording()) as sink_a:
        sink_a.write(b"A")
        with dest_b.file_writer(recording()) as sink_b:
            sink_b.write(b"B")
    assert sink_b.stored is not None and sink_a.stored is not None
    assert Path(sink_b.stored.location).read_bytes() == b"B"
    assert Path(sink_a.stored.location).read_bytes() == b"A"
    assert sink_a.stored.location != sink_b.stored.location


def test_many_writers_at_once_each_get_their_own_number(make: Make, folder: Path) -> None:
    writers = 12
    barrier = threading.Barrier(writers)
    results: list[Path] = []
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            dest = make()
            with dest.file_writer(recording()) as sink:
                sink.write(str(index).encode())
                barrier.wait(timeout=30)
            assert sink.stored is not None
            results.append(Path(sink.stored.location))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == writers
    assert {path.read_bytes() for path in results} == {str(i).encode() for i in range(writers)}
    expected = {GUIDE_NAME} | {f"support.example.com-support-1234.{n}.flv" for n in range(1, 12)}
    assert set(names(folder)) == expected


def test_the_extension_learned_during_the_download_names_the_file(make: Make, folder: Path) -> None:
    dest = make()
    with dest.file_writer(recording()) as sink:
        sink.write(b"mp4 data")
        sink.extension = "mp4"
    assert names(folder) == ["support.example.com-support-1234.mp4"]


def test_a_late_extension_may_move_the_file_to_another_sub_folder(make: Make, folder: Path) -> None:
    dest = make(name_format="%EXTENSION%/%LSID%.%EXTENSION%")
    with dest.file_writer(recording()) as sink:
        sink.write(b"mp4 data")
        sink.extension = "mp4"
    assert (folder / "mp4" / "1234.mp4").read_bytes() == b"mp4 data"
    assert names(folder / "flv") == []


def test_a_hostile_late_extension_stays_in_the_name(make: Make, folder: Path) -> None:
    dest = make()
    with dest.file_writer(recording()) as sink:
        sink.extension = "../../x"
    assert names(folder) == ["support.example.com-support-1234._.._x"]


def test_threads_sharing_one_destination_each_read_their_own_result(make: Make) -> None:
    """A finishes first, B finishes before A reads: A must still see its own file."""
    dest = make()
    a_done, b_done = threading.Event(), threading.Event()
    seen: dict[str, Path] = {}

    def writer_a() -> None:
        with dest.file_writer(recording("aaaa")) as sink:
            sink.write(b"A")
        a_done.set()
        b_done.wait(10)
        assert sink.stored is not None
        seen["a"] = Path(sink.stored.location)

    def writer_b() -> None:
        with dest.file_writer(recording("bbbb")) as sink:
            sink.write(b"B")
            a_done.wait(10)
        b_done.set()
        assert sink.stored is not None
        seen["b"] = Path(sink.stored.location)

    threads = [threading.Thread(target=writer_a), threading.Thread(target=writer_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["a"].read_bytes() == b"A" and seen["a"].name.endswith("-aaaa.flv")
    assert seen["b"].read_bytes() == b"B" and seen["b"].name.endswith("-bbbb.flv")


def test_a_file_is_confirmed_by_its_bytes_never_by_its_name(make: Make, folder: Path) -> None:
    """Two recordings share a name format without %LSID%: each is told by its own proof."""
    dest = make(name_format="%EXTERNAL_KEY%.%EXTENSION%")
    announced: list[Placement] = []
    with dest.file_writer(recording("aaaa"), before_publish=announced.append) as sink:
        sink.write(b"first recording")
    first = sink.stored
    assert first is not None and first.sha256 is not None and first.size == 15
    second = store_file(dest, recording("bbbb"), b"second one")
    assert Path(first.location).name == "_.flv" and Path(second.location).name == "_.1.flv"
    assert announced == [Placement(first.location, 15, first.sha256)]
    assert dest.confirm_stored(announced[0])
    # The same name, other bytes: that file is not this recording.
    assert not dest.confirm_stored(Placement(first.location, 10, second.sha256 or ""))
    Path(first.location).write_bytes(b"first recordinX")  # same size, other content
    assert not dest.confirm_stored(announced[0])
    Path(first.location).unlink()
    assert not dest.confirm_stored(announced[0])


# -- session and presentation data ---------------------------------------------------------


def test_session_files_reparse_to_the_same_sessions(make: Make, folder: Path) -> None:
    sessions = [rich_session("a" * 32, "INC-1"), rich_session("b" * 32)]
    locations = make().write_sessions(HOST, sessions)
    assert [Path(p).name for p in locations] == [
        f"{HOST}-support-{'a' * 32}.xml",
        f"{HOST}-support-{'b' * 32}.xml",
    ]
    for location, session in zip(locations, sessions, strict=True):
        data = Path(location).read_bytes()
        assert b'xmlns="http://www.bomgar.com/namespaces/API/reporting"' in data
        assert list(iter_sessions(data)) == [session]


# Session IDs read back from files are 32 hex digits: anything else is refused when parsed.
LSID_C, LSID_P1, LSID_1234 = "c" * 32, "0123" * 8, "1234" * 8


def test_the_other_download_format_leaves_the_namespace_out(make: Make) -> None:
    sessions = [rich_session(LSID_C)]
    [location] = make(download_format="xml-no-namespace").write_sessions(HOST, sessions)
    data = Path(location).read_bytes()
    assert b"xmlns" not in data
    assert list(iter_sessions(data)) == [rich_session(LSID_C)]


def test_presentation_files_reparse(make: Make) -> None:
    item = Presentation(
        lsid=LSID_P1,
        lseq=3,
        start_time=1714550400,
        external_key="EK",
        presenters=[Representative(2, id="5", username="bob")],
        attendees=[Customer(9, username="carol")],
    )
    [location] = make().write_presentations(HOST, [item])
    assert Path(location).name == f"{HOST}-presentation-{LSID_P1}.xml"
    assert list(iter_presentations(Path(location).read_bytes())) == [item]


def test_a_session_stored_again_follows_conflict_handling(make: Make, folder: Path) -> None:
    first, second = rich_session(LSID_1234), rich_session(LSID_1234, external_key="changed")
    name = f"{HOST}-support-{LSID_1234}"
    assert Path(make().write_sessions(HOST, [first])[0]).name == f"{name}.xml"
    assert Path(make().write_sessions(HOST, [second])[0]).name == f"{name}.1.xml"

    skipped = make(conflict_handling="Skip").write_sessions(HOST, [second])
    assert skipped == [str(folder / f"{name}.xml")]
    assert list(iter_sessions(Path(skipped[0]).read_bytes())) == [first]

    replaced = make(conflict_handling="Overwrite").write_sessions(HOST, [second])
    assert list(iter_sessions(Path(replaced[0]).read_bytes())) == [second]
    assert len(names(folder)) == 2


def test_a_bad_session_in_a_batch_stores_none_of_it(make: Make, folder: Path) -> None:
    bad = rich_session("bad")
    bad.custom_attributes = [CustomAttribute("Bell", "bell", "ring\x07")]
    with pytest.raises(DestinationError) as caught:
        make().write_sessions(HOST, [rich_session("good1"), bad, rich_session("good2")])
    message = str(caught.value)
    assert "'Archive'" in message and "session bad" in message and HOST in message
    assert names(folder) == []


def test_hostile_external_keys_stay_inside_the_folder(make: Make, folder: Path) -> None:
    keys = [
        "../../escape",
        "..\\..\\escape",
        "/etc/passwd",
        "C:\\Windows\\x",
        "\\\\srv\\sh\\x",
        "CON",
        "nul.txt",
        "..",
        'a:b*c?"<>|',
        "x" * 400,
        "日本語🎉",
        "   ",
    ]
    dest = make(name_format="%EXTERNAL_KEY%.%EXTENSION%")
    locations = dest.write_sessions(
        HOST, [rich_session(f"s{i}", key) for i, key in enumerate(keys)]
    )
    assert len(set(locations)) == len(keys)
    for location in locations:
        assert Path(location).parent == folder
        assert Path(location).is_file()
    assert not (folder.parent / "escape.xml").exists()
    assert len(names(folder)) == len(keys)


# -- sub-folders -------------------------------------------------------------------------------


def test_a_format_may_use_sub_folders(make: Make, folder: Path) -> None:
    dest = make(name_format="%SUPPORT_SITE_HOST%\\%SESSION_TYPE%/%LSID%.%EXTENSION%")
    [location] = dest.write_sessions(HOST, [rich_session("1234")])
    assert Path(location) == folder / HOST / "support" / "1234.xml"
    assert store(dest, recording(), b"v") == folder / HOST / "support" / "1234.flv"


def test_values_used_as_folders_cannot_climb_out(make: Make, folder: Path) -> None:
    dest = make(name_format="%EXTERNAL_KEY%/%LSID%.%EXTENSION%")
    [location] = dest.write_sessions(HOST, [rich_session("1234", "..")])
    assert Path(location) == folder / "_" / "1234.xml"


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_link_inside_the_folder_cannot_lead_writes_outside(
    make: Make, folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder.mkdir()
    (folder / HOST).symlink_to(outside, target_is_directory=True)
    dest = make(name_format="%SUPPORT_SITE_HOST%/%LSID%.%EXTENSION%")
    with pytest.raises(DestinationError) as caught:
        dest.write_sessions(HOST, [rich_session("1234")])
    assert "outside the Destination Directory" in str(caught.value)
    assert list(outside.iterdir()) == []


# -- site backups and retention ----------------------------------------------------------------


def test_backups_are_named_by_site_and_date(make: Make, folder: Path) -> None:
    dest = make(today=date(2024, 5, 1))
    assert store(dest, backup(), b"b1").name == "support.example.com-2024-05-01.nsb"
    assert store(dest, backup(), b"b2").name == "support.example.com-2024-05-01.1.nsb"
    assert store(make(today=date(2024, 5, 2)), backup(), b"b3").name == (
        "support.example.com-2024-05-02.nsb"
    )


def test_skip_keeps_the_first_backup_of_a_day(make: Make, folder: Path) -> None:
    dest = make(conflict_handling="Skip", retention_count="0")
    store(dest, backup(), b"morning")
    with dest.file_writer(backup()) as sink:
        sink.write(b"evening")
    assert sink.stored is not None and sink.stored.skipped
    assert sink.stored.removed_by_retention == []
    assert (folder / "support.example.com-2024-05-01.nsb").read_bytes() == b"morning"


def _backups_of_past_days(folder: Path, days: int, host: str = HOST) -> list[Path]:
    """Backups as earlier runs left them, the oldest with the oldest modification time."""
    folder.mkdir(exist_ok=True)
    paths = []
    for day in range(1, days + 1):
        path = folder / f"{host}-2024-04-{day:02d}.nsb"
        path.write_bytes(b"old")
        os.utime(path, (1_700_000_000 + day * 86400,) * 2)
        paths.append(path)
    return paths


def test_retention_keeps_the_newest_prior_backups_of_that_site(make: Make, folder: Path) -> None:
    old = _backups_of_past_days(folder, 5)
    numbered = folder / "support.example.com-2024-04-05.1.nsb"
    numbered.write_bytes(b"old")
    os.utime(numbered, (1_700_000_000 + 5 * 86400 + 60,) * 2)
    others = _backups_of_past_days(folder, 3, host="other.example.com")
    unrelated = [
        folder / name
        for name in (
            "support.example.com-support-1234.xml",
            "support.example.com-2024-04-01.nsb.bak",
            "support.example.com.nsb",
            "notes.txt",
        )
    ]
    for path in unrelated:
        path.write_bytes(b"keep me")
        os.utime(path, (1_000_000_000,) * 2)

    dest = make(retention_count="2")
    stored = store_file(dest, backup(), b"new")
    new = Path(stored.location)
    removed = sorted(stored.removed_by_retention)
    assert removed == sorted(str(p) for p in old[:4])
    assert set(names(folder)) == {
        new.name,
        numbered.name,
        old[4].name,
        *(p.name for p in others),
        *(p.name for p in unrelated),
    }


def test_retention_zero_keeps_only_the_new_backup(make: Make, folder: Path) -> None:
    old = _backups_of_past_days(folder, 3)
    dest = make(retention_count="0")
    stored = store_file(dest, backup(), b"new")
    new = Path(stored.location)
    assert sorted(stored.removed_by_retention) == sorted(str(p) for p in old)
    assert names(folder) == [new.name]


def test_no_retention_count_keeps_every_backup(make: Make, folder: Path) -> None:
    old = _backups_of_past_days(folder, 4)
    dest = make()
    stored = store_file(dest, backup(), b"new")
    new = Path(stored.location)
    assert stored.removed_by_retention == []
    assert names(folder) == sorted([new.name, *(p.name for p in old)])


def test_retention_does_not_touch_recordings(make: Make, folder: Path) -> None:
    _backups_of_past_days(folder, 2)
    dest = make(retention_count="0")
    assert store_file(dest, recording(), b"rec").removed_by_retention == []
    assert len(names(folder)) == 3


def test_retention_with_a_custom_format_in_a_sub_folder(make: Make, folder: Path) -> None:
    dest = make(name_format="backups/%SUPPORT_SITE_HOST%.%EXTENSION%", retention_count="1")
    stored = [
        store(
            make(today=date(2024, 5, day), name_format=dest.name_format, retention_count="1"),
            backup(),
            b"x",
        )
        for day in (1, 2)
    ]
    for index, path in enumerate(stored):
        os.utime(path, (1_700_000_000 + index,) * 2)
    third_stored = store_file(dest, backup(), b"y")
    third = Path(third_stored.location)
    assert third.name == "support.example.com-2024-05-01.1.nsb"
    assert third_stored.removed_by_retention == [str(stored[0])]
    assert names(folder / "backups") == sorted([third.name, stored[1].name])


# -- test() and open() -------------------------------------------------------------------------


def test_test_creates_a_missing_folder_and_leaves_nothing(make: Make, folder: Path) -> None:
    assert make().test() == f"folder {folder} created and writable"
    assert folder.is_dir() and names(folder) == []
    assert make().test() == f"folder {folder} is writable"


def test_test_refuses_a_file(make: Make, folder: Path) -> None:
    folder.write_text("not a folder")
    with pytest.raises(DestinationError) as caught:
        make().test()
    assert str(caught.value) == (
        f"destination 'Archive': {folder} is not a folder; set Destination Directory to a folder"
    )


def test_test_names_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    dest = FileSystemDestination("Archive", {"directory": str(blocker / "sub")})
    with pytest.raises(DestinationError) as caught:
        dest.test()
    assert f"destination 'Archive': cannot create the folder {blocker / 'sub'}" in str(caught.value)


def test_open_refuses_a_file_too(make: Make, folder: Path) -> None:
    folder.write_text("x")
    with pytest.raises(DestinationError, match="is not a folder"):
        make().open()


@pytest.fixture
def read_only_folder() -> Iterator[Path]:
    """A folder where creating files is not permitted to an ordinary user."""
    top = Path(tempfile.mkdtemp(prefix="ictray-ro-"))
    top.chmod(0o755)
    locked = top / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    yield locked
    locked.chmod(0o755)
    shutil.rmtree(top)


def _in_child(work: Callable[[], str], unprivileged: bool = False) -> str:
    """Run ``work`` in a forked child (as ``nobody`` when asked and this is root, which
    ignores file modes) and return what it returned, or the ``DestinationError`` it raised."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's exit handlers
        try:
            if unprivileged and os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            try:
                outcome = work()
            except DestinationError as error:
                outcome = str(error)
            os.write(writer, outcome.encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_test_explains_permission_denied(read_only_folder: Path) -> None:
    dest = FileSystemDestination("Archive", {"directory": str(read_only_folder)})
    assert _in_child(dest.test, unprivileged=True) == (
        f"destination 'Archive': cannot write to {read_only_folder}: Permission denied — if "
        "this is a network share, run the service as an account with rights to it (see README)"
    )


# -- a failing disk ---------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file size limits")
def test_a_write_that_fails_names_the_destination_and_leaves_nothing(
    make: Make, folder: Path
) -> None:
    import resource
    import signal

    dest = make()

    def write_too_much() -> str:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        with dest.file_writer(recording()) as sink:
            for _ in range(64):
                sink.write(b"x" * 4096)
        return "stored"

    assert _in_child(write_too_much) == (
        f"destination 'Archive': cannot store the recording of session 1234 from {HOST} "
        f"in {folder}: File too large"
    )
    assert names(folder) == []


@pytest.mark.parametrize(
    ("name_format", "handling", "caution"),
    [
        ("", "Overwrite", None),  # the defaults name every item apart
        ("%EXTERNAL_KEY%.%EXTENSION%", "AppendNumber", None),  # every file kept, numbered
        ("%EXTERNAL_KEY%.%EXTENSION%", "Overwrite", "no %LSID%, so two sessions"),
        ("%EXTERNAL_KEY%.%EXTENSION%", "Skip", "no %LSID%, so two sessions"),
        ("%LSID%.%EXTENSION%", "Skip", "no %INSTANCE%, so two recordings of one session"),
        ("%LSID%-%INSTANCE%.%EXTENSION%", "Overwrite", None),
    ],
)
def test_a_format_that_can_share_names_is_cautioned_under_overwrite_and_skip(
    tmp_path: Path, name_format: str, handling: str, caution: str | None
) -> None:
    options = FileSystemDestination.validate_options(
        {"directory": str(tmp_path), "name_format": name_format, "conflict_handling": handling}
    )
    said = FileSystemDestination.cautions(options)
    if caution is None:
        assert said == []
    else:
        assert len(said) == 1 and caution in said[0] and handling in said[0], said
