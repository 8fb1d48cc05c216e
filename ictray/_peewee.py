"""peewee without the database drivers it would load for nothing.

peewee imports the PostgreSQL and MySQL drivers (psycopg, pymysql) when it is first imported,
to offer its own support for those databases. ictray uses peewee only for its SQLite settings
file, and its SQL destination loads those drivers itself when a destination of that kind is
opened; loading them at every start cost half a second of every command.

:func:`install` (run when the ``ictray`` package is imported) puts a finder before the others
that wraps peewee's loader: while peewee's module runs, those driver names are marked as
missing, which peewee takes as "not installed"; the marks are removed at once, so the drivers
import normally later. Nothing is imported until something imports peewee: a command that
never opens the settings file (``ictray --help``) never pays for it.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.abc itself loads importlib.resources: not at every start
    from importlib.abc import Loader

#: What peewee tries to import at its own import, none of which ictray wants through peewee.
_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi", "pymysql", "MySQLdb", "pysqlite3")


class _WithoutDrivers:
    """peewee's own loader, run with the driver names marked as missing."""

    def __init__(self, loader: Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        marked = [name for name in _DRIVERS if name not in sys.modules]
        for name in marked:
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            self._loader.exec_module(module)
        finally:
            for name in marked:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]


class _PeeweeFinder:
    """Finds peewee as the other finders do, with its loader wrapped; then steps aside."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "peewee":
            return None
        uninstall()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _WithoutDrivers(spec.loader)  # type: ignore[assignment]
        return spec


_FINDER = _PeeweeFinder()


def install() -> None:
    """From now on, peewee's first import skips the drivers (nothing when it is imported)."""
    if "peewee" not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
