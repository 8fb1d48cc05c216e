"""The standard plugins pass the plugin kit's checks (ictray.destinations.testing), the SQL one
on every database at hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from ictray.destinations.filesystem import FileSystemDestination
from ictray.destinations.sql.plugin import SqlDestination
from ictray.destinations.testing import DestinationContract


class TestFileSystem(DestinationContract):
    @pytest.fixture
    def destination(self, tmp_path: Path) -> FileSystemDestination:
        return FileSystemDestination("Archive", {"directory": str(tmp_path / "archive")})


class TestFileSystemWithoutLsidInNames(DestinationContract):
    """Names many items share: the checks hold by identity, not by name."""

    @pytest.fixture
    def destination(self, tmp_path: Path) -> FileSystemDestination:
        options = {
            "directory": str(tmp_path / "archive"),
            "name_format": "%EXTERNAL_KEY%.%EXTENSION%",
        }
        return FileSystemDestination("Archive", options)


class TestSql(DestinationContract):
    @pytest.fixture
    def destination(self, sql_url: str) -> SqlDestination:
        return SqlDestination("Reports", {"connection_string": sql_url})
