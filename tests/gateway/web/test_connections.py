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

import pytest

from tests.support.served import BOUND_S, Answer, Serve, parse, read_to_end

QUICK_S = 0.3
"""The timeouts configured for the test gateways."""

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def assert_timeout_problem(answer: Answer) -> None:
    """A 408 problem that says the client was too slow, closing the connection."""
    assert answer.status == 408, answer
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = json.loads(answer.body)
    assert problem["status"] == 408
    assert problem["code"] == "request-timeout"
    assert "Traceback" not in problem["detail"]


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
