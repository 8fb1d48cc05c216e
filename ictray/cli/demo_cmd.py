"""``ictray demo``: copy from a simulated appliance to a folder and SQLite; show what landed."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from ictray.cli.run_cmd import ProgressPrinter, print_summary
from ictray.logs import setup_logging

if TYPE_CHECKING:
    from ictray import demo


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="see ictray at work in seconds: nothing to set up, nothing of yours touched",
        description=(
            "Start a simulated appliance on this computer (loopback only), configure a "
            "throw-away settings file with a site, a File System destination, an SQLite "
            "destination and a schedule, run the schedule once and show what landed where. "
            "Your own settings file, credential store and logs are not touched. Exit 1 when "
            "anything failed."
        ),
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="work in DIR (new or empty) and keep everything there to look at; "
        "default: a temporary folder, removed at the end",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ictray import demo

    with demo.demo_folder(args.keep) as folder:
        setup_logging(folder / demo.LOGS, console=True)
        print(
            f"Copying from a simulated appliance ({demo.SESSIONS} sessions over {demo.DAYS} "
            f"days): every data type to a folder, the session data to SQLite, in {folder}",
            flush=True,
        )
        printer = ProgressPrinter(args.quiet)
        try:
            report = demo.run_demo(folder, progress=printer)
        finally:
            printer.done()
            logging.shutdown()  # closes the log files, so the demo folder can be removed
        print_summary(report.run)
        print_report(report)
        if args.keep is None:
            print(
                "\nThe demo folder is removed now; `ictray demo --keep DIR` keeps everything "
                "in DIR to look at."
            )
    return 0 if report.ok else 1


def print_report(report: demo.DemoReport) -> None:
    from ictray import demo

    print(f"\nWhat landed where (the appliance was {report.appliance}):")
    print(f"Folder destination {demo.FOLDER_DESTINATION!r}: {report.archive}")
    for kind in report.files:
        examples = ", ".join(kind.examples)
        files = "file" if kind.count == 1 else "files"
        print(f"  {kind.count:5d} {kind.extension or '(no extension)'} {files}, e.g. {examples}")
    print(f"SQLite destination {demo.SQLITE_DESTINATION!r}: {report.database}")
    print("  rows: " + ", ".join(f"{table} {rows}" for table, rows in report.table_rows.items()))
    print(f'  sqlite3 "{report.database}" "{demo.EXAMPLE_QUERY}"')
    for row in [report.query_columns, *report.query_rows]:
        print("    " + " | ".join(str(value) for value in row))
    print(f"Settings file: {report.settings_file}")
    print(f'  ictray --settings "{report.settings_file}" schedule list')
    print(f"Logs: {report.logs}")
