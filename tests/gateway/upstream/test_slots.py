"""The cap on concurrent calls to one backend (``max_concurrent``).

A call beyond the cap waits at most ``server.upstream_queue_s`` for a slot, then is a
503 ``backend-busy`` problem with ``Retry-After``, having sent nothing upstream; with
Redis the cap holds for every gateway process together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from gateway.backends.runtime import BACKENDS
from gateway.state.memory_store import MemoryStore
from gateway.state.redis_store import RedisStore
from gateway.upstream.client import UpstreamClient
from gateway.upstream.slots import CallSlots
from gateway.web.errors import BackendBusy
from tests.support.clocks import FakeClock
from tests.support.fixtures import FLEX, ConfigFactory, GatewayFactory

Serve = Callable[[web.Application], Awaitable[str]]


class Held:
    """An upstream whose requests with ``hold`` in their path wait until released.

    Every request is answered 404 in the end.
    """

    def __init__(self, hold: str = "/held/") -> None:
        self.hold = hold
        self.held = 0
        self.arrived = asyncio.Condition()
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            if self.hold in request.path:
                async with self.arrived:
                    self.held += 1
                    self.arrived.notify_all()
                await self.release.wait()
            return web.json_response({"error": "no such thing"}, status=404)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app

    async def until(self, count: int) -> None:
        """Wait until ``count`` held requests have arrived."""
        async with self.arrived:
            await self.arrived.wait_for(lambda: self.held >= count)


async def _client(url: str, slots: CallSlots) -> UpstreamClient:
    client = UpstreamClient("up", timeout_s=10, retries=0, slots=slots)
    await client.open(url)
    return client


async def test_a_call_over_the_cap_is_busy_and_sends_nothing(upstream: Serve) -> None:
    held = Held()
    client = await _client(await upstream(held.app()), CallSlots("up", 2, queue_s=0.05))
    try:
        first = asyncio.create_task(client.request("GET", "/held/1", ok=[404]))
        second = asyncio.create_task(client.request("GET", "/held/2", ok=[404]))
        await held.until(2)
        with pytest.raises(BackendBusy) as caught:
            await client.request("GET", "/held/3", ok=[404])
        assert caught.value.http_status == 503
        assert caught.value.headers["Retry-After"] == "1"
        assert "cap of 2 concurrent calls" in caught.value.detail
        assert held.held == 2
        held.release.set()
        assert [r.status for r in await asyncio.gather(first, second)] == [404, 404]
        # The slots are back.
        assert (await client.request("GET", "/held/4", ok=[404])).status == 404
    finally:
        await client.close()


async def test_a_call_waiting_for_a_slot_goes_out_when_one_frees(upstream: Serve) -> None:
    held = Held()
    slots = CallSlots("up", 1, queue_s=10)
    client = await _client(await upstream(held.app()), slots)
    try:
        first = asyncio.create_task(client.request("GET", "/held/1", ok=[404]))
        await held.until(1)
        queued = asyncio.create_task(client.request("GET", "/held/2", ok=[404]))
        for _ in range(100):  # a few turns of the loop, no time: until it queues
            if slots.waiting:
                break
            await asyncio.sleep(0)
        assert (slots.waiting, held.held) == (1, 1)
        held.release.set()
        assert (await first).status == 404
        assert (await queued).status == 404
        assert held.held == 2
    finally:
        await client.close()


async def test_the_gateway_answers_backend_busy_as_a_problem(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    held = Held(hold="/api/assets/")  # one asset's path; the probe lists and goes on
    url = await upstream(held.app())
    config = make_config(
        {"upstream_queue_s": 0.05},
        backends={"mam": {**FLEX, "url": url, "max_concurrent": 1}},
    )
    client = await gateway(config)
    first = asyncio.create_task(client.get("/backends/mam/assets/1"))
    await held.until(1)
    busy = await client.get("/backends/mam/assets/2")
    assert busy.status == 503
    problem = await busy.json()
    assert (problem["code"], problem["backend"]) == ("backend-busy", "mam")
    assert busy.headers["Retry-After"] == "1"
    # Its probe finds the cap full too: busy serving is not down (this stand-in fails the
    # probe once it is let through).
    backends = client.app[BACKENDS]
    await backends.probe_all()
    probe = backends.backends["mam"].probe
    assert probe is not None
    assert probe.ok
    held.release.set()
    assert (await first).status == 404
    assert held.held == 1


async def test_processes_sharing_redis_share_the_cap(redis_url: str, key_prefix: str) -> None:
    stores = [RedisStore(aioredis.from_url(redis_url), key_prefix) for _ in range(2)]
    one, other = (CallSlots("mam", 1, queue_s=0.05, store=store) for store in stores)
    try:
        async with one.held():
            with pytest.raises(BackendBusy):
                async with other.held():
                    pass
        async with other.held():  # released by the first: the other process gets it
            with pytest.raises(BackendBusy):
                async with one.held():
                    pass
    finally:
        for store in stores:
            await store.close()


async def test_a_lease_left_by_a_dead_process_runs_out() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert await store.acquire_slot("slots", 1, 30, "dead-process")
    assert not await store.acquire_slot("slots", 1, 30, "alive")
    assert await store.renew_slot("slots", 30, "dead-process")
    clock.advance(29)
    assert not await store.acquire_slot("slots", 1, 30, "alive")
    clock.advance(2)
    assert not await store.renew_slot("slots", 30, "dead-process")  # lapsed: not brought back
    assert await store.acquire_slot("slots", 1, 30, "alive")
    await store.release_slot("slots", "alive")
    assert await store.acquire_slot("slots", 1, 30, "another")


async def test_redis_renews_live_leases_only(redis_url: str, key_prefix: str) -> None:
    store = RedisStore(aioredis.from_url(redis_url), key_prefix)
    try:
        assert await store.acquire_slot("slots", 1, 30, "one")
        assert not await store.acquire_slot("slots", 1, 30, "one")  # a second lease: over the cap
        assert await store.renew_slot("slots", 30, "one")
        await store.release_slot("slots", "one")
        # Released (or lapsed): a renewal that comes late never takes the slot back.
        assert not await store.renew_slot("slots", 30, "one")
        assert await store.acquire_slot("slots", 1, 30, "two")
    finally:
        await store.close()


async def test_media_transfers_take_no_slot(upstream: Serve) -> None:
    held = Held()
    client = await _client(await upstream(held.app()), CallSlots("up", 1, queue_s=0.05))
    try:
        first = asyncio.create_task(client.request("GET", "/held/1", ok=[404]))
        await held.until(1)
        with pytest.raises(BackendBusy):
            await client.request("GET", "/free", ok=[404])
        async with client.stream("GET", "/media", transfer=True) as response:
            assert response.status == 404
        held.release.set()
        await first
    finally:
        await client.close()
