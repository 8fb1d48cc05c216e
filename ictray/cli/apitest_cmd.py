"""``ictray apitest``: the guide's API Tester from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ictray.cli.common import open_from_args
from ictray.datatypes import DataType
from ictray.errors import ValidationError

if TYPE_CHECKING:
    from ictray.transfer.apitest import TestLine


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apitest",
        help="transfer now to test a configuration (the API Tester)",
        description="Copy now, outside the schedules: either sessions of the chosen sites (a "
        "start date and duration, or session IDs), or what saved XML files hold "
        "(--xml). Prints what was written where; exit 1 when anything failed.",
    )
    parser.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="NAME",
        help="a configured site (repeatable; with --xml: the site the files "
        "came from, needed for recordings and backups)",
    )
    parser.add_argument(
        "--dest",
        action="append",
        default=[],
        metavar="NAME",
        required=True,
        help="a configured destination (repeatable)",
    )
    parser.add_argument(
        "--type",
        action="append",
        default=[],
        metavar="TYPE[,TYPE]",
        required=True,
        help="data types to transfer (repeatable or comma list)",
    )
    parser.add_argument(
        "--start",
        metavar="YYYY-MM-DD[THH:MM]",
        help="first session start to copy (this computer's local time)",
    )
    parser.add_argument(
        "--duration",
        default="1d",
        metavar="PERIOD",
        help="how long after --start, e.g. 2h, 1d, 30d (default 1d)",
    )
    parser.add_argument(
        "--session",
        action="append",
        default=[],
        metavar="LSID",
        help="a session ID to copy (repeatable) instead of a time window",
    )
    parser.add_argument(
        "--xml",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="parse these saved XML reports instead of asking a site",
    )
    parser.add_argument(
        "--host", metavar="HOST", help="with --xml: the site host to store the data under"
    )
    parser.set_defaults(handler=run)


def _types(values: list[str]) -> list[DataType]:
    types: list[DataType] = []
    for value in values:
        for name in value.split(","):
            try:
                data_type = DataType.parse(name)
            except ValueError as error:
                raise ValidationError("type", str(error)) from None
            if data_type not in types:
                types.append(data_type)
    return types


def _start(text: str | None) -> int:
    from ictray.settings import validation

    if not text:
        raise ValidationError("start", "give --start YYYY-MM-DD (or --session LSID)")
    return validation.parse_local_time(text, "start")


def run(args: argparse.Namespace) -> int:
    from ictray.settings import validation
    from ictray.settings.reporting import start_logging
    from ictray.transfer.apitest import Selection, run_live, run_xml

    data_types = _types(args.type)
    with open_from_args(args) as settings:
        start_logging(settings)

        def report(text: str) -> None:
            print(text, file=sys.stderr, flush=True)

        if args.xml:
            if len(args.site) > 1:
                raise ValidationError("site", "with --xml, name at most one site")
            lines = run_xml(
                settings,
                files=args.xml,
                destinations=args.dest,
                data_types=data_types,
                site=args.site[0] if args.site else None,
                host=args.host,
                report=report,
            )
        else:
            if args.session:
                selection = Selection(lsids=tuple(args.session))
            else:
                minutes = validation.parse_duration(args.duration, "duration")
                selection = Selection(start=_start(args.start), duration=minutes * 60)
            lines = run_live(
                settings,
                sites=args.site,
                destinations=args.dest,
                data_types=data_types,
                selection=selection,
                report=report,
            )
    print_lines(lines)
    return 0 if all(line.ok for line in lines) else 1


def print_lines(lines: list[TestLine]) -> None:
    for line in lines:
        parts = [f"{line.stored} stored"]
        for label, value in (
            ("skipped", line.skipped),
            ("expired", line.expired),
            ("failed", line.failed),
            ("refused", line.refused),
        ):
            if value:
                parts.append(f"{value} {label}")
        print(
            f"{line.site} -> {line.destination}: {line.data_type.label.lower()}: {', '.join(parts)}"
        )
        for location in line.locations[:20]:
            print(f"    {location}")
        if len(line.locations) > 20:
            print(f"    ... and {len(line.locations) - 20} more")
        for error in line.errors:
            print(f"    error: {error}")
