"""``ictray log``: show (and follow) the IC log or the Service log."""

from __future__ import annotations

import argparse
import sys

from ictray import logs
from ictray.cli.common import open_from_args
from ictray.settings import preferences


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("log", help="show the IC log or the Service log")
    parser.add_argument("--service", action="store_true", help="the Service log (the scheduler)")
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
    with open_from_args(args) as settings:
        folder = preferences.log_folder(settings)
    kind = logs.SERVICE_LOG if args.service else logs.IC_LOG
    name = "Service log" if args.service else "IC log"
    latest = logs.latest_log(folder, kind)
    if latest is None and not args.follow:
        print(f"the {name} is empty (no files in {folder} yet)")
        return 0
    if latest is not None:
        print(f"==> {latest} <==", file=sys.stderr)
        sys.stdout.writelines(logs.tail(latest, args.lines))
        sys.stdout.flush()
    if args.follow:
        try:
            for line in logs.follow(folder, kind):
                sys.stdout.write(line)
                sys.stdout.flush()
        except KeyboardInterrupt:
            return 0
    return 0
