"""Simulators and gateways for the Azure backend tests, all on loopback sockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from adapters.azure.simulator import AzureSimulator
from tests.support.azure.navigator import Navigator
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator

TOKEN = "connector-test-token"
SimFactory = Callable[..., Awaitable[AzureSimulator]]
Connect = Callable[..., Awaitable[Navigator]]


@pytest.fixture
def simulators(start_simulator: StartSimulator[AzureSimulator]) -> SimFactory:
    """Start simulators with the given options; encodings last until a test ends them.

    They start with no videos unless told ``seed=True``: these tests count what they make.
    """

    async def start(**options: Any) -> AzureSimulator:
        options.setdefault("encoding_duration_s", None)
        options.setdefault("seed", False)
        options.setdefault("token", TOKEN)
        return await start_simulator(AzureSimulator(**options))

    return start


@pytest.fixture
def connect(gateway: GatewayFactory, make_config: ConfigFactory) -> Connect:
    """A gateway whose backend ``azure`` is ``sim``, and a navigator on it."""

    async def make(
        sim: AzureSimulator, server: Mapping[str, Any] | None = None, **backend: Any
    ) -> Navigator:
        table = {"kind": "azure", "url": sim.url, "token": TOKEN, **backend}
        return Navigator(await gateway(make_config(server, backends={"azure": table})))

    return make


@pytest.fixture
async def simulator(simulators: SimFactory) -> AzureSimulator:
    """A simulator whose encodings last until a test ends them."""
    return await simulators()


@pytest.fixture
async def nav(simulator: AzureSimulator, connect: Connect) -> Navigator:
    """A navigator on a gateway in front of :func:`simulator`."""
    return await connect(simulator)


@pytest.fixture
def clock() -> FakeClock:
    """A clock for token lives: tests move it instead of waiting."""
    return FakeClock()
