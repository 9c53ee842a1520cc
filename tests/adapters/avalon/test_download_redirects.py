"""Where the gateway follows Avalon's download redirects, and where it does not.

The first redirect must stay on Avalon's origin and lead to Rails' ActiveStorage routes;
later ones go to Avalon's origin or a configured storage origin, never from https down
to http, and never to a loopback, link-local or private address that is not configured.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from adapters.avalon.downloads import refusal
from adapters.avalon.simulator import DEFAULT_ADMIN_KEY
from tests.support.avalon import content_href, stand_in
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import PROBLEM, Navigator

Serve = Callable[[web.Application], Awaitable[str]]
BLOB = "/rails/active_storage/blobs/redirect/s1/c.vtt"
SECRET_BYTES = b"WEBVTT\n\nwhat only the storage holds"


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location})


async def _target(upstream: Serve) -> tuple[str, list[str]]:
    """A loopback origin that would serve the bytes on any path; what it was asked."""
    asked: list[str] = []

    async def anything(request: web.Request) -> web.StreamResponse:
        asked.append(request.path_qs)
        return web.Response(body=SECRET_BYTES, content_type="text/vtt")

    app = web.Application()
    app.router.add_get("/{tail:.*}", anything)
    return await upstream(app), asked


async def _refused(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    upstream: Serve,
    first: str,
    then: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Avalon redirects to ``first``, its blob route to ``then``: the 503 problem."""

    async def content(request: web.Request) -> web.StreamResponse:
        return _redirect(first)

    async def blob(request: web.Request) -> web.StreamResponse:
        assert then is not None
        return _redirect(then)

    async def elsewhere(request: web.Request) -> web.StreamResponse:
        return web.Response(body=SECRET_BYTES, content_type="text/vtt")

    app = stand_in(content)
    app.router.add_get(BLOB, blob)
    app.router.add_get("/elsewhere/{tail:.*}", elsewhere)
    url = await upstream(app)
    backend = {"kind": "avalon", "url": url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0}
    nav = Navigator(await gateway(make_config(backends={"archive": backend | options})), "archive")
    response, problem = await nav.request("GET", await content_href(nav))
    assert (response.status, response.content_type) == (503, PROBLEM), problem
    assert problem["code"] == "upstream-unavailable"
    assert "could not deliver the file" in problem["detail"]
    assert "what only the storage holds" not in json.dumps(problem)
    return dict(problem)


async def test_a_first_redirect_to_another_origin_is_refused(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    """A blob route on another host is not Avalon's, even with the right path."""
    other, asked = await _target(upstream)
    await _refused(gateway, make_config, upstream, other + BLOB)
    assert asked == []


async def test_a_first_redirect_must_start_with_the_blob_routes(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    await _refused(gateway, make_config, upstream, "/elsewhere" + BLOB)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("127.0.0.1", id="loopback"),
        pytest.param("localhost", id="a-name-for-loopback"),
        pytest.param("[::1]", id="ipv6-loopback"),
    ],
)
async def test_a_later_hop_to_an_unlisted_loopback_origin_is_refused(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve, host: str
) -> None:
    other, asked = await _target(upstream)
    port = URL(other).port
    await _refused(gateway, make_config, upstream, BLOB, f"http://{host}:{port}/bucket/key")
    assert asked == []


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://10.1.2.3/bucket/key", id="private"),
        pytest.param("http://169.254.169.254/latest/meta-data/", id="link-local"),
        pytest.param("http://[fd00::1]/bucket/key", id="ipv6-private"),
        pytest.param("http://[::ffff:192.168.1.1]/bucket/key", id="ipv4-mapped"),
    ],
)
async def test_a_later_hop_to_an_unlisted_private_address_is_refused(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve, location: str
) -> None:
    problem = await _refused(gateway, make_config, upstream, BLOB, location)
    assert "address" in problem["detail"]


async def test_with_storage_origins_only_those_are_followed(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    listed, listed_asked = await _target(upstream)
    other, asked = await _target(upstream)
    await _refused(
        gateway,
        make_config,
        upstream,
        BLOB,
        other + "/bucket/key",
        storage_origins=[listed],
    )
    assert (asked, listed_asked) == ([], [])


async def test_a_listed_storage_origin_on_loopback_is_followed(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    listed, asked = await _target(upstream)

    async def content(request: web.Request) -> web.StreamResponse:
        return _redirect(BLOB)

    async def blob(request: web.Request) -> web.StreamResponse:
        return _redirect(listed + "/bucket/key?X-Amz-Signature=s")

    app = stand_in(content)
    app.router.add_get(BLOB, blob)
    backend = {
        "kind": "avalon",
        "url": await upstream(app),
        "api_key": DEFAULT_ADMIN_KEY,
        "storage_origins": [listed + "/"],
    }
    nav = Navigator(await gateway(make_config(backends={"archive": backend})), "archive")
    response, body = await nav.request("GET", await content_href(nav))
    assert (response.status, body) == (200, SECRET_BYTES)
    assert asked == ["/bucket/key?X-Amz-Signature=s"]


HOME = URL("http://avalon.example.org")
STORAGE = frozenset({("https", "s3.example.org", 443)})


@pytest.mark.parametrize(
    ("current", "target", "first", "why"),
    [
        pytest.param(HOME / "x", HOME.with_path(BLOB), True, None, id="blob-route"),
        pytest.param(
            HOME / "x",
            URL("https://avalon.example.org" + BLOB),
            True,
            "origin",
            id="first-hop-other-scheme",
        ),
        pytest.param(
            URL("https://s3.example.org/b/k"),
            URL("http://s3.example.org/b/k"),
            False,
            "https to http",
            id="downgrade",
        ),
        pytest.param(
            HOME.with_path(BLOB), URL("https://s3.example.org/b/k"), False, None, id="listed"
        ),
        pytest.param(
            HOME.with_path(BLOB), URL("https://s3.other.org/b/k"), False, "origin", id="unlisted"
        ),
    ],
)
async def test_refusal(current: URL, target: URL, first: bool, why: str | None) -> None:
    """The downgrade case needs TLS on loopback, which the suite has no trust for."""
    reason = await refusal(HOME, current, target, first=first, storage=STORAGE)
    assert (reason is None) if why is None else (reason is not None and why in reason)
