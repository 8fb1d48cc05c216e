"""``ictray simulate``: run a local simulated appliance until Ctrl+C.

It prints what to configure (host, client id and secret, the CA file to trust) so that
``ictray site add`` and ``ictray site test`` work against it; ``--json`` first prints the same
as one JSON line for scripts. ``--account`` and the permission options choose what its API
account may do; the dialect options choose forms the real API does not publish.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Any

from ictray.errors import IctrayError, ValidationError
from ictray.simulator.accounts import COMMAND_ACCESS, PRESETS, ApiAccount
from ictray.simulator.contract import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from ictray.simulator.dialect import RECORDING_CONTENT_TYPES, SHOW_MY_SCREEN_FORMS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a simulated appliance on this computer (for demos and tests)",
        description=(
            "Serve generated, repeatable session data over HTTPS as a BeyondTrust Remote "
            "Support appliance would, until Ctrl+C. Its clock follows real time, so new "
            "sessions keep appearing."
        ),
    )
    parser.add_argument("--port", type=int, default=8443, help="port to listen on (default 8443)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on, also the site host name in the data (default 127.0.0.1)",
    )
    parser.add_argument(
        "--sessions", type=int, default=200, help="sessions in the days before now (default 200)"
    )
    parser.add_argument("--days", type=int, default=7, help="days of history (default 7)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    parser.add_argument(
        "--ca-dir",
        metavar="DIR",
        help="folder for the simulator's CA (default: under the temp folder)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="API account client id")
    parser.add_argument(
        "--client-secret",
        default=DEFAULT_CLIENT_SECRET,
        help="API account client secret (a fixed default, for repeatable demos)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=3600,
        help="seconds an OAuth token lives (default 3600)",
    )
    parser.add_argument(
        "--recording-size", type=int, default=64 * 1024, help="bytes per recording (default 65536)"
    )
    parser.add_argument(
        "--expired-fraction",
        type=float,
        default=0.0,
        help="fraction of recordings that report as expired (0 to 1)",
    )
    account = parser.add_argument_group("the API account")
    account.add_argument(
        "--account",
        choices=tuple(PRESETS),
        default="full",
        help="what the API account may do: full (every permission, the default), guide "
        "(reporting and backup, no command API, as the guide sets one up), no-backup (guide "
        "without the backup permission), read-only-command",
    )
    account.add_argument(
        "--command-api",
        choices=COMMAND_ACCESS,
        help="the account's command API access (overrides --account)",
    )
    for name, what in (
        ("support-reporting", "support session reports and recordings"),
        ("presentation-reporting", "presentation session reports and recordings"),
        ("backup", "the backup API"),
    ):
        account.add_argument(
            f"--no-{name}",
            action="store_true",
            help=f"refuse the account {what} (overrides --account)",
        )
    dialect = parser.add_argument_group("forms the real API does not publish")
    dialect.add_argument(
        "--show-my-screen",
        choices=SHOW_MY_SCREEN_FORMS,
        default="list",
        help="how sessions list Show My Screen recordings (default list)",
    )
    dialect.add_argument(
        "--extra-markup",
        action="store_true",
        help="sessions carry elements and attributes no reader knows",
    )
    dialect.add_argument(
        "--recording-instance-base",
        type=int,
        choices=(0, 1),
        default=0,
        help="the instance number the recording report gives the first recording of a session "
        "(the session report numbers them from 0; default 0)",
    )
    dialect.add_argument(
        "--recording-content-type",
        choices=RECORDING_CONTENT_TYPES,
        default="video",
        help="how recordings are typed: video (video/x-flv or video/mp4, the default), named "
        "(application/octet-stream with a file name), bare (application/octet-stream)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="first print host, client_id, client_secret, ca_bundle as JSON",
    )
    parser.set_defaults(handler=run)


def _account(args: argparse.Namespace) -> ApiAccount:
    """The preset the options name, changed as the permission options say."""
    chosen = PRESETS[args.account]
    changes: dict[str, Any] = {}
    if args.command_api:
        changes["command"] = args.command_api
    for flag, field in (
        ("no_support_reporting", "support_reporting"),
        ("no_presentation_reporting", "presentation_reporting"),
        ("no_backup", "backup"),
    ):
        if getattr(args, flag):
            changes[field] = False
    return replace(chosen, client_id=args.client_id, client_secret=args.client_secret, **changes)


def run(args: argparse.Namespace) -> int:
    from ictray.simulator.dialect import Dialect
    from ictray.simulator.faults import Faults
    from ictray.simulator.generate import SimulatedSite
    from ictray.simulator.server import SimulatorServer

    if not 0 <= args.port < 65536:
        raise ValidationError("port", f"{args.port} is not a port number (0 to 65535)")
    if args.token_lifetime < 1:
        raise ValidationError("token lifetime", "give at least 1 second")
    try:
        site = SimulatedSite(
            sessions=args.sessions,
            days=args.days,
            seed=args.seed,
            host=args.host,
            recording_size=args.recording_size,
            expired_fraction=args.expired_fraction,
        )
    except ValueError as error:
        raise ValidationError("simulate", str(error)) from None
    try:
        server = SimulatorServer(
            site,
            host=args.host,
            port=args.port,
            ca_dir=args.ca_dir,
            faults=Faults(token_lifetime=args.token_lifetime),
            follow_real_clock=True,
            account=_account(args),
            dialect=Dialect(
                show_my_screen=args.show_my_screen,
                extra_markup=args.extra_markup,
                recording_instance_base=args.recording_instance_base,
                recording_content_type=args.recording_content_type,
            ),
        )
    except OSError as error:
        raise IctrayError(
            f"cannot listen on {args.host}:{args.port} ({error.strerror or error}); "
            "choose another --port or --host"
        ) from None
    settings = {
        "host": server.address,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "ca_bundle": str(server.ca_bundle),
    }
    if args.json:
        print(json.dumps(settings), flush=True)
    permissions = ", ".join(f"{k}={v}" for k, v in server.account.permissions().items())
    print(
        f"Simulated appliance at https://{server.address}/ ({args.sessions} sessions over "
        f"{args.days} days, seed {args.seed}; API account: {permissions}). Configure it as a "
        "site:\n"
        f"  host:          {settings['host']}\n"
        f"  client id:     {settings['client_id']}\n"
        f"  client secret: {settings['client_secret']}\n"
        f"  CA file:       {settings['ca_bundle']}\n"
        f"for example:\n"
        f"  echo {settings['client_secret']}| ictray site add simulator --host "
        f"{settings['host']} --client-id {settings['client_id']} "
        f'--ca-bundle "{settings["ca_bundle"]}" --client-secret-stdin\n'
        f"  ictray site test simulator\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("simulator stopped", flush=True)
    finally:
        server.stop()
    return 0
