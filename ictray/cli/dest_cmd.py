"""``ictray dest``: destinations, i.e. plugin instances (the guide's Plugin Configuration)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ictray.cli.common import (
    note,
    open_from_args,
    parse_key_values,
    print_fields,
    print_json,
    print_table,
)
from ictray.datatypes import DataType
from ictray.errors import ValidationError


def register(subparsers: argparse._SubParsersAction) -> None:
    dest = subparsers.add_parser("dest", help="add, list, change, test or remove destinations")
    commands = dest.add_subparsers(dest="dest_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="add a destination")
    add.add_argument("name", help="a name for this destination (used in logs and dialogs)")
    add.add_argument(
        "--plugin",
        required=True,
        help="plugin type: filesystem, sql, or one installed with pip "
        "(`ictray dest plugins` lists them with their options)",
    )
    _option_arguments(add)
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("list", help="list the destinations")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="show one destination")
    show.add_argument("name", help="the destination to show")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    edit = commands.add_parser("edit", help="change a destination's name or options")
    edit.add_argument("name", help="the destination to change")
    edit.add_argument("--rename", metavar="NEW_NAME", help="give the destination a new name")
    _option_arguments(edit)
    edit.set_defaults(handler=run_edit)

    remove = commands.add_parser("remove", help="remove a destination")
    remove.add_argument("name", help="the destination to remove (refused while a schedule uses it)")
    remove.set_defaults(handler=run_remove)

    test = commands.add_parser("test", help="check the destination can be written")
    test.add_argument("name", help="the destination to test")
    test.set_defaults(handler=run_test)

    plugins = commands.add_parser("plugins", help="list plugin types and their options")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.set_defaults(handler=run_plugins)


def _option_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        help="a plugin option (repeatable); see `ictray dest plugins`",
    )
    parser.add_argument(
        "--option-env",
        action="append",
        metavar="KEY=VAR",
        default=[],
        help="a plugin option read from the environment variable VAR "
        "(for values holding a password)",
    )
    parser.add_argument(
        "--option-stdin", metavar="KEY", help="a plugin option read from standard input (one line)"
    )


def _options(args: argparse.Namespace, plugin: str) -> dict[str, str]:
    from ictray.settings import destinations

    plain = parse_key_values(args.option)
    leaking = destinations.secret_option_keys(plugin, plain)
    if leaking:
        key = sorted(leaking)[0]
        raise ValidationError(
            key,
            "this value holds a password; pass it with --option-env "
            f"{key}=VAR or --option-stdin {key}, never on the command line",
        )
    options = dict(plain)
    for key, variable in parse_key_values(args.option_env, "option-env").items():
        if variable not in os.environ:
            raise ValidationError(key, f"the environment variable {variable} is not set")
        options[key] = os.environ[variable]
    if args.option_stdin:
        options[args.option_stdin] = sys.stdin.readline().rstrip("\r\n")
    return options


def run_add(args: argparse.Namespace) -> int:
    from ictray.destinations.base import load_plugin
    from ictray.settings import destinations

    load_plugin(args.plugin)
    options = _options(args, args.plugin)
    with open_from_args(args, create=True) as settings:
        dest = destinations.add_destination(
            settings, name=args.name, plugin=args.plugin, options=options
        )
        print(f"added destination {dest.name!r} ({load_plugin(dest.plugin).label})")
        for caution in destinations.destination_cautions(dest):
            note(caution)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ictray.settings import destinations

    with open_from_args(args) as settings:
        rows = [
            destinations.describe_destination(settings, d) for d in destinations.list_destinations()
        ]
        if args.json:
            print_json(rows)
        elif not rows:
            print("no destinations yet; add one with `ictray dest add`")
        else:
            for row in rows:
                row["summary"] = "; ".join(f"{k}={v}" for k, v in row["options"].items() if v)
            print_table(rows, [("name", "NAME"), ("plugin", "PLUGIN"), ("summary", "OPTIONS")])
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ictray.settings import destinations

    with open_from_args(args) as settings:
        described = destinations.describe_destination(
            settings, destinations.get_destination(args.name)
        )
        print_json(described) if args.json else print_fields(described)
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from ictray.settings import destinations

    with open_from_args(args) as settings:
        current = destinations.get_destination(args.name)
        options = _options(args, current.plugin)
        changes = {"new_name": args.rename} if args.rename is not None else {}
        dest = destinations.edit_destination(settings, args.name, options=options, **changes)
        print(f"changed destination {dest.name!r}")
        for caution in destinations.destination_cautions(dest):
            note(caution)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ictray.settings import destinations

    with open_from_args(args) as settings:
        destinations.remove_destination(settings, args.name)
        print(f"removed destination {args.name!r}")
    return 0


def run_test(args: argparse.Namespace) -> int:
    from ictray.operations import destination_test

    with open_from_args(args) as settings:
        print(destination_test.run_saved_test(settings, args.name))
    return 0


def run_plugins(args: argparse.Namespace) -> int:
    from ictray.destinations.base import plugins

    described: list[dict[str, Any]] = []
    for info in plugins():
        plugin = info.plugin
        if plugin is None:
            described.append({"plugin": info.name, "available": False, "problem": info.problem})
            continue
        described.append(
            {
                "plugin": info.name,
                "available": True,
                "label": plugin.label,
                "accepts": [t.value for t in sorted(plugin.accepts, key=list(DataType).index)],
                "options": [
                    {
                        "key": s.key,
                        "label": s.label,
                        "default": s.default,
                        "required": s.required,
                        "choices": list(s.choices),
                        "help": s.tooltip,
                    }
                    for s in plugin.options
                ],
            }
        )
    if args.json:
        print_json(described)
        return 0
    for entry in described:
        if not entry["available"]:
            print(f"{entry['plugin']}: unavailable: {entry['problem']}")
            continue
        print(f"{entry['plugin']} ({entry['label']}): accepts {', '.join(entry['accepts'])}")
        for option in entry["options"]:
            extra = f" [{'|'.join(option['choices'])}]" if option["choices"] else ""
            default = f" (default {option['default']})" if option["default"] else ""
            print(f"  {option['key']}{extra}{default}: {option['label']} — {option['help']}")
    return 0
