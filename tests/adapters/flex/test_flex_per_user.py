"""Flex with each gateway user's own Flex login, through the gateway, over real sockets.

Backends served by ``url = "simulator"`` get the simulator the adapter makes for their
config: it accepts the service's login and every user's own. Flex records who created
an object (``owner``, ``createdBy``), which shows whose login a request came with.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from adapters.flex.simulator import FlexSimulator
from tests.support.fixtures import ConfigFactory, GatewayFactory, SignedIn, StartSimulator
from tests.support.identities import auth_table, bearer, user_entry
from tests.support.navigator import PROBLEM, Navigator

SERVICE = {"username": "gateway-service", "password": "service-flex-password"}
ALICE = {"username": "alice.flex", "password": "alice-flex-password"}
BOB = {"username": "bob.flex", "password": "bob-flex-password"}
USERS = [
    user_entry("alice", "alice-password", ["editor"]),
    user_entry("bob", "bob-password", ["editor"]),
    user_entry("carol", "carol-password", ["editor"]),
    user_entry("admin", "admin-password", ["admin"]),  # sees which backends are ready
]
AsUser = Callable[[str, str], Awaitable[Navigator]]


@pytest.fixture
async def stranger(start_simulator: StartSimulator[FlexSimulator]) -> FlexSimulator:
    """A Flex that knows the service's login and an old password of alice's."""
    users = {SERVICE["username"]: SERVICE["password"], ALICE["username"]: "alice-old-password"}
    return await start_simulator(FlexSimulator(users=users))


@pytest.fixture
async def client(
    stranger: FlexSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """alice and bob have their own logins on ``mam``; carol has none anywhere."""
    config = make_config(
        auth=auth_table(users=USERS),
        backends={
            "mam": {
                "kind": "flex",
                "url": "simulator",
                **SERVICE,
                "users": {"alice": ALICE, "bob": BOB},
            },
            "shared": {"kind": "flex", "url": "simulator", **SERVICE},
            "personal": {"kind": "flex", "url": "simulator", "users": {"alice": ALICE}},
            "stale": {
                "kind": "flex",
                "url": stranger.url,
                **SERVICE,
                "retries": 0,
                "users": {"alice": ALICE},
            },
        },
    )
    return await gateway(config, user=None)


@pytest.fixture
def as_user(client: TestClient[Any, Any], signed_in: SignedIn[Navigator]) -> AsUser:
    """A navigator that sends the bearer token of one gateway user."""

    async def make(name: str, backend: str) -> Navigator:
        return signed_in(client, name, lambda c: Navigator(c, backend))

    return make


async def _create_asset(nav: Navigator, name: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    backend = await nav.backend()
    body = {"name": name, "fileAssetType": "VIDEO", **extra}
    response, doc = await nav.request("POST", nav.href(backend, "flex:assets"), json=body)
    return response.status, doc


async def test_each_user_acts_upstream_as_their_own_flex_user(as_user: AsUser) -> None:
    alice, bob = await as_user("alice", "mam"), await as_user("bob", "mam")
    status, by_alice = await _create_asset(alice, "Alice's rushes")
    assert status == 201, by_alice
    status, by_bob = await _create_asset(bob, "Bob's rushes")
    assert status == 201, by_bob
    assert by_alice["createdBy"]["name"] == by_alice["owner"]["name"] == ALICE["username"]
    assert by_bob["createdBy"]["name"] == by_bob["owner"]["name"] == BOB["username"]
    # Read back by the other user: Flex keeps who created it.
    again = await bob.follow(by_alice, "self")
    assert again["createdBy"]["name"] == ALICE["username"]

    status, shared = await _create_asset(await as_user("alice", "shared"), "Shared rushes")
    assert status == 201, shared
    assert shared["createdBy"]["name"] == SERVICE["username"]


async def test_user_without_own_login_is_refused_with_a_problem(as_user: AsUser) -> None:
    carol = await as_user("carol", "mam")
    shown = {link["name"] for link in (await carol.root())["_links"]["gw:backend"]}
    assert "shared" in shown
    assert not shown & {"mam", "personal", "stale"}

    alice = await as_user("alice", "mam")
    href = alice.href(await alice.backend(), "flex:assets")
    for method, body in (("GET", None), ("POST", {"name": "x", "fileAssetType": "VIDEO"})):
        response, problem = await carol.request(method, href, json=body)
        # To carol the backend does not exist: the router's own 404, which names no backend.
        assert response.status == 404
        assert response.content_type == PROBLEM
        assert problem["detail"] == f"nothing is served at {urlsplit(href).path}"


async def test_backend_with_user_logins_only_is_ready_and_serves_them(
    client: TestClient[Any, Any], as_user: AsUser
) -> None:
    async with client.get("/readyz", headers=bearer(client.app, "admin")) as response:
        ready = await response.json()
    assert ready["backends"]["personal"]["ready"] is True, ready

    alice = await as_user("alice", "personal")
    page = await alice.follow(await alice.backend(), "flex:assets")
    assert page["page"]["totalElements"] > 0
    status, made = await _create_asset(alice, "Alice's own")
    assert status == 201, made
    assert made["createdBy"]["name"] == ALICE["username"]


async def test_refused_user_login_is_503_naming_the_backend(
    stranger: FlexSimulator, as_user: AsUser
) -> None:
    refusals = stranger.refusals
    alice = await as_user("alice", "stale")
    href = alice.href(await alice.backend(), "flex:assets")
    for method, body in (("GET", None), ("POST", {"name": "x", "fileAssetType": "VIDEO"})):
        response, problem = await alice.request(method, href, json=body)
        assert response.status == 503
        assert response.content_type == PROBLEM
        assert problem["code"] == "upstream-login-failed"
        assert problem["backend"] == "stale"
        assert "stale" in problem["detail"]
    assert stranger.refusals == refusals + 2
    assert not any(ALICE["password"] in text for text in alice.seen)


async def test_user_passwords_are_masked_in_upstream_messages(as_user: AsUser) -> None:
    alice = await as_user("alice", "mam")
    # Flex names the file type it does not know: here, somebody's password.
    for password in (BOB["password"], ALICE["password"]):
        status, problem = await _create_asset(alice, "Typo", fileAssetType=password)
        assert status == 400
        assert problem["upstream_status"] == 400
        assert problem["errors"][0].startswith("Invalid fileAssetType '***'")
    seen = json.dumps(alice.seen)
    assert ALICE["password"] not in seen
    assert BOB["password"] not in seen
