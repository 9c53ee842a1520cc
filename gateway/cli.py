"""The ``hal-gateway`` command: serve, check-config, simulate.

Exit codes: 0 fine, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import signal
import sys
from collections.abc import Sequence

import uvloop
from aiohttp import web

from gateway import plugins
from gateway.auth import passwords
from gateway.config import auth as authconfig
from gateway.config import loading as config_mod
from gateway.web import serving
from gateway.web.errors import ConfigError

log = logging.getLogger("gateway")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hal-gateway", description="One HAL API in front of several media systems."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the gateway")
    serve.add_argument(
        "--config",
        help=f"config file (default: ${config_mod.ENV_VAR}, else {config_mod.DEFAULT_PATH})",
    )
    serve.add_argument("--host", help="listen address (overrides server.host)")
    serve.add_argument("--port", type=int, help="listen port (overrides server.port)")

    check = commands.add_parser("check-config", help="validate a config file")
    check.add_argument("path", nargs="?", help="config file (default as for serve)")

    hasher = commands.add_parser(
        "hash-password",
        help="print a hash for [[auth.users]] password_hash or [[auth.clients]] secret_hash",
        description="Reads the password from the terminal (asked twice) or from stdin "
        "(first line) and prints its salted scrypt hash.",
    )
    hasher.add_argument(
        "--cost",
        type=int,
        default=passwords.DEFAULT_COST.ln,
        choices=range(14, 21),
        metavar="LOG2_N",
        help=f"scrypt cost as log2 of N, 14-20 (default {passwords.DEFAULT_COST.ln})",
    )

    simulate = commands.add_parser("simulate", help="run one upstream simulator standalone")
    # Only the chosen kind's simulator is imported: its options are parsed in a second step.
    simulate.add_argument("kind", choices=plugins.simulated_kinds())
    simulate.add_argument("options", nargs=argparse.REMAINDER)
    return parser


def _simulator_parser(kind: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"hal-gateway simulate {kind}", description=f"Run the {kind} simulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="listen address")
    parser.add_argument("--port", type=int, default=0, help="listen port (0: any free one)")
    plugins.simulator_class(kind).add_arguments(parser)
    return parser


def _load(path: str | None) -> config_mod.GatewayConfig | None:
    try:
        config = config_mod.load(path)
    except ConfigError as exc:
        source = config_mod.resolve_path(path)
        print(f"{source}: invalid configuration:", file=sys.stderr)
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return None
    for line in authconfig.warnings(config.auth):
        print(f"{config.source}: warning: {line}", file=sys.stderr)
    return config


def _serve(args: argparse.Namespace) -> int:
    from gateway.app import create_app

    config = _load(args.config)
    if config is None:
        return 2
    logging.basicConfig(
        level=config.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    app = create_app(config)
    log.info("config %s: %d backends", config.source, len(config.backends))
    with contextlib.suppress(KeyboardInterrupt):
        # uvloop: the event loop and its transports are a tenth of a proxied request's cost
        # on the default loop.
        uvloop.run(_run(app, host, port))
    return 0


async def _run(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then shut down cleanly (upstream logouts included)."""
    runner = await serving.serve(app, host, port)
    try:
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        # The first line on stdout says where to go; scripts and tests read it.
        print(f"hal-gateway serving on http://{shown}:{bound_port}/", flush=True)
        await _until_stopped()
    finally:
        await runner.cleanup()


async def _until_stopped() -> None:
    """Wait for SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def _check(args: argparse.Namespace) -> int:
    config = _load(args.path)
    if config is None:
        return 2
    print(
        f"{config.source}: OK ({len(config.backends)} backends: "
        f"{', '.join(f'{n} ({b.kind})' for n, b in config.backends.items()) or 'none'})"
    )
    return 0


def _simulate(kind: str, argv: Sequence[str]) -> int:
    args = _simulator_parser(kind).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    simulator = plugins.simulator_class(kind).from_arguments(args)

    async def run() -> None:
        url = await simulator.start(args.host, args.port)
        print(f"{kind} simulator serving on {url}", flush=True)
        try:
            await _until_stopped()
        finally:
            await simulator.close()  # simulators keep files in temporary folders

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(run())
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("an empty password is not allowed", file=sys.stderr)
        return 2
    print(passwords.hash_password(password, passwords.Cost(ln=args.cost)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hal-gateway`` and ``python -m gateway``."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "check-config":
        return _check(args)
    if args.command == "hash-password":
        return _hash_password(args)
    return _simulate(args.kind, args.options)
