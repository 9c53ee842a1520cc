"""Per-identity rate limits: a token bucket per logged-in identity.

Each logged-in request takes a token; an empty bucket is a 429 ``rate-limited`` problem
with ``Retry-After``, before any upstream is called; every answer to a logged-in
caller carries the IETF ``RateLimit-Policy`` and ``RateLimit`` fields.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.app import STORE
from gateway.auth.identity import Identity
from gateway.auth.ratelimit import RateLimiter
from gateway.config.server import ServerConfig
from gateway.state.memory_store import MemoryStore
from gateway.web.routing import Route, add_route
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import bearer


def counted(calls: list[str]) -> Any:
    """Routes the test can count: ``GET /counted`` (a user route) records each call."""

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.headers.get("Authorization", ""))
        return web.json_response({"ok": True})

    def add(app: web.Application) -> None:
        add_route(app, Route("GET", "/counted", handler, produces=("application/json",)))

    return add


async def test_a_caller_over_its_burst_gets_429_and_the_handler_is_not_run(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    calls: list[str] = []
    config = make_config({"rate_limit_burst": 3, "rate_limit_per_s": 0.5})
    client = await gateway(config, routes=counted(calls))
    seen = []
    for _ in range(3):
        response = await client.get("/counted")
        assert response.status == 200
        assert response.headers["RateLimit-Policy"] == '"requests";q=3;w=6'
        seen.append(response.headers["RateLimit"])
    # Remaining counts down; once none is left, the next comes in one token's refill (2 s).
    assert seen == ['"requests";r=2;t=0', '"requests";r=1;t=0', '"requests";r=0;t=2']

    over = await client.get("/counted")
    assert over.status == 429
    problem = await over.json()
    assert problem["code"] == "rate-limited"
    assert problem["transient"] is True
    assert "3 requests at once" in problem["detail"]
    # One token comes back every 2 s: the whole wait, rounded up.
    assert over.headers["Retry-After"] == "2"
    assert problem["retry_after_s"] == 2
    assert over.headers["RateLimit"] == '"requests";r=0;t=2'
    assert over.headers["Content-Type"].startswith("application/problem+json")
    assert len(calls) == 3


async def test_buckets_are_per_identity(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    calls: list[str] = []
    client = await gateway(make_config({"rate_limit_burst": 2}), routes=counted(calls))
    for _ in range(2):
        assert (await client.get("/counted")).status == 200
    assert (await client.get("/counted")).status == 429
    editor = bearer(client.app, "editor")
    robot = bearer(client.app, "ingest-bot", "client")
    assert (await client.get("/counted", headers=editor)).status == 200
    assert (await client.get("/counted", headers=robot)).status == 200
    assert len(calls) == 4


async def test_errors_carry_the_fields_and_count_too(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"rate_limit_burst": 2}))
    missing = await client.get("/backends/flex/assets/no-such-asset-anywhere")
    assert missing.status == 404
    assert missing.headers["RateLimit"].startswith('"requests";r=1;')
    assert (await client.get("/no/such/route")).status == 404
    assert (await client.get("/backends/flex")).status == 429


async def test_anonymous_requests_are_not_counted(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"rate_limit_burst": 1}), user=None)
    for _ in range(5):
        root = await client.get("/", headers={"Accept": "application/hal+json"})
        assert root.status == 200
        assert "RateLimit" not in root.headers


async def test_a_rate_of_zero_turns_the_limit_off(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    calls: list[str] = []
    client = await gateway(
        make_config({"rate_limit_burst": 1, "rate_limit_per_s": 0}), routes=counted(calls)
    )
    for _ in range(5):
        response = await client.get("/counted")
        assert response.status == 200
        assert "RateLimit" not in response.headers
    assert len(calls) == 5


async def test_the_bucket_refills_at_its_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        ServerConfig(rate_limit_burst=2, rate_limit_per_s=4.0), MemoryStore(clock=clock)
    )
    who = Identity("maria", "user", frozenset({"editor"}))
    assert [(await limiter.take(who)).allowed for _ in range(3)] == [True, True, False]
    clock.advance(0.2)  # 0.8 of a token: not yet
    refused = await limiter.take(who)
    assert not refused.allowed
    assert round(refused.wait_s(), 6) == 0.05
    clock.advance(0.05)
    assert (await limiter.take(who)).allowed
    clock.advance(10)  # long idle: full again, never beyond the burst
    taken = [(await limiter.take(who)).allowed for _ in range(3)]
    assert taken == [True, True, False]


async def test_a_caller_refused_for_its_rate_is_served_again_once_the_bucket_refills(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    calls: list[str] = []
    config = make_config({"rate_limit_burst": 2, "rate_limit_per_s": 0.5})
    client = await gateway(config, routes=counted(calls))
    clock = FakeClock()
    client.app[STORE].clock = clock  # buckets refill by the state store's clock

    async def statuses(count: int) -> list[int]:
        return [(await client.get("/counted")).status for _ in range(count)]

    assert await statuses(3) == [200, 200, 429]
    clock.advance(1.9)  # not yet a whole token (one every 2 s)
    refused = await client.get("/counted")
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "1"
    clock.advance(0.1)
    assert await statuses(2) == [200, 429]
    clock.advance(3600)  # long idle: the whole burst again, never more
    assert await statuses(3) == [200, 200, 429]
    assert len(calls) == 5
