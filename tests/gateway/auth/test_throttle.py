"""Failed logins are throttled per user name and per address, in a sliding window."""

from __future__ import annotations

import asyncio

import pytest

from gateway.auth.throttle import LoginThrottle
from gateway.config.auth import AuthConfig
from gateway.state.memory_store import MemoryStore
from gateway.web.errors import TooManyRequests
from gateway.web.statuses import STATUS_TABLE
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS, auth_table


async def test_the_limit_holds_until_the_oldest_failure_leaves_the_window() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(
        AuthConfig(login_attempts=3, login_window_s=60), MemoryStore(clock), clock
    )
    for step in range(3):
        clock.now += 10 * bool(step)  # failures at 0, 10 and 20 s
        await throttle.check("editor", "10.0.0.1")
        await throttle.failed("editor", "10.0.0.1")
    with pytest.raises(TooManyRequests) as caught:
        await throttle.check("editor", "10.0.0.2")  # the name is over the limit anywhere
    assert caught.value.headers["Retry-After"] == "40"  # the first failure leaves at 60 s
    clock.now += 39
    with pytest.raises(TooManyRequests):
        await throttle.check("Editor", "10.0.0.3")  # names count case-insensitively
    clock.now += 1.5
    await throttle.check("editor", "10.0.0.2")  # the window slid past the first failure


async def test_one_address_trying_many_names_is_throttled_too() -> None:
    clock = FakeClock()
    throttle = LoginThrottle(
        AuthConfig(login_attempts=2, login_window_s=60), MemoryStore(clock), clock
    )
    await throttle.failed("alice", "10.0.0.9")
    await throttle.failed("bob", "10.0.0.9")
    with pytest.raises(TooManyRequests):
        await throttle.check("carol", "10.0.0.9")
    await throttle.check("carol", "10.0.0.10")


async def test_too_many_failed_logins_are_429_with_retry_after_even_with_the_right_password(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(auth=auth_table(login_attempts=3, login_window_s=120))
    client = await gateway(config, user=None)
    for _ in range(3):
        response = await client.post(
            "/auth/login", json={"username": "editor", "password": "guess-guess"}
        )
        assert response.status == 401
    right = {"username": "editor", "password": USERS["editor"][0]}
    throttled = await client.post("/auth/login", json=right)
    assert throttled.status == 429
    assert 429 in STATUS_TABLE
    assert 1 <= int(throttled.headers["Retry-After"]) <= 120
    body = await throttled.json()
    assert (body["code"], body["transient"]) == ("too-many-requests", True)
    # The token endpoint counts the same failures, and unknown names answer alike.
    token = await client.post("/auth/token", data={"grant_type": "password", **right})
    assert token.status == 429
    ghost = await client.post("/auth/login", json={"username": "ghost", "password": "x" * 9})
    assert ghost.status == 429  # the address is over the limit as well


async def test_concurrent_guesses_cannot_outrun_the_limit(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(login_attempts=3)), user=None)
    guesses = [{"username": "editor", "password": f"guess-{n:04d}"} for n in range(20)]
    answers = await asyncio.gather(*(client.post("/auth/login", json=g) for g in guesses))
    statuses = sorted(a.status for a in answers)
    assert statuses == [401] * 3 + [429] * 17


async def test_behind_a_trusted_proxy_the_address_is_the_hop_it_saw(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(server={"trust_forwarded": True}, auth=auth_table(login_attempts=2))
    client = await gateway(config, user=None)
    for n in range(2):
        # The client writes whatever it likes before the proxy's own entry.
        headers = {"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.7"}
        wrong = {"username": f"name-{n}", "password": "wrong-guess"}
        assert (await client.post("/auth/login", json=wrong, headers=headers)).status == 401
    again = {"X-Forwarded-For": "192.0.2.99, 203.0.113.7"}
    third = {"username": "name-3", "password": "wrong-guess"}
    assert (await client.post("/auth/login", json=third, headers=again)).status == 429
    elsewhere = {"X-Forwarded-For": "203.0.113.8"}
    assert (await client.post("/auth/login", json=third, headers=elsewhere)).status == 401
