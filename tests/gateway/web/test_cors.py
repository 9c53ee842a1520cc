"""Cross-origin requests: ``server.cors_origins``, preflights without a login, and the
CORS headers of every answer to a listed origin (errors included)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from gateway.web.errors import ConfigError
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS

APP = "https://app.example.org"
OTHER = "https://elsewhere.example.net"
PROBLEM = "application/problem+json"


def _preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, x-csrf-token",
    }


def _listed(response: ClientResponse) -> list[str]:
    return [f.strip() for f in response.headers.get("Access-Control-Expose-Headers", "").split(",")]


def _vary(response: ClientResponse) -> set[str]:
    return {f.strip().lower() for f in response.headers.get("Vary", "").split(",") if f.strip()}


def _cors_headers(response: ClientResponse) -> list[str]:
    return [name for name in response.headers if name.lower().startswith("access-control-")]


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("https://app.example.org", id="https"),
        pytest.param("http://localhost:5173", id="port"),
        pytest.param("http://[::1]:3000", id="ipv6"),
    ],
)
def test_an_origin_as_browsers_send_it_is_taken(make_config: ConfigFactory, origin: str) -> None:
    assert make_config({"cors_origins": [origin]}).server.cors_origins == (origin,)


@pytest.mark.parametrize(
    ("origin", "says"),
    [
        pytest.param("*", "each origin is listed", id="wildcard"),
        pytest.param("https://app.example.org/", "write 'https://app.example.org'", id="path"),
        pytest.param("https://App.Example.org", "write 'https://app.example.org'", id="case"),
        pytest.param("https://app.example.org:443", "write 'https://app.example.org'", id="port"),
        pytest.param("app.example.org", "http:// or https://", id="no-scheme"),
        pytest.param("ftp://app.example.org", "http:// or https://", id="scheme"),
        pytest.param("https://me@app.example.org", "http:// or https://", id="user"),
        pytest.param("https://app.example.org:99999", "not an origin", id="bad-port"),
        pytest.param("https://bücher.example", "punycode", id="unicode"),
    ],
)
def test_anything_but_an_exact_origin_is_refused(
    make_config: ConfigFactory, origin: str, says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config({"cors_origins": [APP, origin]})
    [problem] = caught.value.problems
    assert problem.startswith("server.cors_origins: ")
    assert says in problem


async def test_a_preflight_from_a_listed_origin_is_answered_without_a_login(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"cors_origins": [OTHER, APP]}), user=None)
    response = await client.options("/backends/flex/assets", headers=_preflight(APP))
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    methods = response.headers["Access-Control-Allow-Methods"].split(", ")
    assert {"GET", "POST"} <= set(methods)
    allowed = response.headers["Access-Control-Allow-Headers"].split(", ")
    for name in ("Authorization", "Content-Type", "If-Match", "If-None-Match"):
        assert name in allowed
    for name in ("Idempotency-Key", "X-Request-Id", "X-CSRF-Token", "Content-Disposition"):
        assert name in allowed
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "origin" in _vary(response)
    assert "X-Request-Id" in response.headers

    # The gateway's own resources say what they serve; under /backends/ a backend that is
    # not there answers as one that is, for a preflight carries no login to tell them.
    login = await client.options("/auth/login", headers=_preflight(APP))
    assert login.headers["Access-Control-Allow-Methods"] == "POST"
    me = await client.options("/auth/me", headers=_preflight(APP, "GET"))
    assert me.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    nowhere = await client.options("/backends/nowhere/assets", headers=_preflight(APP))
    assert nowhere.status == 204
    assert nowhere.headers["Access-Control-Allow-Methods"] == ", ".join(methods)


async def test_a_preflight_from_an_unlisted_origin_is_refused(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"cors_origins": [APP]}), user=None)
    for origin in (OTHER, "null", APP + ":8443", APP.replace("https:", "http:")):
        response = await client.options("/backends/flex/assets", headers=_preflight(origin))
        assert response.status == 403, origin
        assert response.content_type == PROBLEM
        assert "server.cors_origins" in (await response.json())["detail"]
        assert _cors_headers(response) == [], origin
        assert "origin" in _vary(response)


async def test_with_no_origin_listed_nothing_is_allowed(gateway: GatewayFactory) -> None:
    client = await gateway()
    preflight = await client.options("/backends/flex/assets", headers=_preflight(APP))
    assert preflight.status == 403
    assert _cors_headers(preflight) == []
    answer = await client.get("/backends/flex", headers={"Origin": APP})
    assert answer.status == 200
    assert _cors_headers(answer) == []
    assert "origin" not in _vary(answer)


async def test_answers_to_a_listed_origin_carry_its_cors_headers(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"cors_origins": [APP]}))
    ok = await client.get("/backends/flex", headers={"Origin": APP})
    missing = await client.get("/backends/flex/assets/no-such-id/nowhere", headers={"Origin": APP})
    anonymous = await client.get("/auth/me", headers={"Origin": APP, "Authorization": ""})
    assert (ok.status, missing.status, anonymous.status) == (200, 404, 401)
    assert missing.content_type == PROBLEM
    for response in (ok, missing, anonymous):
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        exposed = _listed(response)
        for name in ("Location", "ETag", "X-Request-Id", "Retry-After"):
            assert name in exposed
        for name in ("RateLimit", "RateLimit-Policy", "WWW-Authenticate"):
            assert name in exposed
        assert "origin" in _vary(response)
    # Each field once, the caching middleware's names kept.
    assert _vary(ok) >= {"accept", "authorization", "cookie", "origin"}
    assert len(ok.headers["Vary"].split(",")) == len(_vary(ok))
    assert "RateLimit" in ok.headers

    elsewhere = await client.get("/backends/flex", headers={"Origin": OTHER})
    assert elsewhere.status == 200
    assert _cors_headers(elsewhere) == []
    assert "origin" in _vary(elsewhere)  # a cache must not give it to APP's page


async def _login(client: TestClient[Any, Any], headers: dict[str, str]) -> ClientResponse:
    return await client.post(
        "/auth/login",
        json={"username": "reader", "password": USERS["reader"][0]},
        headers=headers,
    )


async def test_a_login_from_a_listed_origins_page_is_taken(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config({"cors_origins": [APP]}), user=None)
    taken = await _login(client, {"Origin": APP, "Sec-Fetch-Site": "cross-site"})
    assert taken.status == 200
    assert "Set-Cookie" in taken.headers
    assert taken.headers["Access-Control-Allow-Origin"] == APP
    body = await taken.json()
    # The page reads the CSRF token and sends it with the cookie on a write.
    logout = await client.post(
        "/auth/logout", headers={"Origin": APP, body["csrf_header"]: body["csrf_token"]}
    )
    assert logout.status == 204

    for origin in (OTHER, "null"):
        refused = await _login(client, {"Origin": origin, "Sec-Fetch-Site": "cross-site"})
        assert refused.status == 403, origin
        assert "Set-Cookie" not in refused.headers
        assert "Access-Control-Allow-Origin" not in refused.headers
