"""Thumbnail images and other relayed platform content: what reaches the client, and whence.

The image an asset's ``aa:thumb`` names is relayed only from the platform's own
services, or, without credentials, from an origin the backend lists in
``thumbnail_origins``; a redirect elsewhere reaches neither the client nor that host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from adapters.mediacentral.simulator import ImageAnswer, MediaCentralSimulator
from gateway.auth.identity import Identity, acting_as
from gateway.backends.runtime import BACKENDS
from gateway.spi import AssetQuery
from tests.support.mediacentral.fixtures import BACKEND, Connect, SimFactory
from tests.support.mediacentral.navigator import Doc, Navigator

Serve = Callable[[web.Application], Awaitable[str]]
ADMIN = Identity("admin", "user", frozenset({"admin"}))


def foreign_host() -> tuple[web.Application, list[str]]:
    """A host outside the platform that records every request it gets."""
    seen: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        seen.append(request.path_qs)
        return web.Response(body=b"\x89PNG\r\n\x1a\n", content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", anything)
    return app, seen


async def an_asset(nav: Navigator, sim: MediaCentralSimulator) -> tuple[Doc, str]:
    """An asset of the platform and its gateway thumbnail URL."""
    asset_id = next(iter(sim.platform.assets))
    asset = await nav.get(nav.href(await nav.backend(BACKEND), "mc:asset", id=asset_id))
    return asset, nav.href(asset, "self") + "/thumbnail"


async def proxied_image(nav: Navigator, asset: Doc) -> str:
    """The gateway's /proxy URL of the image, as the ``aa:thumb`` document names it."""
    thumb = await nav.get(nav.href(asset, "aa:thumb"))
    href: str = thumb["thumbnail"]
    assert "/proxy/" in href
    return href


async def test_an_image_that_redirects_off_the_platform_is_404_and_503_by_proxy(
    simulators: SimFactory, connect: Connect, upstream: Serve
) -> None:
    app, seen = foreign_host()
    elsewhere = await upstream(app)
    sim = await simulators(image=ImageAnswer(redirect=elsewhere))
    nav = Navigator(await connect(sim))
    asset, thumbnail = await an_asset(nav, sim)

    response, _ = await nav.request("GET", thumbnail, allow_redirects=False)
    assert response.status == 404
    assert "Location" not in response.headers
    response, _ = await nav.request("GET", await proxied_image(nav, asset), allow_redirects=False)
    assert response.status == 503
    assert "Location" not in response.headers
    assert seen == []


async def test_an_image_that_redirects_inside_the_platform_is_passed_on_rewritten(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators()
    sim.platform.image = ImageAnswer(redirect=sim.url)
    nav = Navigator(await connect(sim))
    _, thumbnail = await an_asset(nav, sim)
    response, _ = await nav.request("GET", thumbnail, allow_redirects=False)
    assert response.status == 307  # the platform's 302, as the table's one redirect status
    assert response.headers["Location"].startswith(nav.base)
    assert sim.url not in response.headers["Location"]


@pytest.mark.parametrize(
    ("answer", "thumbnail_status", "proxy_status"),
    [
        pytest.param(ImageAnswer(status=404), 404, 404, id="404"),
        pytest.param(ImageAnswer(status=500), 404, 500, id="500"),
        pytest.param(ImageAnswer(status=403), 404, 403, id="403"),
        pytest.param(ImageAnswer(content_type="image/svg+xml"), 404, 200, id="svg"),
        pytest.param(ImageAnswer(content_type="text/html"), 404, 200, id="html"),
        pytest.param(ImageAnswer(status=206), 503, 503, id="206-partial"),
        pytest.param(ImageAnswer(status=203), 503, 503, id="203-not-authoritative"),
    ],
)
async def test_the_thumbnail_is_an_image_the_platform_answered_200(
    simulators: SimFactory,
    connect: Connect,
    answer: ImageAnswer,
    thumbnail_status: int,
    proxy_status: int,
) -> None:
    sim = await simulators(image=answer)
    nav = Navigator(await connect(sim))
    asset, thumbnail = await an_asset(nav, sim)
    response, _ = await nav.request("GET", thumbnail)
    assert response.status == thumbnail_status
    response, _ = await nav.request("GET", await proxied_image(nav, asset))
    assert response.status == proxy_status


async def unified_thumbnail(client: Any, asset_id: str) -> str | None:
    backend = client.app[BACKENDS].get(BACKEND)
    with acting_as(ADMIN):
        asset = await backend.adapter.get_asset(asset_id)
        listed = await backend.adapter.list_assets(AssetQuery(limit=100))
    [same] = [a for a in listed.items if a.native_id == asset_id]
    assert same.thumbnail == asset.thumbnail
    found: str | None = asset.thumbnail
    return found


async def test_images_on_the_workgroup_host_need_thumbnail_origins_and_get_no_credentials(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(image=ImageAnswer(second_origin=True))
    assert sim.platform.image_origin is not None
    asset_id = next(iter(sim.platform.assets))

    # Not listed: the image is off the platform, so no thumbnail is advertised or served.
    plain = await connect(sim)
    nav = Navigator(plain)
    _, thumbnail = await an_asset(nav, sim)
    response, _ = await nav.request("GET", thumbnail)
    assert response.status == 404
    assert await unified_thumbnail(plain, asset_id) is None
    assert sim.counters.image_reads == 0

    # Listed: fetched from there without the platform's session.
    listed = await connect(sim, keys={"thumbnail_origins": [sim.platform.image_origin]})
    nav = Navigator(listed)
    _, thumbnail = await an_asset(nav, sim)
    response, image = await nav.request("GET", thumbnail, headers={"Accept": "image/*"})
    assert response.status == 200
    assert response.content_type == "image/png"
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert sim.counters.image_reads == 1
    assert sim.counters.image_credentials == 0
    assert nav.leaks(sim.platform.image_origin) == []
    assert await unified_thumbnail(listed, asset_id) == f"/assets/{asset_id}/thumbnail"


async def test_a_listed_image_host_that_redirects_is_404(
    simulators: SimFactory, connect: Connect, upstream: Serve
) -> None:
    app, seen = foreign_host()
    elsewhere = await upstream(app)
    sim = await simulators(image=ImageAnswer(second_origin=True, redirect=elsewhere))
    nav = Navigator(await connect(sim, keys={"thumbnail_origins": [sim.platform.image_origin]}))
    _, thumbnail = await an_asset(nav, sim)
    response, _ = await nav.request("GET", thumbnail, allow_redirects=False)
    assert response.status == 404
    assert seen == []
