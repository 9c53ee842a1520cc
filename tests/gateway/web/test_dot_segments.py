"""Ids ``.`` and ``..`` never reach an upstream: 404 at the gateway, one case per route family.

``%2e%2e`` in a gateway path arrives in the handler as ``..``; built into an upstream
path and handed to an HTTP client that normalises, it would collapse the path
(``DELETE /media_objects/X/supplemental_files/..`` becomes ``DELETE /media_objects/X/``,
the whole media object). Each upstream here is the kind's simulator with a middleware
that records every request target exactly as it came off the wire.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from yarl import URL

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from adapters.azure.simulator import AzureSimulator
from adapters.flex.simulator import DEFAULT_PASSWORD, DEFAULT_USER, FlexSimulator
from adapters.mediacentral.simulator import DEFAULT_USERS, MediaCentralSimulator
from gateway.spi.simulator import Simulator
from gateway.web.routing import Handler
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator

[(MC_USER, MC_PASSWORD)] = DEFAULT_USERS.items()
AZURE_TOKEN = "connector-test-token"
DOTS = ["%2e%2e", "%2E%2E", ".%2e", "%2e", "%2e%2E"]
"""``..`` and ``.`` as a client may spell them; a literal ``..`` is resolved by the
client itself before it sends the request."""


class Recorded(Simulator):
    """A simulator that records every request target it receives, raw."""

    targets: list[str]

    def make_app(self) -> web.Application:
        app = super().make_app()
        self.targets = []
        app.middlewares.insert(0, self._record)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.targets.append(f"{request.method} {request.raw_path}")
        return await handler(request)


class RecordedAvalon(Recorded, AvalonSimulator):
    """Avalon, recorded."""


class RecordedAzure(Recorded, AzureSimulator):
    """The Azure connector, recorded."""


class RecordedFlex(Recorded, FlexSimulator):
    """Flex, recorded."""


class RecordedMediaCentral(Recorded, MediaCentralSimulator):
    """MediaCentral, recorded."""


async def _gateway(
    gateway: GatewayFactory, make_config: ConfigFactory, name: str, table: dict[str, Any]
) -> TestClient[Any, Any]:
    return await gateway(make_config(backends={name: table}))


async def _refused(
    client: TestClient[Any, Any], sim: Recorded, method: str, path: str, **kwargs: Any
) -> None:
    """``method path`` is a 404 problem and the upstream received nothing for it."""
    before = len(sim.targets)
    # Sent as written: the test client would resolve the dots itself otherwise.
    url = URL(str(client.make_url("")).rstrip("/") + path, encoded=True)
    async with client.session.request(method, url, **kwargs) as response:
        assert response.status == 404, (method, path, response.status, await response.text())
        assert response.content_type == "application/problem+json"
    assert sim.targets[before:] == [], f"{method} {path} reached the upstream"


@pytest.mark.parametrize("dots", DOTS)
async def test_avalon_never_deletes_the_parent_of_a_dot_id(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: StartSimulator[RecordedAvalon],
    dots: str,
) -> None:
    sim = await start_simulator(RecordedAvalon())
    table = {"kind": "avalon", "url": sim.url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0}
    client = await _gateway(gateway, make_config, "avalon", table)
    listing = await (await client.get("/backends/avalon/media-objects")).json()
    oid = listing["_embedded"]["avalon:media-object"][0]["id"]
    base = f"/backends/avalon/media-objects/{oid}"
    await _refused(client, sim, "DELETE", f"{base}/supplemental-files/{dots}")
    await _refused(client, sim, "GET", f"{base}/master-files/{dots}")
    await _refused(client, sim, "PUT", f"/backends/avalon/collections/{dots}", json={})
    assert (await client.get(base)).status == 200  # the media object is still there


@pytest.mark.parametrize("dots", DOTS)
async def test_azure_never_completes_the_api_root(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: StartSimulator[RecordedAzure],
    dots: str,
) -> None:
    sim = await start_simulator(RecordedAzure(token=AZURE_TOKEN, encoding_duration_s=None))
    table = {"kind": "azure", "url": sim.url, "token": AZURE_TOKEN, "retries": 0}
    client = await _gateway(gateway, make_config, "azure", table)
    await _refused(client, sim, "POST", f"/backends/azure/videos/{dots}/complete")
    await _refused(client, sim, "DELETE", f"/backends/azure/videos/{dots}")


@pytest.mark.parametrize("dots", DOTS)
async def test_flex_never_sends_a_dot_segment(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: StartSimulator[RecordedFlex],
    dots: str,
) -> None:
    sim = await start_simulator(RecordedFlex())
    table = {"kind": "flex", "url": sim.url, "username": DEFAULT_USER, "password": DEFAULT_PASSWORD}
    client = await _gateway(gateway, make_config, "flex", {**table, "retries": 0})
    await _refused(client, sim, "DELETE", f"/backends/flex/collections/{dots}")
    await _refused(client, sim, "GET", f"/backends/flex/files/{dots}")
    await _refused(client, sim, "PUT", f"/backends/flex/assets/{dots}", json={})


@pytest.mark.parametrize("dots", DOTS)
async def test_mediacentral_never_patches_the_service_root(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: StartSimulator[RecordedMediaCentral],
    dots: str,
) -> None:
    sim = await start_simulator(RecordedMediaCentral())
    table = {
        "kind": "mediacentral",
        "url": sim.url,
        "auth": "mcux",
        "username": MC_USER,
        "password": MC_PASSWORD,
        "retries": 0,
    }
    client = await _gateway(gateway, make_config, "news", table)
    await _refused(client, sim, "PATCH", f"/backends/news/assets/{dots}", json={"common": {}})
    await _refused(client, sim, "GET", f"/backends/news/items/{dots}")
    await _refused(client, sim, "GET", f"/backends/news/assets/{dots}/thumbnail")


@pytest.mark.parametrize("dots", DOTS)
async def test_the_unified_view_never_reads_a_collapsed_path(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: StartSimulator[RecordedAvalon],
    dots: str,
) -> None:
    """The native id of ``avalon:..`` is ``..``: the unified id itself holds no dot segment.

    Unfixed, a collection's items were read from ``/admin/collections/../items.json``,
    which the client sent as ``/admin/items.json``.
    """
    sim = await start_simulator(RecordedAvalon())
    table = {"kind": "avalon", "url": sim.url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0}
    client = await _gateway(gateway, make_config, "avalon", table)
    await _refused(client, sim, "GET", f"/collections/avalon:{dots}")
    await _refused(client, sim, "GET", f"/assets/avalon:{dots}")
    await _refused(client, sim, "GET", f"/assets/{dots}")
