"""Which hosts the gateway answers for (``server.allowed_hosts``), and the name it gives.

Without ``public_url`` every link is built from the request's ``Host`` (or, behind a
trusted proxy, ``X-Forwarded-Host``): a host the operator did not allow is a 400, so no
link, ``Location`` or problem ``type`` ever points at a host a caller made up.
"""

from __future__ import annotations

import json

import pytest

from gateway.config.loading import parse
from gateway.web.errors import ConfigError
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import auth_table


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.example", id="name"),
        pytest.param("evil.example:8080", id="name-and-port"),
        pytest.param("10.0.0.1", id="address"),
        pytest.param("localhost.evil.example", id="suffix"),
        pytest.param("127.0.0.1.nip.io", id="look-alike"),
    ],
)
async def test_a_host_not_allowed_is_a_400_that_links_nowhere(
    gateway: GatewayFactory, host: str
) -> None:
    client = await gateway()
    for path in ("/", "/backends/flex", "/no/such/thing"):
        response = await client.get(path, headers={"Host": host})
        assert response.status == 400, (host, path)
        assert response.content_type == "application/problem+json"
        body = await response.text()
        assert host.split(":")[0] not in body.replace(f"'{host}'", ""), body
        assert "allowed_hosts" in json.loads(body)["detail"]


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8080", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:80"]
)
async def test_loopback_names_are_allowed_by_default(gateway: GatewayFactory, host: str) -> None:
    client = await gateway()
    response = await client.get("/", headers={"Host": host})
    assert response.status == 200
    body = await response.json()
    assert body["_links"]["self"]["href"] == f"http://{host}/"


async def test_the_public_urls_host_is_allowed(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"public_url": "https://media.example.org/gw"}))
    assert (await client.get("/", headers={"Host": "media.example.org"})).status == 200
    assert (await client.get("/", headers={"Host": "other.example.org"})).status == 400


async def test_configured_hosts_and_wildcards(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config({"allowed_hosts": ["gw.example.org", "*.media.example.org"]})
    client = await gateway(config)
    for host, status in [
        ("GW.example.org", 200),
        ("a.media.example.org:443", 200),
        ("media.example.org", 400),
        ("localhost", 400),  # the list replaces the loopback default
        ("evil-gw.example.org", 400),
    ]:
        response = await client.get("/", headers={"Host": host})
        assert response.status == status, host


async def test_a_star_allows_any_host(gateway: GatewayFactory, make_config: ConfigFactory) -> None:
    client = await gateway(make_config({"allowed_hosts": ["*"]}))
    response = await client.get("/", headers={"Host": "anything.example"})
    assert response.status == 200


async def test_forwarded_hosts_are_checked_too(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config({"trust_forwarded": True, "allowed_hosts": ["localhost", "127.0.0.1"]})
    client = await gateway(config)
    refused = await client.get("/", headers={"X-Forwarded-Host": "evil.example"})
    assert refused.status == 400
    assert "evil.example" not in json.dumps((await refused.json())["type"])
    config = make_config({"trust_forwarded": True, "allowed_hosts": ["media.example.org"]})
    client = await gateway(config)
    headers = {"Host": "media.example.org", "X-Forwarded-Host": "media.example.org"}
    assert (await client.get("/", headers=headers)).status == 200


async def test_forwarded_hosts_are_ignored_unless_trusted(gateway: GatewayFactory) -> None:
    client = await gateway()
    response = await client.get("/", headers={"X-Forwarded-Host": "evil.example"})
    assert response.status == 200
    assert "evil.example" not in await response.text()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(["http://gw.example.org"], id="url"),
        pytest.param(["gw.example.org:8080"], id="port"),
        pytest.param(["gw example"], id="space"),
        pytest.param(["a.*.example.org"], id="inner-star"),
        pytest.param("gw.example.org", id="not-a-list"),
    ],
)
def test_malformed_allowed_hosts_are_config_errors(value: object) -> None:
    data = {"server": {"allowed_hosts": value}, "backends": {}, "auth": auth_table()}
    with pytest.raises(ConfigError) as caught:
        parse(data, env={})
    assert any("server.allowed_hosts" in p for p in caught.value.problems)


async def test_the_server_header_names_the_gateway_not_its_libraries(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    for method, path in [("GET", "/"), ("GET", "/nope"), ("HEAD", "/"), ("GET", "/healthz")]:
        response = await client.request(method, path)
        assert response.headers["Server"] == "hal-media-gateway", (method, path)
    refused = await client.get("/", headers={"Host": "evil.example"})
    assert refused.headers["Server"] == "hal-media-gateway"


@pytest.mark.parametrize(
    "allowed",
    [
        pytest.param(["*"], id="any-host-allowed"),
        pytest.param(["localhost", "127.0.0.1"], id="loopback-allowed"),
    ],
)
@pytest.mark.parametrize(
    "forwarded",
    [
        pytest.param("evil.example/phish", id="path"),
        pytest.param("evil.example?next=", id="query"),
        pytest.param("evil.example#top", id="fragment"),
        pytest.param("user@evil.example", id="userinfo"),
        pytest.param("evil.example:123456", id="port-too-long"),
        pytest.param("[::1", id="unclosed-bracket"),
        pytest.param("evil%2Eexample", id="escaped"),
        pytest.param("evil.example/x, localhost", id="malformed-first-of-two"),
    ],
)
async def test_a_malformed_forwarded_host_is_a_400_and_never_a_link(
    gateway: GatewayFactory, make_config: ConfigFactory, allowed: list[str], forwarded: str
) -> None:
    """Behind a trusted proxy the forwarded host writes every link: one that is no host
    at all is refused, even where any host is allowed, and the refusal links only to the
    host the request was sent to."""
    client = await gateway(make_config({"trust_forwarded": True, "allowed_hosts": allowed}))
    for path in ("/", "/backends"):
        response = await client.get(path, headers={"X-Forwarded-Host": forwarded})
        assert response.status == 400, (path, response.status)
        body = await response.text()
        assert "evil" not in body
        problem = json.loads(body)
        assert "X-Forwarded-Host" in problem["detail"]
        assert problem["type"] == str(client.make_url("/problems/bad-request"))
