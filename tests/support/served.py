"""The gateway as ``hal-gateway serve`` runs it, and its answers read off a raw socket.

For tests of what happens below the application (slow clients, the connection cap,
requests aiohttp's parser refuses): the gateway is served by
:func:`gateway.web.serving.serve`, and answers are read byte for byte until the gateway
closes the connection. Every wait is bounded by :data:`BOUND_S`, so a gateway that never
answers fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple

import pytest
from aiohttp import web

from gateway.app import create_app
from gateway.web import serving
from tests.support.fixtures import ConfigFactory

BOUND_S = 5.0
"""Longest wait for any socket event; far above every timeout the tests configure."""

Serve = Callable[..., Awaitable[tuple[str, int]]]


class Answer(NamedTuple):
    """A raw HTTP answer read up to the connection's end."""

    status: int
    headers: dict[str, str]
    body: bytes
    raw: bytes


def parse(raw: bytes) -> Answer:
    """The status, headers (names in lower case) and body of one raw HTTP/1.x answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, body, raw)


async def read_to_end(reader: asyncio.StreamReader) -> bytes:
    """Everything until the gateway closes the connection, within :data:`BOUND_S`."""
    return await asyncio.wait_for(reader.read(), BOUND_S)


@pytest.fixture
async def serve(make_config: ConfigFactory) -> AsyncIterator[Serve]:
    """Serve a gateway without backends and with ``[server]`` keys ``**server``.

    Answers its host and port; every gateway started is stopped after the test.
    """
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
