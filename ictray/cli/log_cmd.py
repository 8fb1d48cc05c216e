"""``ictray log``: show (and follow) the Service log, where the runs are, or the IC log."""

from __future__ import annotations

import argparse
import sys

from ictray import logs
from ictray.cli.common import open_from_args

NAMES = {logs.SERVICE_LOG: "Service log", logs.IC_LOG: "IC log"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "log",
        help="show the runs (the Service log) or the IC log",
        description="Show the last lines of the Service log (the scheduler and each run of a "
        "transfer: what was copied, what failed) or, with --ic, the IC log (the program: the "
        "desktop app, settings, notifications). The file shown is named on standard error.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--service",
        dest="kind",
        action="store_const",
        const=logs.SERVICE_LOG,
        default=logs.SERVICE_LOG,
        help="the Service log: the scheduler and the runs (the default)",
    )
    which.add_argument(
        "--ic",
        dest="kind",
        action="store_const",
        const=logs.IC_LOG,
        help="the IC log: the program itself (desktop app, settings, notifications)",
    )
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    parser.add_argument(
        "--lines",
        "-n",
        type=int,
        default=50,
        metavar="N",
        help="how many of the last lines to show first (default 50)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ictray.settings import preferences

    with open_from_args(args) as settings:
        folder = preferences.log_folder(settings)
    name = NAMES[args.kind]
    latest = logs.latest_log(folder, args.kind)
    if latest is None and not args.follow:
        other = next(kind for kind in NAMES if kind != args.kind)
        where = f"the {name} is empty (no files in {folder} yet)"
        if logs.latest_log(folder, other) is not None:
            flag = "--ic" if other == logs.IC_LOG else "--service"
            where += f"; the {NAMES[other]} has lines: `ictray log {flag}`"
        print(where)
        return 0
    if latest is not None:
        print(f"==> {latest} <==", file=sys.stderr)
        sys.stdout.writelines(logs.tail(latest, args.lines))
        sys.stdout.flush()
    if args.follow:
        try:
            for line in logs.follow(folder, args.kind):
                sys.stdout.write(line)
                sys.stdout.flush()
        except KeyboardInterrupt:
            return 0
    return 0
