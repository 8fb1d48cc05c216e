"""``ictray simulate``: run a local simulated appliance until Ctrl+C.

It prints what to configure (host, client id and secret, the CA file to trust) so that
``ictray site add`` and ``ictray site test`` work against it; ``--json`` first prints the same
as one JSON line for scripts.
"""

from __future__ import annotations

import argparse
import json

from ictray.errors import IctrayError, ValidationError
from ictray.simulator.contract import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


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
    parser.add_argument(
        "--json",
        action="store_true",
        help="first print host, client_id, client_secret, ca_bundle as JSON",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
            client_id=args.client_id,
            client_secret=args.client_secret,
            ca_dir=args.ca_dir,
            faults=Faults(token_lifetime=args.token_lifetime),
            follow_real_clock=True,
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
    print(
        f"Simulated appliance at https://{server.address}/ ({args.sessions} sessions over "
        f"{args.days} days, seed {args.seed}). Configure it as a site:\n"
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
