"""``ictray run-now`` and ``ictray service``: transfers now, or the scheduler without a screen."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType

from ictray.cli.common import note, open_from_args
from ictray.logs import start_logging
from ictray.scheduler.runner import SKIPPED, ScheduleRun, run_schedule
from ictray.scheduler.service import Scheduler, SchedulerEvent, pick_schedules
from ictray.transfer.engine import TransferOptions
from ictray.transfer.progress import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    run_now = subparsers.add_parser(
        "run-now",
        help="run schedules now and print a summary",
        description="Run the named schedules (default: every enabled one) now. Exit 1 when "
        "anything failed or could not be reached.",
    )
    run_now.add_argument("schedules", nargs="*", metavar="SCHEDULE")
    _tuning(run_now)
    run_now.set_defaults(handler=run_now_command)

    service = subparsers.add_parser(
        "service",
        help="run the scheduler headless until stopped",
        description="Run the scheduler without a screen: every minute, due schedules run. "
        "SIGTERM or Ctrl+C finish the current writes, then exit.",
    )
    _tuning(service)
    service.set_defaults(handler=service_command)


def _tuning(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=int,
        default=TransferOptions.concurrency,
        metavar="N",
        help="recordings downloaded at a time (default %(default)s)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")


def _options(args: argparse.Namespace) -> TransferOptions:
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
    if run.outcome == SKIPPED:
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
                    settings, schedule, options=_options(args), progress=printer, stop=stop
                )
                printer.done()
                print_summary(run)
                failed = failed or not run.ok
        finally:
            if mailer is not None:
                mailer.flush()
    return 1 if failed else 0


def service_command(args: argparse.Namespace) -> int:
    with open_from_args(args) as settings:
        mailer = start_logging(settings)
        printer = ProgressPrinter(args.quiet)

        def on_event(event: SchedulerEvent) -> None:
            if event.kind == "progress" and event.progress is not None:
                printer(event.progress)
            elif event.kind == "finished" and event.run is not None:
                printer.done()
                print_summary(event.run)
                sys.stdout.flush()
            elif event.kind == "started" and not args.quiet:
                print(f"schedule {event.schedule!r} started", flush=True)

        scheduler = Scheduler(settings, options=_options(args), on_event=on_event)
        scheduler.start()
        print(f"scheduler running on {settings.path}; Ctrl+C or SIGTERM stops it", flush=True)
        stopping = threading.Event()

        def ask_to_stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stopping.wait(0.5):
                pass
            print("stopping: finishing the current writes...", flush=True)
            scheduler.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if mailer is not None:
                mailer.flush()
        print("scheduler stopped", flush=True)
    return 0
