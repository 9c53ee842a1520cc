"""The base of every upstream simulator: a real aiohttp server on a loopback port.

A simulator implements its upstream's documented contract (auth, paging, error
bodies, quirks) so adapters are tested against real sockets. Fault injection
(latency, failing with a status, dropping connections) is set through constructor
options, never global state, so several simulators in one process stay independent.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from aiohttp import web

if TYPE_CHECKING:
    # For the type checker only: at run time this module imports nothing of the gateway.
    from gateway.config.backend import BackendConfig

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Simulator(abc.ABC):
    """A runnable imitation of one upstream system.

    Subclasses build their routes in :meth:`build_app`. ``start`` serves it on a
    loopback port (ephemeral by default) and returns the base URL.
    """

    kind: ClassVar[str]

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        fail_status: int | None = None,
        drop_connections: bool = False,
    ) -> None:
        self.latency_s = latency_s
        self.fail_status = fail_status
        self.drop_connections = drop_connections
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @classmethod
    def for_backend(cls, backend: BackendConfig) -> Simulator:
        """A simulator that accepts ``backend``'s configured credentials.

        The gateway calls it for each backend whose ``url`` is ``"simulator"``. The
        default takes none of the backend's keys; kinds whose upstream checks
        credentials override it so the configured ones (the service's and each user's
        own) are the simulator's.
        """
        return cls()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Options of ``hal-gateway simulate <kind>`` beyond host and port."""
        parser.add_argument(
            "--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer"
        )

    @classmethod
    def from_arguments(cls, args: argparse.Namespace) -> Simulator:
        """The simulator that ``hal-gateway simulate <kind>`` runs."""
        return cls(latency_s=args.latency)

    @abc.abstractmethod
    def build_app(self) -> web.Application:
        """The upstream's routes, as a fresh application."""

    def make_app(self) -> web.Application:
        """:meth:`build_app` with the fault-injection middleware in front."""
        app = self.build_app()
        app.middlewares.insert(0, self._faults)
        return app

    @web.middleware
    async def _faults(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.drop_connections and request.transport is not None:
            request.transport.abort()
            raise web.HTTPInternalServerError()  # never sent: the connection is gone
        if self.fail_status is not None:
            return self.failure_response(self.fail_status)
        return await handler(request)

    def failure_response(self, status: int) -> web.StreamResponse:
        """The body the upstream sends when it fails with ``status``; kinds override."""
        return web.json_response({"error": f"simulated failure {status}"}, status=status)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` and return the base URL (no trailing slash)."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        runner = web.AppRunner(self.make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self._url = f"http://{host}:{bound_port}"
        return self._url

    @property
    def url(self) -> str:
        """The base URL; only after :meth:`start`."""
        if self._url is None:
            raise RuntimeError("simulator not started")
        return self._url

    async def close(self) -> None:
        """Stop serving and drop all connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._url = None
