"""The connector's client-credentials login through the gateway, over real sockets.

The simulator's token endpoint issues access tokens that expire by its clock; the
gateway plans renewals by its own. Both are :class:`~tests.support.azure.fixtures.FakeClock`
objects a test moves, so nothing waits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from adapters.azure.login import ClientCredentialsLogin
from adapters.azure.simulator import AzureSimulator
from gateway.auth.identity import Identity
from gateway.backends.runtime import BACKENDS
from gateway.config.schema import Secret
from gateway.web.errors import ConfigError
from tests.support.azure.fixtures import TOKEN, SimFactory
from tests.support.azure.navigator import PROBLEM, Navigator
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory, SignedIn
from tests.support.identities import auth_table, user_entry

SERVICE = {"client_id": "gateway-service", "client_secret": "service-client-secret"}
ALICE = {"client_id": "alice-client", "client_secret": "alice-client-secret"}
BOB = {"client_id": "bob-client", "client_secret": "bob-client-secret"}
TTL = 60
OWN = ", in the user's own table"
"""How the config check qualifies what a user's table lacks."""
USERS_OF = ("alice", "bob")
USERS = [
    user_entry("alice", "alice-password", ["editor"]),
    user_entry("bob", "bob-password", ["editor"]),
]
Start = Callable[..., Awaitable[TestClient[Any, Any]]]
AsUser = Callable[[TestClient[Any, Any], str], Awaitable[Navigator]]


def _clients(*tables: Mapping[str, str]) -> dict[str, str]:
    return {t["client_id"]: t["client_secret"] for t in tables}


@pytest.fixture
async def sim(simulators: SimFactory, clock: FakeClock) -> AzureSimulator:
    """A connector that takes access tokens only: its fixed token is nobody's."""
    return await simulators(
        token=None, clients=_clients(SERVICE, ALICE, BOB), token_ttl_s=TTL, clock=clock
    )


@pytest.fixture
def start(gateway: GatewayFactory, make_config: ConfigFactory, clock: FakeClock) -> Start:
    """A gateway whose backend ``azure`` is ``table``; its logins run by ``clock``."""

    async def make(table: Mapping[str, Any], **options: Any) -> TestClient[Any, Any]:
        config = make_config(auth=auth_table(users=USERS), backends={"azure": table})
        client = await gateway(config, user=None, **options)
        auth = client.app[BACKENDS].auth(client.app[BACKENDS].backends["azure"])
        for who in [None, *(Identity(n, "user", frozenset()) for n in table.get("users", {}))]:
            login = auth.strategy(who)
            if isinstance(login, ClientCredentialsLogin):
                login.clock = clock
        return client

    return make


@pytest.fixture
def as_user(signed_in: SignedIn[Navigator]) -> AsUser:
    """A navigator that sends the bearer token of one gateway user."""

    async def make(client: TestClient[Any, Any], name: str) -> Navigator:
        return signed_in(client, name, Navigator)

    return make


async def _videos(nav: Navigator) -> int:
    response, body = await nav.request("GET", nav.href(await nav.backend(), "azure:videos"))
    assert response.status == 200, body
    return int(body["page"]["totalElements"])


async def _create(nav: Navigator, name: str) -> str:
    videos = nav.href(await nav.backend(), "azure:videos")
    response, video = await nav.request("POST", videos, json={"filename": name})
    assert response.status == 201, video
    return str(video["id"])


async def test_client_credentials_log_in_through_the_gateway(
    sim: AzureSimulator, start: Start, as_user: AsUser
) -> None:
    client = await start({"kind": "azure", "url": sim.url, **SERVICE})
    async with client.get("/readyz") as response:
        assert response.status == 200, await response.text()
    alice = await as_user(client, "alice")
    video_id = await _create(alice, "keynote.mp4")
    assert await _videos(alice) == 1
    assert sim.created_by(video_id) == SERVICE["client_id"]
    # The readiness probe and the requests after it share one access token.
    assert sim.token_requests(SERVICE["client_id"]) == 1


async def test_concurrent_first_requests_fetch_one_token(
    sim: AzureSimulator, start: Start, as_user: AsUser
) -> None:
    client = await start({"kind": "azure", "url": sim.url, **SERVICE, "users": {"alice": ALICE}})
    alice = await as_user(client, "alice")
    await alice.backend()
    assert sim.token_requests(ALICE["client_id"]) == 0
    assert await asyncio.gather(*(_videos(alice) for _ in range(12))) == [0] * 12
    assert sim.token_requests(ALICE["client_id"]) == 1


async def test_an_expiring_token_is_renewed_before_it_ends(
    sim: AzureSimulator, start: Start, as_user: AsUser, clock: FakeClock
) -> None:
    client = await start({"kind": "azure", "url": sim.url, **SERVICE, "users": {"alice": ALICE}})
    alice = await as_user(client, "alice")
    counts = []
    for step in (0, 30, 20, 61):  # fresh, still fresh, due for renewal, long expired
        clock.now += step
        await _videos(alice)
        counts.append(sim.token_requests(ALICE["client_id"]))
    assert counts == [1, 1, 2, 3]


async def test_a_token_the_connector_ends_early_is_replaced_once(
    simulators: SimFactory, start: Start, as_user: AsUser
) -> None:
    # The connector's clock runs ahead of the gateway's: it refuses a token the
    # gateway still thinks good; the gateway logs in again and the request goes through.
    ahead = FakeClock()
    sim = await simulators(token=None, clients=_clients(ALICE), token_ttl_s=TTL, clock=ahead)
    client = await start({"kind": "azure", "url": sim.url, "users": {"alice": ALICE}})
    alice = await as_user(client, "alice")
    await _videos(alice)
    ahead.now += TTL + 1
    await _videos(alice)
    assert sim.token_requests(ALICE["client_id"]) == 2


async def test_each_users_client_reaches_the_connector_as_itself(
    sim: AzureSimulator, start: Start, as_user: AsUser
) -> None:
    # The service has a fixed token; the users' own client credentials win for them.
    client = await start(
        {
            "kind": "azure",
            "url": sim.url,
            "token": TOKEN,
            "users": {"alice": ALICE, "bob": BOB},
        }
    )
    made = {name: await _create(await as_user(client, name), f"{name}.mp4") for name in USERS_OF}
    assert {name: sim.created_by(video) for name, video in made.items()} == {
        "alice": ALICE["client_id"],
        "bob": BOB["client_id"],
    }


async def test_logout_drops_that_users_token_only(
    sim: AzureSimulator, start: Start, as_user: AsUser
) -> None:
    client = await start({"kind": "azure", "url": sim.url, "users": {"alice": ALICE, "bob": BOB}})
    alice, bob = await as_user(client, "alice"), await as_user(client, "bob")
    await _videos(alice)
    await _videos(bob)
    async with alice.session.post(alice.base + "/auth/logout") as response:
        assert response.status == 204
    again = await as_user(client, "alice")  # logged in to the gateway again
    await _videos(again)
    await _videos(bob)
    assert sim.token_requests(ALICE["client_id"]) == 2
    assert sim.token_requests(BOB["client_id"]) == 1


async def test_a_refused_client_is_503_naming_the_backend(
    sim: AzureSimulator, start: Start, as_user: AsUser
) -> None:
    wrong = {**ALICE, "client_secret": "not-the-client-secret"}
    client = await start(
        {"kind": "azure", "url": sim.url, **SERVICE, "retries": 0, "users": {"alice": wrong}}
    )
    alice = await as_user(client, "alice")
    href = alice.href(await alice.backend(), "azure:videos")
    for method, body in (("GET", None), ("POST", {"filename": "x.mp4"})):
        response, problem = await alice.request(method, href, json=body)
        assert response.status == 503
        assert response.content_type == PROBLEM
        assert problem["code"] == "upstream-login-failed"
        assert problem["backend"] == "azure"
        assert problem["upstream_status"] == 401
        assert problem["upstream_code"] == "invalid_client"
        assert problem["errors"] == ["Unknown client or wrong client secret."]
    assert "not-the-client-secret" not in json.dumps(alice.seen)
    assert sim.token_requests(ALICE["client_id"]) == 0


async def test_the_embedded_simulator_takes_the_configured_clients_and_tokens(
    start: Start, as_user: AsUser
) -> None:
    client = await start(
        {
            "kind": "azure",
            "url": "simulator",
            **SERVICE,
            "users": {"alice": ALICE, "bob": {"token": "bob-own-fixed-token"}},
        }
    )
    async with client.get("/readyz") as response:
        assert response.status == 200, await response.text()
    backend = client.app[BACKENDS].get("azure")
    assert backend is not None
    assert isinstance(backend.simulator, AzureSimulator)
    seeded = len(backend.simulator.video_ids())
    assert seeded > 0  # the embedded simulator starts with its seed
    for name in USERS_OF:
        assert await _videos(await as_user(client, name)) == seeded


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        pytest.param({"client_id": "c"}, "backends.azure.client_secret: required with", id="id"),
        pytest.param(
            {"client_secret": "s"}, "backends.azure.client_id: required with", id="secret"
        ),
        pytest.param({}, "backends.azure.token: required, unless", id="nothing"),
        pytest.param(
            {"token": "t", "users": {"alice": {"client_id": "c"}}},
            "backends.azure.users.alice.client_secret: required with",
            id="user-id",
        ),
        pytest.param(
            {"token": "t", "token_url": "ftp://x"}, "backends.azure.token_url:", id="token-url"
        ),
    ],
)
def test_config_names_the_missing_half(
    make_config: ConfigFactory, table: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(backends={"azure": {"kind": "azure", "url": "simulator", **table}})
    assert any(line.startswith(problem) for line in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(
    ("alice", "problems"),
    [
        pytest.param(
            {"client_secret": ALICE["client_secret"]},
            ["backends.azure.users.alice.client_id: required with client_secret" + OWN],
            id="secret-only",
        ),
        pytest.param(
            {"client_id": ALICE["client_id"]},
            ["backends.azure.users.alice.client_secret: required with client_id" + OWN],
            id="id-only",
        ),
        pytest.param(
            {"token": "alice-own-token", "client_id": ALICE["client_id"]},
            ["backends.azure.users.alice.client_secret: required with client_id" + OWN],
            id="token-and-half-a-client",
        ),
        pytest.param(
            {"token": "${ALICE_TOKEN:-}"},
            ["backends.azure.users.alice: names no credentials"],
            id="empty-token",
        ),
    ],
)
def test_a_user_never_logs_in_with_the_services_half_of_a_client(
    make_config: ConfigFactory, alice: dict[str, str], problems: list[str]
) -> None:
    table = {"kind": "azure", "url": "simulator", **SERVICE, "users": {"alice": alice}}
    with pytest.raises(ConfigError) as raised:
        make_config(auth=auth_table(users=USERS), backends={"azure": table}, env={})
    assert raised.value.problems == problems


def test_the_login_shows_no_secret() -> None:
    login = ClientCredentialsLogin("azure", "alice-client", Secret(ALICE["client_secret"]), "/t")
    assert ALICE["client_secret"] not in repr(login)
    assert ALICE["client_secret"] not in str(vars(login))
