"""The upstream client's promises against real loopback servers.

- ``timeout_s`` is the budget of a whole call, its retries included, and a timeout's
  problem says that budget;
- an upstream's ``Retry-After`` (seconds or an HTTP date) is waited for when the budget
  allows it, and ends the retries at once when it does not;
- URLs go out exactly as built, never normalised; dot segments never go out at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from gateway.upstream.client import UpstreamClient
from gateway.web.errors import NotFound, UpstreamStatusError, UpstreamTimeout
from tests.support.fixtures import ConfigFactory, GatewayFactory

Serve = Callable[[web.Application], Awaitable[str]]


class Scripted:
    """An upstream answering 503 with the given ``Retry-After`` values, then 200."""

    def __init__(self, *retry_after: str) -> None:
        self.retry_after = list(retry_after)
        self.arrivals: list[float] = []
        self.targets: list[str] = []

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.arrivals.append(asyncio.get_running_loop().time())
            self.targets.append(request.raw_path)
            if self.retry_after:
                headers = {"Retry-After": self.retry_after.pop(0)}
                return web.json_response({"error": "busy"}, status=503, headers=headers)
            return web.json_response({})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


class Hung:
    """An upstream that takes every request and answers none until released."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.calls += 1
            await self.release.wait()
            return web.Response()

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


async def _client(url: str, *, timeout_s: float, retries: int = 2) -> UpstreamClient:
    client = UpstreamClient("up", timeout_s=timeout_s, retries=retries)
    client.retry.base_delay_s = 0.001
    await client.open(url)
    return client


async def test_retries_share_one_budget_and_the_problem_says_it(upstream: Serve) -> None:
    hung = Hung()
    client = await _client(await upstream(hung.app()), timeout_s=0.3, retries=2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(UpstreamTimeout) as caught:
        await client.request("GET", "/x")
    elapsed = loop.time() - started
    hung.release.set()
    assert 0.3 <= elapsed < 0.45  # not 3 x 0.3 s
    assert "within 0.3 s" in caught.value.detail
    await client.close()


async def test_a_gateway_answers_a_hung_upstream_within_its_timeout(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    hung = Hung()
    url = await upstream(hung.app())
    table = {"kind": "azure", "url": url, "token": "t-secret", "timeout_s": 0.3, "retries": 2}
    client = await gateway(make_config(backends={"azure": table}), wait_probed=False)
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await client.get("/backends/azure/videos/abc")
    elapsed = loop.time() - started
    hung.release.set()
    assert response.status == 408
    problem = await response.json()
    assert "within 0.3 s" in problem["detail"]
    assert elapsed < 0.45, elapsed  # what the detail says is what the client waited


async def test_retry_after_in_seconds_is_waited_for_within_the_budget(upstream: Serve) -> None:
    fake = Scripted("1")
    client = await _client(await upstream(fake.app()), timeout_s=5.0)
    assert (await client.request("GET", "/x")).status == 200
    assert len(fake.arrivals) == 2
    assert fake.arrivals[1] - fake.arrivals[0] >= 1.0
    await client.close()


@pytest.mark.parametrize(
    "retry_after",
    [
        pytest.param("120", id="seconds"),
        pytest.param(
            format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True), id="http-date"
        ),
    ],
)
async def test_retry_after_beyond_the_budget_ends_the_retries_at_once(
    upstream: Serve, retry_after: str
) -> None:
    fake = Scripted(retry_after, retry_after, retry_after)
    client = await _client(await upstream(fake.app()), timeout_s=2.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request("GET", "/x")
    assert loop.time() - started < 1.0
    assert caught.value.upstream_status == 503
    assert len(fake.arrivals) == 1
    await client.close()


async def test_a_retry_after_in_the_past_is_no_wait(upstream: Serve) -> None:
    past = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    fake = Scripted(past)
    client = await _client(await upstream(fake.app()), timeout_s=2.0)
    assert (await client.request("GET", "/x")).status == 200
    assert len(fake.arrivals) == 2
    await client.close()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/files/a%7Eb", id="escaped-unreserved"),
        pytest.param("/files/a%2Fb/c%3Bd", id="escaped-reserved"),
        pytest.param("/files/%2E%2Ex", id="escaped-dots-in-a-name"),
    ],
)
async def test_urls_go_out_exactly_as_built(upstream: Serve, path: str) -> None:
    fake = Scripted()
    client = await _client(await upstream(fake.app()), timeout_s=2.0)
    await client.request("GET", path)
    assert fake.targets == [path]
    await client.close()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/media_objects/X/supplemental_files/..", id="dotdot"),
        pytest.param("/media_objects/X/supplemental_files/%2e%2E", id="escaped-dotdot"),
        pytest.param("/api/Videos/./MarkComplete", id="dot"),
        pytest.param("/api/Videos/%2E/MarkComplete?x=1", id="escaped-dot"),
    ],
)
async def test_dot_segments_never_go_out(upstream: Serve, path: str) -> None:
    fake = Scripted()
    client = await _client(await upstream(fake.app()), timeout_s=2.0)
    with pytest.raises(NotFound):
        await client.request("DELETE", path)
    assert fake.targets == []
    await client.close()
