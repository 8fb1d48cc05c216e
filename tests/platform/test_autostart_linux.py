"""Starting with the session on Linux: a real XDG autostart entry in a folder of the test's own.

The entry is read back the way a desktop reads it, following the Desktop Entry Specification
(string escapes first, then the Exec quoting rules), so the command it starts is checked
argument by argument; ``desktop-file-validate`` checks the file too where it is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ictray import platform

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="XDG autostart is the Linux side (Windows uses the Run key)"
)

_STRING_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def read_entry(path: Path) -> dict[str, str]:
    """The ``[Desktop Entry]`` keys with their string escapes undone."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    values = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        assert sep and key == key.strip() and key not in values, line
        values[key] = _unescape(value)
    return values


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            assert following in _STRING_ESCAPES, f"invalid escape \\{following}"
            out.append(_STRING_ESCAPES[following])
        else:
            out.append(char)
    return "".join(out)


def split_exec(value: str) -> list[str]:
    """The arguments of an (unescaped) Exec value, by the specification's quoting rules."""
    arguments: list[str] = []
    current: list[str] | None = None
    quoted = False
    chars = iter(value)
    for char in chars:
        if quoted:
            if char == '"':
                quoted = False
            elif char == "\\":
                following = next(chars)
                assert following in '"`$\\', f"\\{following} inside quotes"
                current.append(following)  # type: ignore[union-attr]
            else:
                current.append(char)  # type: ignore[union-attr]
        elif char == " ":
            if current is not None:
                arguments.append("".join(current))
            current = None
        elif char == '"':
            current = current if current is not None else []
            quoted = True
        else:
            assert char not in _RESERVED, f"reserved {char!r} outside quotes in {value!r}"
            current = (current or []) + [char]
    assert not quoted, "unterminated quote"
    if current is not None:
        arguments.append("".join(current))
    return [_field_codes(argument) for argument in arguments]


def _field_codes(argument: str) -> str:
    assert "%" not in argument.replace("%%", ""), f"a field code in {argument!r}"
    return argument.replace("%%", "%")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_switching_on_writes_an_entry_that_starts_the_desktop_app(config_home: Path) -> None:
    assert not platform.autostart_enabled()
    command = platform.autostart_command()
    platform.set_autostart(True, command)

    entry = config_home / "autostart" / "ictray.desktop"
    assert platform.autostart_location() == str(entry)
    assert platform.autostart_enabled()
    values = read_entry(entry)
    assert values["Type"] == "Application"
    assert values["Name"] == "ictray"
    assert split_exec(values["Exec"]) == [sys.executable, "-m", "ictray"]
    assert values["TryExec"] == sys.executable
    assert values["Terminal"] == "false"
    assert "Icon" not in values or Path(values["Icon"]).is_file()

    started = subprocess.run(
        [*split_exec(values["Exec"]), "--version"], capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0 and started.stdout.startswith("ictray "), started.stderr

    platform.set_autostart(False)
    assert not entry.exists()
    assert not platform.autostart_enabled()
    platform.set_autostart(False)  # already off: nothing to do, no error


@pytest.mark.parametrize(
    "awkward",
    [
        "/home/ann smith/ictray settings.db",
        '/srv/"quoted" name/settings.db',
        "/srv/$HOME `id` 100%/settings.db",
        "/srv/back\\slash/semi;colon & (paren) #hash/settings.db",
        "/srv/tab\there/new\nline/settings.db",
    ],
)
def test_paths_come_back_exactly_however_they_are_spelled(config_home: Path, awkward: str) -> None:
    command = ["/opt/ictray app/bin/ictray", "--settings", awkward]
    platform.set_autostart(True, command)
    entry = config_home / "autostart" / "ictray.desktop"
    assert split_exec(read_entry(entry)["Exec"]) == command
    validator = shutil.which("desktop-file-validate")
    if validator:
        checked = subprocess.run([validator, str(entry)], capture_output=True, text=True)
        assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout


def test_the_settings_file_goes_along_and_resolves(config_home: Path, tmp_path: Path) -> None:
    relative = Path(os.path.relpath(tmp_path / "my settings.db"))
    command = platform.autostart_command(relative)
    assert command[-2:] == ["--settings", str((tmp_path / "my settings.db").resolve())]


def test_without_xdg_config_home_the_entry_goes_under_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    platform.set_autostart(True, ["/usr/bin/ictray"])
    assert (tmp_path / "home" / ".config" / "autostart" / "ictray.desktop").is_file()
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert platform.autostart_enabled()


@pytest.mark.parametrize("switch_off", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_an_entry_switched_off_by_the_desktop_counts_as_off_until_switched_on(
    config_home: Path, switch_off: str
) -> None:
    platform.set_autostart(True, ["/usr/bin/ictray"])
    entry = config_home / "autostart" / "ictray.desktop"
    text = entry.read_text().replace("X-GNOME-Autostart-enabled=true\n", "")
    entry.write_text(text + switch_off + "\n")
    assert not platform.autostart_enabled()
    platform.set_autostart(True, ["/usr/bin/ictray"])
    assert platform.autostart_enabled()


def test_a_folder_that_cannot_be_written_is_named_in_the_error(config_home: Path) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the folder should be")
    with pytest.raises(platform.AutostartError) as raised:
        platform.set_autostart(True, ["/usr/bin/ictray"])
    assert str(config_home / "autostart" / "ictray.desktop") in str(raised.value)
    assert not platform.autostart_enabled()


def _run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ictray", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def test_the_cli_switch_names_a_settings_file_other_than_the_default(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    settings = tmp_path / "other place" / "settings.db"
    on = _run_cli(cli_env, "--settings", str(settings), "settings", "app", "--autostart", "on")
    assert on.returncode == 0, on.stderr
    entry = tmp_path / "config" / "autostart" / "ictray.desktop"
    assert f"autostart          yes\nautostart_entry    {entry}" in on.stdout
    assert split_exec(read_entry(entry)["Exec"]) == [
        sys.executable,
        "-m",
        "ictray",
        "--settings",
        str(settings),
    ]
    off = _run_cli(
        cli_env, "--settings", str(settings), "settings", "app", "--autostart", "off", "--json"
    )
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["autostart"] is False
    assert not entry.exists()


def test_the_cli_switch_leaves_the_default_settings_file_implicit(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    on = _run_cli(cli_env, "settings", "app", "--autostart", "on", "--json")
    assert on.returncode == 0, on.stderr
    shown = json.loads(on.stdout)
    assert shown["autostart"] is True
    assert shown["settings_file"] == str(tmp_path / "data" / "ictray" / "settings.db")
    entry = Path(shown["autostart_entry"])
    assert split_exec(read_entry(entry)["Exec"]) == [sys.executable, "-m", "ictray"]


def test_the_cli_reports_an_entry_it_cannot_write(cli_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "autostart").write_text("not a folder")
    result = _run_cli(cli_env, "settings", "app", "--autostart", "on")
    assert result.returncode == 1
    entry = tmp_path / "config" / "autostart" / "ictray.desktop"
    assert f"ictray: error: cannot write the autostart entry {entry}" in result.stderr
