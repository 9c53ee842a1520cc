"""Liveness and readiness over HTTP."""

from __future__ import annotations

from tests.support.fixtures import ConfigFactory, GatewayFactory
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
    assert (await response.json())["backends"] == {"flex": "ready", "azure": "ready"}
    anonymous = await client.get("/readyz", headers={"Authorization": ""})
    assert await anonymous.json() == {
        "status": "ready",
        "ready": 2,
        "_links": {"self": {"href": str(client.make_url("/readyz"))}},
    }


async def test_readyz_is_503_listing_the_backends_that_do_not(
    gateway: GatewayFactory, make_config: ConfigFactory, unused_tcp_port: int
) -> None:
    down = {
        "kind": "azure",
        "url": f"http://127.0.0.1:{unused_tcp_port}",
        "token": "t",
        "retries": 0,
    }
    config = make_config(
        backends={
            "flex": {"kind": "flex", "url": "simulator", "username": "u", "password": "p"},
            "down": down,
        }
    )
    client = await gateway(config)
    response = await client.get("/readyz")
    assert response.status == 503
    assert response.content_type == PROBLEM
    body = await response.json()
    assert_problem(body, 503, response.headers["X-Request-Id"])
    assert [(p["backend"], p["status"]) for p in body["backends"]] == [("down", 503)]
    assert f"{unused_tcp_port}" not in await response.text()
    # Anybody else learns how many, not which nor why: those describe the deployment.
    for user in (None, "editor"):
        headers = {"Authorization": ""} if user is None else bearer(client.app, user)
        anonymous = await client.get("/readyz", headers=headers)
        assert anonymous.status == 503
        shown = await anonymous.json()
        assert shown["detail"] == "1 of 2 backends are not ready"
        assert "backends" not in shown
        assert "down" not in await anonymous.text()
