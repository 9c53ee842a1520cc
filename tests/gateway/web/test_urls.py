"""Public URLs: forwarded headers when trusted, public_url above all."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from gateway.web.errors import NotFound
from gateway.web.routing import Route, add_route
from gateway.web.urls import path_segment
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import auth_table

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


# --- ids in paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        pytest.param("a/b;c d?#%", "a%2Fb%3Bc%20d%3F%23%25", id="short"),
        pytest.param("x" * 300 + "/;.", "x" * 300 + "%2F%3B.", id="longer-than-remembered"),
        pytest.param(42, "42", id="number"),
    ],
)
def test_an_id_is_one_escaped_path_segment(value: object, segment: str) -> None:
    assert path_segment(value) == segment


@pytest.mark.parametrize("dots", [".", "..", "%2e%2E", "%252e", "%2525252e"])
def test_dot_ids_are_a_404_that_says_why(dots: str) -> None:
    with pytest.raises(NotFound) as refused:
        path_segment(dots)
    assert refused.value.detail == "'.' and '..' are not ids of anything"


def test_a_dot_escaped_more_than_four_times_is_only_text() -> None:
    # Unescaped four times it is still "%2e": no resolver on the way reads it as a dot.
    assert path_segment("%252525252e") == "%25252525252e"


# --- the caller's address --------------------------------------------------------------
# The address failed logins count against (auth.login_address_attempts): with a ceiling
# of 2, a third wrong guess from the same address is a 429.

WRONG = {"username": "nobody", "password": "wrong-guess"}


async def _guess(client: Any, headers: dict[str, str] | None = None) -> int:
    answer = await client.post("/auth/login", json=WRONG, headers=headers or {})
    status: int = answer.status
    return status


async def test_each_client_address_has_its_own_count(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(auth=auth_table(login_address_attempts=2)), user=None)
    assert [await _guess(client) for _ in range(3)] == [401, 401, 429]
    # Another loopback address is another client.
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as other:
        url = client.make_url("/auth/login")
        async with other.post(url, json=WRONG) as answer:
            assert answer.status == 401


async def test_behind_a_trusted_proxy_the_last_forwarded_address_counts(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(
        server={"trust_forwarded": True}, auth=auth_table(login_address_attempts=2)
    )
    client = await gateway(config, user=None)
    # A proxy that appends without a space; what comes before is the client's own text.
    assert await _guess(client, {"X-Forwarded-For": "198.51.100.1,203.0.113.7"}) == 401
    assert await _guess(client, {"X-Forwarded-For": "198.51.100.2,203.0.113.7"}) == 401
    assert await _guess(client, {"X-Forwarded-For": "203.0.113.7"}) == 429
    # Without the header the request counts against the socket's own address.
    assert [await _guess(client) for _ in range(3)] == [401, 401, 429]


# --- the base of every link --------------------------------------------------------------


async def test_a_public_url_with_a_trailing_slash_gives_links_with_one_slash(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    # "BOX": a path may end in any character, the one stripped too.
    client = await gateway(make_config({"public_url": "https://gw.example.org/BOX/"}))
    body = await (await client.get("/")).json()
    assert body["_links"]["self"]["href"] == "https://gw.example.org/BOX/"
    assert body["_links"]["gw:backend"][0]["href"] == "https://gw.example.org/BOX/backends/flex"


@pytest.mark.parametrize(
    ("forwarded", "base"),
    [
        pytest.param(
            {"X-Forwarded-Prefix": "/media/BOX/"}, "http://127.0.0.1/media/BOX", id="prefix-slash"
        ),
        pytest.param({"X-Forwarded-Proto": "HTTP"}, "http://127.0.0.1", id="proto-not-lowercase"),
        pytest.param({"X-Forwarded-Proto": "https"}, "https://127.0.0.1", id="proto"),
    ],
)
async def test_forwarded_values_are_taken_as_they_are_or_not_at_all(
    gateway: GatewayFactory, make_config: ConfigFactory, forwarded: dict[str, str], base: str
) -> None:
    config = make_config({"trust_forwarded": True, "allowed_hosts": ["127.0.0.1"]})
    client = await gateway(config)
    body = await (await client.get("/", headers={"Host": "127.0.0.1", **forwarded})).json()
    assert body["_links"]["self"]["href"] == base + "/"


async def test_the_problem_for_a_host_not_allowed_links_to_localhost(
    gateway: GatewayFactory,
) -> None:
    client = await gateway()
    problem = await (await client.get("/", headers={"Host": "evil.example"})).json()
    assert problem["type"].startswith("http://localhost/problems/")


async def test_a_dot_segment_anywhere_in_a_matched_path_is_a_404(
    gateway: GatewayFactory,
) -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"tail": request.match_info["tail"]})

    def routes(app: web.Application) -> None:
        add_route(app, Route("GET", "/echo/{tail:.*}", echo, produces=("application/json",)))

    client = await gateway(routes=routes)
    for path in ("/echo/a/%2e%2e/b", "/echo/a/%2E/b", "/echo/a/b/%2e%2e"):
        url = URL(str(client.make_url("")).rstrip("/") + path, encoded=True)
        async with client.session.get(url) as response:
            assert response.status == 404, path
            problem = await response.json()
        assert problem["detail"] == "'.' and '..' are not ids of anything"
    # Dots inside a segment are only dots.
    url = URL(str(client.make_url("")).rstrip("/") + "/echo/a/b.c/..d", encoded=True)
    async with client.session.get(url) as response:
        assert response.status == 200
        assert (await response.json())["tail"] == "a/b.c/..d"
