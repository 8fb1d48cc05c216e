"""A destination plugin that fails to load is shown as unavailable with the reason; the others
keep working."""

from __future__ import annotations

import json
import os
from pathlib import Path


def _broken_plugin(folder: Path) -> dict[str, str]:
    """An installed distribution whose entry point names a module that does not exist."""
    info = folder / "broken_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[ictray.destinations]\nbroken = no_such_module_here:Thing\n"
    )
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": str(folder) + (os.pathsep + path if path else "")}


def test_a_broken_plugin_leaves_the_others_working(cli_process, tmp_path: Path) -> None:
    cli = cli_process  # a new PYTHONPATH takes a new process
    env = _broken_plugin(tmp_path / "site-packages")
    listed = cli("dest", "plugins", env=env)
    assert listed.code == 0, listed.err
    assert "filesystem (File System): accepts" in listed.out
    assert "sql (SQL database): accepts session_data" in listed.out
    assert (
        "broken: unavailable: destination plugin 'broken' (no_such_module_here:Thing) cannot be "
        "loaded: ModuleNotFoundError: No module named 'no_such_module_here'"
    ) in listed.out
    as_json = {
        entry["plugin"]: entry
        for entry in json.loads(cli("dest", "plugins", "--json", env=env).out)
    }
    assert as_json["broken"]["available"] is False
    assert as_json["filesystem"]["available"] is True
    folder = tmp_path / "archive"
    added = cli(
        "dest", "add", "files", "--plugin", "filesystem", "--option", f"directory={folder}", env=env
    )
    assert added.code == 0, added.err
    refused = cli("dest", "add", "b", "--plugin", "broken", env=env)
    assert refused.code == 1
    assert "cannot be loaded: ModuleNotFoundError" in refused.err
