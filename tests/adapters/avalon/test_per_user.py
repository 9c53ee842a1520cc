"""Avalon with each gateway user's own API token, through the gateway, over real sockets.

Backends served by ``url = "simulator"`` get the simulator the adapter makes for their
config: it knows the service token as ``archivist`` and each user's token as the Avalon
user named like the gateway user. What a user creates upstream shows whose token it
came with: Avalon makes the creator of a collection its manager.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from adapters.avalon.simulator import DEFAULT_ADMIN, DEFAULT_ADMIN_KEY, AvalonSimulator
from tests.support.fixtures import ConfigFactory, GatewayFactory, SignedIn, StartSimulator
from tests.support.identities import auth_table, bearer, user_entry
from tests.support.navigator import PROBLEM, Navigator

ALICE_KEY = "a1" * 64
BOB_KEY = "b2" * 64
REFUSED_KEY = "c3" * 64
USERS = [
    user_entry("alice", "alice-password", ["editor"]),
    user_entry("bob", "bob-password", ["editor"]),
    user_entry("carol", "carol-password", ["editor"]),
    user_entry("admin", "admin-password", ["admin"]),  # sees which backends are ready
]
AsUser = Callable[[str, str], Awaitable[Navigator]]


@pytest.fixture
async def stranger(start_simulator: StartSimulator[AvalonSimulator]) -> AvalonSimulator:
    """An Avalon that knows only the service token."""
    return await start_simulator(AvalonSimulator(api_keys={DEFAULT_ADMIN_KEY: DEFAULT_ADMIN}))


@pytest.fixture
async def client(
    stranger: AvalonSimulator, gateway: GatewayFactory, make_config: ConfigFactory
) -> TestClient[Any, Any]:
    """alice and bob have their own tokens on ``archive``; carol has none anywhere."""
    config = make_config(
        auth=auth_table(users=USERS),
        backends={
            "archive": {
                "kind": "avalon",
                "url": "simulator",
                "api_key": DEFAULT_ADMIN_KEY,
                "users": {"alice": {"api_key": ALICE_KEY}, "bob": {"api_key": BOB_KEY}},
            },
            "shared": {"kind": "avalon", "url": "simulator", "api_key": DEFAULT_ADMIN_KEY},
            "personal": {
                "kind": "avalon",
                "url": "simulator",
                "users": {"alice": {"api_key": ALICE_KEY}},
            },
            "stale": {
                "kind": "avalon",
                "url": stranger.url,
                "api_key": DEFAULT_ADMIN_KEY,
                "retries": 0,
                "users": {"alice": {"api_key": REFUSED_KEY}},
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


async def _create_collection(nav: Navigator, name: str) -> dict[str, Any]:
    backend = await nav.backend()
    body = {"name": name, "unit": "Default Unit"}
    response, created = await nav.request(
        "POST", nav.href(backend, "avalon:collections"), json=body
    )
    assert response.status == 201, created
    return await nav.follow(created, "self")


async def test_each_user_acts_upstream_as_their_own_avalon_user(as_user: AsUser) -> None:
    alice, bob = await as_user("alice", "archive"), await as_user("bob", "archive")
    by_alice = await _create_collection(alice, "Alice's interviews")
    by_bob = await _create_collection(bob, "Bob's lectures")
    assert by_alice["roles"]["managers"] == ["alice"]
    assert by_bob["roles"]["managers"] == ["bob"]
    # Both see the other's work: one Avalon, two of its users.
    assert (await bob.follow(by_alice, "self"))["name"] == "Alice's interviews"

    shared = await _create_collection(await as_user("alice", "shared"), "Shared reels")
    assert shared["roles"]["managers"] == [DEFAULT_ADMIN]


async def test_user_without_own_token_is_refused_with_a_problem(as_user: AsUser) -> None:
    carol = await as_user("carol", "archive")
    root = await carol.root()
    shown = {link["name"] for link in root["_links"]["gw:backend"]}
    assert "shared" in shown
    assert "archive" not in shown
    assert "personal" not in shown

    alice = await as_user("alice", "archive")
    href = alice.href(await alice.backend(), "avalon:media-objects")
    response, problem = await carol.request("GET", href)
    # To carol the backend does not exist: the router's own 404, which names no backend.
    assert response.status == 404
    assert response.content_type == PROBLEM
    assert problem["detail"] == f"nothing is served at {urlsplit(href).path}"


async def test_backend_with_user_tokens_only_is_ready_and_serves_them(
    client: TestClient[Any, Any], as_user: AsUser
) -> None:
    async with client.get("/readyz", headers=bearer(client.app, "admin")) as response:
        ready = await response.json()
    assert ready["backends"]["personal"]["ready"] is True, ready

    alice = await as_user("alice", "personal")
    page = await alice.follow(await alice.backend(), "avalon:media-objects", per_page=2)
    assert page["page"]["totalElements"] > 0
    assert (await _create_collection(alice, "Alice's own"))["roles"]["managers"] == ["alice"]


async def test_refused_user_token_is_503_naming_the_backend(as_user: AsUser) -> None:
    alice = await as_user("alice", "stale")
    href = alice.href(await alice.backend(), "avalon:media-objects")
    for method, body in (("GET", None), ("POST", {"fields": {"title": "x"}})):
        response, problem = await alice.request(method, href, json=body)
        assert response.status == 503
        assert response.content_type == PROBLEM
        assert problem["code"] == "upstream-login-failed"
        assert problem["backend"] == "stale"
        assert "stale" in problem["detail"]
        assert problem["errors"] == ["Permission denied."]
    assert not any(REFUSED_KEY in text for text in alice.seen)


async def test_user_tokens_are_masked_in_upstream_messages(as_user: AsUser) -> None:
    alice = await as_user("alice", "archive")
    create = alice.href(await alice.backend(), "avalon:media-objects")
    # Avalon names the collection it did not find: here, somebody's token.
    for key in (BOB_KEY, ALICE_KEY):
        body = {"collection_id": key, "fields": {"title": "Lost", "date_issued": "2024"}}
        response, problem = await alice.request("POST", create, json=body)
        assert response.status == 400
        assert problem["upstream_status"] == 422
        assert problem["errors"] == ["Collection not found for ***"]
    seen = json.dumps(alice.seen)
    assert ALICE_KEY not in seen
    assert BOB_KEY not in seen
