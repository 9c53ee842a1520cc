"""Simulators of MediaCentral and gateways in front of them, all on loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.mediacentral.simulator import (
    DEFAULT_CLIENTS,
    DEFAULT_USERS,
    MediaCentralSimulator,
    SimSystem,
)
from gateway.web.routing import Handler
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator

BACKEND = "newsroom"
[(USER, PASSWORD)] = DEFAULT_USERS.items()
[(CLIENT_ID, CLIENT_SECRET)] = DEFAULT_CLIENTS.items()

FLOWS: dict[str, dict[str, str]] = {
    "mcux": {"auth": "mcux", "username": USER, "password": PASSWORD},
    "oauth2-password": {
        "auth": "oauth2",
        "grant": "password",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "username": USER,
        "password": PASSWORD,
    },
    "oauth2-client-credentials": {
        "auth": "oauth2",
        "grant": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    },
}
"""The backend keys of each login flow, with the simulator's demonstration accounts."""

NEWSROOM = SimSystem()
"""The simulator's default system: Production Management, its tree rooted at "Newsroom"."""
ARCHIVE = SimSystem(
    "interplay-mam",
    "FDFD806C-ADA5-441C-9256-ADFF3E91C849",
    "Archive",
    "Asset Management",
    "avid.mam.assets.access",
)
"""A second system, as the registry example of ctmsregistry.html names one."""

SimFactory = Callable[..., Awaitable[MediaCentralSimulator]]
Connect = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def simulators(start_simulator: StartSimulator[MediaCentralSimulator]) -> SimFactory:
    """Start simulators with the given options; they stop after the gateways in front."""

    async def start(**options: Any) -> MediaCentralSimulator:
        return await start_simulator(MediaCentralSimulator(**options))

    return start


@pytest.fixture
async def simulator(simulators: SimFactory) -> MediaCentralSimulator:
    """A simulator with the demonstration accounts."""
    return await simulators()


@pytest.fixture
def connect(simulators: SimFactory, gateway: GatewayFactory, make_config: ConfigFactory) -> Connect:
    """A gateway whose backend ``newsroom`` is ``sim``, logging in with ``flow``.

    ``keys`` override the flow's backend keys, ``server`` sets ``[server]`` keys; other
    options go to the gateway fixture.
    """

    async def make(
        sim: MediaCentralSimulator,
        flow: str = "mcux",
        keys: Mapping[str, Any] | None = None,
        server: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> TestClient[Any, Any]:
        table = {"kind": "mediacentral", "url": sim.url, **FLOWS[flow], **(keys or {})}
        return await gateway(make_config(server, backends={BACKEND: table}), **options)

    return make


def counting(path_end: str, expected: int) -> tuple[asyncio.Event, Any]:
    """A gateway middleware, and the event it sets once ``expected`` requests entered."""
    arrived = asyncio.Event()
    entered = 0

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal entered
        if request.path.endswith(path_end):
            entered += 1
            if entered == expected:
                arrived.set()
        return await handler(request)

    return arrived, count
