"""A POST whose answer was lost is not transient: its outcome is unknown (real sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from aiohttp import web

from gateway.upstream.client import UpstreamClient
from gateway.web import problem
from gateway.web.errors import (
    UpstreamError,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnavailable,
)

Serve = Callable[[web.Application], Awaitable[str]]


class Taker:
    """A loopback upstream that reads each request whole, then drops it: closes or hangs."""

    def __init__(self, *, hang: bool = False) -> None:
        self.hang = hang
        self.requests: list[str] = []
        self.server: asyncio.Server | None = None
        self._release = asyncio.Event()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        self._release.set()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            self.requests.append(head.split(b" ", 1)[0].decode())
            if self.hang:
                await self._release.wait()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture
async def taker() -> AsyncIterator[Callable[..., Awaitable[tuple[Taker, str]]]]:
    started: list[Taker] = []

    async def start(*, hang: bool = False) -> tuple[Taker, str]:
        server = Taker(hang=hang)
        started.append(server)
        return server, await server.start()

    yield start
    for server in started:
        await server.close()


async def open_client(url: str, *, timeout_s: float = 5.0, retries: int = 2) -> UpstreamClient:
    client = UpstreamClient("up", timeout_s=timeout_s, retries=retries)
    client.retry.base_delay_s = 0.001
    await client.open(url)
    return client


def transient(error: UpstreamError) -> bool:
    """The ``transient`` member of the problem the client would get."""
    doc = problem.body(
        error.http_status, error.problem_code, error.detail, "i", "http://gw", error.extra
    )
    return bool(doc["transient"])


@pytest.mark.parametrize(
    ("hang", "expected"),
    [
        pytest.param(False, UpstreamUnavailable, id="connection-closed"),
        pytest.param(True, UpstreamTimeout, id="answer-never-comes"),
    ],
)
async def test_a_post_taken_and_unanswered_has_an_unknown_outcome(
    taker: Callable[..., Awaitable[tuple[Taker, str]]], hang: bool, expected: type[UpstreamError]
) -> None:
    server, url = await taker(hang=hang)
    client = await open_client(url, timeout_s=0.3)
    with pytest.raises(expected) as caught:
        await client.request("POST", "/media_objects.json", json_body={"title": "x"})
    await client.close()
    assert server.requests == ["POST"]
    assert caught.value.outcome_unknown
    assert not transient(caught.value)
    assert "outcome is unknown" in caught.value.detail


async def test_an_idempotent_call_dropped_the_same_way_stays_transient(
    taker: Callable[..., Awaitable[tuple[Taker, str]]],
) -> None:
    server, url = await taker()
    client = await open_client(url, retries=1)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.request("PUT", "/x", json_body={})
    await client.close()
    assert len(server.requests) > 1  # retried, as before
    assert set(server.requests) == {"PUT"}
    assert not caught.value.outcome_unknown
    assert transient(caught.value) is False  # 503's row, unchanged
    assert "outcome" not in caught.value.detail


async def test_a_post_never_sent_keeps_its_row(unused_tcp_port: int) -> None:
    client = await open_client(f"http://127.0.0.1:{unused_tcp_port}", retries=0)
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.request("POST", "/x", json_body={})
    await client.close()
    assert not caught.value.outcome_unknown
    assert "transient" not in caught.value.extra


async def test_a_slow_post_times_out_as_a_non_transient_408(upstream: Serve) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/slow", slow)
    client = await open_client(await upstream(app), timeout_s=0.05, retries=0)
    with pytest.raises(UpstreamTimeout) as caught:
        await client.request("POST", "/slow")
    release.set()
    await client.close()
    assert caught.value.http_status == 408
    assert not transient(caught.value)


@pytest.mark.parametrize(
    ("status", "unknown"),
    [
        pytest.param(504, True, id="504-proxy-timed-out"),
        pytest.param(502, True, id="502-proxy-lost-it"),
        pytest.param(503, False, id="503-not-taken"),
        pytest.param(500, False, id="500-an-answer"),
    ],
)
async def test_a_proxy_that_lost_a_posts_answer(
    upstream: Serve, status: int, unknown: bool
) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"errors": ["x"]}, status=status)

    app = web.Application()
    app.router.add_post("/x", answer)
    client = await open_client(await upstream(app), retries=0)
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request("POST", "/x")
    await client.close()
    assert caught.value.outcome_unknown is unknown
    if unknown:
        assert not transient(caught.value)
