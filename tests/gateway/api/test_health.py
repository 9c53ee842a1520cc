"""Liveness and readiness over HTTP."""

from __future__ import annotations

from typing import Any

from gateway.backends.runtime import BACKENDS, Backend
from gateway.web.serving import DRAIN, Drain
from tests.support.clocks import FakeClock
from tests.support.fixtures import FLEX, ConfigFactory, GatewayFactory
from tests.support.identities import bearer
from tests.support.navigator import PROBLEM
from tests.support.problems import assert_problem


async def test_healthz_is_always_200(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_readyz_is_200_when_every_backend_answers(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ready"
    assert {name: (b["ready"], b["breaker"]) for name, b in body["backends"].items()} == {
        "flex": (True, "closed"),
        "azure": (True, "closed"),
    }
    anonymous = await client.get("/readyz", headers={"Authorization": ""})
    assert await anonymous.json() == {
        "status": "ready",
        "ready": 2,
        "not_ready": 0,
        "_links": {"self": {"href": str(client.make_url("/readyz"))}},
    }


def _down(port: int, **more: Any) -> dict[str, Any]:
    return {"kind": "azure", "url": f"http://127.0.0.1:{port}", "token": "t", "retries": 0, **more}


async def test_one_backend_down_leaves_the_gateway_ready_but_degraded(
    gateway: GatewayFactory, make_config: ConfigFactory, unused_tcp_port: int
) -> None:
    # One failed call opens its breaker: the probe's own failure counts.
    down = _down(unused_tcp_port, breaker_failures=1, breaker_open_s=60)
    config = make_config(backends={"flex": FLEX, "down": down})
    client = await gateway(config)
    response = await client.get("/readyz")
    assert response.status == 200  # the other backend goes on being served
    body = await response.json()
    assert (body["status"], body["ready"], body["not_ready"]) == ("degraded", 1, 1)
    seen = body["backends"]["down"]
    assert (seen["ready"], seen["breaker"], seen["probe_failures"]) == (False, "open", 1)
    assert_problem(seen["problem"], 503, response.headers["X-Request-Id"])
    assert seen["problem"]["code"] == "backend-not-ready"
    assert body["backends"]["flex"]["ready"] is True
    assert "problem" not in body["backends"]["flex"]
    assert f"{unused_tcp_port}" not in await response.text()
    # Anybody else learns how many, not which nor why: those describe the deployment.
    for user in (None, "editor"):
        headers = {"Authorization": ""} if user is None else bearer(client.app, user)
        anonymous = await client.get("/readyz", headers=headers)
        assert anonymous.status == 200
        shown = await anonymous.json()
        assert (shown["status"], shown["ready"], shown["not_ready"]) == ("degraded", 1, 1)
        assert "backends" not in shown
        assert "down" not in await anonymous.text()
    admin = await (await client.get("/admin")).json()
    assert {b["name"]: (b["ready"], b["breaker"]) for b in admin["backends"]} == {
        "flex": (True, "closed"),
        "down": (False, "open"),
    }
    listing = await (await client.get("/backends")).json()
    assert {b["name"]: b["ready"] for b in listing["_embedded"]["gw:backend"]} == {
        "flex": True,
        "down": False,
    }


async def test_readyz_is_503_when_no_backend_is_ready(
    gateway: GatewayFactory, make_config: ConfigFactory, unused_tcp_port: int
) -> None:
    client = await gateway(make_config(backends={"down": _down(unused_tcp_port)}))
    response = await client.get("/readyz")
    assert response.status == 503
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, 503, response.headers["X-Request-Id"])
    assert (body["code"], body["ready"], body["not_ready"]) == ("not-ready", 0, 1)
    assert body["detail"] == "none of the 1 backends is ready"
    assert body["backends"]["down"]["problem"]["status"] == 503
    assert f"{unused_tcp_port}" not in await response.text()
    anonymous = await client.get("/readyz", headers={"Authorization": ""})
    assert anonymous.status == 503
    assert "down" not in await anonymous.text()


def _opened(backend: Backend) -> FakeClock:
    """Open ``backend``'s breaker with failures of its own; the clock it now runs on."""
    clock = FakeClock()
    backend.breaker.clock = clock
    for _ in range(backend.breaker.failures):
        backend.breaker.failed(backend.breaker.admit())
    return clock


async def test_a_probe_that_is_the_trial_of_a_half_open_breaker_closes_it(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    backends = client.app[BACKENDS]
    flex = backends.backends["flex"]
    clock = _opened(flex)
    assert not flex.ready
    degraded = await (await client.get("/readyz")).json()
    assert (degraded["status"], degraded["backends"]["flex"]["breaker"]) == ("degraded", "open")
    clock.advance(flex.breaker.open_s)
    await backends.probe_all()
    assert flex.breaker.state == "closed"
    assert (await (await client.get("/readyz")).json())["status"] == "ready"


async def test_a_probe_the_open_breaker_refuses_is_no_failed_probe(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    backends = client.app[BACKENDS]
    flex = backends.backends["flex"]
    assert flex.probe is not None
    assert flex.probe.ok
    clock = _opened(flex)
    await backends.probe_all()  # refused at once: nothing probed
    facts = (await (await client.get("/readyz")).json())["backends"]["flex"]
    assert (facts["breaker"], facts["probe_failures"]) == ("open", 0)
    clock.advance(flex.breaker.open_s)
    # A client's call is the trial: its answer (the upstream's 404) closes the breaker, and
    # the backend is ready at once, not after the next probe.
    assert (await client.get("/backends/flex/assets/999999")).status == 404
    assert flex.breaker.state == "closed"
    assert (await (await client.get("/readyz")).json())["status"] == "ready"


async def test_readyz_is_503_draining_once_the_gateway_shuts_down(
    gateway: GatewayFactory,
) -> None:
    drain = Drain()
    client = await gateway(routes=lambda app: app.__setitem__(DRAIN, drain))
    assert (await client.get("/readyz")).status == 200
    drain.begin()
    for headers in ({}, {"Authorization": ""}):
        response = await client.get("/readyz", headers=headers)
        assert response.status == 503
        assert response.content_type == PROBLEM
        body = await response.json()
        assert body["code"] == "draining"
        assert body["ready"] == 2  # the backends are fine: the process is going away
    # Everything else is still answered while the requests in flight finish.
    assert (await client.get("/backends/flex")).status == 200
