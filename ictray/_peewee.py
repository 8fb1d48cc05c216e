"""peewee without the database drivers it would load for nothing.

peewee imports the PostgreSQL and MySQL drivers (psycopg, pymysql) when it is first imported,
to offer its own support for those databases. ictray uses peewee only for its SQLite settings
file, and its SQL destination loads those drivers itself when a destination of that kind is
opened; loading them at every start cost half a second of every command. So peewee is first
imported here with those names marked as missing, which it takes as "not installed"; the marks
are then removed, so the drivers import normally later.
"""

from __future__ import annotations

import importlib
import sys

#: What peewee tries to import at its own import, none of which ictray wants through peewee.
_DRIVERS = ("psycopg", "psycopg2", "psycopg2cffi", "pymysql", "MySQLdb", "pysqlite3")


def load() -> None:
    """Import peewee without its optional drivers (nothing when it is already imported)."""
    if "peewee" in sys.modules:
        return
    marked = [name for name in _DRIVERS if name not in sys.modules]
    for name in marked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        importlib.import_module("peewee")
    finally:
        for name in marked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
