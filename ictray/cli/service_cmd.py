"""``ictray service``: the scheduler without a screen, and the Windows service that runs it.

``ictray service`` runs the scheduler in the foreground until Ctrl+C or SIGTERM (a terminal,
systemd, or any service wrapper). ``ictray service install|uninstall|start|stop|status``
manage the Windows service, which runs the very same scheduler (``SchedulerHost``) while
nobody is logged in; on other systems they say that it does not exist there.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from ictray.cli.common import add_secret_arguments, print_json, read_secret
from ictray.cli.run_cmd import ProgressPrinter, print_summary, transfer_options, tuning
from ictray.errors import IctrayError

if TYPE_CHECKING:
    from ictray.scheduler.service import SchedulerEvent


def register(subparsers: argparse._SubParsersAction) -> None:
    service = subparsers.add_parser(
        "service",
        help="run the scheduler headless until stopped, or manage the Windows service",
        description="With no action: run the scheduler in the foreground, without a screen: "
        "every minute, due schedules run; SIGTERM or Ctrl+C finish the current writes, then "
        "exit. The actions manage the Windows service, which runs the same scheduler while "
        "nobody is logged in (changing it asks for administrator rights).",
    )
    tuning(service)
    service.add_argument(
        "--event-log",
        action="store_true",
        help="also report starts, stops and failures to the system's log (syslog on Linux, "
        "the event log on Windows)",
    )
    service.set_defaults(handler=foreground_command)
    actions = service.add_subparsers(dest="service_action", metavar="ACTION")

    status = actions.add_parser(
        "status",
        help="whether the Windows service is installed and running, and who runs the schedules now",
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=status_command)

    install = actions.add_parser(
        "install",
        help="install the Windows service (or change its account)",
        description="Install the Windows service for the settings file in use. It logs on as "
        "--account: the account that can reach the destination folders and databases and "
        "that set ictray up (its secrets live in that account's credential store).",
    )
    install.add_argument(
        "--account",
        metavar="ACCOUNT",
        help="DOMAIN\\user to log on as (default: you); LocalSystem for the Local System account",
    )
    add_secret_arguments(install, "password", "password of the account")
    _elevated_options(install, password=True)
    install.set_defaults(handler=action_command(_install))

    for name, what, action in (
        ("uninstall", "stop and remove the Windows service", _uninstall),
        ("start", "start the Windows service (it takes the schedules over)", _start),
        ("stop", "stop the Windows service once the current writes are done", _stop),
    ):
        parser = actions.add_parser(name, help=what)
        _elevated_options(parser)
        parser.set_defaults(handler=action_command(action))


def _elevated_options(parser: argparse.ArgumentParser, *, password: bool = False) -> None:
    """What the elevated copy of a command is given by the one that asked for elevation."""
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    if password:
        parser.add_argument("--password-file", type=Path, help=argparse.SUPPRESS)


# -- the scheduler in the foreground --------------------------------------------------------


def foreground_command(args: argparse.Namespace) -> int:
    from ictray.platform.service import system_event_log
    from ictray.scheduler.host import FOREGROUND, SchedulerHost
    from ictray.settings import resolve_settings_path

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

    event_log = system_event_log() if args.event_log else None
    host = SchedulerHost(
        resolve_settings_path(args.settings),
        holder=FOREGROUND,
        event_log=event_log,
        console=True,
        options=transfer_options(args),
        on_event=on_event,
    )
    stopping = threading.Event()

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        host.start()
        print(f"scheduler running on {host.settings_path}; Ctrl+C or SIGTERM stops it", flush=True)
        while not stopping.wait(0.5):
            pass
        print("stopping: finishing the current writes...", flush=True)
        host.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if event_log is not None:
            event_log.close()
    print("scheduler stopped", flush=True)
    return 0


# -- the Windows service --------------------------------------------------------------------


def status_command(args: argparse.Namespace) -> int:
    from ictray.operations import service as operations
    from ictray.settings import resolve_settings_path

    status = operations.service_status()
    path = resolve_settings_path(args.settings)
    holder = operations.scheduler_holder(path) if path.exists() else None
    if holder is None:
        scheduler = f"not running on {path}"
    else:
        scheduler = f"run by {holder.name} (process {holder.pid}) on {path}"
    if args.json:
        print_json(
            {
                "service": status.state,
                "detail": status.detail,
                "account": status.account,
                "settings_file": status.settings_path,
                "scheduler": {
                    "settings_file": str(path),
                    "running": holder is not None,
                    "holder": holder.name if holder else None,
                    "pid": holder.pid if holder else None,
                },
            }
        )
        return 0
    print(f"Windows service: {status.state}")
    print(f"  {status.detail}")
    if status.account:
        print(f"  logs on as: {status.account}")
    if status.settings_path:
        print(f"  settings file: {status.settings_path}")
    print(f"Scheduler: {scheduler}")
    return 0


def action_command(action: Callable[[argparse.Namespace], str]) -> Callable[..., int]:
    """Run one service action; an elevated copy also writes its answer to ``--result-file``."""

    def handler(args: argparse.Namespace) -> int:
        result_file: Path | None = getattr(args, "result_file", None)
        try:
            message = action(args)
        except IctrayError as error:
            if result_file is not None:
                _write_result(result_file, error.exit_code, str(error))
            raise
        if result_file is not None:
            _write_result(result_file, 0, message)
        print(message)
        return 0

    return handler


def _write_result(path: Path, code: int, message: str) -> None:
    path.write_text(json.dumps({"code": code, "message": message}), encoding="utf-8")


def _install(args: argparse.Namespace) -> str:
    from ictray.operations import service as operations
    from ictray.platform.service import ServiceError, service_manager
    from ictray.settings import open_settings, preferences, resolve_settings_path

    operations.check_available()
    password = read_secret(args, "password", "password of the account")
    if args.password_file is not None:
        password = service_manager().read_password_file(args.password_file)
    try:
        settings = open_settings(resolve_settings_path(args.settings))
    except IctrayError as error:
        raise ServiceError(f"the service needs a settings file: {error}") from None
    with settings:
        log_folder = preferences.log_folder(settings)
    return operations.install_service(
        settings.path, log_folder, account=args.account, password=password
    )


def _uninstall(args: argparse.Namespace) -> str:
    from ictray.operations import service as operations

    return operations.uninstall_service()


def _start(args: argparse.Namespace) -> str:
    from ictray.operations import service as operations

    return operations.start_service()


def _stop(args: argparse.Namespace) -> str:
    from ictray.operations import service as operations

    return operations.stop_service()
