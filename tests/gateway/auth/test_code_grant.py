"""The authorization code grant at the token endpoint: PKCE, one redemption, the right client."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any, Final

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from gateway.app import STORE
from gateway.auth.codes import USED_KEEP_S
from gateway.auth.grants import OAUTH
from gateway.auth.refresh import Grant, digest
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory, interleaving
from tests.support.identities import USERS, auth_table
from tests.support.oauth import (
    APP,
    APP_REDIRECT,
    PORTAL,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    Browser,
    answer_of,
    authorization,
    pkce,
    redemption,
    token_request,
    tokens_for,
)

PROBLEM = "application/problem+json"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 3))
    return decoded


async def _me(client: TestClient[Any, Any], token: str) -> tuple[int, dict[str, Any]]:
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status, await response.json()


async def _code(
    client: TestClient[Any, Any], user: str = "editor", client_id: str = APP, **query: str
) -> tuple[str, str]:
    """A code for ``user`` through ``client_id``, and its verifier."""
    verifier, challenge = pkce()
    redirect = PORTAL_REDIRECT if client_id == PORTAL else APP_REDIRECT
    request = authorization(challenge, client_id, redirect, **query)
    location = await Browser(client).log_in(request, user)
    return answer_of(location)["code"], verifier


async def test_a_public_client_redeems_its_code_with_the_verifier(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    code, verifier = await _code(client)
    response = await client.post("/auth/token", data=redemption(code, verifier))
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "editor")
    claims = _claims(body["access_token"])
    assert (claims["sub"], claims["kind"], claims["client_id"]) == ("editor", "user", APP)
    status, me = await _me(client, body["access_token"])
    assert (status, me["name"], me["kind"], me["roles"]) == (200, "editor", "user", ["editor"])


async def test_a_confidential_client_authenticates_to_redeem(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    code, verifier = await _code(client, client_id=PORTAL)
    without = redemption(code, verifier, PORTAL)
    del without["client_secret"]
    status, body = await token_request(client, without)
    assert (status, body["error"]) == (401, "invalid_client")
    wrong = redemption(code, verifier, PORTAL, client_secret="not-the-secret")
    status, body = await token_request(client, wrong)
    assert (status, body["error"]) == (401, "invalid_client")
    basic = redemption(code, verifier, PORTAL)
    del basic["client_id"], basic["client_secret"]
    status, body = await token_request(
        client, basic, Authorization=aiohttp.encode_basic_auth(PORTAL, PORTAL_SECRET)
    )
    assert status == 200, body
    assert _claims(body["access_token"])["client_id"] == PORTAL
    assert body["refresh_token"]


@pytest.mark.parametrize(
    ("changes", "status", "error", "detail"),
    [
        pytest.param(
            {"code_verifier": "x" * 43}, 400, "invalid_grant", "does not match", id="wrong-verifier"
        ),
        pytest.param(
            {"code_verifier": None}, 400, "invalid_request", "code_verifier", id="no-verifier"
        ),
        pytest.param(
            {"code_verifier": "short"}, 400, "invalid_request", "43-128", id="short-verifier"
        ),
        pytest.param(
            {"redirect_uri": "http://127.0.0.1:1/callback"},
            400,
            "invalid_grant",
            "redirect_uri",
            id="other-redirect-uri",
        ),
        pytest.param(
            {"redirect_uri": None}, 400, "invalid_request", "redirect_uri", id="no-redirect-uri"
        ),
        pytest.param(
            {"client_id": PORTAL, "client_secret": PORTAL_SECRET},
            400,
            "invalid_grant",
            "another client",
            id="another-clients-code",
        ),
        pytest.param({"code": "no-such-code"}, 400, "invalid_grant", "unknown", id="unknown-code"),
        pytest.param({"client_id": None}, 401, "invalid_client", "name the client", id="no-client"),
        pytest.param(
            {"client_secret": "anything"}, 401, "invalid_client", "public", id="public-with-secret"
        ),
    ],
)
async def test_a_redemption_that_does_not_hold_is_refused_and_the_code_kept(
    gateway: GatewayFactory,
    changes: dict[str, str | None],
    status: int,
    error: str,
    detail: str,
) -> None:
    client = await gateway(user=None)
    code, verifier = await _code(client)
    form = redemption(code, verifier)
    form.update({k: v for k, v in changes.items() if v is not None})
    form = {k: v for k, v in form.items() if changes.get(k, "") is not None}
    got, body = await token_request(client, form)
    assert (got, body["error"]) == (status, error)
    assert detail in body["error_description"]
    # A failed attempt does not use the code up: the client itself still redeems it.
    got, body = await token_request(client, redemption(code, verifier))
    assert got == 200, body


async def test_a_replayed_code_is_refused_and_revokes_what_the_first_redemption_got(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    code, verifier = await _code(client)
    status, first = await token_request(client, redemption(code, verifier))
    assert status == 200
    status, again = await token_request(client, redemption(code, verifier))
    assert (status, again["error"]) == (400, "invalid_grant")
    assert "used before" in again["error_description"]
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    status, body = await token_request(client, refresh | {"client_id": APP})
    assert (status, body["error"]) == (400, "invalid_grant")
    assert (await _me(client, first["access_token"]))[0] == 401


async def test_a_used_code_sent_by_another_client_revokes_nothing(
    gateway: GatewayFactory,
) -> None:
    """Only the client a code was issued to may end what it gave by sending it again."""
    client = await gateway(user=None)
    code, verifier = await _code(client)
    status, first = await token_request(client, redemption(code, verifier))
    assert status == 200
    other = redemption(code, verifier, client_id=PORTAL, client_secret=PORTAL_SECRET)
    status, refused = await token_request(client, other)
    assert (status, refused["error"]) == (400, "invalid_grant")
    assert "used before" not in refused["error_description"]
    assert (await _me(client, first["access_token"]))[0] == 200
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    status, body = await token_request(client, refresh | {"client_id": APP})
    assert status == 200, body


async def test_a_redeemed_code_is_remembered_for_minutes_not_for_the_grants_life(
    gateway: GatewayFactory,
) -> None:
    """A record per login kept for 30 days would let a flood of logins fill the store."""
    client = await gateway(user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock
    code, verifier = await _code(client)
    status, _ = await token_request(client, redemption(code, verifier))
    assert status == 200
    used = "oauth:code-used:" + digest(code)
    assert await client.app[STORE].get(used) is not None
    clock.advance(USED_KEEP_S - 1)
    status, again = await token_request(client, redemption(code, verifier))
    assert "used before" in again["error_description"]
    clock.advance(2)
    assert await client.app[STORE].get(used) is None
    assert USED_KEEP_S <= 600


async def test_an_expired_code_is_refused(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock  # codes and grants end by the store's clock
    code, verifier = await _code(client)
    clock.advance(61)
    status, body = await token_request(client, redemption(code, verifier))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "expired" in body["error_description"]


async def test_a_code_redeemed_within_its_minute_holds(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock  # codes and grants end by the store's clock
    code, verifier = await _code(client)
    clock.advance(59)
    status, body = await token_request(client, redemption(code, verifier))
    assert status == 200, body


async def test_of_two_concurrent_redemptions_exactly_one_gets_tokens(
    gateway: GatewayFactory, store_config: Any
) -> None:
    client = await gateway(store_config, user=None)
    code, verifier = await _code(client)
    interleaving(client.app[STORE])  # the two redemptions take turns at every store call
    answers = await asyncio.gather(
        *(token_request(client, redemption(code, verifier)) for _ in range(2))
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 400]
    [winner] = [body for status, body in answers if status == 200]
    [loser] = [body for status, body in answers if status == 400]
    assert loser["error"] == "invalid_grant"
    # The second redemption was a replay: what the first got is revoked with it.
    refresh = {"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]}
    status, _ = await token_request(client, refresh | {"client_id": APP})
    assert status == 400
    assert (await _me(client, winner["access_token"]))[0] == 401


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({"grant_type": "client_credentials", "client_id": APP}, id="client-id"),
        pytest.param(
            {"grant_type": "client_credentials", "client_id": APP, "client_secret": "guess"},
            id="with-a-secret",
        ),
        pytest.param(
            {
                "grant_type": "password",
                "client_id": APP,
                "username": "editor",
                "password": USERS["editor"][0],
            },
            id="password-grant",
        ),
    ],
)
async def test_a_public_client_may_use_no_other_grant(
    gateway: GatewayFactory, form: dict[str, str]
) -> None:
    client = await gateway(user=None)
    status, body = await token_request(client, form)
    assert (status, body["error"]) == (401, "invalid_client")
    assert "public" in body["error_description"]


@pytest.mark.parametrize(
    ("user", "scope", "expected"),
    [
        pytest.param("editor", None, "editor", id="the-users-roles"),
        pytest.param("editor", "reader", "reader", id="narrowed"),
        pytest.param("admin", None, "editor", id="within-the-clients-roles"),
        pytest.param("admin", "reader", "reader", id="admin-narrowed"),
        pytest.param("reader", None, "reader", id="a-reader-through-an-editors-client"),
    ],
)
async def test_the_token_carries_the_users_roles_within_the_clients(
    gateway: GatewayFactory, user: str, scope: str | None, expected: str
) -> None:
    client = await gateway(user=None)
    code, verifier = await _code(client, user, **({"scope": scope} if scope else {}))
    status, body = await token_request(client, redemption(code, verifier))
    assert status == 200, body
    assert body["scope"] == expected
    me = (await _me(client, body["access_token"]))[1]
    assert me["roles"] == [expected]


SSO: Final = {
    "issuer": "https://login.example.org",
    "jwks_url": "https://login.example.org/certs",
    "client_id": "hal-gateway",
    "user_roles": {"maria@example.org": ["editor"]},
}
"""Single sign-on, with the provider's person maria made an editor by the config."""


async def _sso_tokens(
    client: TestClient[Any, Any], claimed: frozenset[str]
) -> tuple[int, dict[str, Any]]:
    """Redeem a code of maria's single sign-on login, whose provider claimed ``claimed``."""
    verifier, challenge = pkce()
    grant = Grant(APP, "maria@example.org", "oidc", claimed, frozenset({"editor"}))
    code = await client.app[OAUTH].codes.issue(grant, APP_REDIRECT, challenge)
    return await token_request(client, redemption(code, verifier))


async def test_a_single_sign_on_identity_gets_tokens_with_the_roles_of_its_login(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    """A person of the SSO provider is in no config table: the claim and user_roles count."""
    client = await gateway(make_config(auth=auth_table(oidc=SSO)), user=None)
    status, body = await _sso_tokens(client, frozenset())
    assert status == 200, body
    status, me = await _me(client, body["access_token"])
    assert (status, me["name"], me["kind"], me["roles"]) == (
        200,
        "maria@example.org",
        "oidc",
        ["editor"],
    )
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    status, again = await token_request(client, refresh | {"client_id": APP, "scope": "reader"})
    assert (status, again["scope"]) == (200, "reader")
    assert (await _me(client, again["access_token"]))[1]["roles"] == ["reader"]


@pytest.mark.parametrize(
    "oidc",
    [
        pytest.param({**SSO, "client_id": ""}, id="single-sign-on-switched-off"),
        pytest.param(None, id="no-oidc-table"),
    ],
)
async def test_a_single_sign_on_code_is_refused_once_single_sign_on_is_off(
    gateway: GatewayFactory, make_config: ConfigFactory, oidc: dict[str, Any] | None
) -> None:
    table = auth_table(oidc={**oidc, "audience": "gw"}) if oidc else auth_table()
    client = await gateway(make_config(auth=table), user=None)
    status, body = await _sso_tokens(client, frozenset({"editor"}))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "single sign-on" in body["error_description"]


@pytest.mark.parametrize(
    "users",
    [
        pytest.param(None, id="with-users"),
        pytest.param([], id="no-users-no-hash-at-all"),
    ],
)
async def test_logins_hold_when_every_client_is_public(
    gateway: GatewayFactory, make_config: ConfigFactory, users: list[Any] | None
) -> None:
    """No client has a hash to time a refusal by: unknown clients are refused all the same."""
    public = [c for c in auth_table()["clients"] if c.get("public")]
    table = auth_table(clients=public) | ({"users": users} if users is not None else {})
    client = await gateway(make_config(auth=table), user=None)
    unknown = {"grant_type": "client_credentials", "client_id": "ghost", "client_secret": "x"}
    status, body = await token_request(client, unknown)
    assert (status, body["error"]) == (401, "invalid_client")
    status, body = await token_request(client, {**unknown, "client_id": APP})
    assert (status, body["error"]) == (401, "invalid_client")
    if users is None:
        tokens = await tokens_for(client, Browser(client))
        assert tokens["scope"] == "editor"


async def test_a_browser_app_on_a_listed_origin_may_read_its_tokens(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    origin = "https://media-app.example.org"
    client = await gateway(make_config(server={"cors_origins": [origin]}), user=None)
    code, verifier = await _code(client)
    response = await client.post(
        "/auth/token", data=redemption(code, verifier), headers={"Origin": origin}
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == origin
    revoked = await client.post(
        "/auth/revoke",
        data={"token": (await response.json())["refresh_token"], "client_id": APP},
        headers={"Origin": origin},
    )
    assert revoked.status == 200
    assert revoked.headers["Access-Control-Allow-Origin"] == origin
