"""Latency and throughput of the gateway's own documents (root, registry, backend roots).

The gateway runs on the embedded default config (four simulators in-process) on a
loopback port; a client session sends ``requests`` GETs with ``concurrency`` in flight.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp
from aiohttp import web

from gateway.app import create_app
from gateway.auth.authenticator import AUTH
from gateway.auth.identity import Identity
from gateway.config import loading as config_mod

PATHS = ("/", "/serviceroots", "/backends", "/backends/avalon")


async def _measure(
    session: aiohttp.ClientSession, url: str, requests: int, concurrency: int
) -> tuple[list[float], float]:
    latencies: list[float] = []
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            start = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


async def main(config: config_mod.GatewayConfig, requests: int, concurrency: int) -> None:
    """Print p50/p99 latency and requests per second for each document."""
    app = create_app(config)
    # A logged-in caller, as every real one is: the bearer token is checked per request.
    name = next(iter(config.auth.users))
    token, _ = app[AUTH].tokens.issue(Identity(name, "user", config.auth.users[name].roles))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    print(f"gateway documents: {requests} GETs each, {concurrency} in flight")
    try:
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            for path in PATHS:
                await _measure(session, base + path, 50, 4)  # warm up
                latencies, elapsed = await _measure(session, base + path, requests, concurrency)
                cuts = statistics.quantiles(latencies, n=100)
                print(
                    f"  {path:<20} p50 {cuts[49] * 1000:6.2f} ms  p99 {cuts[98] * 1000:6.2f} ms  "
                    f"{requests / elapsed:8.0f} req/s"
                )
    finally:
        await runner.cleanup()
