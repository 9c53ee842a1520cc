"""Fan-out latency of the unified list against its slowest backend.

The gateway runs on the embedded default config (four simulators in-process), each
simulator delaying every answer by its own latency. For each backend alone
(``/assets?q=...&backend=<name>``) and for all four at once (``/assets?q=...``) the
benchmark sends ``requests`` sequential GETs and reports the median. The goal: the
fan-out takes at most the slowest backend's time plus 10 % and 2 ms.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bench import goals
from gateway.app import create_app
from gateway.auth.authenticator import AUTH
from gateway.auth.identity import Identity
from gateway.backends.runtime import BACKENDS
from gateway.config import loading as config_mod

LATENCIES_S = {"avalon": 0.005, "mediacentral": 0.010, "flex": 0.015, "azure": 0.020}
"""Each simulator's delay per answer: the backends differ, as real ones do."""
QUERY = "interview"


@dataclass(frozen=True, slots=True)
class FanOut:
    """Medians in milliseconds: each backend alone, and all of them fanned out."""

    alone: dict[str, float]
    together: float

    @property
    def slowest(self) -> str:
        """The backend slowest alone."""
        return max(self.alone, key=lambda name: self.alone[name])

    @property
    def goal_ms(self) -> float:
        """The slowest backend alone, plus 10 % and 2 ms."""
        return self.alone[self.slowest] * 1.1 + 2

    def rows(self) -> list[goals.Row]:
        """The row of goal P4."""
        slowest = self.slowest
        measured = (
            f"all {self.together:.1f} ms, {slowest} alone {self.alone[slowest]:.1f} ms "
            f"(bound {self.goal_ms:.1f} ms)"
        )
        return [goals.FANOUT.row(measured, self.together / self.goal_ms)]


async def _median_ms(session: aiohttp.ClientSession, url: str, requests: int) -> float:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        async with session.get(url) as response:
            body = await response.json()
            assert response.status == 200, body
            assert body["partial"] is False, body
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


async def main(
    config: config_mod.GatewayConfig,
    requests: int = 50,
    latencies: Mapping[str, float] = LATENCIES_S,
) -> FanOut:
    """Print the median of each backend alone and of the fan-out, and the goal; return them."""
    app = create_app(config)
    name = next(iter(config.auth.users))
    token, _ = app[AUTH].tokens.issue(Identity(name, "user", config.auth.users[name].roles))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        await app[BACKENDS].probed.wait()
        for backend in app[BACKENDS]:
            assert backend.simulator is not None
            backend.simulator.latency_s = latencies.get(backend.name, 0.0)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            url = f"{base}/assets?q={QUERY}&per_page=25"
            await _median_ms(session, url, 3)  # warm up: logins, discovery
            alone = {}
            for backend in app[BACKENDS]:
                alone[backend.name] = await _median_ms(
                    session, f"{url}&backend={backend.name}", requests
                )
            together = await _median_ms(session, url, requests)
    finally:
        await runner.cleanup()
    figures = FanOut(alone, together)
    slowest = figures.slowest
    print(f"unified list /assets?q={QUERY}: median of {requests} sequential GETs")
    for backend_name, ms in alone.items():
        delay = latencies.get(backend_name, 0.0) * 1000
        print(f"  {backend_name:<14} alone   {ms:7.2f} ms  (simulator delay {delay:.0f} ms/answer)")
    verdict = "within" if together <= figures.goal_ms else "OVER"
    print(
        f"  all four fanned out {together:7.2f} ms; slowest alone {alone[slowest]:.2f} ms "
        f"({slowest}); goal <= {figures.goal_ms:.2f} ms: {verdict}"
    )
    return figures
