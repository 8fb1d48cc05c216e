"""``ictray schedule``: when transfers run (the guide's Schedule Configuration)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ictray.cli.common import note, open_from_args, print_fields, print_json, print_table
from ictray.operations.display import local_minute

if TYPE_CHECKING:
    from ictray.settings.models import Schedule

TYPE_HELP = (
    "SITE:DESTINATION:TYPE[,TYPE...] (repeatable); types: session_data, session_recordings, "
    "show_my_screen_recordings, command_shell_recordings, presentation_data, "
    "presentation_recordings, site_backups"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    schedule = subparsers.add_parser("schedule", help="add, list, change or remove schedules")
    commands = schedule.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="add a schedule")
    add.add_argument("name", help="a descriptive name")
    add.add_argument("--every", required=True, help="Run Every: 1m to 7d, e.g. 15m, 2h, 1d")
    add.add_argument("--at", metavar="HH:MM", help="time of day, for periods of whole days")
    add.add_argument("--transfer", action="append", default=[], help=TYPE_HELP)
    add.add_argument("--disabled", action="store_true", help="add it switched off")
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("list", help="list the schedules")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="show one schedule with its transfers")
    show.add_argument("name", help="the schedule to show")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    edit = commands.add_parser(
        "edit",
        help="change a schedule",
        description="Change what is given; everything else stays as it is. Transfers: "
        "--transfer replaces them all, --add-transfer adds one, --remove-transfer removes one "
        "(applied in that order). What a removed transfer copied stays where it is.",
    )
    edit.add_argument("name", help="the schedule to change")
    edit.add_argument("--rename", metavar="NEW_NAME", help="give the schedule a new name")
    edit.add_argument("--every", metavar="PERIOD", help="Run Every: 1m to 7d, e.g. 15m, 2h, 1d")
    edit.add_argument(
        "--at",
        metavar="HH:MM",
        help="time of day, for periods of whole days; an empty value (--at '') removes it",
    )
    edit.add_argument(
        "--transfer",
        action="append",
        default=None,
        metavar="SITE:DESTINATION:TYPES",
        help="replace all transfers with these; " + TYPE_HELP,
    )
    edit.add_argument(
        "--add-transfer",
        action="append",
        default=None,
        metavar="SITE:DESTINATION:TYPES",
        help="add a transfer (repeatable), as --transfer takes it",
    )
    edit.add_argument(
        "--remove-transfer",
        action="append",
        default=None,
        metavar="SITE:DESTINATION",
        help="remove the transfer from this site to this destination (repeatable)",
    )
    state = edit.add_mutually_exclusive_group()
    state.add_argument(
        "--enable",
        dest="enabled",
        action="store_true",
        default=None,
        help="switch the schedule on: it runs on its own again",
    )
    state.add_argument(
        "--disable",
        dest="enabled",
        action="store_false",
        help="switch the schedule off: it runs only when started by hand (run-now)",
    )
    edit.set_defaults(handler=run_edit)

    remove = commands.add_parser("remove", help="remove a schedule and its transfers")
    remove.add_argument("name", help="the schedule to remove (what it copied stays)")
    remove.set_defaults(handler=run_remove)


def run_add(args: argparse.Namespace) -> int:
    from ictray.settings import schedules

    specs = [schedules.parse_transfer(text) for text in args.transfer]
    with open_from_args(args, create=True) as settings:
        schedule = schedules.add_schedule(
            settings,
            name=args.name,
            every=args.every,
            at=args.at,
            transfers=specs,
            enabled=not args.disabled,
        )
        print(f"added schedule {schedule.name!r} with {len(specs)} transfer(s)")
        if not specs:
            note(
                f"schedule {schedule.name!r} has no transfers yet; add them with "
                f"`ictray schedule edit {schedule.name} --add-transfer SITE:DEST:TYPES`"
            )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ictray.settings import schedules

    with open_from_args(args) as settings:
        del settings
        listed = schedules.list_schedules()
        rows = [schedules.describe_schedule(s) for s in listed]
        if args.json:
            print_json(rows)
        elif not rows:
            print("no schedules yet; add one with `ictray schedule add`")
        else:
            for row, schedule in zip(rows, listed, strict=True):
                row["count"] = len(row["transfers"])
                row["period"] = row["every"] + (f" at {row['at']}" if row["at"] else "")
                row.update(_local_times(schedule))
            print_table(
                rows,
                [
                    ("name", "SCHEDULE NAME"),
                    ("count", "TRANSFERS"),
                    ("period", "PERIOD"),
                    ("last_run", "LAST RUN"),
                    ("next_run", "NEXT RUN"),
                    ("enabled", "ENABLED"),
                ],
            )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ictray.settings import schedules

    with open_from_args(args):
        schedule = schedules.get_schedule(args.name)
        described = schedules.describe_schedule(schedule)
        if args.json:
            print_json(described)
            return 0
        described.update(_local_times(schedule))
        transfers = described.pop("transfers")
        print_fields(described)
        print("transfers:")
        for item in transfers:
            print(f"  {item['site']} -> {item['destination']}: {', '.join(item['data_types'])}")
    return 0


def _local_times(schedule: Schedule) -> dict[str, str]:
    """Last and next run as people read them: local time, to the minute, with the zone."""
    return {
        "last_run": local_minute(schedule.last_run),
        "next_run": local_minute(schedule.next_run, never="-"),
    }


def run_edit(args: argparse.Namespace) -> int:
    from ictray.settings import schedules

    changes: dict[str, object] = {}
    if args.rename is not None:
        changes["new_name"] = args.rename
    if args.every is not None:
        changes["every"] = args.every
    if args.at is not None:
        changes["at"] = args.at or None
    if args.enabled is not None:
        changes["enabled"] = args.enabled
    if args.transfer is not None:
        changes["transfers"] = [schedules.parse_transfer(t) for t in args.transfer]
    if args.add_transfer:
        changes["add_transfers"] = [schedules.parse_transfer(t) for t in args.add_transfer]
    if args.remove_transfer:
        changes["remove_transfers"] = [schedules.parse_pair(t) for t in args.remove_transfer]
    with open_from_args(args) as settings:
        schedule = schedules.edit_schedule(settings, args.name, **changes)  # type: ignore[arg-type]
        print(f"changed schedule {schedule.name!r}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ictray.settings import schedules

    with open_from_args(args) as settings:
        schedules.remove_schedule(settings, args.name)
        print(f"removed schedule {args.name!r}")
    return 0
