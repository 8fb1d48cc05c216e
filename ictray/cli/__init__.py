"""The ``ictray`` command line: every operation a dialog offers, scriptable and testable.

Each command group lives in its own module with a ``register(subparsers)`` function that adds
its parsers and sets ``handler`` (a function ``(args) -> int``). With no command, the desktop
app starts. Errors a person can act on are printed as one line and mapped to exit codes:
0 success, 1 an operation failed, 2 a usage or validation error.

A command module imports at its top only what building its parser needs (the standard
library, ``ictray.errors``, ``ictray.datatypes``, light constants); what a command uses is
imported in its handler. ``ictray --help`` and every command start without loading what they do
not use (``tests/cli/test_imports.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ictray import __version__
from ictray.cli import (
    apitest_cmd,
    bench_cmd,
    demo_cmd,
    dest_cmd,
    init_cmd,
    log_cmd,
    run_cmd,
    schedule_cmd,
    service_cmd,
    settings_cmd,
    simulate_cmd,
    site_cmd,
    status_cmd,
    verify_cmd,
)
from ictray.errors import IctrayError
from ictray.logs import masker
from ictray.transfer import collector

COMMAND_MODULES = (
    init_cmd,
    site_cmd,
    dest_cmd,
    schedule_cmd,
    settings_cmd,
    run_cmd,
    status_cmd,
    verify_cmd,
    service_cmd,
    log_cmd,
    apitest_cmd,
    simulate_cmd,
    demo_cmd,
    bench_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ictray",
        description=(
            "Copy session logs, recordings and site backups from a BeyondTrust Remote Support "
            "appliance to a folder or an SQL database. With no command, the desktop app starts."
        ),
    )
    parser.add_argument("--version", action="version", version=f"ictray {__version__}")
    parser.add_argument(
        "--settings",
        metavar="PATH",
        help="settings file to use (default: $ICTRAY_SETTINGS, else the per-user data folder)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    _settings_after_the_command(parser)
    return parser


def _settings_after_the_command(parser: argparse.ArgumentParser) -> None:
    """``--settings`` accepted after any command too (``ictray site list --settings X``).

    Each command's parser gets the option with the same destination and no default, so one
    given before the command is not overwritten by the command's parser.
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for command in set(action.choices.values()):
            command.add_argument(
                "--settings",
                metavar="PATH",
                default=argparse.SUPPRESS,
                help="settings file to use (as --settings before the command)",
            )
            _settings_after_the_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if args.command is None:
            # imported here only: the commands must start where no display or Tk exists
            from ictray.tray.main import run_desktop

            return run_desktop(args.settings)
        parser.parse_args([args.command, "--help"])
        return 2
    # A command does nothing but its work: its transfers may manage the cycle collector.
    collector.manage_during_runs()
    try:
        return int(handler(args) or 0)
    except IctrayError as error:
        print(f"ictray: error: {masker.mask(str(error))}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("ictray: interrupted", file=sys.stderr)
        return 130
