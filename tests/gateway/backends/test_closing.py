"""Closing the backends at shutdown: all at once, within a bound, whatever one upstream does.

Each backend's upstream session is ended by a logout to a small upstream on loopback that
can make it wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import pytest
from aiohttp import web

from gateway import plugins
from gateway.backends.runtime import Backend, BackendSet
from gateway.upstream.auth import UpstreamAuth
from gateway.upstream.client import UpstreamClient
from tests.support.fixtures import ConfigFactory

Serve = Callable[[web.Application], Awaitable[str]]

WAIT_S = 5.0
"""How long a logout waits for the other one before it gives up: the test's slack."""


class Logout(UpstreamAuth):
    """Fixed credentials whose upstream session a DELETE ends at shutdown."""

    renewable = False

    def __init__(self) -> None:
        self.ended = False

    async def headers(self, client: UpstreamClient) -> Mapping[str, str]:
        return {}

    async def close(self, client: UpstreamClient) -> None:
        await client.request("DELETE", "/session")
        self.ended = True


class Sessions:
    """The upstream of every backend here, each on a path of its own (``/<name>``)."""

    def __init__(self, together: int) -> None:
        self.together = together
        self.arrived: list[str] = []
        self.all_there = asyncio.Event()
        self.hang = asyncio.Event()  # never set: a logout to ``/hung`` waits for ever

    async def logout(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.arrived.append(name)
        if name == "hung":
            await self.hang.wait()
        if len(self.arrived) >= self.together:
            self.all_there.set()
        try:
            # A logout is answered only once the others arrived too: closed one by one,
            # the first would give up before the next one was sent.
            await asyncio.wait_for(self.all_there.wait(), WAIT_S)
        except TimeoutError:
            return web.Response(status=503)
        return web.Response(status=204)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_delete("/{name}/session", self.logout)
        return app


async def _backends(
    url: str, names: list[str], make_config: ConfigFactory
) -> tuple[BackendSet, dict[str, Logout]]:
    config = make_config(
        backends={name: {"kind": "azure", "url": f"{url}/{name}", "token": "t"} for name in names}
    )
    backends, logouts = BackendSet(config), {}
    for name in names:
        logouts[name] = Logout()
        client = UpstreamClient(name, timeout_s=30, retries=0, auth=logouts[name])
        await client.open(f"{url}/{name}")
        adapter = plugins.adapter_class("azure")(config.backends[name], client)
        backends.backends[name] = Backend(adapter, client)
    return backends, logouts


def _closed(backends: BackendSet) -> dict[str, bool]:
    out = {}
    for backend in backends:
        try:
            _ = backend.client.session
        except RuntimeError:
            out[backend.name] = True
        else:
            out[backend.name] = False
    return out


async def test_backends_close_at_once(upstream: Serve, make_config: ConfigFactory) -> None:
    sessions = Sessions(together=2)
    backends, logouts = await _backends(await upstream(sessions.app()), ["mam", "vod"], make_config)
    async with asyncio.timeout(4 * WAIT_S):
        await backends.close()
    assert sorted(sessions.arrived) == ["mam", "vod"]
    assert {name: logout.ended for name, logout in logouts.items()} == {"mam": True, "vod": True}
    assert _closed(backends) == {"mam": True, "vod": True}


async def test_a_logout_that_hangs_is_cut_and_the_others_close(
    upstream: Serve, make_config: ConfigFactory, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = Sessions(together=1)
    backends, logouts = await _backends(
        await upstream(sessions.app()), ["hung", "vod"], make_config
    )
    # The hung logout would take its whole budget (30 s): the bound cuts it well before.
    async with asyncio.timeout(15):
        await backends.close(within_s=3)
    assert {name: logout.ended for name, logout in logouts.items()} == {
        "hung": False,
        "vod": True,
    }
    assert _closed(backends) == {"hung": True, "vod": True}
    assert "backend hung: still closing after 3 s" in caplog.text
