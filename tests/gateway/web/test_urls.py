"""Public URLs: forwarded headers when trusted, public_url above all."""

from __future__ import annotations

import re

from tests.support.fixtures import ConfigFactory, GatewayFactory

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "media.example.org",
    "X-Forwarded-Prefix": "/gateway",
}


async def test_forwarded_headers_set_the_public_base_when_trusted(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config({"trust_forwarded": True, "allowed_hosts": ["127.0.0.1", "*.example.org"]})
    client = await gateway(config)
    body = await (await client.get("/", headers=FORWARDED)).json()
    base = "https://media.example.org/gateway"
    assert body["_links"]["self"]["href"] == base + "/"
    assert body["_links"]["gw:backend"][0]["href"] == base + "/backends/flex"
    assert body["_links"]["curies"][0]["href"] == base + "/rels/{rel}"
    registry = await (await client.get("/serviceroots", headers=FORWARDED)).json()
    assert registry["resources"]["gw:backend"][0]["href"] == base + "/backends/flex"
    problem = await (await client.get("/nope", headers=FORWARDED)).json()
    assert problem["type"].startswith(base + "/problems/")


async def test_first_forwarded_value_wins_and_garbage_is_ignored(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config({"trust_forwarded": True, "allowed_hosts": ["*"]})
    client = await gateway(config)
    headers = {
        "X-Forwarded-Proto": "gopher",
        "X-Forwarded-Host": "a.example.org, proxy.internal",
        "X-Forwarded-Prefix": '/x"><script>',
    }
    body = await (await client.get("/", headers=headers)).json()
    assert body["_links"]["self"]["href"] == "http://a.example.org/"


async def test_forwarded_headers_are_ignored_unless_trusted(gateway: GatewayFactory) -> None:
    client = await gateway()
    body = await (await client.get("/", headers=FORWARDED)).json()
    assert body["_links"]["self"]["href"] == str(client.make_url("/"))


async def test_public_url_wins_over_everything(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(
        {
            "public_url": "https://gw.example.org/media/",
            "trust_forwarded": True,
            "allowed_hosts": ["127.0.0.1", "media.example.org"],
        }
    )
    client = await gateway(config)
    body = await (await client.get("/", headers=FORWARDED)).json()
    hrefs = re.findall(r'"href": "([^"]+)"', str(body).replace("'", '"'))
    assert hrefs
    assert all(h.startswith("https://gw.example.org/media/") for h in hrefs)
