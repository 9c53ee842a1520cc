"""Simulators, gateways and requests for the Avalon backend tests, all on loopback sockets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, DEFAULT_USER_KEY, AvalonSimulator
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.navigator import Doc, Navigator
from tests.support.replies import Reply, fetch

# --- the adapter, through a gateway -------------------------------------------------


@pytest.fixture
async def simulator() -> AsyncIterator[AvalonSimulator]:
    """A simulator behind the gateway of :func:`client`."""
    # As the real server: vocabulary updates by PUT only.
    sim = AvalonSimulator(purge_delay_s=0.05, vocabulary_post=False)
    await sim.start()
    yield sim
    await sim.close()


@pytest.fixture
async def client(
    simulator: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """A gateway with three Avalon backends on one simulator: admin, viewer, unknown key."""
    config = make_config(
        backends={
            "archive": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_ADMIN_KEY},
            "readonly": {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_USER_KEY},
            "misconfigured": {
                "kind": "avalon",
                "url": simulator.url,
                "api_key": "0" * 128,
                "retries": 0,
            },
        }
    )
    return await gateway(config)


@pytest.fixture
def nav(client: TestClient[Any, Any]) -> Navigator:
    """A navigator on :func:`client`, going to the backend ``archive``."""
    return Navigator(client, "archive")


async def first_media_object(nav: Navigator) -> Doc:
    """The first listed media object that has master files, as its ``self`` shows it."""
    backend = await nav.backend()
    page = await nav.follow(backend, "avalon:media-objects")
    item = next(
        i for i in page["_embedded"]["avalon:media-object"] if "avalon:master-file" in i["_links"]
    )
    return await nav.follow(item, "self")


# --- the simulator, on its own --------------------------------------------------------

ADMIN = {"Avalon-Api-Key": DEFAULT_ADMIN_KEY}
VIEWER = {"Avalon-Api-Key": DEFAULT_USER_KEY}
ANONYMOUS: dict[str, str] = {}

SimFactory = Callable[..., Awaitable[AvalonSimulator]]
Call = Callable[..., Awaitable[Reply]]


@pytest.fixture
def make_sim(start_simulator: StartSimulator[AvalonSimulator]) -> SimFactory:
    """Start simulators with the given options; all are closed afterwards."""

    async def make(**options: Any) -> AvalonSimulator:
        options.setdefault("purge_delay_s", 0.05)
        return await start_simulator(AvalonSimulator(**options))

    return make


@pytest_asyncio.fixture
async def sim(make_sim: SimFactory) -> AvalonSimulator:
    """A simulator with the default options."""
    return await make_sim()


@pytest_asyncio.fixture
async def call(sim: AvalonSimulator, http: aiohttp.ClientSession) -> Call:
    """``await call(method, path, headers=ADMIN, **request_options)`` against ``sim``."""
    return lambda method, path, headers=ADMIN, **kw: send(http, sim, method, path, headers, **kw)


async def send(
    http: aiohttp.ClientSession,
    sim: AvalonSimulator,
    method: str,
    path: str,
    headers: dict[str, str],
    **kw: Any,
) -> Reply:
    """One request to ``sim``, its answer read whole."""
    return await fetch(http, method, sim.url + path, headers=headers, **kw)


def links(reply: Reply) -> dict[str, str]:
    """The Link header as rel -> URL."""
    found = re.findall(r'<([^>]+)>; rel="([a-z]+)"', reply.headers.get("Link", ""))
    return {rel: url for url, rel in found}


def media_object_body(title: str | None = "New item", **extra: Any) -> dict[str, Any]:
    """A body that creates a media object in collection ``d791sg31t``; no title if None."""
    fields: dict[str, Any] = {"date_issued": "2024"}
    if title is not None:
        fields["title"] = title
    return {"fields": fields, "collection_id": "d791sg31t", **extra}
