"""``ictray run-now``: transfers now, with a summary (``ictray service`` is in ``service_cmd``)."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import TYPE_CHECKING

from ictray.cli.common import note, open_from_args
from ictray.names import Outcome
from ictray.transfer.options import TransferOptions

if TYPE_CHECKING:
    from ictray.scheduler.runner import ScheduleRun
    from ictray.transfer.progress import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    run_now = subparsers.add_parser(
        "run-now",
        help="run schedules now and print a summary",
        description="Run the named schedules (default: every enabled one) now. Exit 1 when "
        "anything failed or could not be reached.",
    )
    run_now.add_argument(
        "schedules", nargs="*", metavar="SCHEDULE", help="schedules to run (default: all enabled)"
    )
    tuning(run_now)
    run_now.set_defaults(handler=run_now_command)


def tuning(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        default=TransferOptions.concurrency,
        metavar="N",
        help="recordings downloaded at a time (default %(default)s)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")


def transfer_options(args: argparse.Namespace) -> TransferOptions:
    return TransferOptions(concurrency=max(1, args.concurrency))


class ProgressPrinter:
    """Progress on stderr: one line rewritten in place on a terminal, at most five a second;
    elsewhere (a log file, a pipe) a line when a step ends and otherwise every few seconds."""

    TERMINAL_EVERY = 0.2
    PIPE_EVERY = 5.0

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, item: Progress) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        finished = item.total is not None and item.done >= item.total
        every = self.TERMINAL_EVERY if self.tty else self.PIPE_EVERY
        if not finished and item.done and now - self._last < every:
            return
        self._last = now
        line = f"{item.site} -> {item.destination}: {item.text}"
        with self._lock:
            if self.tty:
                print(f"\r\033[K{line[:150]}", end="", file=sys.stderr, flush=True)
            else:
                print(line, file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.tty and not self.quiet:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def print_summary(run: ScheduleRun) -> None:
    if run.outcome == Outcome.SKIPPED:
        print(f"schedule {run.schedule!r}: not started, it is {run.note}")
        return
    print(f"schedule {run.schedule!r}: {run.outcome}")
    for result in run.results:
        skew = ""
        if result.clock_skew is not None and abs(result.clock_skew) >= 2:
            skew = f" (clock skew {result.clock_skew:+.0f} s)"
        print(f"  {result.site} -> {result.destination}: {result.outcome}{skew}")
        print(f"    {result.summary()}")
        for error in result.errors[:10]:
            print(f"    error: {error}")
        if len(result.errors) > 10:
            print(f"    ... and {len(result.errors) - 10} more errors (see `ictray log --service`)")


def run_now_command(args: argparse.Namespace) -> int:
    from ictray.scheduler.runner import run_schedule
    from ictray.scheduler.service import pick_schedules
    from ictray.settings.reporting import start_logging

    stop = threading.Event()
    with open_from_args(args) as settings:
        mailer = start_logging(settings)
        chosen = pick_schedules(args.schedules or None)
        if not chosen:
            note("no enabled schedules; add one with `ictray schedule add`")
            return 0
        printer = ProgressPrinter(args.quiet)
        failed = False
        try:
            for schedule in chosen:
                run = run_schedule(
                    settings, schedule, options=transfer_options(args), progress=printer, stop=stop
                )
                printer.done()
                print_summary(run)
                failed = failed or not run.ok
        finally:
            if mailer is not None:
                mailer.flush()
    return 1 if failed else 0
