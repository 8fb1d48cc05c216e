"""`ictray simulate` command group (being written)."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this group's parsers."""
