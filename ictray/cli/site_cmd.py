"""``ictray site``: the sites to copy from (the guide's Site Configuration)."""

from __future__ import annotations

import argparse
import sys

from ictray.cli.common import (
    add_secret_arguments,
    note,
    open_from_args,
    print_fields,
    print_json,
    print_table,
    read_secret,
)
from ictray.errors import ValidationError


def register(subparsers: argparse._SubParsersAction) -> None:
    site = subparsers.add_parser("site", help="add, list, change, test or remove sites")
    commands = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="add a site")
    add.add_argument("name", help="a name for this site configuration")
    add.add_argument("--host", required=True, help="the site's host name, e.g. support.example.com")
    add.add_argument("--client-id", required=True, help="OAuth client id of the API account")
    _site_secret_arguments(add)
    add.add_argument("--ca-bundle", metavar="FILE", help="PEM file of a private CA to trust")
    add.add_argument("--disabled", action="store_true", help="add it switched off")
    add.add_argument(
        "--retention-days",
        metavar="DAYS",
        help="how many days the appliance keeps sessions and recordings (default 90): what "
        "`ictray verify` checks and when `ictray status` warns that data is at risk",
    )
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("list", help="list the sites")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="show one site")
    show.add_argument("name", help="the site to show")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    edit = commands.add_parser("edit", help="change a site")
    edit.add_argument("name", help="the site to change")
    edit.add_argument("--rename", metavar="NEW_NAME", help="give the site a new name")
    edit.add_argument("--host", help="the site's host name, e.g. support.example.com")
    edit.add_argument("--client-id", help="OAuth client id of the API account")
    _site_secret_arguments(edit)
    edit.add_argument(
        "--clear-backup-password", action="store_true", help="make backups without a password"
    )
    edit.add_argument("--ca-bundle", metavar="FILE", help="PEM file of a private CA to trust")
    edit.add_argument("--clear-ca-bundle", action="store_true", help="trust the system's CAs only")
    edit.add_argument(
        "--retention-days",
        metavar="DAYS",
        help="how many days the appliance keeps sessions and recordings (default 90): what "
        "`ictray verify` checks and when `ictray status` warns that data is at risk",
    )
    state = edit.add_mutually_exclusive_group()
    state.add_argument(
        "--enable",
        dest="enabled",
        action="store_true",
        default=None,
        help="copy from this site again",
    )
    state.add_argument(
        "--disable", dest="enabled", action="store_false", help="stop copying from this site"
    )
    edit.set_defaults(handler=run_edit)

    remove = commands.add_parser("remove", help="remove a site and its stored secrets")
    remove.add_argument("name", help="the site to remove (refused while a schedule uses it)")
    remove.set_defaults(handler=run_remove)

    test = commands.add_parser(
        "test",
        help="check the site answers, accepts the credentials, and what the API account may do",
        description="Check that the site answers and accepts the API account, show its API "
        "version and clock skew, what the account may do (from get_api_info when the command "
        "API answers it, else by asking for a listing of one second; the backup permission is "
        "not tried, as that would make a backup) and which data types will therefore work. "
        "Exit 1 when no data type would.",
    )
    test.add_argument("name", help="the site to test")
    test.set_defaults(handler=run_test)


def _site_secret_arguments(parser: argparse.ArgumentParser) -> None:
    add_secret_arguments(parser, "client-secret", "client secret")
    add_secret_arguments(parser, "backup-password", "backup password")


def run_add(args: argparse.Namespace) -> int:
    from ictray.settings import sites

    secret = read_secret(args, "client-secret", "client secret")
    if secret is None:
        raise ValidationError(
            "client secret",
            "give it with --client-secret-env VAR or --client-secret-stdin "
            "(never on the command line)",
        )
    password = read_secret(args, "backup-password", "backup password")
    with open_from_args(args, create=True) as settings:
        site, notices = sites.add_site(
            settings,
            name=args.name,
            host=args.host,
            client_id=args.client_id,
            client_secret=secret,
            backup_password=password,
            ca_bundle=args.ca_bundle,
            enabled=not args.disabled,
            retention_days=args.retention_days,
        )
        for notice in notices:
            note(notice)
        print(
            f"added site {site.name!r} ({site.host}); "
            f"secrets are kept {settings.secrets.description}"
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ictray.settings import sites

    with open_from_args(args) as settings:
        rows = [sites.describe_site(settings, s) for s in sites.list_sites()]
        if args.json:
            print_json(rows)
            return 0
        if not rows:
            print("no sites yet; add one with `ictray site add`")
            return 0
        print_table(
            rows,
            [
                ("name", "NAME"),
                ("host", "HOST"),
                ("client_id", "CLIENT ID"),
                ("client_secret", "SECRET"),
                ("enabled", "ENABLED"),
            ],
        )
        print(f"\nsecrets are kept {settings.secrets.description}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ictray.settings import sites

    with open_from_args(args) as settings:
        described = sites.describe_site(settings, sites.get_site(args.name))
        print_json(described) if args.json else print_fields(described)
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from ictray.settings import sites

    changes: dict[str, object] = {}
    if args.rename is not None:
        changes["new_name"] = args.rename
    for key in ("host", "client_id", "ca_bundle", "enabled", "retention_days"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    if args.clear_ca_bundle:
        changes["ca_bundle"] = None
    secret = read_secret(args, "client-secret", "client secret")
    if secret is not None:
        changes["client_secret"] = secret
    password = read_secret(args, "backup-password", "backup password")
    if password is not None:
        changes["backup_password"] = password
    elif args.clear_backup_password:
        changes["backup_password"] = None
    with open_from_args(args) as settings:
        site, notices = sites.edit_site(settings, args.name, **changes)  # type: ignore[arg-type]
        for notice in notices:
            note(notice)
        print(f"changed site {site.name!r}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ictray.settings import sites

    with open_from_args(args) as settings:
        sites.remove_site(settings, args.name)
        print(f"removed site {args.name!r}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from ictray.operations.site_test import run_site_test
    from ictray.settings import sites

    with open_from_args(args) as settings:
        credentials = sites.site_credentials(settings, sites.get_site(args.name))
    result = run_site_test(credentials)
    print(result.text())
    if not result.usable:
        print(
            f"site {credentials.name!r}: the API account may not read any data: grant it the "
            "reporting (and backup) permissions",
            file=sys.stderr,
        )
        return 1
    return 0
