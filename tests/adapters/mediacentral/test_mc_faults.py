"""A broken or incomplete platform, as the gateway's clients see it: problems, no hosts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.mediacentral.fixtures import BACKEND, Connect, SimFactory
from tests.support.mediacentral.navigator import Navigator


@pytest.mark.parametrize(
    ("faults", "status", "code"),
    [
        pytest.param({"fail_status": 503}, 503, "upstream-login-failed", id="failing"),
        pytest.param({"drop_connections": True}, 503, "upstream-unavailable", id="dropping"),
        pytest.param({"latency_s": 0.5}, 408, "upstream-timeout", id="too-slow"),
    ],
)
async def test_a_broken_platform_answers_a_problem_without_its_host(
    simulators: SimFactory, connect: Connect, faults: dict[str, Any], status: int, code: str
) -> None:
    sim = await simulators(**faults)
    nav = Navigator(await connect(sim, keys={"timeout_s": 0.05, "retries": 0}))
    backend = await nav.backend(BACKEND)
    problem = await nav.problem("GET", nav.href(backend, "mc:locations"), status)
    assert problem["code"] == code
    assert problem["backend"] == BACKEND
    assert nav.leaks(sim.url) == []


async def test_a_service_the_registry_does_not_advertise_answers_503_naming_it(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(unadvertised=("search:simple-search",))
    nav = Navigator(await connect(sim))
    backend = await nav.backend(BACKEND)
    problem = await nav.problem("GET", nav.href(backend, "mc:search", search="fire"), 503)
    assert problem["backend"] == BACKEND
    assert "search:simple-search" in problem["detail"]
    assert (await nav.get(nav.href(backend, "mc:locations")))["common"]["name"] == "Newsroom"


async def test_a_registry_that_refuses_a_fresh_session_is_the_gateways_503(
    simulators: SimFactory, connect: Connect
) -> None:
    sim = await simulators(refuse_registry=True)
    nav = Navigator(await connect(sim))
    backend = await nav.backend(BACKEND)
    problem = await nav.problem("GET", nav.href(backend, "mc:locations"), 503)
    assert problem["code"] == "upstream-login-failed"
    assert problem["upstream_code"] == "avid.upstream/UNAUTHENTICATED"
    assert nav.leaks(sim.url) == []
