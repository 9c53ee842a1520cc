"""Simulators of Flex and gateways in front of them, all on loopback sockets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from adapters.flex.simulator import MEDIA_TYPE, FlexSimulator
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.flex.direct import AUTH, Api
from tests.support.flex.navigator import Navigator
from tests.support.replies import Reply, fetch

USER, PASSWORD = "archivist", "flex-archive-password"
"""The login of the adapter tests' simulator."""

NEWS = "Evening News 2024-01-29"
PACKAGE = "Morning Show package"
REEL = "Archive reel 1968"

# --- the adapter, through a gateway -------------------------------------------------------


@pytest.fixture
async def simulator() -> AsyncIterator[FlexSimulator]:
    """A simulator behind the gateway of :func:`client`, with 250 extra clips."""
    sim = FlexSimulator(users={USER: PASSWORD}, extra_assets=250)
    await sim.start()
    yield sim
    await sim.close()


@pytest.fixture
async def client(
    simulator: FlexSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """A gateway with two Flex backends on one simulator: a good login and a wrong one."""
    config = make_config(
        backends={
            "mam": {"kind": "flex", "url": simulator.url, "username": USER, "password": PASSWORD},
            "misconfigured": {
                "kind": "flex",
                "url": simulator.url,
                "username": USER,
                "password": "not-the-password",
                "retries": 0,
            },
        }
    )
    return await gateway(config)


@pytest.fixture
def nav(client: TestClient[Any, Any]) -> Navigator:
    """A navigator on :func:`client`, going to the ``mam`` backend."""
    return Navigator(client)


# --- the simulator, spoken to directly ----------------------------------------------------


@pytest.fixture
async def sim(start_simulator: StartSimulator[FlexSimulator]) -> FlexSimulator:
    """A simulator with its default login and 250 extra clips."""
    return await start_simulator(FlexSimulator(extra_assets=250))


@pytest.fixture
def api(sim: FlexSimulator, http: aiohttp.ClientSession) -> Api:
    """``await api(method, path, headers=AUTH, **options)`` against the simulator.

    A ``json=`` body goes in Flex's media type, as Flex clients send it.
    """

    async def call(
        method: str, path: str | URL, headers: dict[str, str] | None = None, **kw: Any
    ) -> Reply:
        url = path if isinstance(path, URL) else sim.url + path
        kw.setdefault("allow_redirects", True)
        headers = dict(AUTH if headers is None else headers)
        if "json" in kw:
            kw["data"] = json.dumps(kw.pop("json")).encode()
            headers.setdefault("Content-Type", MEDIA_TYPE)
        return await fetch(http, method, url, headers=headers, **kw)

    return call
