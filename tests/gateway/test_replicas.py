"""Several replicas: three ``hal-gateway serve`` processes, one Redis, one client over them all.

Everything is real: three gateway processes on ports of their own sharing one config (the
suite's redis-server, one signing key), the Avalon and MediaCentral simulators on loopback
(served by this test's event loop, so their counters can be read), and a client that sends
each request to the next replica in turn. Whatever a user does on one replica holds on
the others: logins, logouts, revocations, rate limits, idempotency keys, the emptying of
cached answers, and a backend's upstream login, which happens once for them all.

The replicas are started once, at the same time, and shared by the tests; each test
acts as a user of its own, so that no test spends another's rate limit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final, NamedTuple

import aiohttp
import pytest
import pytest_asyncio

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from adapters.mediacentral.simulator import DEFAULT_USERS, MediaCentralSimulator
from gateway.auth.passwords import hash_password
from tests.support import processes
from tests.support.identities import CHEAP, SIGNING_KEY
from tests.support.replicas import RoundRobin, cookie_of, start_replicas
from tests.support.replies import fetch

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPLICAS: Final = 3
BURST: Final = 20
"""``server.rate_limit_burst``; the bucket refills a token in 20 s, longer than any test."""
COOKIE: Final = "halgw_session"
USERS: Final = ("ana", "ben", "mia", "rob", "ida", "cat")
"""One user per test, every one an editor; each one's password is its name twice."""
MC_USER: Final = "mia"
"""The only user with credentials of the MediaCentral backend.

A per-user backend is probed for reachability only, so nothing logs in there before the
test's own first requests do (service credentials would be logged in by the probes)."""
FORM: Final = {"Content-Type": "application/x-www-form-urlencoded"}


class Served(NamedTuple):
    """The replicas, their client, and the upstreams behind them."""

    client: RoundRobin
    avalon: AvalonSimulator
    mediacentral: MediaCentralSimulator


def write_config(path: Path, redis_url: str, avalon: str, mediacentral: str) -> Path:
    """The one config every replica reads."""
    [(mc_name, mc_password)] = DEFAULT_USERS.items()
    users = "".join(
        f'[[auth.users]]\nname = "{name}"\nroles = ["editor"]\n'
        f'password_hash = "{hash_password(name * 2, CHEAP)}"\n'
        for name in USERS
    )
    path.write_text(
        f"""
[server]
port = 0
rate_limit_burst = {BURST}
rate_limit_per_s = 0.05
probe_interval_s = 3600
[auth]
signing_key = "{SIGNING_KEY}"
{users}
[session]
store = "redis"
redis_url = "{redis_url}"
key_prefix = "test:{uuid.uuid4().hex[:12]}:"
[backends.avalon]
kind = "avalon"
url = "{avalon}"
api_key = "{DEFAULT_ADMIN_KEY}"
cache_max_age_s = 300
[backends.news]
kind = "mediacentral"
url = "{mediacentral}"
[backends.news.users.{MC_USER}]
username = "{mc_name}"
password = "{mc_password}"
"""
    )
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> AsyncIterator[Served]:
    """Three replicas in front of an Avalon and a MediaCentral simulator, and the client."""
    avalon = AvalonSimulator(purge_delay_s=3600)
    mediacentral = MediaCentralSimulator()
    await avalon.start()
    await mediacentral.start()
    folder = tmp_path_factory.mktemp("replicas")
    config = write_config(folder / "gw.toml", redis_url, avalon.url, mediacentral.url)
    started: processes.Started = []
    try:
        urls = await start_replicas(started, config, REPLICAS, folder)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            yield Served(RoundRobin(http, urls), avalon, mediacentral)
    finally:
        processes.stop(started)
        await mediacentral.close()
        await avalon.close()


async def bearer(client: RoundRobin, user: str, at: int | None = None) -> dict[str, str]:
    """An ``Authorization`` header with a token ``user`` got from a replica."""
    form = {"grant_type": "password", "username": user, "password": user * 2}
    reply = await client.call("POST", "/auth/token", at=at, data=form, headers=FORM)
    assert reply.status == 200, reply.body
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def test_a_session_from_one_replica_serves_on_all_until_a_logout_on_any(
    served: Served,
) -> None:
    client = served.client
    login = {"username": "ana", "password": "ana" * 2}
    reply = await client.call("POST", "/auth/login", at=1, json=login)
    assert reply.status == 200
    session = cookie_of(reply, COOKIE)
    csrf = {"X-CSRF-Token": reply.json()["csrf_token"]}
    for at in (2, 3):
        me = await client.call("GET", "/auth/me", at=at, headers=session)
        assert (me.status, me.json()["name"], me.json()["via"]) == (200, "ana", "session")
        listed = await client.call("GET", "/backends/avalon/collections", at=at, headers=session)
        assert listed.status == 200
        assert listed.json()["_embedded"]["avalon:collection"]

    assert (await client.call("POST", "/auth/logout", at=3, headers=session | csrf)).status == 204
    for at in (1, 2):
        assert (await client.call("GET", "/auth/me", at=at, headers=session)).status == 401


async def test_a_token_from_one_replica_serves_on_all_until_revoked_on_any(
    served: Served,
) -> None:
    client = served.client
    token = await bearer(client, "ben", at=2)
    for at in (1, 3):
        listed = await client.call("GET", "/backends/avalon/collections", at=at, headers=token)
        assert listed.status == 200

    assert (await client.call("POST", "/auth/logout", at=1, headers=token)).status == 204
    for at in (2, 3):
        refused = await client.call("GET", "/auth/me", at=at, headers=token)
        assert refused.status == 401
        assert "revoked" in refused.json()["detail"]


async def test_the_upstream_login_happens_once_for_every_replica(served: Served) -> None:
    client, counters = served.client, served.mediacentral.counters
    token = await bearer(client, MC_USER)
    assert counters.login_attempts == 0  # the per-user backend was only probed for reachability
    firsts = await asyncio.gather(
        *(
            client.call("GET", "/backends/news/locations", at=at, headers=token)
            for at in range(1, REPLICAS + 1)
        )
    )
    assert [r.status for r in firsts] == [200] * REPLICAS
    assert counters.login_attempts == 1
    for at in range(1, REPLICAS + 1):  # and each replica uses that login
        me = await client.call("GET", "/auth/me", at=at, headers=token)
        [news] = [b for b in me.json()["backends"] if b["name"] == "news"]
        assert news["upstream_login"] == "live"
    assert counters.login_attempts == 1


async def test_a_rate_limit_holds_for_every_replica_together(served: Served) -> None:
    client = served.client
    token = await bearer(client, "rob")
    statuses: dict[int, list[int]] = {at: [] for at in range(1, REPLICAS + 1)}
    for n in range(REPLICAS * BURST):
        at = n % REPLICAS + 1
        reply = await client.call("GET", "/auth/me", at=at, headers=token)
        statuses[at].append(reply.status)
        if reply.status == 429:
            assert int(reply.headers["Retry-After"]) > 0
    answered = [s for replies in statuses.values() for s in replies]
    assert answered.count(200) == BURST  # one bucket for all three, not one each
    assert answered.count(429) == (REPLICAS - 1) * BURST
    assert all(replies[-1] == 429 for replies in statuses.values())


async def test_an_idempotency_key_holds_for_every_replica(served: Served) -> None:
    client = served.client
    token = await bearer(client, "ida")
    name = f"Replicated {uuid.uuid4().hex[:8]}"
    sent = {"name": name, "unit": "Default Unit", "managers": ["archivist1@example.com"]}
    key = {"Idempotency-Key": uuid.uuid4().hex, **token}
    path = "/backends/avalon/collections"

    first = await client.call("POST", path, at=1, json=sent, headers=key)
    assert first.status == 201
    again = await client.call("POST", path, at=2, json=sent, headers=key)
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.body, again.headers["Location"]) == (first.body, first.headers["Location"])
    other = await client.call("POST", path, at=3, json={**sent, "name": "Else"}, headers=key)
    assert other.status == 409

    upstream = await fetch(
        client.http,
        "GET",
        f"{served.avalon.url}/admin/collections.json",
        params={"per_page": "1000"},
        headers={"Avalon-Api-Key": DEFAULT_ADMIN_KEY},
    )
    assert [c["name"] for c in upstream.json()].count(name) == 1


async def test_a_write_on_one_replica_empties_the_cached_answers_of_the_others(
    served: Served,
) -> None:
    client = served.client
    token = await bearer(client, "cat")
    sent = {"name": f"Cached {uuid.uuid4().hex[:8]}", "unit": "Default Unit", "managers": []}
    created = await client.call("POST", "/backends/avalon/collections", json=sent, headers=token)
    assert created.status == 201
    path = "/backends/avalon/collections/" + created.json()["id"]

    for at in range(1, REPLICAS + 1):
        fresh = await client.call("GET", path, at=at, headers=token)
        assert (fresh.status, fresh.json().get("description")) == (200, None)
        assert "Age" not in fresh.headers
        cached = await client.call("GET", path, at=at, headers=token)
        assert "Age" in cached.headers  # each replica now answers from its own cache

    change = {"admin_collection": {"description": "Edited on one replica"}}
    assert (await client.call("PUT", path, at=1, json=change, headers=token)).status == 200
    for at in (2, 3):
        seen = await client.call("GET", path, at=at, headers=token)
        assert seen.json()["description"] == "Edited on one replica"
