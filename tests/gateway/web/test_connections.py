"""Slow and idle clients over raw sockets: header and body timeouts, keep-alive, the cap.

The gateway runs as ``hal-gateway serve`` runs it (:func:`gateway.web.serving.serve`), with
timeouts of a fraction of a second. Every wait on a socket is bounded (:data:`BOUND_S`): a
gateway that never answers fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, NamedTuple

import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.web import serving
from tests.support.fixtures import ConfigFactory

BOUND_S = 5.0
"""Longest wait for any socket event; far above every configured timeout."""
QUICK_S = 0.3
"""The timeouts configured for the test gateways."""

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Answer(NamedTuple):
    """A raw HTTP answer read up to the connection's end."""

    status: int
    headers: dict[str, str]
    body: bytes


def parse(raw: bytes) -> Answer:
    """The status, headers and body of one raw HTTP/1.1 answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body)


async def read_to_end(reader: asyncio.StreamReader) -> bytes:
    """Everything until the gateway closes the connection, within :data:`BOUND_S`."""
    return await asyncio.wait_for(reader.read(), BOUND_S)


def assert_timeout_problem(answer: Answer) -> None:
    """A 408 problem that says the client was too slow, closing the connection."""
    assert answer.status == 408, answer
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = json.loads(answer.body)
    assert problem["status"] == 408
    assert problem["code"] == "request-timeout"
    assert "Traceback" not in problem["detail"]


Serve = Callable[..., Awaitable[tuple[str, int]]]


@pytest.fixture
async def serve(make_config: ConfigFactory) -> AsyncIterator[Serve]:
    """Start a gateway with ``[server]`` keys ``**server``; its host and port."""
    runners: list[web.AppRunner] = []

    async def start(**server: Any) -> tuple[str, int]:
        app = create_app(make_config(server=server, backends={}))
        runner = await serving.serve(app, "127.0.0.1", 0)
        runners.append(runner)
        host, port = runner.addresses[0][:2]
        return host, port

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def sockets() -> AsyncIterator[Callable[[str, int], Awaitable[Streams]]]:
    """Open raw connections; every one is closed after the test."""
    async with AsyncExitStack() as stack:

        async def connect(host: str, port: int) -> Streams:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), BOUND_S)
            stack.push_async_callback(_close, writer)
            return reader, writer

        yield connect


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):  # the gateway reset it first: closed all the same
        await asyncio.wait_for(writer.wait_closed(), BOUND_S)


async def test_a_head_stopped_half_way_gets_408_within_the_header_timeout(
    serve: Serve, sockets: Callable[[str, int], Awaitable[Streams]]
) -> None:
    host, port = await serve(header_timeout_s=QUICK_S, keepalive_timeout_s=60.0)
    reader, writer = await sockets(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    started = time.monotonic()
    answer = parse(await read_to_end(reader))
    assert time.monotonic() - started >= QUICK_S * 0.9  # the timeout, not something sooner
    assert_timeout_problem(answer)
    assert answer.headers["connection"].lower() == "close"


async def test_a_body_shorter_than_its_length_gets_408_within_the_body_timeout(
    serve: Serve, sockets: Callable[[str, int], Awaitable[Streams]]
) -> None:
    host, port = await serve(body_timeout_s=QUICK_S, keepalive_timeout_s=60.0)
    reader, writer = await sockets(host, port)
    writer.write(
        b"POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"username": '
    )
    answer = parse(await read_to_end(reader))
    assert_timeout_problem(answer)
    assert "request body" in json.loads(answer.body)["detail"]


async def test_a_slow_body_that_keeps_moving_is_read_whole(
    serve: Serve, sockets: Callable[[str, int], Awaitable[Streams]]
) -> None:
    """The body timeout is per read: a body slower in total than it still arrives."""
    host, port = await serve(body_timeout_s=QUICK_S, keepalive_timeout_s=60.0)
    reader, writer = await sockets(host, port)
    body = b'{"username": "nobody", "password": "not-the-password"}'
    writer.write(
        b"POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    pieces = [body[i : i + 10] for i in range(0, len(body), 10)]
    for piece in pieces:
        writer.write(piece)
        await writer.drain()
        # The client's pace is what is tested: each pause is a third of the timeout, all
        # of them together more than the timeout.
        await asyncio.sleep(QUICK_S / 3)
    assert len(pieces) * QUICK_S / 3 > QUICK_S
    answer = parse(await read_to_end(reader))
    assert answer.status == 401, answer  # read whole and judged: a wrong login


async def test_an_idle_kept_alive_connection_is_closed_after_the_keepalive_timeout(
    serve: Serve, sockets: Callable[[str, int], Awaitable[Streams]]
) -> None:
    host, port = await serve(keepalive_timeout_s=QUICK_S)
    reader, writer = await sockets(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND_S)
    assert head.startswith(b"HTTP/1.1 200")
    length = int(parse(head).headers["content-length"])
    await asyncio.wait_for(reader.readexactly(length), BOUND_S)
    assert await read_to_end(reader) == b""  # closed by the gateway, nothing more sent


async def test_connections_beyond_the_cap_get_503_and_idle_ones_are_closed(
    serve: Serve, sockets: Callable[[str, int], Awaitable[Streams]]
) -> None:
    host, port = await serve(max_connections=3, keepalive_timeout_s=QUICK_S)
    idle = [await sockets(host, port) for _ in range(3)]
    reader, writer = await sockets(host, port)
    over = parse(await read_to_end(reader))
    assert over.status == 503, over
    assert over.headers["content-type"].startswith("application/problem+json")
    assert json.loads(over.body)["code"] == "too-many-connections"
    for idle_reader, _ in idle:  # closed by the keep-alive timeout, freeing their places
        assert await read_to_end(idle_reader) == b""
    reader, writer = await sockets(host, port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert parse(await read_to_end(reader)).status == 200
