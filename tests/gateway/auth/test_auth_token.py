"""The OAuth2 token endpoint (RFC 6749) and the bearer tokens it issues."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey

from gateway.app import STORE
from gateway.auth.authenticator import AUTH
from gateway.auth.tokens import LEEWAY_S
from gateway.state.base import StateStore
from gateway.web.statuses import ERROR_STATUSES
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import CLIENTS, SIGNING_KEY, USERS, auth_table

PROBLEM = "application/problem+json"


async def _token(client: TestClient[Any, Any], **kwargs: Any) -> aiohttp.ClientResponse:
    return await client.post("/auth/token", **kwargs)


async def _me(client: TestClient[Any, Any], token: str) -> aiohttp.ClientResponse:
    return await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(client_id, secret)}


async def test_the_password_grant_issues_a_bearer_token(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await _token(
        client,
        data={"grant_type": "password", "username": "editor", "password": USERS["editor"][0]},
    )
    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "editor")
    me = await (await _me(client, body["access_token"])).json()
    assert (me["name"], me["kind"], me["via"], me["roles"]) == (
        "editor",
        "user",
        "bearer",
        ["editor"],
    )
    assert "csrf_token" not in me
    remaining = time.mktime(time.strptime(me["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(
        time.gmtime()
    )
    assert 3500 < remaining <= 3600


@pytest.mark.parametrize(
    "authenticate",
    [
        pytest.param(lambda i, s: {"headers": _basic(i, s)}, id="basic"),
        pytest.param(lambda i, s: {"form": {"client_id": i, "client_secret": s}}, id="form"),
    ],
)
async def test_the_client_credentials_grant_issues_a_client_token(
    gateway: GatewayFactory, authenticate: Any
) -> None:
    client = await gateway(user=None)
    how = authenticate("ingest-bot", CLIENTS["ingest-bot"][0])
    form = {"grant_type": "client_credentials", **how.get("form", {})}
    response = await _token(client, data=form, headers=how.get("headers", {}))
    assert response.status == 200, await response.text()
    token = (await response.json())["access_token"]
    me = await (await _me(client, token)).json()
    assert (me["name"], me["kind"], me["roles"]) == ("ingest-bot", "client", ["editor"])


@pytest.mark.parametrize(
    ("form", "headers", "status", "error"),
    [
        pytest.param(
            {"grant_type": "password", "username": "editor", "password": "wrong-password"},
            {},
            400,
            "invalid_grant",
            id="wrong-password",
        ),
        pytest.param(
            {"grant_type": "password", "username": "editor"},
            {},
            400,
            "invalid_request",
            id="no-password",
        ),
        pytest.param(
            {"grant_type": "client_credentials"}, {}, 401, "invalid_client", id="no-client"
        ),
        pytest.param(
            {"grant_type": "client_credentials"},
            _basic("ingest-bot", "wrong-secret"),
            401,
            "invalid_client",
            id="wrong-secret",
        ),
        pytest.param(
            {"grant_type": "client_credentials"},
            {"Authorization": "Basic %%%"},
            401,
            "invalid_client",
            id="broken-basic",
        ),
        pytest.param({"grant_type": "implicit"}, {}, 400, "unsupported_grant_type", id="implicit"),
        pytest.param({}, {}, 400, "invalid_request", id="no-grant"),
        pytest.param(
            {
                "grant_type": "password",
                "username": "reader",
                "password": USERS["reader"][0],
                "scope": "editor",
            },
            {},
            400,
            "invalid_scope",
            id="scope-beyond-roles",
        ),
    ],
)
async def test_token_errors_follow_rfc_6749_inside_a_problem(
    gateway: GatewayFactory, form: dict[str, str], headers: dict[str, str], status: int, error: str
) -> None:
    client = await gateway(user=None)
    response = await _token(client, data=form, headers=headers)
    assert response.status == status
    assert status in ERROR_STATUSES
    assert response.content_type == PROBLEM
    body = await response.json()
    assert body["error"] == error
    assert body["error_description"] == body["detail"]
    if error == "invalid_client":
        assert response.headers["WWW-Authenticate"].startswith("Basic")


BOT, BOT_SECRET = "ingest-bot", CLIENTS["ingest-bot"][0]
EDITOR_LOGIN = f"username=editor&password={USERS['editor'][0]}"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param(
            f"grant_type=client_credentials&client_id={BOT}&client_secret={BOT_SECRET}",
            _basic(BOT, BOT_SECRET),
            id="client-in-basic-and-body",
        ),
        pytest.param(
            f"grant_type=client_credentials&client_secret={BOT_SECRET}",
            _basic(BOT, BOT_SECRET),
            id="secret-in-basic-and-body",
        ),
        pytest.param(
            f"grant_type=password&{EDITOR_LOGIN}&client_id={BOT}&client_secret={BOT_SECRET}",
            _basic(BOT, BOT_SECRET),
            id="password-grant-with-both",
        ),
        pytest.param(
            f"grant_type=password&grant_type=client_credentials&{EDITOR_LOGIN}",
            {},
            id="repeated-grant-type",
        ),
        pytest.param(
            f"grant_type=password&{EDITOR_LOGIN}&username=reader",
            {},
            id="repeated-username",
        ),
        pytest.param(
            f"grant_type=client_credentials&client_id={BOT}&client_id=dashboard"
            f"&client_secret={BOT_SECRET}",
            {},
            id="repeated-client-id",
        ),
        pytest.param(
            f"grant_type=password&{EDITOR_LOGIN}&scope=reader&scope=editor",
            {},
            id="repeated-scope",
        ),
    ],
)
async def test_two_client_authentications_or_repeated_parameters_are_invalid_requests(
    gateway: GatewayFactory, body: str, headers: dict[str, str]
) -> None:
    """RFC 6749 2.3.1: one client authentication per request; 3.2: no parameter twice."""
    client = await gateway(user=None)
    form = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    response = await _token(client, data=body.encode(), headers=form)
    assert response.status == 400, await response.text()
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert problem["error"] == "invalid_request"
    assert "access_token" not in problem


async def test_the_token_endpoint_takes_only_forms(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await _token(client, json={"grant_type": "client_credentials"})
    assert response.status == 415


async def test_a_narrower_scope_gives_a_token_with_fewer_rights(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await _token(
        client,
        data={
            "grant_type": "password",
            "username": "admin",
            "password": USERS["admin"][0],
            "scope": "admin reader",
        },
    )
    assert (await response.json())["scope"] == "reader admin"
    narrow = await _token(
        client,
        data={
            "grant_type": "password",
            "username": "editor",
            "password": USERS["editor"][0],
            "scope": "editor",
        },
    )
    token = (await narrow.json())["access_token"]
    assert (await (await _me(client, token)).json())["roles"] == ["editor"]


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "hal-media-gateway",
        "aud": "hal-media-gateway",
        "sub": "editor",
        "kind": "user",
        "scope": "editor",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "j1",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: str = SIGNING_KEY, alg: str = "HS256") -> str:
    return jwt.encode({"alg": alg}, claims, OctKey.import_key(key.encode()), algorithms=[alg])


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["scope"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(_sign(_claims(exp=int(time.time()) - 120)), "expired", id="expired"),
        pytest.param(_sign(_claims(nbf=int(time.time()) + 600)), "refused", id="not-yet-valid"),
        pytest.param(_tampered(_sign(_claims())), "refused", id="tampered"),
        pytest.param(
            _sign(_claims(), key="another-key-of-32-bytes-or-more!!"), "refused", id="key"
        ),
        pytest.param(_sign(_claims(aud="someone-else")), "refused", id="audience"),
        pytest.param(_sign(_claims(iss="evil")), "does not trust", id="issuer"),
        pytest.param(_sign(_claims(exp=None)), "refused", id="no-exp"),
        pytest.param(_sign(_claims(sub="ghost")), "no longer configured", id="unknown-user"),
        pytest.param(_sign(_claims(), alg="HS512"), "refused", id="algorithm-not-allowed"),
        pytest.param("not-a-jwt", "not a JWT", id="garbage"),
        pytest.param(
            "eyJhbGciOiJub25lIn0." + _sign(_claims()).split(".")[1] + ".", "refused", id="alg-none"
        ),
    ],
)
async def test_a_bad_bearer_token_is_401_with_a_bearer_challenge(
    gateway: GatewayFactory, token: str, reason: str
) -> None:
    client = await gateway(user=None)
    response = await _me(client, token)
    assert response.status == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="hal-gateway"')
    assert 'error="invalid_token"' in challenge
    assert reason in (await response.json())["detail"]
    # A public page still answers, as to anybody.
    root = await client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert root.status == 200


async def test_a_token_signed_like_the_gateway_signs_is_accepted(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    assert (await _me(client, _sign(_claims()))).status == 200


async def test_a_revoked_token_is_refused(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await _token(
        client,
        data={"grant_type": "password", "username": "reader", "password": USERS["reader"][0]},
    )
    token = (await response.json())["access_token"]
    logout = await client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert logout.status == 204
    refused = await _me(client, token)
    assert refused.status == 401
    assert "revoked" in (await refused.json())["detail"]


async def test_other_authorization_schemes_are_401(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    response = await client.get("/auth/me", headers=_basic("editor", USERS["editor"][0]))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="hal-gateway"'


async def test_tokens_of_one_gateway_open_another_with_the_same_key(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    first = await gateway(user=None)
    second = await gateway(make_config(auth=auth_table()), user=None)
    response = await _token(
        first, data={"grant_type": "password", "username": "reader", "password": USERS["reader"][0]}
    )
    token = (await response.json())["access_token"]
    assert (await _me(second, token)).status == 200
    other_key = await gateway(
        make_config(auth=auth_table(signing_key="a-different-signing-key-32-bytes!")), user=None
    )
    assert (await _me(other_key, token)).status == 401


async def test_a_token_that_expires_while_remembered_as_checked_is_refused(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    tokens = client.app[AUTH].tokens
    now = time.time()
    tokens.clock = lambda: now
    token = _sign(_claims(exp=int(now) + 60))
    assert (await _me(client, token)).status == 200  # checked, and remembered as such
    # Within the tolerated clock skew it still holds; past it, the next request is refused.
    tokens.clock = lambda: now + 60 + LEEWAY_S - 1
    assert (await _me(client, token)).status == 200
    tokens.clock = lambda: now + 60 + LEEWAY_S + 1
    refused = await _me(client, token)
    assert refused.status == 401
    assert "expired" in (await refused.json())["detail"]


def _payload(token: str) -> dict[str, Any]:
    claims = jwt.decode(token, OctKey.import_key(SIGNING_KEY.encode()), algorithms=["HS256"])
    return dict(claims.claims)


async def test_an_access_token_carries_the_claims_of_rfc_9068(gateway: GatewayFactory) -> None:
    """What another service holding the signing key reads in a token: who, for what, and
    when it was issued, holds from and until."""
    client = await gateway(user=None)
    now = int(time.time())
    client.app[AUTH].tokens.clock = lambda: now + 0.75
    response = await _token(
        client,
        data={"grant_type": "password", "username": "editor", "password": USERS["editor"][0]},
    )
    claims = _payload((await response.json())["access_token"])
    jti = claims.pop("jti")
    assert claims == {
        "iss": "hal-media-gateway",
        "aud": "hal-media-gateway",
        "sub": "editor",
        "kind": "user",
        "scope": "editor",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    }
    assert len(jti) == 32
    assert int(jti, 16) >= 0


async def test_an_admin_token_narrowed_to_reader_acts_as_a_reader(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    form = {
        "grant_type": "password",
        "username": "admin",
        "password": USERS["admin"][0],
        "scope": "reader",
    }
    token = (await (await _token(client, data=form)).json())["access_token"]
    assert _payload(token)["scope"] == "reader"
    assert (await (await _me(client, token)).json())["roles"] == ["reader"]
    assert (await client.get("/admin", headers={"Authorization": f"Bearer {token}"})).status == 403


def _revocation(token: str) -> str:
    return "revoked:token:" + hashlib.sha256(token.encode()).hexdigest()[:40]


async def _password_token(client: TestClient[Any, Any]) -> str:
    form = {"grant_type": "password", "username": "reader", "password": USERS["reader"][0]}
    return str((await (await _token(client, data=form)).json())["access_token"])


async def _on_one_clock(
    gateway: GatewayFactory,
) -> tuple[TestClient[Any, Any], StateStore, FakeClock]:
    """A gateway whose tokens and store share one clock the test moves: (client, store, clock)."""
    client = await gateway(user=None)
    store = client.app[STORE]
    clock = FakeClock(float(int(time.time())))
    client.app[AUTH].tokens.clock = store.clock = clock
    return client, store, clock


async def _logout(client: TestClient[Any, Any], token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return (await client.post("/auth/logout", headers=headers)).status


async def test_a_revocation_is_kept_by_digest_until_the_token_would_have_expired(
    gateway: GatewayFactory,
) -> None:
    client, store, clock = await _on_one_clock(gateway)
    token = await _password_token(client)
    expires = clock.now + 3600
    assert await _logout(client, token) == 204
    assert await store.get(_revocation(token)) == {"at": clock.now}
    # Refused as revoked up to the last instant the token would have held.
    clock.now = expires + LEEWAY_S - 0.5
    refused = await _me(client, token)
    assert refused.status == 401
    assert (await refused.json())["detail"] == "the bearer token was revoked (logged out)"
    # Then nothing is left behind: the token is refused as expired anyway.
    clock.now = expires + LEEWAY_S + 0.5
    assert await store.get(_revocation(token)) is None
    assert "expired" in (await (await _me(client, token)).json())["detail"]


async def test_a_token_logged_out_in_its_last_second_is_refused_for_that_second(
    gateway: GatewayFactory,
) -> None:
    client, store, clock = await _on_one_clock(gateway)
    token = await _password_token(client)
    clock.now += 3600 + LEEWAY_S - 0.5
    assert await _logout(client, token) == 204
    assert await store.get(_revocation(token)) == {"at": clock.now}
    refused = await _me(client, token)
    assert refused.status == 401
    assert (await refused.json())["detail"] == "the bearer token was revoked (logged out)"


def _signed_with_header(header: dict[str, Any]) -> str:
    """A token signed with the right key whose header is not one JOSE can read."""
    encoded = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in (header, _claims())
    ]
    signing_input = ".".join(encoded)
    mac = hmac.new(SIGNING_KEY.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _not_an_object() -> str:
    header, _, signature = _sign(_claims()).split(".")
    payload = base64.urlsafe_b64encode(b"[1, 2]").decode().rstrip("=")
    return f"{header}.{payload}.{signature}"


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        pytest.param(
            _sign(_claims(exp=int(time.time()) - 120)),
            "the bearer token has expired",
            id="expired",
        ),
        pytest.param(
            _sign(_claims(nbf=int(time.time()) + 600)),
            "the bearer token was refused (invalid_claim)",
            id="not-yet-valid",
        ),
        pytest.param(
            _tampered(_sign(_claims())),
            "the bearer token was refused (bad_signature)",
            id="tampered",
        ),
        pytest.param(
            _sign(_claims(aud=None)), "the bearer token was refused (missing_claim)", id="no-aud"
        ),
        pytest.param(
            _sign(_claims(sub=None)), "the bearer token was refused (missing_claim)", id="no-sub"
        ),
        pytest.param(
            _sign(_claims(aud="someone-else")),
            "the bearer token was refused (invalid_claim)",
            id="audience",
        ),
        pytest.param("not-a-jwt", "the bearer token is not a JWT", id="garbage"),
        pytest.param(_not_an_object(), "the bearer token is not a JWT", id="not-an-object"),
        pytest.param(
            _signed_with_header({"alg": "HS256", "crit": 5}),
            "the bearer token was refused (invalid)",
            id="header-unreadable",
        ),
        pytest.param(
            _sign(_claims(iss="evil")),
            "the bearer token is from an issuer this gateway does not trust",
            id="issuer",
        ),
    ],
)
async def test_a_refused_bearer_token_says_exactly_why(
    gateway: GatewayFactory, token: str, detail: str
) -> None:
    client = await gateway(user=None)
    response = await _me(client, token)
    assert response.status == 401
    assert (await response.json())["detail"] == detail
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="hal-gateway", error="invalid_token", error_description="{detail}"'
    )
