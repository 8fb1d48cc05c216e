"""``ictray init``: create the settings file (the guide's first step)."""

from __future__ import annotations

import argparse

from ictray.cli.common import open_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create the settings file",
        description="Create the settings file (an existing one is kept as it is).",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with open_from_args(args, create=True) as settings:
        if not settings.created:
            print(f"the settings file {settings.path} already exists; it was left as it is")
        else:
            print(f"settings file: {settings.path}")
        print(f"secrets are kept {settings.secrets.description}")
        print(
            "next: add a site with `ictray site add NAME --host HOST --client-id ID "
            "--client-secret-stdin`"
        )
    return 0
