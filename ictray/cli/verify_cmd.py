"""``ictray verify``: is everything the appliance still holds in the archive, unharmed?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ictray.cli.common import open_from_args, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser(
        "verify",
        help="check that the archive holds everything the appliance still keeps",
        description="Compare what the appliance still holds (over the days its site keeps, up "
        "to where ictray has copied) with what each destination holds, read from the "
        "destination itself, and report what is missing, damaged (changed since it was "
        "written, or no longer readable), stored twice or extra. Exit 1 when anything is "
        "missing or damaged.",
    )
    command.add_argument("--site", metavar="NAME", help="check only this site")
    command.add_argument("--destination", metavar="NAME", help="check only this destination")
    command.add_argument(
        "--repair",
        action="store_true",
        help="fetch what is missing while the appliance still has it, then check again "
        "(damaged files are reported, never replaced)",
    )
    output = command.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report as JSON")
    command.add_argument(
        "--html", metavar="FILE", help="also write the report as a self-contained HTML page"
    )
    command.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    command.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ictray.operations import verify, verify_report
    from ictray.settings.reporting import start_logging

    with open_from_args(args) as settings:
        mailer = start_logging(settings, console=False)
        try:
            report = verify.verify(
                settings,
                site=args.site,
                destination=args.destination,
                repair=args.repair,
                progress=None if args.quiet else _say,
            )
        finally:
            if mailer is not None:
                mailer.flush()
    if args.html:
        Path(args.html).write_text(verify_report.to_html(report), encoding="utf-8")
    if args.json:
        print_json(report.as_dict())
    else:
        print(verify_report.to_text(report))
    return 0 if report.ok else 1


def _say(text: str) -> None:
    print(f"ictray: {text}", file=sys.stderr, flush=True)
