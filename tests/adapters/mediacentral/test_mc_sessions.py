"""The gateway's upstream session: one login, shared, renewed, refused, ended."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.mediacentral.logins import McuxLogin
from gateway.config.schema import Secret
from gateway.upstream.client import UpstreamClient
from gateway.upstream.logins import FAILURE_HOLD_S
from gateway.web.errors import UpstreamUnavailable
from tests.support.clocks import FakeClock
from tests.support.mediacentral.fixtures import (
    BACKEND,
    FLOWS,
    PASSWORD,
    USER,
    Connect,
    SimFactory,
    counting,
)
from tests.support.mediacentral.navigator import Navigator
from tests.support.mediacentral.sessions import locations, with_clock

ALL_FLOWS = [pytest.param(flow, id=flow) for flow in FLOWS]


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_fifty_concurrent_first_requests_cause_one_login(
    simulators: SimFactory, connect: Connect, flow: str
) -> None:
    gate = asyncio.Event()
    sim = await simulators(hold_logins=gate)
    arrived, count = counting("/locations", 50)
    client = await connect(
        sim, flow, routes=lambda app: app.middlewares.append(count), wait_probed=False
    )
    nav = Navigator(client)
    href = nav.href(await nav.backend(BACKEND), "mc:locations")
    calls = [asyncio.create_task(nav.request("GET", href)) for _ in range(50)]
    try:
        # Every request is inside the gateway before the (single) login may finish.
        await arrived.wait()
    finally:
        gate.set()
    answers = await asyncio.gather(*calls)
    assert [response.status for response, _ in answers] == [200] * 50
    assert sim.counters.login_attempts == 1
    assert sim.counters.logins == 1
    assert sim.counters.registry_reads == 1


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_a_token_that_expires_between_two_calls_is_renewed_unnoticed(
    simulators: SimFactory, connect: Connect, flow: str
) -> None:
    sim = await simulators(token_life_s=600)
    nav = Navigator(await connect(sim, flow))
    href, before = await locations(nav)
    sim.advance(601)  # the platform ends the session; the gateway has not noticed yet
    assert await nav.get(href) == before
    assert sim.counters.unauthenticated == 1
    assert sim.counters.logins == 2
    assert len(sim.platform.live_sessions()) == 1


async def test_many_calls_on_an_expired_session_log_in_again_once(
    simulators: SimFactory, connect: Connect
) -> None:
    gate = asyncio.Event()
    gate.set()
    sim = await simulators(token_life_s=600, hold_logins=gate)
    nav = Navigator(await connect(sim))
    href, before = await locations(nav)
    gate.clear()
    sim.advance(601)
    refused = sim.when(lambda counters: counters.unauthenticated == 20)
    calls = [asyncio.create_task(nav.get(href)) for _ in range(20)]
    # Every call has been refused with the old session before the new login may finish.
    try:
        await refused.wait()
    finally:
        gate.set()
    assert await asyncio.gather(*calls) == [before] * 20
    assert sim.counters.logins == 2


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_a_session_is_extended_before_it_expires(
    simulators: SimFactory, connect: Connect, flow: str
) -> None:
    clock = FakeClock()
    sim = await simulators(token_life_s=100, clock=clock)
    nav = Navigator(await connect(sim, flow, routes=with_clock(clock)))
    href, before = await locations(nav)
    for round_ in (1, 2, 3):
        clock.advance(85)  # 15 s of life left: renewal is due, the session still valid
        assert await nav.get(href) == before
        assert sim.counters.extensions == round_
    assert sim.counters.logins == 1
    assert sim.counters.unauthenticated == 0  # never sent an expired session


@pytest.mark.parametrize(
    ("flow", "keys", "upstream_code", "secret"),
    [
        pytest.param(
            "mcux",
            {"password": "not-the-password"},
            "avid.auth/LOGIN_FAILED",
            "not-the-password",
            id="mcux-password",
        ),
        pytest.param(
            "oauth2-client-credentials",
            {"client_secret": "not-the-secret"},
            "invalid_client",
            "not-the-secret",
            id="oauth2-client-secret",
        ),
        pytest.param(
            "oauth2-password",
            {"password": "not-the-password"},
            "invalid_grant",
            "not-the-password",
            id="oauth2-user-password",
        ),
    ],
)
async def test_wrong_upstream_credentials_answer_503_naming_the_backend(
    simulators: SimFactory,
    connect: Connect,
    flow: str,
    keys: dict[str, Any],
    upstream_code: str,
    secret: str,
) -> None:
    sim = await simulators()
    nav = Navigator(await connect(sim, flow, keys))
    backend = await nav.backend(BACKEND)
    for href in (
        nav.href(backend, "mc:locations"),
        nav.href(backend, "mc:search", search="fire"),
    ):
        problem = await nav.problem("GET", href, 503)
        assert problem["code"] == "upstream-login-failed"
        assert problem["backend"] == BACKEND
        assert problem["upstream_code"] == upstream_code
        assert BACKEND in problem["detail"]
    listing = await nav.get(nav.base + "/backends")
    [summary] = nav.embedded(listing, "gw:backend")
    assert summary["ready"] is False
    assert sim.counters.logins == 0
    assert not any(secret in text for text in nav.seen)
    assert nav.leaks(sim.url) == []


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_the_session_ends_upstream_when_the_gateway_stops(
    simulators: SimFactory, connect: Connect, flow: str
) -> None:
    sim = await simulators()
    client = await connect(sim, flow)
    await locations(Navigator(client))
    assert len(sim.platform.live_sessions()) == 1
    await client.close()
    assert sim.counters.logouts == 1
    assert sim.platform.live_sessions() == []


async def test_a_platform_that_drops_every_session_at_once_answers_503_not_401(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(token_life_s=0)
    nav = Navigator(await connect(sim))
    problem = await nav.problem("GET", nav.href(await nav.backend(BACKEND), "mc:locations"), 503)
    assert problem["code"] == "upstream-login-failed"
    assert problem["upstream_code"] == "avid.upstream/UNAUTHENTICATED"
    assert problem["backend"] == BACKEND


async def test_a_gateway_that_never_logged_in_does_not_log_out(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators()
    client = await connect(sim, keys={"password": "wrong"})
    await client.close()
    assert sim.counters.logouts == 0


async def test_a_late_refusal_of_the_old_session_keeps_the_new_one(
    simulators: SimFactory,
) -> None:
    sim = await simulators()
    login = McuxLogin(BACKEND, USER, Secret(PASSWORD))
    client = UpstreamClient(BACKEND, timeout_s=10, retries=0, auth=login)
    await client.open(sim.url)
    try:
        sent, answered = asyncio.Event(), asyncio.Event()

        async def slow_request() -> None:
            await login.headers(client)  # goes out with the first session...
            sent.set()
            await answered.wait()
            await login.invalidate()  # ...whose 401 comes back after a new login

        slow = asyncio.create_task(slow_request())
        await sent.wait()
        first = dict(await login.headers(client))
        await login.invalidate()  # this request's 401: the first session is gone
        second = dict(await login.headers(client))
        assert second != first
        answered.set()
        await slow
        assert dict(await login.headers(client)) == second
        assert sim.counters.logins == 2
    finally:
        await client.close()
    assert sim.counters.logouts == 1


WRONG = [
    pytest.param("mcux", {"password": "not-the-password"}, id="mcux"),
    pytest.param("oauth2-client-credentials", {"client_secret": "not-it"}, id="oauth2-client"),
]


@pytest.mark.parametrize(("flow", "keys"), WRONG)
async def test_fifty_concurrent_requests_with_wrong_credentials_cost_one_login_attempt(
    simulators: SimFactory, connect: Connect, flow: str, keys: dict[str, str]
) -> None:
    gate = asyncio.Event()
    sim = await simulators(hold_logins=gate)
    arrived, count = counting("/locations", 50)
    client = await connect(
        sim, flow, keys, routes=lambda app: app.middlewares.append(count), wait_probed=False
    )
    nav = Navigator(client)
    href = nav.href(await nav.backend(BACKEND), "mc:locations")
    calls = [asyncio.create_task(nav.request("GET", href)) for _ in range(50)]
    try:
        await arrived.wait()
    finally:
        gate.set()
    answers = await asyncio.gather(*calls)
    assert [response.status for response, _ in answers] == [503] * 50
    assert {body["code"] for _, body in answers} == {"upstream-login-failed"}
    assert sim.counters.login_attempts == 1


async def test_a_refused_login_is_tried_again_once_its_hold_is_over(
    simulators: SimFactory, connect: Connect
) -> None:
    clock = FakeClock()
    sim = await simulators()
    nav = Navigator(
        await connect(sim, keys={"password": "not-the-password"}, routes=with_clock(clock))
    )
    href = nav.href(await nav.backend(BACKEND), "mc:locations")
    for _ in range(3):
        await nav.problem("GET", href, 503)
    assert sim.counters.login_attempts == 1  # the readiness probe's
    clock.advance(FAILURE_HOLD_S)
    problem = await nav.problem("GET", href, 503)
    assert problem["code"] == "upstream-login-failed"
    assert sim.counters.login_attempts == 2


async def test_a_mcux_login_that_answers_see_other_with_its_cookie_is_taken(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(mcux_redirect=True)
    nav = Navigator(await connect(sim))
    _, root = await locations(nav)
    assert root["common"]["name"] == "Newsroom"
    assert sim.counters.logins == 1


async def test_a_request_after_the_logout_does_not_log_in_again(simulators: SimFactory) -> None:
    sim = await simulators()
    login = McuxLogin(BACKEND, USER, Secret(PASSWORD))
    client = UpstreamClient(BACKEND, timeout_s=10, retries=0, auth=login)
    await client.open(sim.url)
    try:
        await login.headers(client)
        await login.close(client)
        with pytest.raises(UpstreamUnavailable, match="shutting down"):
            await login.headers(client)
    finally:
        await client.close()
    assert sim.counters.logins == 1
    assert sim.counters.logouts == 1
    assert sim.platform.live_sessions() == []
