"""``ictray settings app|notify``: Application Settings and Notification Settings."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ictray.cli.common import (
    add_secret_arguments,
    open_from_args,
    print_fields,
    print_json,
    read_secret,
)
from ictray.settings.validation import SECURITY_MODES

if TYPE_CHECKING:
    from ictray.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    settings = subparsers.add_parser("settings", help="application and notification settings")
    commands = settings.add_subparsers(dest="settings_command", metavar="AREA", required=True)

    app = commands.add_parser("app", help="show or change Application Settings")
    app.add_argument("--scheduler", choices=("on", "off"), help="start or stop the scheduler")
    app.add_argument(
        "--log-folder",
        metavar="DIR",
        help="folder for the IC and Service logs (empty: the one that goes with the settings "
        "file: the per-user log folder for the default file, NAME-logs beside any other)",
    )
    app.add_argument(
        "--log-removal-days",
        metavar="N",
        help="delete logs older than N days (empty or 'never': keep them)",
    )
    app.add_argument(
        "--warn-after-hours",
        metavar="N",
        help="data at risk: warn when a site has not been copied for N hours (default 24)",
    )
    app.add_argument(
        "--warn-margin-days",
        metavar="N",
        help="data at risk: warn when something waiting to be copied is within N days of the "
        "day the appliance deletes it (default 7)",
    )
    app.add_argument(
        "--autostart",
        choices=("on", "off"),
        help="start the desktop app when you log in (Start with Windows; XDG autostart on Linux)",
    )
    app.add_argument("--json", action="store_true", help="print JSON")
    app.set_defaults(handler=run_app)

    notify = commands.add_parser("notify", help="show or change Notification Settings")
    state = notify.add_mutually_exclusive_group()
    state.add_argument(
        "--enable",
        dest="enabled",
        action="store_true",
        default=None,
        help="mail logged errors (needs the SMTP server, --from and --to)",
    )
    state.add_argument("--disable", dest="enabled", action="store_false", help="send no more mails")
    notify.add_argument("--smtp-host", metavar="HOST", help="the mail server's host name")
    notify.add_argument(
        "--smtp-port",
        metavar="PORT",
        help="the mail server's port (default: 25, 587 with starttls, 465 with ssl)",
    )
    notify.add_argument(
        "--security",
        choices=SECURITY_MODES,
        help="how the connection is encrypted: none, starttls or ssl",
    )
    notify.add_argument("--user", metavar="NAME", help="SMTP login (empty: no login)")
    risk = notify.add_mutually_exclusive_group()
    risk.add_argument(
        "--allow-unencrypted-auth",
        dest="allow_unencrypted_auth",
        action="store_true",
        default=None,
        help="log in even with --security none, sending the password unencrypted (readable by "
        "anyone on the network); refused otherwise",
    )
    risk.add_argument(
        "--refuse-unencrypted-auth",
        dest="allow_unencrypted_auth",
        action="store_false",
        help="never log in over an unencrypted connection (the default)",
    )
    add_secret_arguments(notify, "password", "SMTP password")
    notify.add_argument(
        "--clear-password", action="store_true", help="forget the stored SMTP password"
    )
    notify.add_argument("--from", dest="sender", metavar="ADDRESS", help="the sender address")
    notify.add_argument("--to", metavar="ADDRESS[,ADDRESS...]", help="recipients")
    notify.add_argument(
        "--send-test", action="store_true", help="send a test message with the (new) settings"
    )
    notify.add_argument("--json", action="store_true", help="print JSON")
    notify.set_defaults(handler=run_notify)


def run_app(args: argparse.Namespace) -> int:
    from ictray.settings import preferences

    changes: dict[str, object] = {}
    if args.scheduler is not None:
        changes["scheduler_enabled"] = args.scheduler == "on"
    if args.log_folder is not None:
        changes["log_folder"] = args.log_folder
    if args.log_removal_days is not None:
        changes["log_removal_days"] = args.log_removal_days
    if args.warn_after_hours is not None:
        changes["warn_after_hours"] = args.warn_after_hours
    if args.warn_margin_days is not None:
        changes["warn_margin_days"] = args.warn_margin_days
    with open_from_args(args, create=bool(changes) or args.autostart is not None) as settings:
        if changes:
            preferences.set_app(settings, **changes)  # type: ignore[arg-type]
        if args.autostart is not None:
            preferences.set_start_with_session(settings, args.autostart == "on")
        described = preferences.describe_app(settings)
        print_json(described) if args.json else print_fields(described)
    return 0


def run_notify(args: argparse.Namespace) -> int:
    from ictray.settings import preferences

    changes: dict[str, object] = {}
    for key, attr in (
        ("enabled", "enabled"),
        ("host", "smtp_host"),
        ("port", "smtp_port"),
        ("security", "security"),
        ("username", "user"),
        ("sender", "sender"),
        ("allow_unencrypted_auth", "allow_unencrypted_auth"),
    ):
        if getattr(args, attr) is not None:
            changes[key] = getattr(args, attr)
    if args.to is not None:
        changes["recipients"] = [part for part in args.to.split(",") if part.strip()]
    password = read_secret(args, "password", "SMTP password")
    if password is not None:
        changes["password"] = password
    elif args.clear_password:
        changes["password"] = None
    with open_from_args(args, create=bool(changes)) as settings:
        if changes:
            preferences.set_notify(settings, **changes)  # type: ignore[arg-type]
        if args.send_test:
            send_test_mail(settings)
            return 0
        described = preferences.describe_notify(settings)
        print_json(described) if args.json else print_fields(described)
    return 0


def send_test_mail(settings: Settings) -> None:
    """*Send Test*: mail the configured recipients now."""
    from ictray import notify
    from ictray.settings import preferences

    config = preferences.smtp_config(settings)
    notify.send_test(config)
    print(
        f"a test message went to {', '.join(config.recipients)} through {config.host}:{config.port}"
    )
