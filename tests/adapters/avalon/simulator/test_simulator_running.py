"""Running Avalon simulators: injected faults, closing, separate state, command line."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp
import pytest

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, DEFAULT_USER_KEY, AvalonSimulator
from tests.support.avalon import (
    ADMIN,
    SimFactory,
    send,
)

pytestmark = pytest.mark.asyncio


async def test_closing_cancels_pending_purges(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(purge_delay_s=60)
    assert (await send(http, sim, "DELETE", "/media_objects/mk61rh07c", ADMIN)).status == 302

    def purges() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if "_purge_later" in repr(t.get_coro())]

    assert len(purges()) == 1
    # Bounded: closing must cancel the purge, not wait out its delay.
    await asyncio.wait_for(sim.close(), timeout=5)
    assert purges() == []


async def test_simulators_do_not_share_state(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    first, second = await make_sim(), await make_sim()
    await send(http, first, "DELETE", "/media_objects/sx61dm430", ADMIN)
    assert (await send(http, second, "GET", "/media_objects/sx61dm430", ADMIN)).status == 200


async def test_latency_delays_answers(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim(latency_s=0.2)
    started = time.monotonic()
    reply = await send(http, sim, "GET", "/vocabulary.json", ADMIN)
    assert reply.status == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(503, b'{"errors": ["simulated failure 503"]}', id="503"),
        pytest.param(500, b'{"errors": ["simulated failure 500"]}', id="500"),
        pytest.param(401, b"", id="401-empty"),
    ],
)
async def test_fail_status_answers_like_avalon(
    make_sim: SimFactory, http: aiohttp.ClientSession, status: int, body: bytes
) -> None:
    sim = await make_sim(fail_status=status)
    reply = await send(http, sim, "GET", "/media_objects.json", ADMIN)
    assert (reply.status, reply.body) == (status, body)


async def test_dropped_connections(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim(drop_connections=True)
    with pytest.raises(aiohttp.ClientError):
        await send(http, sim, "GET", "/media_objects.json", ADMIN)


async def test_arguments_configure_keys_and_latency() -> None:
    parser = argparse.ArgumentParser()
    AvalonSimulator.add_arguments(parser)
    args = parser.parse_args(["--api-key", "abc", "--api-key", "def=viewer", "--latency", "0.5"])
    sim = AvalonSimulator.from_arguments(args)
    assert sim.config.api_keys == {"abc": "archivist", "def": "viewer"}
    assert sim.latency_s == 0.5
    defaults = AvalonSimulator.from_arguments(parser.parse_args([]))
    assert defaults.config.api_keys == {DEFAULT_ADMIN_KEY: "archivist", DEFAULT_USER_KEY: "viewer"}
    assert defaults.latency_s == 0.0
