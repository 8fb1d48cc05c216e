"""``ictray bench --small`` through the real command line: every figure, its reference, its ratio.

Benchmarks are not timed tests: nothing here asserts a speed. It checks that the run works
end to end (simulator, workers, idling) and reports each figure beside a reference measured in
the same run, and that missed targets are named while the exit code stays 0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

#: every figure a run reports (the desktop app's idle figure only where it can start)
EXPECTED = (
    "ingest end to end into SQLite",
    "rows end to end",
    "ingest from the saved report into SQLite",
    "peak memory end to end,",
    "peak memory from the saved report,",
    "peak memory end to end vs bare",
    "first copy of 90 days",
    "database bytes per session",
    "database growth at 1,000 sessions a day",
    "recording downloads",
    "memory growth while downloading",
    "idle CPU, ictray service",
    "first copy, run-now, 500 sessions over 60 days",
    "run with nothing new, CPU in the service",
    "run with nothing new, run-now process CPU",
    "ictray --help, fastest of 5",
)


def _bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env["ICTRAY_SETTINGS"] = str(tmp_path / "settings.db")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["TMPDIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "ictray", "bench", "--small", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


@pytest.fixture(scope="module")
def table_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    return _bench(tmp_path_factory.mktemp("bench-table"))


def test_the_table_shows_every_figure_with_reference_and_ratio(
    table_run: subprocess.CompletedProcess[str],
) -> None:
    assert table_run.returncode == 0, table_run.stderr
    lines = table_run.stdout.splitlines()
    assert lines[0].split() == ["figure", "value", "reference", "ratio", "target", "met?"]
    for name in EXPECTED:
        row = next((line for line in lines if line.startswith(name)), None)
        assert row is not None, f"{name!r} missing from:\n{table_run.stdout}"
        _, value, reference, ratio, target, met = re.split(r"\s{2,}", row.strip())
        unit = value.partition(" ")[2]
        assert unit and reference.endswith(f" {unit}"), row
        assert met in ("yes", "MISSED", "-") and target, row
        if _number(reference) > 0:
            assert ratio.endswith("x"), row
            expected = _number(value) / _number(reference)
            assert float(ratio[:-1]) == pytest.approx(expected, rel=0.05, abs=0.05), row
        else:  # an idle reference can use no measurable CPU: no ratio, and the table says so
            assert ratio == "-", row


def _number(cell: str) -> float:
    return float(cell.partition(" ")[0].replace(",", ""))


def test_missed_targets_are_named_and_the_exit_code_stays_0(
    table_run: subprocess.CompletedProcess[str],
) -> None:
    lines = table_run.stdout.splitlines()
    missed_rows = [line for line in lines if line.rstrip().endswith("MISSED")]
    verdict = next(line for line in lines if line.startswith(("MISSED:", "every target")))
    if missed_rows:
        assert verdict.startswith("MISSED:")
        for row in missed_rows:
            name = re.split(r"\s{2,}", row)[0]
            assert name in verdict
    else:
        assert verdict == "every target was met"
    assert table_run.returncode == 0


def test_each_reference_is_said_and_the_desktop_figure_or_why_not(
    table_run: subprocess.CompletedProcess[str],
) -> None:
    text = table_run.stdout
    assert "reference = bare iterparse + executemany into SQLite, same report" in text
    assert "reference = requests stream=True into files" in text
    assert "reference = an ictray process that only sleeps" in text
    assert "reference = a bare process: one request for the whole range" in text
    assert 'reference = python -c "import requests", fastest of 5' in text
    assert "idle CPU, desktop app" in text or "desktop app: not measured" in text


def test_json_holds_the_same_figures_with_numbers(tmp_path: Path) -> None:
    run = _bench(tmp_path, "--json", "--no-desktop", "--keep", str(tmp_path / "kept"))
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    names = [figure["name"] for figure in report["figures"]]
    for name in EXPECTED:
        assert any(n.startswith(name) for n in names), f"{name!r} missing from {names}"
    for figure in report["figures"]:
        assert figure["value"] >= 0 and figure["reference"] >= 0, figure
        if figure["reference"] > 0:
            assert figure["ratio"] == pytest.approx(figure["value"] / figure["reference"])
        else:
            assert figure["ratio"] is None
        assert figure["met"] in (True, False, None)
        assert figure["reference_is"]
    assert report["missed"] == [f["name"] for f in report["figures"] if f["met"] is False]
    sizes = [run["sessions"] for run in report["details"]["ingest"]]
    assert sizes == [report["options"]["small_sessions"], report["options"]["sessions"]]
    first = report["details"]["first_copy"]
    # both sides copied every session the simulator holds, and each repeat was timed
    assert first["ictray_sessions"] == first["bare_sessions"]
    assert first["bare_sessions"] == report["options"]["first_copy_sessions"]
    repeats = report["options"]["repeats"]
    assert len(first["ictray_seconds"]) == len(first["bare_seconds"]) == repeats
    startup = report["details"]["startup"]
    assert len(startup["help_seconds"]) == len(startup["reference_seconds"]) == 5
    kept = list((tmp_path / "kept").iterdir())
    assert len(kept) == 1 and (kept[0] / "idle" / "service" / "logs").is_dir()
