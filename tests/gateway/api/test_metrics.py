"""``GET /metrics``: known traffic through a gateway, then what a scraper reads of it.

Every gateway runs in front of simulators on loopback; readiness probes are made rare
(``probe_interval_s``), so that the only upstream calls between two scrapes are the
test's own, and counts are compared exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
from aiohttp.test_utils import TestClient

from adapters.mediacentral.simulator import DEFAULT_USERS, MediaCentralSimulator
from gateway.api.registry import package_version
from tests.support.fixtures import ConfigFactory, GatewayFactory, backend_simulator
from tests.support.identities import CLIENTS, USERS, bearer, token_for
from tests.support.scraped import Scrape, scrape

AVALON: Final = {"kind": "avalon", "url": "simulator", "api_key": "a" * 128}
QUIET: Final = {"probe_interval_s": 3600}
"""No readiness probe after the first one while a test runs."""
TOKEN: Final = "scrape-token-0123456789abcdef-0123456789"
OBJECT: Final = "/backends/{name}/media-objects/{id}"
REQUESTS: Final = "halgw_http_requests_total"
UPSTREAM: Final = "halgw_upstream_requests_total"


async def media_object_ids(client: TestClient[Any, Any], count: int) -> list[str]:
    """Ids of ``count`` media objects of backend ``avalon``, from its list."""
    answer = await client.get(f"/backends/avalon/media-objects?per_page={count}")
    assert answer.status == 200
    items = (await answer.json())["_embedded"]["avalon:media-object"]
    return [item["id"] for item in items]


async def test_requests_are_counted_by_route_template_method_status_and_backend(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(server=QUIET, backends={"avalon": AVALON}))
    [one] = await media_object_ids(client, 1)
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get(f"/backends/avalon/media-objects/{one}")).status == 200
    assert (await client.head(f"/backends/avalon/media-objects/{one}")).status == 200
    assert (await client.get("/no/such/thing")).status == 404
    assert (await client.post("/backends/avalon/media-objects/x")).status == 405
    after = await scrape(client)

    def counted(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    on_object = {"route": OBJECT, "backend": "avalon"}
    assert counted(REQUESTS, method="GET", status="200", **on_object) == 3
    assert counted(REQUESTS, method="HEAD", status="200", **on_object) == 1
    # Unmatched paths share one series per method, whatever the path was.
    assert counted(REQUESTS, route="unmatched", method="GET", status="404", backend="") == 1
    assert counted(REQUESTS, route="unmatched", method="POST", status="405", backend="") == 1
    assert counted("halgw_http_request_duration_seconds_count", method="GET", **on_object) == 3
    # Every one of them went upstream (no response cache for this backend): 3 GETs, 1 HEAD.
    assert counted(UPSTREAM, backend="avalon", method="GET", status="200") == 4
    assert counted("halgw_upstream_request_duration_seconds_count", backend="avalon", method="GET")
    # The scrape answering now is the one request in flight.
    assert after.value("halgw_http_requests_in_flight") == 1
    assert after.value("halgw_backend_ready", backend="avalon") == 1


async def test_answers_from_the_response_cache_count_as_hits(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    cached = {**AVALON, "cache_max_age_s": 60}
    client = await gateway(make_config(server=QUIET, backends={"avalon": cached}))
    before = await scrape(client)
    for _ in range(3):
        assert (await client.get("/backends/avalon/media-objects?per_page=1")).status == 200
    after = await scrape(client)
    assert after.value("halgw_cache_misses_total", backend="avalon") == 1
    assert after.value("halgw_cache_hits_total", backend="avalon") == 2
    upstream = {"backend": "avalon", "method": "GET", "status": "200"}
    assert after.value(UPSTREAM, **upstream) - before.value(UPSTREAM, **upstream) == 1
    assert after.value("halgw_cache_entries") == 1
    assert after.value("halgw_cache_stored_bytes") > 1000  # one media object list and its head


async def test_failed_upstream_calls_are_counted_each_try_and_open_the_breaker(
    gateway: GatewayFactory, make_config: ConfigFactory, unused_tcp_port: int
) -> None:
    failing = {**AVALON, "retries": 2, "breaker_failures": 5, "breaker_open_s": 60}
    down = {
        "kind": "azure",
        "url": f"http://127.0.0.1:{unused_tcp_port}",
        "token": "t",
        "retries": 0,
    }
    client = await gateway(make_config(server=QUIET, backends={"avalon": failing, "down": down}))
    backend_simulator(client, "avalon").fail_status = 503
    answer = await client.get("/backends/avalon/media-objects")
    assert answer.status == 503
    after = await scrape(client)
    # One call, three exchanges (two retries), each counted with the upstream's status.
    assert after.value(UPSTREAM, backend="avalon", method="GET", status="503") == 3
    assert after.value("halgw_backend_breaker_state", backend="avalon") == 0  # 3 of 5
    assert (await client.get("/backends/avalon/media-objects")).status == 503
    after = await scrape(client)
    assert after.value("halgw_backend_breaker_state", backend="avalon") == 2  # open
    assert after.value("halgw_backend_breaker_opened_total", backend="avalon") == 1
    # Its probe passed, but requests are refused meanwhile: not ready, as /readyz says.
    assert after.value("halgw_backend_ready", backend="avalon") == 0
    assert after.value("halgw_backend_breaker_state", backend="down") == 0
    # No upstream at all: the probe's exchange got no answer.
    assert after.value(UPSTREAM, backend="down", method="GET", status="unreachable") == 1
    assert after.value("halgw_backend_ready", backend="down") == 0


async def test_upstream_logins_and_their_failures_are_counted_per_backend(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    start_simulator: Callable[[MediaCentralSimulator], Awaitable[MediaCentralSimulator]],
) -> None:
    sim = await start_simulator(MediaCentralSimulator())
    [(user, password)] = DEFAULT_USERS.items()
    keys = {"kind": "mediacentral", "url": sim.url, "auth": "mcux", "username": user}
    backends = {
        "news": {**keys, "password": password},
        "wrong": {**keys, "password": "not-the-password"},
    }
    client = await gateway(make_config(server=QUIET, backends=backends))
    for _ in range(3):
        assert (await client.get("/backends/news/locations")).status == 200
    after = await scrape(client)
    # One login each, the readiness probe's: the requests after it reuse its session.
    assert after.value("halgw_upstream_logins_total", backend="news") == 1
    assert after.value("halgw_upstream_login_failures_total", backend="news") == 0
    assert after.value("halgw_upstream_logins_total", backend="wrong") == 1
    assert after.value("halgw_upstream_login_failures_total", backend="wrong") == 1


async def test_rate_limited_answers_are_counted(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    server = {**QUIET, "rate_limit_per_s": 0.001, "rate_limit_burst": 3, "metrics_token": TOKEN}
    client = await gateway(make_config(server=server, backends={}))
    statuses = [(await client.get("/backends")).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    # The admin is over its limit; the scraper, nobody's, has none.
    after = await scrape(client, Authorization=f"Bearer {TOKEN}")
    assert after.value("halgw_rate_limited_total") == 2
    route = {"route": "/backends", "method": "GET", "backend": ""}
    assert after.value(REQUESTS, status="429", **route) == 2


async def test_redis_errors_are_counted_by_operation(
    gateway: GatewayFactory, make_config: ConfigFactory, tmp_path: Any
) -> None:
    session = {"store": "redis", "redis_url": f"unix://{tmp_path}/no-redis.sock"}
    config = make_config(server={**QUIET, "metrics_token": TOKEN}, backends={}, session=session)
    client = await gateway(config)
    for _ in range(2):
        assert (await client.get("/backends")).status == 503
    # The scrape token needs no store: the metrics are read while Redis is away.
    after = await scrape(client, Authorization=f"Bearer {TOKEN}")
    # Checking a token asks whether it was revoked: the first thing Redis is asked.
    assert after.series("halgw_redis_errors_total") == [{"operation": "get"}]
    assert after.value("halgw_redis_errors_total", operation="get") == 2


async def test_only_admins_and_the_scrape_token_read_the_metrics(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(server={"metrics_token": TOKEN}, backends={}))
    anonymous = await client.get("/metrics", headers={"Authorization": ""})
    assert anonymous.status == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    for user in ("reader", "editor"):
        refused = await client.get("/metrics", headers=bearer(client.app, user))
        assert refused.status == 403
        assert "halgw_" not in await refused.text()
    client_token = token_for(client.app, "ingest-bot", "client")
    assert (await client.get("/metrics", headers=bearer_header(client_token))).status == 403
    assert (await scrape(client)).value("halgw_build_info", version=package_version()) == 1
    by_token = await scrape(client, Authorization=f"Bearer {TOKEN}")
    assert by_token.value(REQUESTS, route="/metrics", method="GET", status="403", backend="") == 3
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}"):
        answer = await client.get("/metrics", headers={"Authorization": wrong})
        assert answer.status == 401, wrong


async def test_without_a_scrape_token_no_bearer_value_opens_the_metrics(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(backends={}))
    for value in ("Bearer ", "Bearer", "Bearer x"):
        assert (await client.get("/metrics", headers={"Authorization": value})).status == 401


async def test_no_identity_id_token_or_path_becomes_a_label_and_series_stay_bounded(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(server=QUIET, backends={"avalon": AVALON}))
    tokens = [token_for(client.app, n) for n in USERS] + [
        token_for(client.app, n, "client") for n in CLIENTS
    ]
    written: list[str] = []

    async def round_of(count: int) -> Scrape:
        for n in range(count):
            made_up = f"id-{uuid.uuid4().hex}"
            written.append(made_up)
            token = tokens[n % len(tokens)]
            headers = {**bearer_header(token), "X-Request-Id": f"trace-{made_up}"}
            for path in (
                f"/backends/avalon/media-objects/{made_up}",
                f"/backends/avalon/collections/{made_up}?q={made_up}",
                f"/{made_up}/elsewhere",
            ):
                answer = await client.get(path, headers=headers)
                assert answer.status == 404, (path, answer.status)
        return await scrape(client)

    await scrape(client)  # the scrape's own series exist from now on
    first = await round_of(len(tokens))
    second = await round_of(4 * len(tokens))
    assert set(second.samples) == set(first.samples)
    assert not [s for s in [*written, *tokens, "trace-"] if s in second.text]
    values = {v for _, labels in second.samples for _, v in labels}
    assert not values & {*USERS, *CLIENTS}


async def test_each_gateway_counts_only_its_own_requests(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    one, other = [await gateway(make_config(backends={})) for _ in range(2)]
    for _ in range(3):
        assert (await one.get("/healthz")).status == 200
    health = {"route": "/healthz", "method": "GET", "status": "200", "backend": ""}
    assert (await scrape(one)).value(REQUESTS, **health) == 3
    assert (await scrape(other)).value(REQUESTS, **health) == 0


async def test_the_metrics_port_serves_them_without_login_and_the_main_port_still_asks(
    gateway: GatewayFactory, make_config: ConfigFactory, unused_tcp_port: int
) -> None:
    config = make_config(server={"metrics_port": unused_tcp_port}, backends={})
    client = await gateway(config, user=None)
    assert (await client.get("/healthz")).status == 200
    url = f"http://127.0.0.1:{unused_tcp_port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        scraped = Scrape.parse(await answer.text())
    health = {"route": "/healthz", "method": "GET", "status": "200", "backend": ""}
    assert scraped.value(REQUESTS, **health) == 1
    async with aiohttp.ClientSession() as session, session.get(url[: -len("metrics")]) as root:
        assert root.status == 404  # that port serves the metrics alone
    assert (await client.get("/metrics")).status == 401


def bearer_header(token: str) -> dict[str, str]:
    """The ``Authorization`` header of ``token``."""
    return {"Authorization": f"Bearer {token}"}
