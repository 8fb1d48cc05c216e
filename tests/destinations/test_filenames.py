"""File names of the File System destination: the format's rules, the replacement values, and
names made safe whatever the appliance sends."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from ictray.datatypes import DataType
from ictray.destinations.base import FileMeta
from ictray.destinations.filenames import (
    MAX_NAME_BYTES,
    REPLACEMENT_VALUES,
    default_name_format,
    render,
    safe_component,
    validate_name_format,
)

HOST = "support.example.com"
LSID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def meta(data_type: DataType = DataType.SESSION_RECORDINGS, **values: Any) -> FileMeta:
    fields: dict[str, Any] = {"extension": "flv", "lsid": LSID, **values}
    return FileMeta(HOST, data_type, **fields)


# -- the format's rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "%SUPPORT_SITE_HOST%-%SESSION_TYPE%-%LSID%.%EXTENSION%",
        "%LSEQ%_%EXTERNAL_KEY%_%INSTANCE%.%EXTENSION%",
        "%SUPPORT_SITE_HOST%/%SESSION_TYPE%\\%LSID%.%EXTENSION%",
        "archive 2024/%LSID%",
        *(default_name_format(data_type) for data_type in DataType),
    ],
)
def test_valid_formats_are_kept_as_typed(text: str) -> None:
    assert validate_name_format(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%FOO%.%EXTENSION%", "unknown replacement value %FOO%"),
        ("%LSID%-%TIMESTAMP%", "unknown replacement value %TIMESTAMP%"),
        ("%COM1%", "unknown replacement value %COM1%"),
        (
            "%lsid%.%EXTENSION%",
            "%lsid% is not a replacement value: they are case sensitive, write %LSID%",
        ),
        ("%Support_Site_Host%", "write %SUPPORT_SITE_HOST%"),
        ("%LSID", "unmatched % at position 1"),
        ("%LSID%-100%.%EXTENSION%", "unmatched % at position 11"),
        ("100%", "unmatched % at position 4"),
        ("%%LSID%", "unmatched % at position 1"),
        ("%LSID %", "unmatched % at position 1"),
    ],
)
def test_bad_replacement_values_are_refused_by_name(text: str, expected: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_name_format(text)
    assert expected in str(caught.value)


def test_the_refusal_lists_the_valid_values() -> None:
    with pytest.raises(ValueError) as caught:
        validate_name_format("%FOO%")
    for name in REPLACEMENT_VALUES:
        assert f"%{name}%" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("../%LSID%.%EXTENSION%", "uses '..' as a name"),
        ("a/./%LSID%", "uses '.' as a name"),
        ("a\\...\\%LSID%", "uses '...' as a name"),
        ("/srv/%LSID%", "must not start or end with /"),
        ("\\\\server\\share\\%LSID%", "must not start or end with /"),
        ("%LSID%/", "must not start or end with /"),
        ("a//%LSID%", "hold two in a row"),
        ("C:\\data\\%LSID%", "contains ':'"),
        ("%LSID%?.%EXTENSION%", "contains '?'"),
        ('%LSID%<>|*".x', "contains '\"' '*' '<' '>' '|'"),
        ("%LSID%\t.x", "contains '\\t'"),
    ],
)
def test_formats_that_leave_the_folder_or_break_windows_are_refused(
    text: str, expected: str
) -> None:
    with pytest.raises(ValueError) as caught:
        validate_name_format(text)
    assert expected in str(caught.value)


# -- replacement values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "fields", "expected"),
    [
        ("LSEQ", {"lseq": 4711}, "4711"),
        ("LSID", {}, LSID),
        ("EXTERNAL_KEY", {"external_key": "TICKET-42"}, "TICKET-42"),
        ("SESSION_TYPE", {"session_type": "support"}, "support"),
        ("SUPPORT_SITE_HOST", {}, HOST),
        ("INSTANCE", {"instance": 3}, "3"),
        ("EXTENSION", {"extension": "mp4"}, "mp4"),
    ],
)
def test_each_replacement_value(token: str, fields: dict[str, Any], expected: str) -> None:
    name = render(f"x-%{token}%-y", meta(**fields))
    assert name.name == f"x-{expected}-y"


def test_all_values_in_one_name() -> None:
    name = render(
        "%LSEQ%_%LSID%_%EXTERNAL_KEY%_%SESSION_TYPE%_%SUPPORT_SITE_HOST%_%INSTANCE%.%EXTENSION%",
        meta(
            DataType.COMMAND_SHELL_RECORDINGS,
            lseq=7,
            external_key="K",
            session_type="support",
            instance=0,
        ),
    )
    assert name.name == f"7_{LSID}_K_support_{HOST}_0.flv"
    assert name.folders == ()


def test_unknown_values_are_empty() -> None:
    name = render("[%LSEQ%][%EXTERNAL_KEY%][%INSTANCE%].%EXTENSION%", meta())
    assert name.name == "[][][].flv"


def test_an_extension_given_with_its_dot_gets_one_dot() -> None:
    assert render("%LSID%.%EXTENSION%", meta(extension=".flv")).name == f"{LSID}.flv"


def test_a_value_is_never_read_as_a_replacement_value() -> None:
    assert render("%EXTERNAL_KEY%.%EXTENSION%", meta(external_key="%LSID%")).name == "%LSID%.flv"


def test_session_type_defaults_to_the_kind_of_data() -> None:
    assert render("%SESSION_TYPE%", meta(DataType.PRESENTATION_RECORDINGS)).name == "presentation"
    assert render("%SESSION_TYPE%", meta(DataType.SESSION_RECORDINGS)).name == "support"
    assert render("%SESSION_TYPE%", meta(session_type="custom")).name == "custom"


# -- default names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "fields", "expected"),
    [
        (DataType.SESSION_DATA, {"extension": "xml"}, f"{HOST}-support-{LSID}.xml"),
        (DataType.SESSION_RECORDINGS, {}, f"{HOST}-support-{LSID}.flv"),
        (
            DataType.SHOW_MY_SCREEN_RECORDINGS,
            {"instance": 1},
            f"{HOST}-support-{LSID}-show-my-screen-1.flv",
        ),
        (
            DataType.COMMAND_SHELL_RECORDINGS,
            {"instance": 0},
            f"{HOST}-support-{LSID}-command-shell-0.flv",
        ),
        (DataType.PRESENTATION_DATA, {"extension": "xml"}, f"{HOST}-presentation-{LSID}.xml"),
        (DataType.PRESENTATION_RECORDINGS, {}, f"{HOST}-presentation-{LSID}.flv"),
    ],
)
def test_default_names(data_type: DataType, fields: dict[str, Any], expected: str) -> None:
    assert render(default_name_format(data_type), meta(data_type, **fields)).name == expected


def test_the_guides_example_name() -> None:
    name = render(default_name_format(DataType.SESSION_RECORDINGS), meta(lsid="1234"))
    assert name.name == "support.example.com-support-1234.flv"
    assert name.numbered(1) == "support.example.com-support-1234.1.flv"
    assert name.numbered(2) == "support.example.com-support-1234.2.flv"


def test_backup_names_carry_the_date_before_the_extension() -> None:
    backup = FileMeta(HOST, DataType.SITE_BACKUPS, "nsb")
    name = render(default_name_format(DataType.SITE_BACKUPS), backup, date(2024, 5, 1))
    assert name.name == "support.example.com-2024-05-01.nsb"
    assert name.numbered(3) == "support.example.com-2024-05-01.3.nsb"


def test_the_number_goes_before_the_last_period_or_at_the_end() -> None:
    assert render("a.b.c", meta()).numbered(1) == "a.b.1.c"
    assert render("plain", meta()).numbered(1) == "plain.1"


def test_a_backup_family_matches_every_date_and_number_of_that_site_only() -> None:
    backup = FileMeta(HOST, DataType.SITE_BACKUPS, "nsb")
    family = render("%SUPPORT_SITE_HOST%.%EXTENSION%", backup, date(2024, 5, 1)).family()
    for name in ("support.example.com-2023-12-31.nsb", "support.example.com-2024-05-01.12.nsb"):
        assert family.fullmatch(name), name
    for name in (
        "other.example.com-2024-05-01.nsb",
        "support.example.com.nsb",
        "support.example.com-2024-05-01.nsb.bak",
        "support.example.com-2024-05-01.0.nsb",
        f"support.example.com-support-{LSID}.xml",
        "xsupport.example.com-2024-05-01.nsb",
    ):
        assert not family.fullmatch(name), name


# -- names made safe -------------------------------------------------------------------------

HOSTILE_KEYS = [
    "../../etc/passwd",
    "..\\..\\Windows\\win.ini",
    "C:\\Windows\\System32\\drivers",
    "/etc/shadow",
    "\\\\server\\share\\file",
    'a:b*c?d"e<f>g|h',
    "tab\there\nnew\x00nul\x1f\x7f\x85",
    "\ud800lone surrogate",
    "..",
    ".",
    "...",
    "   ",
    "",
    "trailing dots and spaces. . .",
    "CON",
    "con",
    "Nul",
    "AUX.tar",
    "COM1",
    "com9.txt",
    "LPT1",
    "LPT¹",
    "CONIN$",
    "PRN ",
    "ünïcødé-日本語-🎉",
    "%LSID%",
    "x" * 300,
    "é" * 200,
    "😀" * 100,
]


def _assert_storable(component: str) -> None:
    assert component
    assert not re.search(r'[<>:"/\\|?*\x00-\x1f\x7f]', component), component
    assert not component.startswith("."), component
    assert not component.endswith((".", " ")), component
    assert component.split(".")[0].rstrip(" ").upper() not in {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        "CONIN$",
        "CONOUT$",
        *(f"{d}{n}" for d in ("COM", "LPT") for n in "123456789¹²³"),
    }, component
    assert len(component.encode("utf-8")) <= MAX_NAME_BYTES
    component.encode("utf-8")  # no unpaired surrogates


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_external_keys_make_one_storable_name(key: str) -> None:
    name = render("%EXTERNAL_KEY%.%EXTENSION%", meta(external_key=key))
    assert name.folders == ()
    assert name.name.endswith(".flv")
    for number in (0, 1, 4294967295):
        _assert_storable(name.numbered(number))


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_values_used_as_folders_stay_one_folder_each(key: str) -> None:
    name = render("%EXTERNAL_KEY%/%SUPPORT_SITE_HOST%/%LSID%.%EXTENSION%", meta(external_key=key))
    assert len(name.folders) == 2
    for folder in name.folders:
        _assert_storable(folder)
    assert name.folders[1] == HOST


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("../../etc/passwd", "_.._.._etc_passwd.flv"),
        ("\\\\server\\share\\file", "__server_share_file.flv"),
        ('a:b*c?d"e<f>g|h', "a_b_c_d_e_f_g_h.flv"),
        ("CON", "_CON.flv"),
        ("..", "_...flv"),
        ("", "_.flv"),
        ("ünïcødé-日本語-🎉", "ünïcødé-日本語-🎉.flv"),
    ],
)
def test_what_hostile_keys_become(key: str, expected: str) -> None:
    assert render("%EXTERNAL_KEY%.%EXTENSION%", meta(external_key=key)).name == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("..", "_"),
        (".", "_"),
        ("name. . .", "name"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("CONSOLE", "CONSOLE"),
        ("COM10", "COM10"),
        ("", "_"),
    ],
)
def test_safe_component(text: str, expected: str) -> None:
    assert safe_component(text) == expected


def test_a_long_name_is_cut_before_its_extension_leaving_room_for_number_and_date() -> None:
    backup = FileMeta(HOST, DataType.SITE_BACKUPS, "nsb", external_key="k" * 400)
    name = render("%EXTERNAL_KEY%.%EXTENSION%", backup, date(2024, 5, 1))
    assert name.name.endswith("k-2024-05-01.nsb")
    longest = name.numbered(9999999999)
    assert len(longest.encode("utf-8")) <= MAX_NAME_BYTES
    assert len(longest.encode("utf-8")) >= MAX_NAME_BYTES - 1


def test_cutting_never_splits_a_character() -> None:
    name = render("%EXTERNAL_KEY%.%EXTENSION%", meta(external_key="€" * 200))
    assert set(name.stem) == {"€"}
    assert name.suffix == ".flv"
