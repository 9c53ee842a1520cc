"""``Idempotency-Key`` on POST, through real sockets: the same key never creates twice."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict

from adapters.avalon.simulator import DEFAULT_ADMIN_KEY, AvalonSimulator
from gateway.app import STORE
from gateway.auth.idempotency import PENDING_STALE_S, TTL_S, parse_key
from gateway.backends.runtime import BACKENDS
from gateway.state.redis_store import RedisStore
from tests.support.avalon import ADMIN, client, nav, simulator
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import bearer
from tests.support.navigator import Navigator

__all__ = ["client", "nav", "simulator"]

KEY = "Idempotency-Key"


async def created_count(sim: AvalonSimulator, http: aiohttp.ClientSession) -> int:
    """How many media objects the simulator holds (its ``Total`` header)."""
    async with http.get(f"{sim.url}/media_objects.json", headers=ADMIN) as response:
        assert response.status == 200
        return int(response.headers["Total"])


async def create_href(nav: Navigator) -> str:
    return nav.href(await nav.backend(), "avalon:media-objects")


def new_item(title: str = "Interview") -> dict[str, Any]:
    return {"collection_id": "c1", "fields": {"title": title, "date_issued": "2024"}}


async def collection_id(nav: Navigator) -> str:
    collections = await nav.follow(await nav.backend(), "avalon:collections")
    return str(collections["_embedded"]["avalon:collection"][0]["id"])


async def test_the_same_key_replays_the_201_and_creates_once(
    nav: Navigator, simulator: AvalonSimulator, http: aiohttp.ClientSession
) -> None:
    href = await create_href(nav)
    body = new_item() | {"collection_id": await collection_id(nav)}
    before = await created_count(simulator, http)
    key = {KEY: f'"{uuid.uuid4()}"'}
    first, created = await nav.request("POST", href, json=body, headers=key)
    assert first.status == 201, created
    again, replayed = await nav.request("POST", href, json=body, headers=key)
    assert again.status == 201
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert replayed == created
    assert await created_count(simulator, http) == before + 1
    # Without a key, or with another, a POST creates as ever.
    other, _ = await nav.request("POST", href, json=body, headers={KEY: "another-key"})
    assert other.status == 201
    assert other.headers["Location"] != first.headers["Location"]
    assert await created_count(simulator, http) == before + 2


async def test_the_same_key_with_a_different_body_is_a_409(
    nav: Navigator, simulator: AvalonSimulator, http: aiohttp.ClientSession
) -> None:
    href = await create_href(nav)
    cid = await collection_id(nav)
    key = {KEY: "k-different-body"}
    first, _ = await nav.request(
        "POST", href, json=new_item() | {"collection_id": cid}, headers=key
    )
    assert first.status == 201
    before = await created_count(simulator, http)
    other = new_item("Another") | {"collection_id": cid}
    problem = await nav.problem("POST", href, 409, json=other, headers=key)
    assert "different request" in problem["detail"]
    assert problem["transient"] is False
    assert await created_count(simulator, http) == before


async def test_keys_belong_to_their_identity(
    client: TestClient[Any, Any],
    nav: Navigator,
    simulator: AvalonSimulator,
    http: aiohttp.ClientSession,
) -> None:
    href = await create_href(nav)
    body = new_item() | {"collection_id": await collection_id(nav)}
    before = await created_count(simulator, http)
    admin, _ = await nav.request("POST", href, json=body, headers={KEY: "shared"})
    editor, _ = await nav.request(
        "POST", href, json=body, headers={KEY: "shared", **bearer(client.app, "editor")}
    )
    assert admin.status == editor.status == 201
    assert "Idempotent-Replayed" not in editor.headers
    assert admin.headers["Location"] != editor.headers["Location"]
    assert await created_count(simulator, http) == before + 2


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param('""', id="empty-quoted"),
        pytest.param('"unterminated', id="unterminated"),
        pytest.param("two words", id="space-unquoted"),
        pytest.param('"a\\"b"', id="escape-inside"),
        pytest.param("k" * 256, id="too-long"),
    ],
)
async def test_a_malformed_key_is_a_400(
    nav: Navigator, simulator: AvalonSimulator, http: aiohttp.ClientSession, value: str
) -> None:
    href = await create_href(nav)
    body = new_item() | {"collection_id": await collection_id(nav)}
    before = await created_count(simulator, http)
    problem = await nav.problem("POST", href, 400, json=body, headers={KEY: value})
    assert KEY in problem["detail"]
    assert await created_count(simulator, http) == before


async def test_two_key_headers_are_a_400(nav: Navigator) -> None:
    href = await create_href(nav)
    body = new_item() | {"collection_id": await collection_id(nav)}
    headers = CIMultiDict([(KEY, "a"), (KEY, "b")])
    problem = await nav.problem("POST", href, 400, json=body, headers=headers)
    assert KEY in problem["detail"]


@pytest.mark.parametrize(
    "value", [pytest.param("k" * 255, id="255-plain"), pytest.param('"a key, quoted"', id="quoted")]
)
def test_well_formed_keys(value: str) -> None:
    assert parse_key(value) == value.strip('"')


class SlowAvalon:
    """A stand-in Avalon whose POST waits to be released; it counts the POSTs."""

    def __init__(self) -> None:
        self.posts = 0
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            if request.method == "POST":
                self.posts += 1
                self.arrived.set()
                await self.release.wait()
                return web.json_response({"id": f"new{self.posts}"})
            return web.json_response({"errors": ["Solr is down"]}, status=503)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app


async def avalon_at(
    url: str,
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    server: dict[str, Any] | None = None,
    **keys: Any,
) -> Navigator:
    backend = {"kind": "avalon", "url": url, "api_key": DEFAULT_ADMIN_KEY, "retries": 0, **keys}
    config = make_config(server, backends={"archive": backend})
    return Navigator(await gateway(config, wait_probed=False), "archive")


async def test_a_concurrent_duplicate_is_a_409_with_retry_after(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Any
) -> None:
    fake = SlowAvalon()
    nav = await avalon_at(await upstream(fake.app()), gateway, make_config)
    href = await create_href(nav)
    key = {KEY: "k-concurrent"}
    first = asyncio.create_task(nav.request("POST", href, json=new_item(), headers=key))
    await asyncio.wait_for(fake.arrived.wait(), 5)
    response, problem = await nav.request("POST", href, json=new_item(), headers=key)
    assert response.status == 409, problem
    assert response.headers["Retry-After"] == "2"
    assert problem["transient"] is True
    fake.release.set()
    done, _ = await first
    assert done.status == 201
    again, _ = await nav.request("POST", href, json=new_item(), headers=key)
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == done.headers["Location"]
    assert fake.posts == 1


async def test_a_post_refused_at_the_backends_cap_may_be_sent_again_with_its_key(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Any
) -> None:
    """Refused before anything was sent (503 backend-busy): the key is free, not unknown."""
    fake = SlowAvalon()
    url = await upstream(fake.app())
    nav = await avalon_at(url, gateway, make_config, {"upstream_queue_s": 0.2}, max_concurrent=1)
    href = await create_href(nav)
    first = asyncio.create_task(
        nav.request("POST", href, json=new_item(), headers={KEY: "k-first"})
    )
    await asyncio.wait_for(fake.arrived.wait(), 5)
    key = {KEY: "k-refused-at-the-cap"}
    problem = await nav.problem("POST", href, 503, json=new_item(), headers=key)
    assert problem["code"] == "backend-busy"
    fake.release.set()
    assert (await first)[0].status == 201
    again, _ = await nav.request("POST", href, json=new_item(), headers=key)
    assert again.status == 201
    assert "Idempotent-Replayed" not in again.headers
    assert fake.posts == 2


async def test_a_post_refused_by_an_open_circuit_may_be_sent_again_with_its_key(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Any
) -> None:
    """Refused before anything was sent (503 backend-unavailable): the key is free."""
    fake = SlowAvalon()
    fake.release.set()
    # The stand-in fails every GET: the readiness probe's failure opens the breaker.
    url = await upstream(fake.app())
    nav = await avalon_at(url, gateway, make_config, breaker_failures=1, breaker_open_s=60)
    await nav.client.app[BACKENDS].probed.wait()
    breaker = nav.client.app[BACKENDS].backends["archive"].breaker
    assert breaker.state == "open"
    href = await create_href(nav)
    key = {KEY: "k-refused-by-the-breaker"}
    problem = await nav.problem("POST", href, 503, json=new_item(), headers=key)
    assert problem["code"] == "backend-unavailable"
    assert fake.posts == 0
    breaker.clock = FakeClock(time.monotonic() + 60)  # its time is up: the POST is the trial
    again, _ = await nav.request("POST", href, json=new_item(), headers=key)
    assert again.status == 201
    assert "Idempotent-Replayed" not in again.headers
    assert fake.posts == 1


class DroppingAvalon:
    """A loopback Avalon that reads each POST whole, then closes without answering."""

    def __init__(self) -> None:
        self.posts = 0
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            length = 0
            for line in head.split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            if head.startswith("POST "):
                self.posts += 1
            else:
                writer.write(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture
async def dropping() -> AsyncIterator[DroppingAvalon]:
    fake = DroppingAvalon()
    await fake.start()
    yield fake
    assert fake.server is not None
    fake.server.close()
    await fake.server.wait_closed()


async def test_a_post_whose_answer_was_lost_is_not_retried_with_its_key(
    gateway: GatewayFactory, make_config: ConfigFactory, dropping: DroppingAvalon
) -> None:
    nav = await avalon_at(dropping.url, gateway, make_config)
    href = await create_href(nav)
    key = {KEY: "k-lost"}
    problem = await nav.problem("POST", href, 503, json=new_item(), headers=key)
    assert problem["transient"] is False
    assert "outcome is unknown" in problem["detail"]
    assert dropping.posts == 1
    again = await nav.problem("POST", href, 409, json=new_item(), headers=key)
    assert again["transient"] is False
    assert "outcome is unknown" in again["detail"]
    assert dropping.posts == 1


async def test_a_refused_post_releases_its_key(
    nav: Navigator, simulator: AvalonSimulator, http: aiohttp.ClientSession
) -> None:
    """Nothing was created (Avalon refused the body): the same key may be sent again."""
    href = await create_href(nav)
    key = {KEY: "k-fix-and-resend"}
    await nav.problem("POST", href, 400, json={"fields": {}}, headers=key)
    body = new_item() | {"collection_id": await collection_id(nav)}
    response, _ = await nav.request("POST", href, json=body, headers=key)
    assert response.status == 201


async def test_outcomes_are_shared_through_redis(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    simulator: AvalonSimulator,
    http: aiohttp.ClientSession,
    redis_url: str,
    key_prefix: str,
) -> None:
    """Two gateway processes on one Redis: a key used on one replays on the other."""
    session = {"store": "redis", "redis_url": redis_url, "key_prefix": key_prefix}
    backend = {"kind": "avalon", "url": simulator.url, "api_key": DEFAULT_ADMIN_KEY}

    def config() -> Any:
        return make_config(backends={"archive": backend}, session=session)

    one = Navigator(await gateway(config()), "archive")
    two = Navigator(await gateway(config()), "archive")
    assert isinstance(one.client.app[STORE], RedisStore)
    href_one, href_two = await create_href(one), await create_href(two)
    body = new_item() | {"collection_id": await collection_id(one)}
    before = await created_count(simulator, http)
    key = {KEY: f"redis-{uuid.uuid4()}"}
    first, _ = await one.request("POST", href_one, json=body, headers=key)
    assert first.status == 201
    again, _ = await two.request("POST", href_two, json=body, headers=key)
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (
        again.headers["Location"].rsplit("/", 1)[1] == first.headers["Location"].rsplit("/", 1)[1]
    )
    assert await created_count(simulator, http) == before + 1


async def test_a_key_is_forgotten_a_day_after_its_post(
    nav: Navigator, simulator: AvalonSimulator, http: aiohttp.ClientSession
) -> None:
    """The outcome is kept :data:`TTL_S` (a day): the same key replays until then, and
    after it is a new POST."""
    clock = FakeClock()
    nav.client.app[STORE].clock = clock  # records age by the state store's clock
    href = await create_href(nav)
    body = new_item() | {"collection_id": await collection_id(nav)}
    before = await created_count(simulator, http)
    key = {KEY: "k-a-day-long"}
    first, _ = await nav.request("POST", href, json=body, headers=key)
    assert first.status == 201
    clock.advance(TTL_S - 1)
    replayed, _ = await nav.request("POST", href, json=body, headers=key)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.headers["Location"] == first.headers["Location"]
    assert await created_count(simulator, http) == before + 1
    clock.advance(2)
    anew, _ = await nav.request("POST", href, json=body, headers=key)
    assert anew.status == 201
    assert "Idempotent-Replayed" not in anew.headers
    assert anew.headers["Location"] != first.headers["Location"]
    assert await created_count(simulator, http) == before + 2


async def test_a_post_pending_for_hours_is_taken_for_one_whose_outcome_is_unknown(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Any
) -> None:
    """A request still pending after :data:`PENDING_STALE_S` died with its process: a
    retry is told to check the resource, not to come back in two seconds."""
    fake = SlowAvalon()
    nav = await avalon_at(await upstream(fake.app()), gateway, make_config)
    clock = FakeClock(time.time() + 86_400)  # a day ahead: no other clock may stand in
    nav.client.app[STORE].clock = clock
    href = await create_href(nav)
    key = {KEY: "k-stale"}
    first = asyncio.create_task(nav.request("POST", href, json=new_item(), headers=key))
    try:
        await asyncio.wait_for(fake.arrived.wait(), 5)
        clock.advance(PENDING_STALE_S - 1)
        pending = await nav.problem("POST", href, 409, json=new_item(), headers=key)
        assert pending["transient"] is True
        assert "still being processed" in pending["detail"]
        clock.advance(2)
        response, stale = await nav.request("POST", href, json=new_item(), headers=key)
        assert response.status == 409
        assert "Retry-After" not in response.headers
        assert stale["transient"] is False
        assert "outcome is unknown" in stale["detail"]
    finally:
        fake.release.set()  # the held POST ends either way
    done, _ = await first
    assert done.status == 201
    assert fake.posts == 1
