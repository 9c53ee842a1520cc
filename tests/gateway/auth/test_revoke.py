"""Token revocation (RFC 7009): a refresh token ends its grant, an access token ends itself,
only the client it was issued to may do either."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import STORE
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import CLIENTS, USERS
from tests.support.oauth import (
    APP,
    PORTAL,
    PORTAL_SECRET,
    Browser,
    token_request,
    tokens_for,
)


async def _revoke(
    client: TestClient[Any, Any], form: dict[str, str], **headers: str
) -> tuple[int, Any]:
    response = await client.post("/auth/revoke", data=form, headers=headers)
    return response.status, await response.json()


async def _me_status(client: TestClient[Any, Any], token: str) -> int:
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status


async def _refresh_status(client: TestClient[Any, Any], token: str) -> int:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": APP}
    return (await token_request(client, form))[0]


@pytest.mark.parametrize(
    "hint",
    [
        pytest.param({"token_type_hint": "refresh_token"}, id="hinted"),
        pytest.param({}, id="no-hint"),
        pytest.param({"token_type_hint": "access_token"}, id="wrong-hint"),
    ],
)
async def test_revoking_a_refresh_token_ends_its_grant(
    gateway: GatewayFactory, hint: dict[str, str]
) -> None:
    client = await gateway(user=None)
    tokens = await tokens_for(client, Browser(client))
    response = await client.post(
        "/auth/revoke", data={"token": tokens["refresh_token"], "client_id": APP, **hint}
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {}
    assert await _refresh_status(client, tokens["refresh_token"]) == 400
    assert await _me_status(client, tokens["access_token"]) == 401  # issued with it


@pytest.mark.parametrize(
    "hint",
    [
        pytest.param({"token_type_hint": "access_token"}, id="hinted"),
        pytest.param({}, id="no-hint"),
        pytest.param({"token_type_hint": "refresh_token"}, id="wrong-hint"),
    ],
)
async def test_revoking_an_access_token_ends_it_alone(
    gateway: GatewayFactory, hint: dict[str, str]
) -> None:
    client = await gateway(user=None)
    tokens = await tokens_for(client, Browser(client))
    status, _ = await _revoke(client, {"token": tokens["access_token"], "client_id": APP, **hint})
    assert status == 200
    assert await _me_status(client, tokens["access_token"]) == 401
    assert await _refresh_status(client, tokens["refresh_token"]) == 200


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("no-such-token", id="unknown"),
        pytest.param("a.b.c", id="not-a-jwt"),
    ],
)
async def test_an_unknown_token_is_answered_200(gateway: GatewayFactory, token: str) -> None:
    client = await gateway(user=None)
    status, body = await _revoke(client, {"token": token, "client_id": APP})
    assert (status, body) == (200, {})


async def test_a_revoked_or_used_token_is_answered_200_again(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    tokens = await tokens_for(client, Browser(client))
    for _ in range(2):
        status, _ = await _revoke(client, {"token": tokens["access_token"], "client_id": APP})
        assert status == 200
        status, _ = await _revoke(client, {"token": tokens["refresh_token"], "client_id": APP})
        assert status == 200


async def test_another_clients_token_is_not_revoked(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    tokens = await tokens_for(client, Browser(client))
    portal = {"client_id": PORTAL, "client_secret": PORTAL_SECRET}
    for kind in ("access_token", "refresh_token"):
        status, body = await _revoke(client, {"token": tokens[kind], **portal})
        assert (status, body["error"]) == (400, "invalid_grant")
        assert "not issued to this client" in body["error_description"]
    assert await _me_status(client, tokens["access_token"]) == 200
    assert await _refresh_status(client, tokens["refresh_token"]) == 200


async def test_a_client_revokes_its_client_credentials_token(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    basic = {"Authorization": aiohttp.encode_basic_auth("ingest-bot", CLIENTS["ingest-bot"][0])}
    status, body = await token_request(client, {"grant_type": "client_credentials"}, **basic)
    assert status == 200
    status, _ = await _revoke(client, {"token": body["access_token"]}, **basic)
    assert status == 200
    assert await _me_status(client, body["access_token"]) == 401


async def test_a_token_of_no_client_is_revoked_by_none(gateway: GatewayFactory) -> None:
    """A password grant without a client: its token is ended by logging out, not here."""
    client = await gateway(user=None)
    form = {"grant_type": "password", "username": "editor", "password": USERS["editor"][0]}
    status, body = await token_request(client, form)
    assert status == 200
    status, refused = await _revoke(client, {"token": body["access_token"], "client_id": APP})
    assert (status, refused["error"]) == (400, "invalid_grant")
    assert await _me_status(client, body["access_token"]) == 200


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        pytest.param({"token": "x"}, {}, 401, "invalid_client", id="no-client"),
        pytest.param(
            {"token": "x", "client_id": PORTAL, "client_secret": "wrong"},
            {},
            401,
            "invalid_client",
            id="wrong-secret",
        ),
        pytest.param(
            {"token": "x", "client_id": APP, "client_secret": "guess"},
            {},
            401,
            "invalid_client",
            id="public-with-secret",
        ),
        pytest.param({"client_id": APP}, {}, 400, "invalid_request", id="no-token"),
        pytest.param(
            {"token": "x", "client_id": APP, "token_type_hint": "id_token"},
            {},
            400,
            "unsupported_token_type",
            id="unknown-hint",
        ),
        pytest.param(
            {"token": "x", "client_id": PORTAL},
            {"Authorization": aiohttp.encode_basic_auth(PORTAL, PORTAL_SECRET)},
            400,
            "invalid_request",
            id="two-client-authentications",
        ),
    ],
)
async def test_revocation_errors_follow_rfc_6749_inside_a_problem(
    gateway: GatewayFactory,
    form: dict[str, str],
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    client = await gateway(user=None)
    response = await client.post("/auth/revoke", data=form, headers=headers)
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["error"] == error
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic")


async def test_each_client_at_each_address_is_rate_limited_at_the_token_and_revocation_endpoints(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    """A public client's requests name no secret: without a limit each could write to the
    state store as fast as it is sent."""
    config = make_config(server={"rate_limit_burst": 3, "rate_limit_per_s": 0.01})
    client = await gateway(config, user=None)
    refresh = {"grant_type": "refresh_token", "refresh_token": "unknown", "client_id": APP}
    answers = [await token_request(client, refresh) for _ in range(2)]
    assert [status for status, _ in answers] == [400, 400]
    assert (await _revoke(client, {"token": "x", "client_id": APP}))[0] == 200
    response = await client.post("/auth/revoke", data={"token": "x", "client_id": APP})
    assert response.status == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["error"] == "temporarily_unavailable"
    assert "try again" in body["error_description"]
    status, body = await token_request(client, refresh)
    assert (status, body["error"]) == (429, "temporarily_unavailable")
    # Another client from the same address draws from a bucket of its own.
    portal = {"client_id": PORTAL, "client_secret": PORTAL_SECRET}
    status, _ = await _revoke(client, {"token": "x", **portal})
    assert status == 200


async def test_made_up_client_ids_share_one_bucket_per_address(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    """A name per request must not bring a full bucket (and a new record) each time."""
    config = make_config(server={"rate_limit_burst": 3, "rate_limit_per_s": 0.01})
    client = await gateway(config, user=None)
    statuses = [
        (await _revoke(client, {"token": "x", "client_id": f"made-up-{n}"}))[0] for n in range(5)
    ]
    assert statuses[3:] == [429, 429]
    # A configured client is not held up by them.
    assert (await _revoke(client, {"token": "x", "client_id": APP}))[0] == 200


@pytest.mark.parametrize(
    "path", [pytest.param("/auth/token", id="token"), pytest.param("/auth/revoke", id="revoke")]
)
async def test_a_repeated_parameter_is_refused_and_only_protocol_names_are_repeated_back(
    gateway: GatewayFactory, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    client = await gateway(user=None)
    form = [("client_id", APP), ("token", "a"), ("token", "b"), ("grant_type", "refresh_token")]
    form += [("x\r\nforged line", "1"), ("x\r\nforged line", "2")]
    response = await client.post(
        path,
        data=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"] == (
        "parameters sent more than once: token, 1 other parameter(s)"
    )
    assert not [r for r in caplog.records if "forged" in r.getMessage()]


async def test_the_grant_is_kept_under_its_key_and_its_access_tokens_end_with_it(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    tokens = await tokens_for(client, Browser(client))
    payload = tokens["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    key = "oauth:grant:" + claims["gid"]
    store = client.app[STORE]
    assert await store.get(key) is not None
    status, _ = await _revoke(client, {"token": tokens["refresh_token"], "client_id": APP})
    assert status == 200
    assert await store.get(key) is None
    response = await client.get(
        "/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status == 401
    detail = (await response.json())["detail"]
    assert detail == "the bearer token's grant was revoked or has ended"
