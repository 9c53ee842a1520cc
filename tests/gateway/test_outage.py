"""An upstream that goes down under load and comes back: the circuit breaker end to end.

The Avalon simulator serves on a loopback port and is stopped while requests run. Once
the backend's breaker is open the gateway answers at once, without a connection to the
port (a listening socket there records every one), the unified list reports the backend
as partial without asking its adapter, and soon after the upstream is back the backend
serves again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from gateway.backends.runtime import BACKENDS
from gateway.spi import AssetPage, AssetQuery
from tests.support.clocks import FakeClock
from tests.support.fixtures import FLEX, ConfigFactory, GatewayFactory
from tests.support.polling import await_until

OPEN_S = 0.5
TIMEOUT_S = 10.0
"""The backend's budget: what a call that reached the silent listener would wait."""
LIST = "/backends/archive/media-objects?per_page=1"


async def _load(client: TestClient[Any, Any], stop: asyncio.Event, seen: list[int]) -> None:
    while not stop.is_set():
        async with client.get(LIST) as response:
            await response.read()
            seen.append(response.status)


async def _timed(call: Awaitable[Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await call
    return result, time.perf_counter() - started


async def test_a_dead_upstream_is_left_alone_and_served_again_once_back(
    gateway: GatewayFactory, make_config: ConfigFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = AvalonSimulator(purge_delay_s=3600)
    url = await sim.start()
    port = urlsplit(url).port
    assert port is not None
    config = make_config(
        {
            "breaker_failures": 3,
            "breaker_open_s": OPEN_S,
            "probe_interval_s": 3600,  # only the requests of the test reach the upstream
            "fanout_budget_s": TIMEOUT_S,
            "rate_limit_per_s": 0,
        },
        backends={
            "archive": {
                "kind": "avalon",
                "url": url,
                "api_key": DEFAULT_ADMIN_KEY,
                "retries": 0,
                "timeout_s": TIMEOUT_S,
            },
            "flex": FLEX,
        },
    )
    client = await gateway(config)
    archive = client.app[BACKENDS].backends["archive"]
    breaker = archive.breaker
    # Frozen while the upstream is away: the breaker stays open however long that takes.
    breaker.clock = FakeClock(time.monotonic())
    recorder: asyncio.Server | None = None
    back: AvalonSimulator | None = None
    try:
        # Under load, the upstream goes away.
        stop, seen = asyncio.Event(), list[int]()
        load = [asyncio.create_task(_load(client, stop, seen)) for _ in range(8)]
        await await_until(lambda: seen.count(200) >= 16, "serving under load")
        await sim.close()
        await await_until(lambda: breaker.state == "open", "the breaker opening")
        stop.set()
        await asyncio.gather(*load)
        assert set(seen) == {200, 503}

        # Whoever listens on its port now never hears from the gateway. It would hold a
        # call that came (it never answers) until the backend's timeout_s: that no
        # connection reaches it is the proof.
        accepted: list[asyncio.StreamWriter] = []

        def record(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.append(writer)

        recorder = await asyncio.start_server(record, "127.0.0.1", port)
        took = []
        for _ in range(50):
            response, elapsed = await _timed(client.get(LIST))
            problem = await response.json()
            took.append(elapsed)
            assert response.status == 503
            assert (problem["code"], problem["backend"]) == ("backend-unavailable", "archive")
            assert response.headers["Retry-After"] == "1"
        # None of them waited anywhere near timeout_s for the silent listener.
        assert max(took) < TIMEOUT_S / 4, [f"{t:.3f} s" for t in took]
        # The unified list does not even ask the backend's adapter: partial, with the
        # breaker's problem, the others' items in it.
        asked: list[AssetQuery] = []
        listed = archive.adapter.list_assets

        async def list_assets(query: AssetQuery) -> AssetPage:
            asked.append(query)
            return await listed(query)

        monkeypatch.setattr(archive.adapter, "list_assets", list_assets)
        response, elapsed = await _timed(client.get("/assets?per_page=5"))
        listing = await response.json()
        assert response.status == 200
        assert elapsed < TIMEOUT_S / 4
        assert listing["partial"] is True
        [problem] = listing["_embedded"]["gw:problem"]
        assert (problem["backend"], problem["code"]) == ("archive", "backend-unavailable")
        assert problem["status"] == 503
        assert {a["backend"] for a in listing["_embedded"]["gw:asset"]} == {"flex"}
        assert asked == []
        assert accepted == []

        # The upstream comes back; real time runs again, the breaker waits OPEN_S at most.
        recorder.close()
        await recorder.wait_closed()
        recorder = None
        back = AvalonSimulator(purge_delay_s=3600)
        await back.start("127.0.0.1", port)
        returned = time.monotonic()
        breaker.clock = time.monotonic
        statuses: list[int] = []

        async def served() -> bool:
            async with client.get(LIST) as response:
                statuses.append(response.status)
                return response.status == 200

        # Back within OPEN_S, however busy the machine: a bound far above it.
        while not await served():
            assert time.monotonic() - returned < OPEN_S + 10, statuses
            await asyncio.sleep(0.01)
        assert breaker.state == "closed"
        assert set(statuses) <= {200, 503}
    finally:
        if recorder is not None:
            recorder.close()
        for simulator in (sim, back):
            if simulator is not None:
                await simulator.close()
