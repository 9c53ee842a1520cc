"""The platform's session stays on the platform, and the backend on its chosen system.

Token links, registry entry points and pages that lead elsewhere are each met by a
simulator that sends them there, over loopback sockets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from adapters.mediacentral.simulator import MediaCentralSimulator
from gateway.auth.identity import Identity, acting_as
from gateway.backends.runtime import BACKENDS
from gateway.spi import AssetQuery
from gateway.web.errors import UpstreamUnavailable
from tests.support.clocks import FakeClock
from tests.support.mediacentral.fixtures import ARCHIVE, BACKEND, NEWSROOM, Connect, SimFactory
from tests.support.mediacentral.navigator import Navigator
from tests.support.mediacentral.sessions import locations, with_clock

Serve = Callable[[web.Application], Awaitable[str]]
ADMIN = Identity("admin", "user", frozenset({"admin"}))
EVENING_ID = "/News/Evening Bulletin/"


def recorder() -> tuple[web.Application, list[tuple[str, str, bool]]]:
    """A host outside the platform recording (method, path, whether credentials came)."""
    seen: list[tuple[str, str, bool]] = []

    async def anything(request: web.Request) -> web.Response:
        carried = "Authorization" in request.headers or "Cookie" in request.headers
        seen.append((request.method, request.path, carried))
        return web.json_response({"expiresIn": 900})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    return app, seen


@pytest.mark.parametrize("flow", ["mcux", "oauth2-client-credentials"])
async def test_token_links_to_another_origin_get_no_session(
    simulators: SimFactory, connect: Connect, upstream: Serve, flow: str
) -> None:
    app, seen = recorder()
    elsewhere = await upstream(app)
    clock = FakeClock()
    sim = await simulators(token_life_s=100, clock=clock, token_links=elsewhere)
    client = await connect(sim, flow, routes=with_clock(clock))
    nav = Navigator(client)
    href, before = await locations(nav)
    clock.advance(85)  # renewal due: not through the foreign link
    assert await nav.get(href) == before
    await client.close()
    assert seen == []
    assert sim.counters.extensions == 0


async def test_relative_token_links_resolve_against_the_token_document(
    simulators: SimFactory, connect: Connect
) -> None:
    clock = FakeClock()
    sim = await simulators(token_life_s=100, clock=clock, token_links="relative")
    client = await connect(sim, routes=with_clock(clock))
    nav = Navigator(client)
    href, before = await locations(nav)
    clock.advance(85)
    assert await nav.get(href) == before
    assert sim.counters.extensions == 1
    await client.close()
    assert sim.counters.logouts == 1


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"registry": "web-fallback"}, id="html-200"),
        pytest.param({"v1_status": 403}, id="403"),
        pytest.param({"v1_status": 405}, id="405"),
        pytest.param({"v1_status": 406}, id="406"),
    ],
)
async def test_an_older_platform_without_the_v1_registry_is_discovered_further_on(
    simulators: SimFactory, connect: Connect, options: dict[str, object]
) -> None:
    sim = await simulators(**options)
    nav = Navigator(await connect(sim))
    _, root = await locations(nav)
    assert root["common"]["name"] == "Newsroom"
    assert sim.counters.paths["/ctms-registry/v1"] == 1
    assert sim.counters.registry_reads == 1


async def test_a_configured_system_the_registry_does_not_name_is_an_error(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(names_systems=False)
    nav = Navigator(await connect(sim, keys={"system_id": ARCHIVE.system_id}))
    href = nav.href(await nav.backend(BACKEND), "mc:locations")
    problem = await nav.problem("GET", href, 503)
    assert ARCHIVE.system_id in problem["detail"]
    assert "names no system" in problem["detail"]


def other_system(sim: MediaCentralSimulator) -> list[str]:
    """Paths the platform was asked for in the services of its second system."""
    segment = sim.platform.segment(sim.platform.catalogues[1])
    return [path for path in sim.counters.paths if segment in path]


async def walk(client: object) -> None:
    backend = client.app[BACKENDS].get(BACKEND)  # type: ignore[attr-defined]
    with acting_as(ADMIN):
        await backend.adapter.list_assets(AssetQuery(limit=100))


@pytest.mark.parametrize("away", ["next", "referenced-object"])
async def test_a_page_that_links_into_the_other_system_is_not_followed(
    simulators: SimFactory, connect: Connect, away: str
) -> None:
    sim = await simulators(systems=(NEWSROOM, ARCHIVE))
    if away == "next":
        sim.file_clips(EVENING_ID, 100)  # a second page
        sim.link_away(EVENING_ID)
    else:
        sim.link_away(next(iter(sim.platform.assets)))
    client = await connect(sim, keys={"system_id": NEWSROOM.system_id})
    with pytest.raises(UpstreamUnavailable, match="outside"):
        await walk(client)
    assert other_system(sim) == []
