"""Refresh tokens: rotated on each use, a reuse ends the grant, scope only narrows, roles
read again, idle and absolute lives."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import pytest
from aiohttp.test_utils import TestClient

from gateway.app import STORE
from gateway.auth.grants import OAUTH
from gateway.auth.refresh import Grant
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory, interleaving
from tests.support.identities import auth_table, user_entry
from tests.support.oauth import (
    APP,
    APP_REDIRECT,
    PORTAL,
    PORTAL_SECRET,
    Browser,
    pkce,
    redemption,
    token_request,
    tokens_for,
)


def _refresh(token: str, client_id: str = APP, **more: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id, **more}


async def _me_status(client: TestClient[Any, Any], token: str) -> int:
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    return response.status


async def test_each_refresh_rotates_and_a_reused_token_ends_the_grant(
    gateway: GatewayFactory, store_config: Any
) -> None:
    client = await gateway(store_config, user=None)
    first = await tokens_for(client, Browser(client))
    status, second = await token_request(client, _refresh(first["refresh_token"]))
    assert status == 200, second
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "editor"
    assert await _me_status(client, second["access_token"]) == 200
    # The used token again: stolen or replayed, the grant ends.
    status, body = await token_request(client, _refresh(first["refresh_token"]))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "used before" in body["error_description"]
    status, body = await token_request(client, _refresh(second["refresh_token"]))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert await _me_status(client, second["access_token"]) == 401


async def test_a_reused_refresh_token_ends_every_access_token_of_its_grant(
    gateway: GatewayFactory, store_config: Any
) -> None:
    client = await gateway(store_config, user=None)
    first = await tokens_for(client, Browser(client))
    status, second = await token_request(client, _refresh(first["refresh_token"]))
    assert status == 200, second
    status, third = await token_request(client, _refresh(second["refresh_token"]))
    assert status == 200, third
    issued = [first["access_token"], second["access_token"], third["access_token"]]
    assert [await _me_status(client, token) for token in issued] == [200, 200, 200]
    status, body = await token_request(client, _refresh(first["refresh_token"]))
    assert "every token of its grant is revoked" in body["error_description"]
    assert [await _me_status(client, token) for token in issued] == [401, 401, 401]
    # Another grant of the same person and app is not touched.
    other = await tokens_for(client, Browser(client))
    assert await _me_status(client, other["access_token"]) == 200


async def test_a_used_refresh_token_sent_by_another_client_ends_nothing(
    gateway: GatewayFactory,
) -> None:
    """Only the client a refresh token was issued to may end its grant by reusing it."""
    client = await gateway(user=None)
    first = await tokens_for(client, Browser(client))
    status, second = await token_request(client, _refresh(first["refresh_token"]))
    assert status == 200
    portal = _refresh(first["refresh_token"], PORTAL, client_secret=PORTAL_SECRET)
    status, body = await token_request(client, portal)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "used before" not in body["error_description"]
    assert await _me_status(client, second["access_token"]) == 200
    status, third = await token_request(client, _refresh(second["refresh_token"]))
    assert status == 200, third


async def test_of_two_concurrent_refreshes_one_wins_and_the_other_ends_the_grant(
    gateway: GatewayFactory, store_config: Any
) -> None:
    """A client must not refresh twice at once: the second use cannot be told from theft."""
    client = await gateway(store_config, user=None)
    first = await tokens_for(client, Browser(client))
    interleaving(client.app[STORE])  # the two refreshes take turns at every store call
    answers = await asyncio.gather(
        *(token_request(client, _refresh(first["refresh_token"])) for _ in range(2))
    )
    assert sorted(status for status, _ in answers) == [200, 400]
    [winner] = [body for status, body in answers if status == 200]
    status, body = await token_request(client, _refresh(winner["refresh_token"]))
    assert (status, body["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("user", "first_scope", "asked", "expected"),
    [
        pytest.param("editor", None, "reader", "reader", id="narrower"),
        pytest.param("editor", None, "editor", "editor", id="the-same"),
        pytest.param("admin", "reader", "", "reader", id="the-grants-scope-by-default"),
    ],
)
async def test_a_refresh_may_narrow_the_scope(
    gateway: GatewayFactory, user: str, first_scope: str | None, asked: str, expected: str
) -> None:
    client = await gateway(user=None)
    query = {"scope": first_scope} if first_scope else {}
    first = await tokens_for(client, Browser(client), user, **query)
    more = {"scope": asked} if asked else {}
    status, body = await token_request(client, _refresh(first["refresh_token"], **more))
    assert (status, body["scope"]) == (200, expected)
    # Narrowed once is not narrowed for good: the grant keeps what the login gave.
    status, again = await token_request(client, _refresh(body["refresh_token"]))
    assert (status, again["scope"]) == (200, "editor" if user == "editor" else "reader")


@pytest.mark.parametrize(
    ("first_scope", "asked"),
    [
        pytest.param("reader", "editor", id="wider-than-the-grant"),
        pytest.param(None, "admin", id="beyond-the-user"),
        pytest.param(None, "owner", id="no-role"),
    ],
)
async def test_a_refresh_never_widens_the_scope_and_a_refused_one_keeps_the_token(
    gateway: GatewayFactory, first_scope: str | None, asked: str
) -> None:
    client = await gateway(user=None)
    query = {"scope": first_scope} if first_scope else {}
    first = await tokens_for(client, Browser(client), **query)
    status, body = await token_request(client, _refresh(first["refresh_token"], scope=asked))
    assert (status, body["error"]) == (400, "invalid_scope")
    status, body = await token_request(client, _refresh(first["refresh_token"]))
    assert status == 200, body


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        pytest.param(
            {"client_id": PORTAL, "client_secret": PORTAL_SECRET},
            400,
            "invalid_grant",
            id="another-clients-token",
        ),
        pytest.param({"client_id": None}, 401, "invalid_client", id="no-client"),
        pytest.param({"client_secret": "guess"}, 401, "invalid_client", id="public-with-secret"),
        pytest.param({"refresh_token": "no-such-token"}, 400, "invalid_grant", id="unknown"),
        pytest.param({"refresh_token": None}, 400, "invalid_request", id="no-token"),
    ],
)
async def test_a_refresh_that_does_not_hold_is_refused_and_the_token_kept(
    gateway: GatewayFactory, form: dict[str, str | None], status: int, error: str
) -> None:
    client = await gateway(user=None)
    first = await tokens_for(client, Browser(client))
    sent = _refresh(first["refresh_token"])
    sent.update({k: v for k, v in form.items() if v is not None})
    sent = {k: v for k, v in sent.items() if form.get(k, "") is not None}
    got, body = await token_request(client, sent)
    assert (got, body["error"]) == (status, error)
    got, body = await token_request(client, _refresh(first["refresh_token"]))
    assert got == 200, body


async def test_roles_are_read_from_the_config_again_at_each_refresh(
    gateway: GatewayFactory, make_config: ConfigFactory, redis_url: str, key_prefix: str
) -> None:
    """Two gateways on one Redis, the second with the config changed since the login."""
    session = {"store": "redis", "redis_url": redis_url, "key_prefix": key_prefix}
    before = await gateway(make_config(session=session), user=None)
    tokens = await tokens_for(before, Browser(before))
    others = [u for u in auth_table()["users"] if u["name"] != "editor"]
    demoted = auth_table(users=[*others, user_entry("editor", "new-password-1", ["reader"])])
    after = await gateway(make_config(session=session, auth=demoted), user=None)
    status, body = await token_request(after, _refresh(tokens["refresh_token"]))
    assert (status, body["scope"]) == (200, "reader")
    gone = await gateway(make_config(session=session, auth=auth_table(users=others)), user=None)
    status, body = await token_request(gone, _refresh(body["refresh_token"]))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "no longer configured" in body["error_description"]


async def test_an_unused_refresh_token_ends_after_its_idle_life(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(auth=auth_table(refresh_ttl_s=3600))
    client = await gateway(config, user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock  # codes and grants end by the store's clock
    first = await tokens_for(client, Browser(client))
    clock.advance(3599)
    status, second = await token_request(client, _refresh(first["refresh_token"]))
    assert status == 200, second
    clock.advance(3600)
    status, body = await token_request(client, _refresh(second["refresh_token"]))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "expired" in body["error_description"]


async def test_a_grant_ends_after_its_absolute_life_however_often_refreshed(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    config = make_config(auth=auth_table(refresh_ttl_s=3600, refresh_max_s=3 * 3600))
    client = await gateway(config, user=None)
    clock = FakeClock()
    client.app[STORE].clock = clock  # codes and grants end by the store's clock
    token = (await tokens_for(client, Browser(client)))["refresh_token"]
    refreshed = 0
    for _ in range(5):
        clock.advance(3000)  # within the idle life, every time
        status, body = await token_request(client, _refresh(token))
        if status != 200:
            break
        token, refreshed = body["refresh_token"], refreshed + 1
    assert refreshed == 3  # at 3000, 6000 and 9000 seconds; not at 12000, past 10800
    assert (status, body["error"]) == (400, "invalid_grant")
    # The store forgot the token with its grant: one clock ends both.
    assert "expired" in body["error_description"]


SSO: Final = {
    "issuer": "https://login.example.org",
    "jwks_url": "https://login.example.org/certs",
    "client_id": "hal-gateway",
    "user_roles": {"maria@example.org": ["editor"]},
}
"""Single sign-on, with the provider's person maria made an editor by the config."""


@pytest.mark.parametrize(
    ("claimed", "oidc", "expected"),
    [
        pytest.param(["reader"], SSO, "reader editor", id="config-unchanged"),
        pytest.param(["reader"], {**SSO, "user_roles": {}}, "reader", id="user-roles-removed"),
        pytest.param([], {**SSO, "user_roles": {}}, None, id="no-role-left"),
        pytest.param(["editor"], {**SSO, "client_id": "", "audience": "gw"}, None, id="sso-off"),
        pytest.param(["editor"], None, None, id="oidc-table-deleted"),
    ],
)
async def test_a_single_sign_on_grant_follows_the_current_config(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    redis_url: str,
    key_prefix: str,
    claimed: list[str],
    oidc: dict[str, Any] | None,
    expected: str | None,
) -> None:
    """Two gateways on one Redis: the login on the first, the second with the config since.

    The provider claimed ``claimed`` at the login; ``auth.oidc.user_roles`` added editor.
    """
    session = {"store": "redis", "redis_url": redis_url, "key_prefix": key_prefix}
    before = await gateway(make_config(session=session, auth=auth_table(oidc=SSO)), user=None)
    verifier, challenge = pkce()
    grant = Grant(APP, "maria@example.org", "oidc", frozenset(claimed), frozenset({"editor"}))
    code = await before.app[OAUTH].codes.issue(grant, APP_REDIRECT, challenge)
    status, tokens = await token_request(before, redemption(code, verifier))
    at_login = " ".join(r for r in ("reader", "editor") if r in {*claimed, "editor"})
    assert (status, tokens["scope"]) == (200, at_login), tokens
    table = auth_table(oidc=oidc) if oidc is not None else auth_table()
    after = await gateway(make_config(session=session, auth=table), user=None)
    response = await after.get(
        "/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    status, body = await token_request(after, _refresh(tokens["refresh_token"]))
    if expected is None:
        assert response.status == 401
        assert (status, body["error"]) == (400, "invalid_grant")
        return
    assert (response.status, (await response.json())["roles"]) == (200, expected.split())
    assert (status, body["scope"]) == (200, expected)
