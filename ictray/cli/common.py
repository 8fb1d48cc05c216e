"""What the command groups share: opening settings, reading secrets safely, printing results."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ictray.errors import ValidationError

if TYPE_CHECKING:
    from ictray.settings import Settings


def open_from_args(args: argparse.Namespace, *, create: bool = False) -> Settings:
    """Open the settings file named by ``--settings``/``$ICTRAY_SETTINGS``/the default.

    Commands that add something create the file when it is missing, and say so.
    """
    from ictray.settings import open_settings, resolve_settings_path

    path = resolve_settings_path(getattr(args, "settings", None))
    settings = open_settings(path, create=create)
    if settings.created:
        note(f"created the settings file {settings.path}")
        if settings.secrets.in_settings_file:
            note(f"secrets will be kept {settings.secrets.description}")
    if settings.migrated_from is not None:
        note(f"updated the settings file from schema {settings.migrated_from} (a copy was kept)")
    for notice in settings.notices:
        note(notice)
    return settings


def note(message: str) -> None:
    """A notice for the person at the terminal (stderr, so stdout stays parseable)."""
    print(f"ictray: note: {message}", file=sys.stderr)


def add_secret_arguments(parser: argparse.ArgumentParser, name: str, what: str) -> None:
    """``--NAME-env VAR`` and ``--NAME-stdin``: never the secret itself on the command line."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        f"--{name}-env",
        metavar="VAR",
        help=f"read the {what} from the environment variable VAR",
    )
    group.add_argument(
        f"--{name}-stdin",
        action="store_true",
        help=f"read the {what} from standard input (prompted without echo on a terminal)",
    )


def read_secret(args: argparse.Namespace, name: str, what: str) -> str | None:
    """The secret given through ``--NAME-env``/``--NAME-stdin``, or None when neither was used."""
    attr = name.replace("-", "_")
    variable = getattr(args, f"{attr}_env", None)
    if variable:
        if variable not in os.environ:
            raise ValidationError(what, f"the environment variable {variable} is not set")
        return os.environ[variable]
    if getattr(args, f"{attr}_stdin", False):
        if sys.stdin is None:
            raise ValidationError(what, "standard input is not available")
        if sys.stdin.isatty():
            return getpass.getpass(f"{what}: ")
        return sys.stdin.readline().rstrip("\r\n")
    return None


def parse_key_values(items: Sequence[str] | None, field: str = "option") -> dict[str, str]:
    """``KEY=VALUE`` pairs from repeatable options."""
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(field, f"{item!r} is not KEY=VALUE")
        result[key.strip()] = value
    return result


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def print_table(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """A plain aligned table; ``columns`` are (key, heading)."""
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headings)]
    for line in [headings, *cells]:
        print(
            "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        )


def print_fields(values: dict[str, Any]) -> None:
    """``key: value`` lines for a show command."""
    width = max(len(key) for key in values)
    for key, value in values.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for sub_key, sub_value in value.items():
                print(f"  {sub_key}: {_cell(sub_value)}")
        else:
            print(f"{key.ljust(width)}  {_cell(value)}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)
