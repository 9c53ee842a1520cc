"""MediaCentral thumbnails relayed through the gateway: sandboxed, HEAD with headers only.

Both roads to the image are relayed: the gateway's ``/assets/{id}/thumbnail`` (following
``aa:thumb``) and the ``/proxy/...`` href the ``aa:thumb`` document names.
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from adapters.mediacentral.simulator import MediaCentralSimulator
from tests.support.identities import bearer
from tests.support.mediacentral.fixtures import BACKEND, Connect
from tests.support.mediacentral.navigator import Navigator
from tests.support.wire import body_of, head_then_get, header, status_of


async def _thumbnails(nav: Navigator) -> list[str]:
    """The two hrefs of the first harbour-fire asset's thumbnail."""
    backend = await nav.backend(BACKEND)
    hits = await nav.get(nav.href(backend, "mc:search", search="harbour fire", limit=1))
    [hit] = nav.embedded(hits, "aa:asset")
    asset: dict[str, Any] = await nav.get(nav.href(hit, "self"))
    thumb = await nav.get(nav.href(asset, "aa:thumb"))
    return [nav.href(asset, "self") + "/thumbnail", thumb["thumbnail"]]


async def test_thumbnails_are_relayed_sandboxed(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    nav = Navigator(await connect(simulator))
    for href in await _thumbnails(nav):
        response, image = await nav.request("GET", href)
        assert (response.status, response.content_type) == (200, "image/png"), href
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "sandbox"


async def test_head_then_get_of_a_thumbnail_on_one_connection(
    simulator: MediaCentralSimulator, connect: Connect
) -> None:
    client = await connect(simulator)
    nav = Navigator(client)
    for href in await _thumbnails(nav):
        _, image = await nav.request("GET", href)
        head, rest = await head_then_get(URL(href), bearer(client.app, "admin"))
        assert status_of(head) == 200, href
        assert header(head, "Content-Type") == "image/png"
        assert rest.startswith(b"HTTP/1.1 200 "), (href, rest[:80])
        assert body_of(rest) == image
