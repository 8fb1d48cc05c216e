"""The README's destination plugin, installed as pip would and run by a real schedule.

The plugin's module and its entry point are taken from the README as written, laid out as pip
installs a distribution (the module and a ``*.dist-info`` folder with ``entry_points.txt``), and
found by ictray through the entry-point group alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def code_block(section: str, language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Path:
    """A folder for PYTHONPATH holding the README's plugin as pip would install it."""
    section = readme_section("Writing a destination plugin")
    project = code_block(section, "toml")
    name = re.search(r'^name = "(.+)"$', project, re.M).group(1)  # type: ignore[union-attr]
    version = re.search(r'^version = "(.+)"$', project, re.M).group(1)  # type: ignore[union-attr]
    group, points = re.search(
        r'^\[project\.entry-points\."(.+)"\]\n((?:.+ = ".+"\n)+)', project, re.M
    ).groups()  # type: ignore[union-attr]
    module = re.search(r'= "(\w+):', points).group(1)  # type: ignore[union-attr]
    site = tmp_path / "site"
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (site / f"{module}.py").write_text(code_block(section, "python"), encoding="utf-8")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{points.replace(chr(34), '')}")
    return site


def test_the_example_is_lint_clean(installed_plugin: Path) -> None:
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--config",
            str(ROOT / "pyproject.toml"),
            str(installed_plugin),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout


def test_the_example_plugin_is_found_configured_and_stores_sessions(
    installed_plugin: Path, simulator, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env.update(
        ICTRAY_SETTINGS=str(tmp_path / "settings.db"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        PYTHONPATH=str(installed_plugin),
    )

    def ictray(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ictray", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, f"ictray {' '.join(args)}: {done.stderr}"
        return done.stdout

    section = readme_section("Writing a destination plugin")
    listed = ictray("dest", "plugins")
    promised = re.search(r"ictray dest plugins +# (.+)", section).group(1)  # type: ignore[union-attr]
    assert promised in listed.splitlines()

    summaries = tmp_path / "summaries"
    ictray(
        "dest", "add", "summaries", "--plugin", "json_summary", "--option", f"directory={summaries}"
    )
    assert f"{summaries} is writable" in ictray("dest", "test", "summaries")

    ictray(
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
        stdin=simulator.client_secret + "\n",
    )
    ictray("schedule", "add", "json", "--every", "1h", "--transfer", "sim:summaries:session_data")
    first = ictray("run-now", "--quiet")
    stored = int(re.search(r"session data: (\d+) stored", first).group(1))  # type: ignore[union-attr]
    files = sorted(summaries.glob("*.json"))
    closed = [s for s in simulator.site.iter_sessions(start_from=0) if s.end_time is not None]
    assert stored == len(files) == len(closed) > 0
    summary = json.loads(files[0].read_text(encoding="utf-8"))
    assert summary["lsid"] in {s.lsid for s in closed} and summary["events"] > 0

    ictray("run-now", "--quiet")
    assert sorted(summaries.glob("*.json")) == files, "nothing stored twice"


def test_the_example_passes_the_plugin_kit(installed_plugin: Path, tmp_path: Path) -> None:
    """The README's test module, run by pytest as the plugin's author would run it."""
    section = readme_section("Writing a destination plugin")
    module = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    tests = tmp_path / "plugin-tests"
    tests.mkdir()
    (tests / "test_ictray_json_summary.py").write_text(module, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(installed_plugin)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tests),
            str(tests),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tests,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\d+ passed", done.stdout), done.stdout
