"""``ictray bench``: performance figures against bare references measured in the same run.

A report, not a test: it exits 0 when targets are missed, and says which ones. ``--small``
runs every figure at sizes CI can afford.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

from ictray.bench.options import SMALL, BenchOptions, UserDestination
from ictray.cli.common import print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure ingest, download and idle figures against bare references",
        description=(
            "Run the simulator on this computer and measure: sessions per second into SQLite "
            "(or --dest), peak memory at two report sizes, recording download MB/s, CPU used "
            "while idle, and what that means for the first copy of a busy site; then a quiet "
            "site's first copy and a run with nothing new as `ictray run-now` makes them, and "
            "how long `ictray --help` takes to start; with --postgres and/or --mysql, the first "
            "copy into those servers against SQLite. Each figure "
            "is shown beside a bare reference measured in the same run. The full run takes "
            "several minutes and about 2 GB of temporary disk."
        ),
    )
    defaults = BenchOptions()
    parser.add_argument(
        "--small", action="store_true", help="small sizes, to check that it works (CI)"
    )
    parser.add_argument(
        "--sessions",
        type=int,
        metavar="N",
        help=f"sessions in the large report (default {defaults.sessions:,})",
    )
    parser.add_argument(
        "--small-sessions",
        type=int,
        metavar="N",
        help="sessions in the report the large one's memory is compared with "
        f"(default {defaults.small_sessions:,})",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="runs of each rate measurement, interleaved with the reference's; "
        f"the fastest counts (default {defaults.repeats})",
    )
    parser.add_argument(
        "--recordings",
        type=int,
        metavar="N",
        help=f"recordings to download (default about {defaults.recordings})",
    )
    parser.add_argument(
        "--recording-size",
        type=int,
        metavar="BYTES",
        help=f"bytes per recording (default {defaults.recording_size:,})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help=f"downloads at a time (default {defaults.concurrency})",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        metavar="S",
        help=f"how long to watch idle CPU (default {defaults.idle_seconds:g})",
    )
    parser.add_argument(
        "--first-copy-sessions",
        type=int,
        metavar="N",
        help="sessions of the quiet site whose first copy `ictray run-now` "
        f"makes (default {defaults.first_copy_sessions:,})",
    )
    parser.add_argument(
        "--first-copy-days",
        type=int,
        metavar="N",
        help=f"days those sessions are spread over (default {defaults.first_copy_days})",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        metavar="N",
        help="starts of `ictray --help` and of the reference; the fastest "
        f"counts (default {defaults.startup_runs})",
    )
    parser.add_argument(
        "--no-desktop", action="store_true", help="do not start the desktop app for the idle figure"
    )
    parser.add_argument(
        "--dest",
        metavar="NAME",
        help="ingest into this configured destination (from --settings) "
        "instead of a new SQLite file; its sessions are stored under the site "
        "host ictray-bench.invalid and left there",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        type=_server_url("postgres"),
        help="also time the first copy into this PostgreSQL server against "
        "SQLite's, e.g. postgresql://user:secret@127.0.0.1:5432/postgres (a "
        "login that may create databases: each run gets a new one, dropped "
        "after it)",
    )
    parser.add_argument(
        "--mysql",
        metavar="URL",
        type=_server_url("mysql"),
        help="the same for a MySQL or MariaDB server, e.g. mysql://root@127.0.0.1:3306/mysql",
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the work folder (reports, logs, settings) under DIR"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--worker", metavar="SPEC", help=argparse.SUPPRESS)
    parser.set_defaults(handler=bench_command)


def _server_url(option: str) -> Callable[[str], str]:
    def check(url: str) -> str:
        from ictray.bench.servers import check_url

        try:
            return check_url(option, url)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return check


def bench_command(args: argparse.Namespace) -> int:
    if args.worker:
        from ictray.bench import worker

        return worker.run(Path(args.worker))
    from ictray.bench.report import table
    from ictray.bench.run import run_bench
    from ictray.settings import resolve_settings_path

    base = SMALL if args.small else BenchOptions()
    chosen = {
        "sessions": args.sessions,
        "small_sessions": args.small_sessions,
        "repeats": args.repeats,
        "recordings": args.recordings,
        "recording_size": args.recording_size,
        "concurrency": args.concurrency,
        "idle_seconds": args.idle_seconds,
        "first_copy_sessions": args.first_copy_sessions,
        "first_copy_days": args.first_copy_days,
        "startup_runs": args.startup_runs,
    }
    options = dataclasses.replace(
        base,
        **{key: value for key, value in chosen.items() if value is not None},
        desktop=not args.no_desktop,
        keep=Path(args.keep) if args.keep else None,
        postgres=args.postgres,
        mysql=args.mysql,
        destination=(
            UserDestination(str(resolve_settings_path(args.settings)), args.dest)
            if args.dest
            else None
        ),
    )

    def say(text: str) -> None:
        print(f"ictray bench: {text}", file=sys.stderr, flush=True)

    results = run_bench(options, say)
    if args.json:
        print_json(results.as_json())
    else:
        print(table(results.figures))
        for note in results.notes:
            print(f"note: {note}")
    return 0
