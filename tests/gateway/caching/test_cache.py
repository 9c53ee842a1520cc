"""HTTP caching through real gateways: ETag and 304, Vary, the response cache, If-Match.

The upstream is the Flex simulator; upstream calls are counted at the backend's upstream
client, so an answer served from the cache shows as no call at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.flex.simulator.server import FlexSimulator
from gateway.backends.runtime import BACKENDS
from gateway.caching.etags import etag_of
from gateway.caching.middleware import RESPONSE_CACHE
from tests.support.clocks import FakeClock
from tests.support.fixtures import AZURE, FLEX, ConfigFactory, GatewayFactory
from tests.support.identities import auth_table, bearer, user_entry
from tests.support.wire import head_alone, status_of

Client = TestClient[web.Request, web.Application]
LIST = "/backends/flex/collections"
CACHED = {**FLEX, "cache_max_age_s": 60}


def count_calls(client: Client, backend: str = "flex") -> list[str]:
    """Record every upstream call the backend's client makes from now on (method and path)."""
    upstream = client.app[BACKENDS].get(backend)
    assert upstream is not None
    calls: list[str] = []
    original = upstream.client.request

    async def request(method: str, path_or_url: str, **kwargs: Any) -> Any:
        calls.append(f"{method} {path_or_url}")
        return await original(method, path_or_url, **kwargs)

    upstream.client.request = request  # type: ignore[method-assign]
    return calls


async def first_collection(client: Client) -> str:
    """The path of the first collection the list holds."""
    listing = await (await client.get(LIST)).json()
    href: str = listing["_embedded"]["flex:collection"][0]["_links"]["self"]["href"]
    return href[href.index("/backends/") :]


async def upstream_collection(client: Client, path: str) -> dict[str, Any]:
    """The collection as the simulator holds it, read past the gateway's routes."""
    upstream = client.app[BACKENDS].get("flex")
    assert upstream is not None
    answer = await upstream.client.request("GET", "/api" + path.removeprefix("/backends/flex"))
    return answer.json_object()


async def test_every_json_answer_has_a_stable_strong_etag(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": FLEX}))
    for path in ("/", LIST, "/assets"):
        first, second = await client.get(path), await client.get(path)
        assert first.status == 200, path
        tag = first.headers["ETag"]
        assert tag == second.headers["ETag"]
        assert tag == etag_of(first.content_type, await first.read())
        assert not tag.startswith("W/")
    # The same document as another media type is another representation.
    as_json = await client.get("/openapi.json", headers={"Accept": "application/json"})
    as_oas = await client.get(
        "/openapi.json", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    assert await as_json.read() == await as_oas.read()
    assert as_json.headers["ETag"] != as_oas.headers["ETag"]


async def test_if_none_match_is_a_304_without_a_body(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": FLEX}))
    for path in ("/", LIST):
        tag = (await client.get(path)).headers["ETag"]
        for value in (tag, "W/" + tag, f'"nope", {tag}', "*"):
            answer = await client.get(path, headers={"If-None-Match": value})
            assert answer.status == 304, (path, value)
            assert await answer.read() == b""
            assert answer.headers["ETag"] == tag
            assert "Accept" in answer.headers["Vary"]
        for value in ('"nope"', tag[:-1], "W/"):
            answer = await client.get(path, headers={"If-None-Match": value})
            assert answer.status == 200, (path, value)


async def test_cache_control_and_vary(gateway: GatewayFactory, make_config: ConfigFactory) -> None:
    backends = {"flex": CACHED, "azure": AZURE}
    client = await gateway(make_config(backends=backends))
    cached, uncached = await client.get(LIST), await client.get("/backends/azure")
    assert cached.headers["Cache-Control"] == "private, max-age=60"
    assert uncached.headers["Cache-Control"] == "private, no-cache"
    for answer in (cached, uncached):
        assert answer.headers["Vary"] == "Accept, Authorization, Cookie"
    anonymous = await client.get("/", headers={"Authorization": ""})
    assert anonymous.headers["Vary"] == "Accept"
    # Answers that must never be stored keep saying so.
    assert (await client.get("/auth/me")).headers["Cache-Control"] == "no-store"


async def test_a_cached_answer_is_served_without_calling_the_upstream_until_it_expires(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": CACHED}))
    clock = FakeClock()
    client.app[RESPONSE_CACHE].clock = clock
    calls = count_calls(client)
    first = await client.get(LIST)
    assert len(calls) == 1
    body = await first.read()
    clock.advance(59)
    again = await client.get(LIST)
    assert (again.status, await again.read(), len(calls)) == (200, body, 1)
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Age"] == "59"
    revalidated = await client.get(LIST, headers={"If-None-Match": first.headers["ETag"]})
    assert (revalidated.status, len(calls)) == (304, 1)
    head = await client.head(LIST)
    assert (head.status, await head.read(), len(calls)) == (200, b"", 1)
    assert head.headers["Content-Length"] == str(len(body))
    # Read off the socket: no body bytes follow the cached HEAD answer's head.
    wire_head, rest = await head_alone(client.make_url(LIST), bearer(client.app, "admin"))
    assert (status_of(wire_head), rest, len(calls)) == (200, b"", 1)
    clock.advance(2)
    assert (await client.get(LIST)).status == 200
    assert len(calls) == 2


async def test_a_backend_without_a_max_age_is_not_cached(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    for server, flex in (({"cache_max_bytes": 0}, CACHED), ({}, FLEX)):
        client = await gateway(make_config(server, backends={"flex": flex}))
        calls = count_calls(client)
        answers = [await client.get(LIST) for _ in range(2)]
        assert len(calls) == 2
        # Conditional requests work all the same.
        tag = answers[0].headers["ETag"]
        assert (await client.get(LIST, headers={"If-None-Match": tag})).status == 304


async def test_identities_with_their_own_credentials_never_share_an_entry(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    users = [
        *auth_table()["users"],
        user_entry("alice", "alice-password", ["editor"]),
        user_entry("bob", "bob-password", ["editor"]),
    ]
    flex = {
        "kind": "flex",
        "url": "simulator",
        "cache_max_age_s": 60,
        "users": {
            "alice": {"username": "alice-flex", "password": "alice-flex-pw"},
            "bob": {"username": "bob-flex", "password": "bob-flex-pw"},
        },
    }
    config = make_config(auth=auth_table(users=users), backends={"flex": flex})
    client = await gateway(config, user=None)
    alice, bob = bearer(client.app, "alice"), bearer(client.app, "bob")
    calls = count_calls(client)
    assert (await client.get(LIST, headers=alice)).status == 200
    assert (await client.get(LIST, headers=alice)).status == 200
    assert len(calls) == 1
    assert (await client.get(LIST, headers=bob)).status == 200
    assert len(calls) == 2  # bob's credentials asked the upstream themselves
    assert (await client.get(LIST, headers=bob)).status == 200
    assert len(calls) == 2


async def test_callers_with_other_roles_do_not_share_an_entry(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": CACHED}), user=None)
    calls = count_calls(client)
    for user in ("admin", "editor", "reader"):
        await client.get(LIST, headers=bearer(client.app, user))
    assert len(calls) == 3
    # Same roles, another identity, one service credential: the entry is shared.
    await client.get(LIST, headers=bearer(client.app, "ingest-bot", "client"))
    assert len(calls) == 3


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
async def test_a_write_empties_the_resource_and_its_list(
    gateway: GatewayFactory, make_config: ConfigFactory, method: str
) -> None:
    client = await gateway(make_config(backends={"flex": CACHED}))
    one = await first_collection(client)  # the list is in the cache now
    calls = count_calls(client)
    for path in (LIST, one, LIST, one):
        assert (await client.get(path)).status == 200
    assert calls == ["GET /api" + one.removeprefix("/backends/flex")]
    if method == "POST":
        written = await client.post(LIST, json={"name": "Fresh"})
    else:
        written = await client.request(method, one, json={"name": "Renamed"})
    assert written.status < 300, await written.text()
    calls.clear()
    listing = await client.get(LIST)
    resource = await client.get(one)
    assert len(calls) == 2  # both asked the upstream again
    names = [c["name"] for c in (await listing.json())["_embedded"]["flex:collection"]]
    if method == "PUT":
        assert (await resource.json())["name"] == "Renamed"
        assert "Renamed" in names
    elif method == "DELETE":
        assert resource.status == 404
        assert one.rsplit("/", 1)[1] not in str(await listing.json())
    else:
        assert "Fresh" in names


async def test_a_failed_write_empties_the_entries_too(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": CACHED}))
    calls = count_calls(client)
    await client.get(LIST)
    await client.get(LIST)
    assert len(calls) == 1
    refused = await client.put(LIST + "/00000000-0000-0000-0000-000000000000", json={"name": 1})
    assert refused.status >= 400
    calls.clear()
    await client.get(LIST)
    assert calls == ["GET /api/collections"]


async def test_a_write_in_one_process_empties_the_entries_of_another(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: Callable[[FlexSimulator], Awaitable[FlexSimulator]],
    redis_url: str,
    key_prefix: str,
) -> None:
    simulator = await start_simulator(FlexSimulator(users={"u": "p-secret"}))
    flex = {**CACHED, "url": simulator.url}
    session = {"store": "redis", "redis_url": redis_url, "key_prefix": key_prefix}
    one, other = [
        await gateway(make_config(backends={"flex": flex}, session=session)) for _ in range(2)
    ]
    path = await first_collection(one)
    await other.get(path)
    other_calls = count_calls(other)
    assert (await other.get(path)).status == 200
    assert other_calls == []  # served from its cache
    renamed = await one.put(path, json={"name": "Renamed elsewhere"})
    assert renamed.status == 200
    answer = await other.get(path)
    assert (await answer.json())["name"] == "Renamed elsewhere"
    assert len(other_calls) == 1


async def test_if_match_lets_a_write_through_only_for_the_current_representation(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": FLEX}))
    path = await first_collection(client)
    current = await client.get(path)
    tag = current.headers["ETag"]
    name = (await current.json())["name"]
    calls = count_calls(client)
    for stale in ('"stale"', "W/" + tag, "garbage"):
        refused = await client.put(path, json={"name": "Lost"}, headers={"If-Match": stale})
        assert refused.status == 412, stale
        problem = await refused.json()
        assert problem["code"] == "precondition-failed"
        assert problem["detail"].startswith(f"{path} changed since")
    assert not [c for c in calls if not c.startswith("GET ")]  # nothing was written
    assert (await upstream_collection(client, path))["name"] == name
    refused = await client.delete(path, headers={"If-Match": '"stale"'})
    assert refused.status == 412
    assert (await upstream_collection(client, path))["name"] == name
    done = await client.put(path, json={"name": "Kept"}, headers={"If-Match": f'"x", {tag}'})
    assert done.status == 200
    assert (await upstream_collection(client, path))["name"] == "Kept"
    # The tag of before the write is stale now.
    again = await client.put(path, json={"name": "Again"}, headers={"If-Match": tag})
    assert again.status == 412
    assert (await upstream_collection(client, path))["name"] == "Kept"
    fresh = (await client.get(path)).headers["ETag"]
    assert (await client.delete(path, headers={"If-Match": fresh})).status == 204


async def test_if_match_on_a_missing_resource_fails(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={"flex": FLEX}))
    missing = LIST + "/00000000-0000-0000-0000-000000000000"
    calls = count_calls(client)
    for value in ("*", '"any"'):
        refused = await client.put(missing, json={"name": "x"}, headers={"If-Match": value})
        assert refused.status == 412, value
        assert "is not there" in (await refused.json())["detail"]
    assert all(c.startswith("GET ") for c in calls)
    path = await first_collection(client)
    star = await client.put(path, json={"name": "Star"}, headers={"If-Match": "*"})
    assert star.status == 200
    assert (await upstream_collection(client, path))["name"] == "Star"
