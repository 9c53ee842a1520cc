"""Each gateway user on MediaCentral with their own platform login, through the gateway.

The platform records whose session every call came with (``counters.calls_by``) and
whose session each login opened and each logout ended, which shows which platform
user a gateway user's requests reach it as.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.mediacentral.simulator import MediaCentralSimulator
from gateway.backends.runtime import BACKENDS
from gateway.web.errors import ConfigError
from tests.support.fixtures import ConfigFactory, GatewayFactory, SignedIn
from tests.support.identities import auth_table, bearer, user_entry
from tests.support.mediacentral.fixtures import (
    BACKEND,
    CLIENT_ID,
    CLIENT_SECRET,
    FLOWS,
    PASSWORD,
    USER,
    SimFactory,
    counting,
)
from tests.support.mediacentral.navigator import Navigator

SHARED = "archive"
GATEWAY_USERS = [
    user_entry("alice", "alice-gateway-password", ["editor"]),
    user_entry("bob", "bob-gateway-password", ["editor"]),
    user_entry("carol", "carol-gateway-password", ["editor"]),
    user_entry("admin", "admin-password", ["admin"]),  # sees which backends are ready
]
PEOPLE = {
    "alice": {"username": "alice.mc", "password": "alice-mc-password"},
    "bob": {"username": "bob.mc", "password": "bob-mc-password"},
}
APPS = {
    "alice": {"client_id": "alice-app", "client_secret": "alice-app-secret"},
    "bob": {"client_id": "bob-app", "client_secret": "bob-app-secret"},
}
MAPPINGS: dict[str, tuple[dict[str, dict[str, str]], str]] = {
    "mcux": (PEOPLE, USER),
    "oauth2-password": (PEOPLE, USER),
    "oauth2-client-credentials": (APPS, CLIENT_ID),
}
"""Per flow: alice's and bob's own keys, and the principal of the service's login."""
ALL_FLOWS = [pytest.param(flow, id=flow) for flow in MAPPINGS]

As = Callable[[TestClient[Any, Any], str], Navigator]


def principal(flow: str, user: str) -> str:
    """Who ``user`` is on the platform with ``flow``."""
    keys = MAPPINGS[flow][0][user]
    return keys.get("username") or keys["client_id"]


def per_user(flow: str, url: str = "simulator", *, service: bool = True) -> dict[str, Any]:
    """A backend table where alice and bob log in as themselves.

    With ``service`` the backend has the service's login too (for its readiness probe);
    without it, each user's table holds all they need, the OAuth2 client included.
    """
    keys, users = dict(FLOWS[flow]), MAPPINGS[flow][0]
    if not service:
        keys = {k: v for k, v in keys.items() if k in ("auth", "grant")}
        client = {k: v for k, v in FLOWS[flow].items() if k.startswith("client_")}
        users = {name: {**client, **own} for name, own in users.items()}
    return {"kind": "mediacentral", "url": url, **keys, "users": users}


def simulator_of(client: TestClient[Any, Any], name: str) -> MediaCentralSimulator:
    """The simulator the gateway started for backend ``name``."""
    backend = client.app[BACKENDS].get(name)
    assert backend is not None
    assert isinstance(backend.simulator, MediaCentralSimulator)
    return backend.simulator


@pytest.fixture
def as_user(signed_in: SignedIn[Navigator]) -> As:
    """A navigator that sends the bearer token of one gateway user (a fresh one each time)."""

    def make(client: TestClient[Any, Any], name: str) -> Navigator:
        return signed_in(client, name, lambda c: Navigator(c, BACKEND))

    return make


async def locations(nav: Navigator, backend: str = BACKEND) -> str:
    """Open the root folder of ``backend``; its name."""
    root = await nav.follow(await nav.backend(backend), "mc:locations")
    name = root["common"]["name"]
    assert isinstance(name, str)
    return name


async def calls_as(sim: MediaCentralSimulator, nav: Navigator, backend: str = BACKEND) -> set[str]:
    """Whose sessions the platform saw the calls of one gateway request come with."""
    before = Counter(sim.counters.calls_by)
    assert await locations(nav, backend) == "Newsroom"
    return set(sim.counters.calls_by - before)


async def upstream_login(nav: Navigator, backend: str = BACKEND) -> str:
    """What ``/auth/me`` says of the caller's upstream login on ``backend``."""
    me = await nav.get(nav.base + "/auth/me")
    [row] = [row for row in me["backends"] if row["name"] == backend]
    assert isinstance(row["upstream_login"], str)
    return row["upstream_login"]


async def log_out(nav: Navigator) -> None:
    """``POST /auth/logout`` with the navigator's bearer token."""
    response, _ = await nav.request("POST", nav.base + "/auth/logout")
    assert response.status == 204


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_each_user_reaches_the_platform_as_their_own_user(
    gateway: GatewayFactory, make_config: ConfigFactory, as_user: As, flow: str
) -> None:
    config = make_config(
        auth=auth_table(users=GATEWAY_USERS),
        backends={
            BACKEND: per_user(flow),
            SHARED: {"kind": "mediacentral", "url": "simulator", **FLOWS[flow]},
        },
    )
    client = await gateway(config, user=None)
    sim, shared = simulator_of(client, BACKEND), simulator_of(client, SHARED)
    alice, bob = as_user(client, "alice"), as_user(client, "bob")
    assert await calls_as(sim, alice) == {principal(flow, "alice")}
    assert await calls_as(sim, bob) == {principal(flow, "bob")}
    assert await calls_as(sim, alice) == {principal(flow, "alice")}
    assert await calls_as(shared, alice, SHARED) == {MAPPINGS[flow][1]}
    assert await calls_as(shared, bob, SHARED) == {MAPPINGS[flow][1]}
    assert sim.counters.logins_by == {
        MAPPINGS[flow][1]: 1,  # the readiness probe's
        principal(flow, "alice"): 1,
        principal(flow, "bob"): 1,
    }
    assert shared.counters.logins == 1


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_concurrent_requests_of_each_user_cause_one_login_each(
    simulators: SimFactory,
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    as_user: As,
    flow: str,
) -> None:
    gate = asyncio.Event()
    keys = MAPPINGS[flow][0]
    sim = await simulators(
        hold_logins=gate,
        users={k["username"]: k["password"] for k in keys.values() if "username" in k} or None,
        clients={
            CLIENT_ID: FLOWS["oauth2-password"]["client_secret"],
            **{k["client_id"]: k["client_secret"] for k in keys.values() if "client_id" in k},
        },
    )
    arrived, count = counting("/locations", 40)
    config = make_config(
        auth=auth_table(users=GATEWAY_USERS),
        backends={BACKEND: per_user(flow, sim.url, service=False)},
    )
    client = await gateway(config, user=None, routes=lambda app: app.middlewares.append(count))
    alice, bob = as_user(client, "alice"), as_user(client, "bob")
    hrefs = {nav: nav.href(await nav.backend(), "mc:locations") for nav in (alice, bob)}
    calls = [
        asyncio.create_task(nav.request("GET", hrefs[nav]))
        for _ in range(20)
        for nav in (alice, bob)
    ]
    try:
        # Every request is inside the gateway before any login may finish.
        await arrived.wait()
    finally:
        gate.set()
    answers = await asyncio.gather(*calls)
    assert [response.status for response, _ in answers] == [200] * 40
    assert sim.counters.logins_by == {principal(flow, "alice"): 1, principal(flow, "bob"): 1}
    assert sim.counters.login_attempts == 2
    by_user = sim.counters.calls_by
    assert set(by_user) == {principal(flow, "alice"), principal(flow, "bob")}
    assert min(by_user.values()) >= 20  # each user's twenty, the registry read aside


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_a_users_logout_ends_their_platform_session_only(
    gateway: GatewayFactory, make_config: ConfigFactory, as_user: As, flow: str
) -> None:
    config = make_config(auth=auth_table(users=GATEWAY_USERS), backends={BACKEND: per_user(flow)})
    client = await gateway(config, user=None)
    sim = simulator_of(client, BACKEND)
    alice, bob = as_user(client, "alice"), as_user(client, "bob")
    assert await upstream_login(alice) == "none"
    for nav in (alice, bob):
        await locations(nav)
        assert await upstream_login(nav) == "live"

    await log_out(alice)
    assert sim.counters.logouts_by == {principal(flow, "alice"): 1}
    owners = {session.principal for session in sim.platform.live_sessions()}
    assert owners == {MAPPINGS[flow][1], principal(flow, "bob")}
    alice = as_user(client, "alice")  # logged out: a new token
    assert await upstream_login(alice) == "none"
    assert await upstream_login(bob) == "live"

    assert await calls_as(sim, bob) == {principal(flow, "bob")}
    assert await calls_as(sim, alice) == {principal(flow, "alice")}
    assert sim.counters.logins_by[principal(flow, "bob")] == 1
    assert sim.counters.logins_by[principal(flow, "alice")] == 2


async def test_a_user_without_platform_credentials_is_refused(
    gateway: GatewayFactory, make_config: ConfigFactory, as_user: As
) -> None:
    config = make_config(auth=auth_table(users=GATEWAY_USERS), backends={BACKEND: per_user("mcux")})
    client = await gateway(config, user=None)
    sim = simulator_of(client, BACKEND)
    alice, carol = as_user(client, "alice"), as_user(client, "carol")
    backend = await alice.backend()
    logins = sim.counters.login_attempts
    for href in (
        alice.href(backend, "mc:locations"),
        alice.href(backend, "mc:search", search="fire"),
        backend["_links"]["self"]["href"],
    ):
        # To carol the backend does not exist: the router's own 404, naming no backend.
        problem = await carol.problem("GET", href, 404)
        assert problem["detail"].startswith("nothing is served at /backends/")
    shown = (await carol.root())["_links"].get("gw:backend", [])
    assert BACKEND not in {link["name"] for link in (shown if isinstance(shown, list) else [shown])}
    me = await carol.get(carol.base + "/auth/me")
    assert BACKEND not in {row["name"] for row in me["backends"]}
    assert sim.counters.login_attempts == logins


@pytest.mark.parametrize(
    ("flow", "own", "missing"),
    [
        pytest.param("mcux", {"username": "alice.mc"}, "password", id="mcux-name-only"),
        pytest.param(
            "oauth2-password", {"password": "alice-mc-password"}, "username", id="password-only"
        ),
        pytest.param(
            "oauth2-client-credentials",
            PEOPLE["alice"],
            "client_id or client_secret",
            id="client-credentials-with-a-person",
        ),
    ],
)
def test_a_user_is_never_logged_in_with_the_services_half_of_a_login(
    make_config: ConfigFactory, flow: str, own: dict[str, str], missing: str
) -> None:
    backend = {"kind": "mediacentral", "url": "simulator", **FLOWS[flow], "users": {"alice": own}}
    with pytest.raises(ConfigError) as caught:
        make_config(auth=auth_table(users=GATEWAY_USERS), backends={BACKEND: backend})
    keys = sorted(p.split(":")[0].rsplit(".", 1)[1] for p in caught.value.problems)
    assert keys == sorted(missing.split(" or "))
    for problem in caught.value.problems:
        assert problem.startswith(f"backends.{BACKEND}.users.alice.")
        assert "must be the user's own" in problem


async def test_users_with_own_names_share_the_backends_oauth2_client(
    simulators: SimFactory, gateway: GatewayFactory, make_config: ConfigFactory, as_user: As
) -> None:
    # The platform knows the people and one OAuth2 client, the backend's: no service user.
    sim = await simulators(
        users={keys["username"]: keys["password"] for keys in PEOPLE.values()},
        clients={CLIENT_ID: CLIENT_SECRET},
    )
    client_keys = {k: v for k, v in FLOWS["oauth2-password"].items() if k.startswith("client_")}
    table = {
        "kind": "mediacentral",
        "url": sim.url,
        "auth": "oauth2",
        "grant": "password",
        **client_keys,
        "users": PEOPLE,
    }
    config = make_config(auth=auth_table(users=GATEWAY_USERS), backends={BACKEND: table})
    assert config.backends[BACKEND].service_credentials is False

    client = await gateway(config, user=None)
    async with client.get("/readyz", headers=bearer(client.app, "admin")) as response:
        ready = await response.json()
    assert ready["backends"][BACKEND]["ready"] is True, ready
    assert sim.counters.login_attempts == 0  # reachable is all the probe asks

    alice, bob = as_user(client, "alice"), as_user(client, "bob")
    assert await calls_as(sim, alice) == {"alice.mc"}
    assert await calls_as(sim, bob) == {"bob.mc"}
    assert sim.counters.logins_by == {"alice.mc": 1, "bob.mc": 1}
    # Token sessions, so the one client the platform knows authenticated both logins.
    sessions = {(s.principal, s.kind) for s in sim.platform.live_sessions()}
    assert sessions == {("alice.mc", "oauth"), ("bob.mc", "oauth")}
    assert sim.counters.login_failures == 0


async def test_one_users_refused_login_is_not_the_next_users_answer(
    simulators: SimFactory, gateway: GatewayFactory, make_config: ConfigFactory, as_user: As
) -> None:
    sim = await simulators(users={"alice.mc": "alice-changed-it", "bob.mc": "bob-mc-password"})
    config = make_config(
        auth=auth_table(users=GATEWAY_USERS),
        backends={BACKEND: per_user("mcux", sim.url, service=False)},
    )
    client = await gateway(config, user=None)
    alice, bob = as_user(client, "alice"), as_user(client, "bob")
    href = alice.href(await alice.backend(), "mc:locations")
    problem = await alice.problem("GET", href, 503)  # the first use: the registry read fails
    assert problem["code"] == "upstream-login-failed"
    assert await calls_as(sim, bob) == {"bob.mc"}
    await alice.problem("GET", href, 503)
    assert sim.counters.logins_by == {"bob.mc": 1}
    assert sim.counters.login_failures == 1  # alice's wrong password was tried once


@pytest.mark.parametrize("flow", ALL_FLOWS)
async def test_a_users_logout_leaves_the_shared_session(
    gateway: GatewayFactory, make_config: ConfigFactory, as_user: As, flow: str
) -> None:
    config = make_config(
        auth=auth_table(users=GATEWAY_USERS),
        backends={SHARED: {"kind": "mediacentral", "url": "simulator", **FLOWS[flow]}},
    )
    client = await gateway(config, user=None)
    sim = simulator_of(client, SHARED)
    alice, bob = as_user(client, "alice"), as_user(client, "bob")
    await locations(alice, SHARED)
    await log_out(alice)
    assert sim.counters.logouts == 0
    assert [s.principal for s in sim.platform.live_sessions()] == [MAPPINGS[flow][1]]
    assert await upstream_login(bob, SHARED) == "live"
    assert await calls_as(sim, bob, SHARED) == {MAPPINGS[flow][1]}
    assert sim.counters.logins == 1


async def test_two_gateways_on_one_redis_share_each_platform_login(
    simulators: SimFactory,
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    as_user: As,
    redis_url: str,
    key_prefix: str,
) -> None:
    sim = await simulators(
        users={USER: PASSWORD, **{k["username"]: k["password"] for k in PEOPLE.values()}}
    )
    config = make_config(
        auth=auth_table(users=GATEWAY_USERS),
        session={"store": "redis", "redis_url": redis_url, "key_prefix": key_prefix},
        backends={BACKEND: per_user("mcux", sim.url)},
    )
    first = await gateway(config, user=None)
    second = await gateway(config, user=None)  # its readiness probe takes the first's login
    assert sim.counters.logins_by == {USER: 1}
    await locations(as_user(first, "alice"))
    assert await calls_as(sim, as_user(second, "alice")) == {"alice.mc"}
    assert sim.counters.logins_by == {USER: 1, "alice.mc": 1}

    await log_out(as_user(second, "alice"))  # on one gateway, for both
    assert sim.counters.logouts_by == {"alice.mc": 1}
    assert await upstream_login(as_user(first, "alice")) == "none"

    await first.close()  # the other gateway still uses the service's login
    assert sim.counters.logouts_by == {"alice.mc": 1}
    assert [s.principal for s in sim.platform.live_sessions()] == [USER]
