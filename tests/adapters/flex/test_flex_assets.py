"""Flex assets through the gateway: links, creation, unknown ids, upstream messages, actions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.flex.simulator import MEDIA_TYPE, FlexSimulator
from gateway.backends.runtime import BACKENDS
from tests.support.fixtures import ConfigFactory, GatewayFactory, StartSimulator
from tests.support.flex.fixtures import NEWS, PACKAGE, PASSWORD, REEL, USER
from tests.support.flex.navigator import PROBLEM, Navigator

# --- assets ------------------------------------------------------------------------------


async def test_an_asset_links_its_sub_resources(nav: Navigator) -> None:
    news = await nav.asset(NEWS)
    assert "href" not in news
    assert (await nav.follow(news, "flex:object-type"))["name"] == "media-asset"
    assert (await nav.follow(news, "flex:account"))["name"] == "Master Account"
    for rel in ("flex:metadata", "flex:annotations", "flex:keyframes", "flex:actions"):
        doc = await nav.follow(news, rel)
        assert doc["_links"]["flex:asset"]["href"] == news["_links"]["self"]["href"]
    children = await nav.follow(news, "flex:children")
    proxy = children["_embedded"]["flex:asset"][0]
    assert proxy["name"] == NEWS + " (proxy)"
    assert proxy["parent"]["href"] == news["_links"]["self"]["href"]
    history = await nav.follow(news, "flex:history")
    assert history["_embedded"]["flex:event"][0]["eventType"] == "Asset Created"
    assert "flex:members" not in news["_links"]
    parents = await nav.follow(news, "flex:parents")
    group = await nav.follow(parents["_embedded"]["flex:parent"][0], "collection")
    assert group["name"] == PACKAGE
    assert "flex:members" in group["_links"]


async def test_assets_are_created_and_updated(nav: Navigator) -> None:
    backend = await nav.backend()
    response, created = await nav.request(
        "POST", nav.href(backend, "flex:assets"), json={"name": "Rushes", "fileAssetType": "VIDEO"}
    )
    assert response.status == 201
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert (created["name"], created["size"], created["approved"]) == ("Rushes", 0, False)
    response, updated = await nav.request(
        "PUT", response.headers["Location"], json={"displayName": "Day 1 rushes"}
    )
    assert response.status == 200
    assert updated["displayName"] == "Day 1 rushes"
    assert (await nav.follow(backend, "flex:asset", id=created["id"]))["displayName"] == (
        "Day 1 rushes"
    )
    response, problem = await nav.request("POST", nav.href(backend, "flex:assets"), json={})
    assert response.status == 400
    assert problem["errors"] == ["name is required"]


@pytest.mark.parametrize(
    ("asset_id", "upstream"),
    [
        pytest.param("999999", 404, id="unknown"),
        pytest.param("12;deleted=true", None, id="matrix-injection"),
        pytest.param("twelve", None, id="not-a-number"),
        # Digits to str.isdigit, no number to Flex (whose answer was a 500).
        pytest.param("\u00b9", None, id="superscript-digit"),
        pytest.param("\u0661\u0662", None, id="arabic-indic-digits"),
    ],
)
async def test_unknown_assets_are_404(nav: Navigator, asset_id: str, upstream: int | None) -> None:
    href = nav.href(await nav.backend(), "flex:asset", id=asset_id)
    response, problem = await nav.request("GET", href)
    assert response.status == 404
    assert problem.get("upstream_status") == upstream


async def test_wrong_upstream_credentials_are_503_login_failed_without_the_password(
    nav: Navigator, simulator: FlexSimulator
) -> None:
    backend = await nav.backend("misconfigured")
    refused = simulator.refusals
    problem = await nav.problem("GET", nav.href(backend, "flex:assets"), 503)
    assert problem["code"] == "upstream-login-failed"
    assert problem["backend"] == "misconfigured"
    assert problem["errors"] == ["Invalid username or password"]
    assert "not-the-password" not in json.dumps(problem)
    assert simulator.refusals == refused + 1  # fixed credentials: no second try


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(
            "No resource found at /api/assets;offset=0;limit=5/x",
            "No resource found at this address",
            id="path-with-matrix",
        ),
        pytest.param(
            "See http://flex.internal:8080/api/assets/1;a=b now", "See this address now", id="url"
        ),
        pytest.param("Invalid value x for limit;limit=3", "Invalid value x for limit", id="matrix"),
        pytest.param("Asset: 5 not found.", "Asset: 5 not found.", id="plain"),
        pytest.param(
            'Unrecognized field "colour" (Class tv.nativ.mio.api.model.asset.create.NewAsset), '
            "not marked as ignorable\n at [Source: org.apache.catalina.connector."
            "CoyoteInputStream@832dde9; line: 1, column: 49] (through reference chain: "
            'tv.nativ.mio.api.model.asset.create.NewAsset["colour"])',
            'Unrecognized field "colour", not marked as ignorable',
            id="java-reader",
        ),
    ],
)
def test_flex_messages_lose_upstream_paths_and_matrix_parameters(
    client: TestClient[Any, Any], message: str, expected: str
) -> None:
    backend = client.app[BACKENDS].get("mam")
    assert backend is not None
    body = json.dumps({"errors": {"error": message}}).encode()
    fault = backend.adapter.read_upstream_error(404, MEDIA_TYPE, body)
    assert fault.messages == [expected]


# --- actions -----------------------------------------------------------------------------


async def test_actions_are_performed_and_refused_by_state(nav: Navigator) -> None:
    reel = await nav.asset(REEL)
    actions = await nav.follow(reel, "flex:actions")
    assert [a["action"] for a in actions["actions"]] == [
        "delete",
        "disable",
        "unapprove",
        "destroy",
    ]
    href = actions["_links"]["self"]["href"]

    # Flex refuses it in a 200 answer: a problem all the same, and about the state.
    response, problem = await nav.request("POST", href, json={"action": "approve"})
    assert response.status == 409
    assert problem["transient"] is True
    assert problem["upstream_status"] == 200
    assert problem["errors"] == [f"Cannot approve asset {reel['id']}: it is already approved"]
    assert "it is already approved" in problem["detail"]

    response, done = await nav.request("POST", href, json={"action": "unapprove"})
    assert response.status == 200
    assert done["approved"] is False
    assert done["_links"]["self"]["href"] == reel["_links"]["self"]["href"]
    response, done = await nav.request("POST", href, json={"action": "approve"})
    assert (response.status, done["approved"]) == (200, True)

    response, problem = await nav.request("POST", href, json={"action": "publish"})
    assert response.status == 400
    assert "upstream_status" not in problem

    response, done = await nav.request("POST", href, json={"action": "delete"})
    assert (response.status, done["deleted"]) == (200, True)
    response, problem = await nav.request("POST", href, json={"action": "enable"})
    assert response.status == 409
    response, _ = await nav.request("POST", href, json={"action": "destroy"})
    assert response.status == 204
    response, problem = await nav.request("GET", reel["_links"]["self"]["href"])
    assert response.status == 404


async def test_a_refusal_in_a_200_answer_is_a_problem_not_a_success(nav: Navigator) -> None:
    backend = await nav.backend()
    response, placeholder = await nav.request(
        "POST", nav.href(backend, "flex:assets"), json={"name": "Rushes to come"}
    )
    assert response.status == 201
    href = nav.href(placeholder, "flex:actions")
    assert "approve" in [
        a["action"] for a in (await nav.follow(placeholder, "flex:actions"))["actions"]
    ]
    # Flex lists approve, then will not approve an asset without a file: 200 with errors.
    response, problem = await nav.request("POST", href, json={"action": "approve"})
    assert response.status == 400
    assert response.content_type == PROBLEM
    assert (problem["code"], problem["upstream_status"]) == ("upstream-status", 200)
    assert problem["errors"] == [f"Cannot approve asset {placeholder['id']}: it has no file yet"]
    assert (await nav.follow(placeholder, "self"))["approved"] is False


async def test_refusals_answered_with_400_are_read_alike(
    start_simulator: StartSimulator[FlexSimulator],
    gateway: GatewayFactory,
    make_config: ConfigFactory,
) -> None:
    sim = await start_simulator(FlexSimulator(users={USER: PASSWORD}, refusal_status=400))
    table = {"kind": "flex", "url": sim.url, "username": USER, "password": PASSWORD}
    nav = Navigator(await gateway(make_config(backends={"mam": table})))
    reel = await nav.asset(REEL)
    response, problem = await nav.request(
        "POST", nav.href(reel, "flex:actions"), json={"action": "approve"}
    )
    assert (response.status, problem["upstream_status"]) == (409, 400)
