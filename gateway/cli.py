"""The ``hal-gateway`` command: serve, check-config, probe, hash-password, simulate.

Exit codes: 0 fine, 1 cannot serve (the address is taken, a worker did not start) or,
for ``probe``, a backend is not ready, 2 bad configuration or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import getpass
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Final

import uvloop
from aiohttp import web

from gateway import plugins, workers
from gateway.api import metrics
from gateway.auth import passwords
from gateway.config import auth as authconfig
from gateway.config import loading as config_mod
from gateway.web import logformat, serving
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
    # How the supervisor of server.workers starts worker N: not for people.
    serve.add_argument("--worker", type=int, metavar="N", help=argparse.SUPPRESS)

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

    probe = commands.add_parser(
        "probe",
        help="probe every backend once and print how each answered",
        description="Builds the backends as serve does (starting the simulators of "
        '`url = "simulator"` backends), probes each once and prints a table. Exit code 0 '
        "when every backend is ready, 1 otherwise, 2 for a bad config.",
    )
    probe.add_argument(
        "--config",
        help=f"config file (default: ${config_mod.ENV_VAR}, else {config_mod.DEFAULT_PATH})",
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


def _load(path: str | None, *, warn: bool = True) -> config_mod.GatewayConfig | None:
    try:
        config = config_mod.load(path)
    except ConfigError as exc:
        source = config_mod.resolve_path(path)
        print(f"{source}: invalid configuration:", file=sys.stderr)
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return None
    for line in authconfig.warnings(config.auth) if warn else ():
        print(f"{config.source}: warning: {line}", file=sys.stderr)
    return config


_BIND_ERRORS: Final = frozenset({errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES})


class _CannotListen(Exception):
    """The address to serve on cannot be bound."""

    def __init__(self, host: str, port: int, exc: OSError) -> None:
        shown = f"[{host}]" if ":" in host else host
        # The event loop words its bind errors its own way, repeating the address.
        reason = os.strerror(exc.errno) if exc.errno in _BIND_ERRORS else exc.strerror
        super().__init__(f"cannot listen on {shown}:{port}: {reason or exc}")


def _cannot_listen(exc: OSError) -> bool:
    """Whether ``exc`` says the address cannot be served on (not some other failure)."""
    return isinstance(exc, socket.gaierror) or exc.errno in _BIND_ERRORS


def _serve(args: argparse.Namespace) -> int:
    worker: int | None = args.worker
    config = _load(args.config, warn=False)
    if config is None:
        return 2
    _log_to_stderr(config, worker)
    host = args.host or config.server.host
    port = config.server.port if args.port is None else args.port
    try:
        if worker is None and config.server.workers > 1:
            return _supervise(config, host, port)
        _serve_here(config, host, port, worker)
    except (_CannotListen, metrics.ListenError) as exc:
        if config.server.log_format == "json":
            log.error("hal-gateway: %s", exc)
        else:
            print(f"hal-gateway: {exc}", file=sys.stderr)
        return 1
    return 0


def _log_to_stderr(config: config_mod.GatewayConfig, worker: int | None) -> None:
    """Logging as ``server.log_format`` asks, and the config's warnings (a worker's
    supervisor gave them already)."""
    level = config.server.log_level.upper()
    warnings = authconfig.warnings(config.auth) if worker is None else []
    if config.server.log_format == "json":
        from gateway.auth.access import caller_name

        logformat.install(level, worker=worker, identity=caller_name)
        for line in warnings:
            log.warning("%s: %s", config.source, line)
        return
    for line in warnings:
        print(f"{config.source}: warning: {line}", file=sys.stderr)
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s %(levelname)s %(name)s{_worker_tag(worker)}: %(message)s",
    )


def _worker_tag(worker: int | None) -> str:
    """What follows the logger's name in a log line: several workers share standard error."""
    return "" if worker is None else f" (worker {worker})"


def _serve_here(config: config_mod.GatewayConfig, host: str, port: int, worker: int | None) -> None:
    """Serve in this process: alone, or as the supervisor's ``worker``."""
    from gateway.app import create_app

    app = create_app(config, host=host, worker=worker)
    log.info("config %s: %d backends", config.source, len(config.backends))
    with contextlib.suppress(KeyboardInterrupt):
        # uvloop: the event loop and its transports are a tenth of a proxied request's cost
        # on the default loop.
        uvloop.run(_run(app, host, port, worker))


def _supervise(config: config_mod.GatewayConfig, host: str, port: int) -> int:
    """Serve with ``server.workers`` processes (:mod:`gateway.workers`); the exit code."""
    try:
        reserved = workers.reserve(host, port)
    except OSError as exc:
        if not _cannot_listen(exc):
            raise
        raise _CannotListen(host, port, exc) from exc
    with reserved:
        port = reserved.getsockname()[1]

        def command(number: int) -> list[str]:
            return [
                *(sys.executable, "-m", "gateway", "serve", "--config", config.source),
                *("--host", host, "--port", str(port), "--worker", str(number)),
            ]

        log.info(
            "config %s: %d backends, %d workers on port %d",
            config.source,
            len(config.backends),
            config.server.workers,
            port,
        )
        return workers.supervise(command, config.server.workers, drain_s=config.server.drain_s)


async def _run(app: web.Application, host: str, port: int, worker: int | None) -> None:
    """Serve until SIGINT or SIGTERM, then drain and shut down cleanly (upstream logouts
    included): see :mod:`gateway.web.serving`.

    A ``worker`` serves on a port the others share, and until the supervisor ends.
    """
    shared = worker is not None
    # Before the first line: whoever reads it may signal at once, and must not kill us.
    stop = _stop_event(supervised=shared, app=app)
    try:
        runner = await serving.serve(
            app,
            host,
            port,
            reuse_port=shared,
            log_tag=_worker_tag(worker),
            # On SIGTERM: how long requests in flight may take before they are cut.
            shutdown_timeout=app[config_mod.CONFIG].server.drain_s,
        )
    except OSError as exc:
        if not _cannot_listen(exc):
            raise
        raise _CannotListen(host, port, exc) from exc
    try:
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        # The first line on stdout says where to go; scripts and tests read it.
        print(f"hal-gateway serving on http://{shown}:{bound_port}/", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def _stop_event(*, supervised: bool = False, app: web.Application | None = None) -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (or, ``supervised``, the supervisor's end).

    A second signal to a lone process serving ``app`` cuts its drain short. Not to a
    worker: Ctrl-C reaches every worker beside the supervisor's own SIGTERM.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def signalled() -> None:
        drain = app.get(serving.DRAIN) if app is not None and not supervised else None
        if stop.is_set() and drain is not None:
            log.warning("asked again to stop: cutting the requests still in flight")
            drain.cut()
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, signalled)
    if supervised:
        workers.on_supervisor_end(stop.set)
    return stop


def _check(args: argparse.Namespace) -> int:
    config = _load(args.path)
    if config is None:
        return 2
    print(
        f"{config.source}: OK ({len(config.backends)} backends: "
        f"{', '.join(f'{n} ({b.kind})' for n, b in config.backends.items()) or 'none'})"
    )
    return 0


def _probe(args: argparse.Namespace) -> int:
    from gateway.backends import report

    config = _load(args.config, warn=False)
    if config is None:
        return 2
    # Only warnings and worse: the table is the output.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    rows = uvloop.run(report.probe_once(config))
    print(report.table(rows), end="", flush=True)
    return 0 if all(row.ready for row in rows) else 1


def _simulate(kind: str, argv: Sequence[str]) -> int:
    args = _simulator_parser(kind).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    simulator = plugins.simulator_class(kind).from_arguments(args)

    async def run() -> None:
        stop = _stop_event()
        url = await simulator.start(args.host, args.port)
        print(f"{kind} simulator serving on {url}", flush=True)
        try:
            await stop.wait()
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
    if args.command == "probe":
        return _probe(args)
    return _simulate(args.kind, args.options)
