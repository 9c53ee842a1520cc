"""Flex bytes relayed through the gateway: sandboxed, and HEAD answered with headers only."""

from __future__ import annotations

from yarl import URL

from tests.support.flex.fixtures import NEWS
from tests.support.flex.navigator import Navigator
from tests.support.identities import bearer
from tests.support.wire import body_of, head_then_get, header, status_of


async def _keyframe_image(nav: Navigator) -> str:
    news = await nav.asset(NEWS)
    keyframes = await nav.follow(news, "flex:keyframes")
    href: str = keyframes["_embedded"]["flex:keyframe"][0]["_links"]["flex:keyframe-image"]["href"]
    return href


async def test_a_keyframe_image_is_relayed_inline_and_sandboxed(nav: Navigator) -> None:
    response, image = await nav.request("GET", await _keyframe_image(nav))
    assert (response.status, response.content_type) == (200, "image/png")
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert "Content-Disposition" not in response.headers  # an image may show inline
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"


async def test_head_then_get_of_a_keyframe_image_on_one_connection(nav: Navigator) -> None:
    href = URL(await _keyframe_image(nav))
    _, image = await nav.request("GET", href)
    head, rest = await head_then_get(href, bearer(nav.client.app, "admin"))
    assert status_of(head) == 200
    assert header(head, "Content-Type") == "image/png"
    assert rest.startswith(b"HTTP/1.1 200 "), rest[:80]
    assert body_of(rest) == image
