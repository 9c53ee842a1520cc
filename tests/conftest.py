"""Factory fixtures shared by the whole suite.

Everything HTTP goes through real sockets on loopback: the gateway through
``aiohttp_client`` (a real server on an ephemeral port), upstreams through their
simulators or small aiohttp servers started here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.simulator import Simulator
from gateway import config as config_mod
from gateway.app import create_app
from gateway.backends import BACKENDS

FLEX = {"kind": "flex", "url": "simulator", "username": "u", "password": "p-secret"}
AZURE = {"kind": "azure", "url": "simulator", "token": "t-secret"}

SimulatorT = TypeVar("SimulatorT", bound=Simulator)
StartSimulator = Callable[[SimulatorT], Awaitable[SimulatorT]]
ConfigFactory = Callable[..., config_mod.GatewayConfig]
GatewayFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def make_config() -> ConfigFactory:
    """Build a checked config from ``server`` and ``backends`` tables."""

    def make(
        server: Mapping[str, Any] | None = None,
        backends: Mapping[str, Mapping[str, Any]] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> config_mod.GatewayConfig:
        data: dict[str, Any] = {"server": dict(server or {})}
        data["backends"] = {"flex": FLEX, "azure": AZURE} if backends is None else backends
        return config_mod.parse(data, env=env or {})

    return make


@pytest.fixture
def gateway(
    aiohttp_client: Callable[..., Awaitable[TestClient[web.Request, web.Application]]],
    make_config: ConfigFactory,
) -> GatewayFactory:
    """Start a gateway on a loopback port; ``routes`` adds extra routes for a test."""

    async def start(
        config: config_mod.GatewayConfig | None = None,
        *,
        routes: Callable[[web.Application], None] | None = None,
        wait_probed: bool = True,
        **kwargs: Any,
    ) -> TestClient[web.Request, web.Application]:
        app = create_app(config or make_config())
        if routes is not None:
            routes(app)
        client = await aiohttp_client(app, **kwargs)
        if wait_probed:
            await app[BACKENDS].probed.wait()
        return client

    return start


@pytest.fixture
async def upstream() -> AsyncIterator[Callable[[web.Application], Awaitable[str]]]:
    """Serve a small aiohttp app on loopback as a stand-in upstream; returns its URL."""
    servers: list[TestServer] = []

    async def serve(app: web.Application) -> str:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield serve
    for server in servers:
        await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session for talking to simulators directly."""
    # Simulators set cookies for an IP address: accept them, as a browser would not.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture
async def start_simulator() -> AsyncIterator[Callable[[SimulatorT], Awaitable[SimulatorT]]]:
    """Start a simulator on a loopback port; every one started is closed afterwards."""
    started: list[Simulator] = []

    async def start(simulator: SimulatorT) -> SimulatorT:
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.close()
