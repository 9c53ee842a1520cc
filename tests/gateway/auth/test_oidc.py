"""Bearer tokens of an external OpenID Connect issuer, checked against its JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gateway.auth.authenticator import AUTH
from gateway.auth.identity import Identity
from gateway.auth.tokens import JWKS_REFETCH_S, LEEWAY_S, Jwks
from tests.support.clocks import FakeClock
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import auth_table

ISSUER = "https://login.example.org/realms/media"
AUDIENCE = "hal-gateway"
Serve = Callable[[web.Application], Awaitable[str]]


class Issuer:
    """A test identity provider: a key set served over HTTP, and tokens signed with it."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)]
        self.fetches = 0
        self.down = False

    async def jwks(self, request: web.Request) -> web.Response:
        self.fetches += 1
        if self.down:
            return web.Response(status=503)
        return web.json_response(KeySet(list[Any](self.keys)).as_dict(private=False))

    def rotate(self) -> None:
        kid = f"k{len(self.keys) + 1}"
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)]

    def token(self, key: RSAKey | None = None, **changes: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "f3c1-uuid",
            "preferred_username": "maria",
            "roles": ["editor", "not-a-gateway-role"],
            "iat": now,
            "exp": now + 300,
        }
        claims.update(changes)
        signer = key or self.keys[0]
        return jwt.encode({"alg": "RS256", "kid": signer.kid}, claims, signer)


@pytest.fixture
async def issuer(upstream: Serve) -> tuple[Issuer, str]:
    idp = Issuer()
    app = web.Application()
    app.router.add_get("/certs", idp.jwks)
    return idp, await upstream(app) + "/certs"


async def _client(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    jwks_url: str,
    backends: dict[str, Any] | None = None,
    **oidc: str,
) -> TestClient[Any, Any]:
    table = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_url": jwks_url, **oidc}
    return await gateway(make_config(auth=auth_table(oidc=table), backends=backends), user=None)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_an_issuer_token_names_the_user_and_the_gateway_roles_it_grants(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _client(gateway, make_config, url, username_claim="preferred_username")
    token = idp.token()
    for _ in range(3):
        response = await client.get("/auth/me", headers=_bearer(token))
        assert response.status == 200
    me = await response.json()
    assert (me["name"], me["kind"], me["roles"], me["via"]) == (
        "maria",
        "oidc",
        ["editor"],
        "bearer",
    )
    assert idp.fetches == 1  # the keys are cached
    assert (
        await client.post("/backends/flex/assets", json={}, headers=_bearer(token))
    ).status != 403


async def test_a_rotated_key_is_fetched_once_on_an_unknown_kid(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _client(gateway, make_config, url)
    assert (await client.get("/auth/me", headers=_bearer(idp.token()))).status == 200
    idp.rotate()
    jwks = client.app[AUTH].tokens.oidc
    assert jwks is not None
    started = time.monotonic()
    jwks.clock = lambda: started + JWKS_REFETCH_S + 1
    for _ in range(2):
        assert (await client.get("/auth/me", headers=_bearer(idp.token()))).status == 200
    assert idp.fetches == 2
    # Another unknown key right after: no second fetch (no storm), the token is refused.
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k9"}, private=True)
    response = await client.get("/auth/me", headers=_bearer(idp.token(key=stranger)))
    assert response.status == 401
    assert "unknown key" in (await response.json())["detail"]
    assert idp.fetches == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"exp": int(time.time()) - 120}, "expired", id="expired"),
        pytest.param({"nbf": int(time.time()) + 600}, "refused", id="not-yet-valid"),
        pytest.param({"aud": "another-app"}, "refused", id="audience"),
        pytest.param({"iss": "https://evil.example.org"}, "does not trust", id="issuer"),
    ],
)
async def test_issuer_tokens_that_do_not_hold_are_401(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    issuer: tuple[Issuer, str],
    changes: dict[str, Any],
    reason: str,
) -> None:
    idp, url = issuer
    client = await _client(gateway, make_config, url)
    response = await client.get("/auth/me", headers=_bearer(idp.token(**changes)))
    assert response.status == 401
    assert reason in (await response.json())["detail"]


async def test_a_token_signed_by_a_stranger_or_with_a_symmetric_trick_is_401(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _client(gateway, make_config, url)
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    response = await client.get("/auth/me", headers=_bearer(idp.token(key=stranger)))
    assert response.status == 401
    # HS256 keyed with the issuer's public key: the algorithm is not one the issuer may use.
    public = idp.keys[0].as_pem(private=False)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60}
    signed = f"{_b64({'alg': 'HS256', 'kid': 'k1'})}.{_b64(claims)}"
    mac = hmac.new(public, signed.encode(), hashlib.sha256).digest()
    forged = signed + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")
    assert (await client.get("/auth/me", headers=_bearer(forged))).status == 401


async def test_an_unreachable_issuer_is_503_until_its_keys_are_known(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    idp.down = True
    client = await _client(gateway, make_config, url)
    response = await client.get("/auth/me", headers=_bearer(idp.token()))
    assert response.status == 503
    assert (await response.json())["transient"] is False
    idp.down = False


async def test_the_user_is_the_subject_unless_told_and_roles_may_sit_deeper(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _client(gateway, make_config, url, roles_claim="realm_access.roles")
    token = idp.token(roles=None, realm_access={"roles": ["reader", "offline_access"]})
    me = await (await client.get("/auth/me", headers=_bearer(token))).json()
    assert (me["name"], me["roles"]) == ("f3c1-uuid", ["reader"])


async def test_issuer_users_get_their_own_upstream_credentials_by_an_oidc_prefix(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    flex = {
        "kind": "flex",
        "url": "simulator",
        "users": {
            "editor": {"username": "editor-flex", "password": "editor-flex-pw"},
            "oidc:f3c1-uuid": {"username": "maria-flex", "password": "maria-flex-pw"},
        },
    }
    client = await _client(gateway, make_config, url, backends={"flex": flex})
    maria = _bearer(idp.token())
    assert (await client.get("/backends/flex", headers=maria)).status == 200
    # An issuer user called like a local user gets nothing of that user's.
    editor = _bearer(idp.token(sub="editor"))
    refused = await client.get("/backends/flex", headers=editor)
    assert refused.status == 404  # a backend one may not use is one that is not there


@pytest.mark.parametrize(
    ("verified", "status"),
    [
        pytest.param(True, 200, id="verified"),
        pytest.param(False, 403, id="not-verified"),
        pytest.param(None, 403, id="not-said"),
        pytest.param("false", 403, id="the-string-false"),
    ],
)
async def test_a_user_named_by_email_needs_the_issuer_to_have_verified_it(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    issuer: tuple[Issuer, str],
    verified: object,
    status: int,
) -> None:
    """Where people may type in any address, an unverified one must not bring the roles
    ``user_roles`` gives the person whose address it is."""
    idp, url = issuer
    table = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks_url": url,
        "username_claim": "email",
        "user_roles": {"olga@example.org": ["admin"]},
    }
    client = await gateway(make_config(auth=auth_table(oidc=table)), user=None)
    said: dict[str, Any] = {} if verified is None else {"email_verified": verified}
    token = idp.token(roles=[], email="olga@example.org", **said)
    response = await client.get("/admin", headers=_bearer(token))
    assert response.status == status
    if status == 403:
        assert "not verified this user's email address" in (await response.json())["detail"]
        # A public page is served as to anybody, as for any token that names nobody.
        root = await client.get("/", headers=_bearer(token))
        assert root.status == 200
        assert "gw:me" not in (await root.json())["_links"]


async def _oidc_client(
    gateway: GatewayFactory, make_config: ConfigFactory, **oidc: Any
) -> TestClient[Any, Any]:
    table = {"issuer": ISSUER, "audience": AUDIENCE, **oidc}
    return await gateway(make_config(auth=auth_table(oidc=table)), user=None)


def _jwks_on(client: TestClient[Any, Any], clock: FakeClock) -> Jwks:
    jwks: Jwks | None = client.app[AUTH].tokens.oidc
    assert jwks is not None
    jwks.clock = clock
    return jwks


async def _status(client: TestClient[Any, Any], token: str) -> int:
    return (await client.get("/auth/me", headers=_bearer(token))).status


async def test_the_keys_are_kept_for_jwks_ttl_s_and_fetched_again_after(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url, jwks_ttl_s=600)
    clock = FakeClock(1000.0)
    _jwks_on(client, clock)
    # A new token each time: a token already checked is not checked again for a while.
    assert await _status(client, idp.token(jti="1")) == 200
    assert idp.fetches == 1
    for seconds in (JWKS_REFETCH_S + 1, 600):  # past the refetch pause; the last instant
        clock.now = 1000.0 + seconds
        assert await _status(client, idp.token(jti=f"at-{seconds}")) == 200
        assert idp.fetches == 1
    clock.now = 1000.0 + 601
    assert await _status(client, idp.token(jti="stale")) == 200
    assert idp.fetches == 2


async def test_an_unknown_key_fetches_the_keys_again_only_after_the_pause(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url)
    clock = FakeClock(1000.0)
    _jwks_on(client, clock)
    assert await _status(client, idp.token()) == 200
    idp.rotate()
    clock.now = 1000.0 + JWKS_REFETCH_S
    response = await client.get("/auth/me", headers=_bearer(idp.token(jti="early")))
    assert response.status == 401
    assert (await response.json())["detail"] == "the bearer token is signed with an unknown key"
    assert idp.fetches == 1
    clock.now = 1000.0 + JWKS_REFETCH_S + 0.5
    assert await _status(client, idp.token(jti="later")) == 200
    assert idp.fetches == 2


async def test_the_keys_are_found_through_the_discovery_document(
    gateway: GatewayFactory, make_config: ConfigFactory, upstream: Serve
) -> None:
    idp = Issuer()
    documents: list[dict[str, str]] = []

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response(documents[-1])

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/keys", idp.jwks)
    base = await upstream(app)
    documents.append({"issuer": base, "jwks_uri": base + "/keys"})
    client = await _oidc_client(gateway, make_config, issuer=base)
    assert await _status(client, idp.token(iss=base)) == 200
    assert idp.fetches == 1


async def test_a_discovery_document_without_keys_is_503(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    upstream: Serve,
    caplog: pytest.LogCaptureFixture,
) -> None:
    idp = Issuer()

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response({"issuer": base})

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    base = await upstream(app)
    client = await _oidc_client(gateway, make_config, issuer=base)
    response = await client.get("/auth/me", headers=_bearer(idp.token(iss=base)))
    assert response.status == 503
    assert (await response.json())["detail"] == KEYS_UNAVAILABLE
    assert _key_warnings(caplog) == ["the OIDC issuer's keys could not be fetched (ValueError)"]


KEYS_UNAVAILABLE = "the identity provider's signing keys could not be fetched; try again shortly"


def _key_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "gateway.auth.tokens" and r.levelno == logging.WARNING
    ]


async def test_a_broken_key_set_is_503_with_one_warning_then_the_kept_keys_serve(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    issuer: tuple[Issuer, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url, jwks_ttl_s=600)
    clock = FakeClock(1000.0)
    _jwks_on(client, clock)
    idp.down = True
    response = await client.get("/auth/me", headers=_bearer(idp.token()))
    assert response.status == 503
    assert (await response.json())["detail"] == KEYS_UNAVAILABLE
    assert _key_warnings(caplog) == [
        "the OIDC issuer's keys could not be fetched (ClientResponseError)"
    ]
    idp.down = False
    assert await _status(client, idp.token()) == 200
    # Stale and the issuer down again: the keys it had are used, and the failure logged.
    caplog.clear()
    idp.down = True
    clock.now = 1000.0 + 601
    assert await _status(client, idp.token(jti="while-down")) == 200
    assert idp.fetches == 3
    assert _key_warnings(caplog) == [
        "the OIDC issuer's keys could not be fetched (ClientResponseError)"
    ]


async def test_an_access_token_of_a_single_sign_on_user_keeps_every_role_claimed(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    """The gateway's own token for a person of the provider (``kind`` oidc) keeps the roles
    the provider claimed, all of them, and works them out again at every request."""
    _, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url, client_id=AUDIENCE)
    roles = frozenset({"editor", "admin"})
    token, _ = client.app[AUTH].tokens.issue(Identity("maria", "oidc", roles), claimed=roles)
    me = await (await client.get("/auth/me", headers=_bearer(token))).json()
    assert (me["name"], me["kind"], me["roles"]) == ("maria", "oidc", ["editor", "admin"])


@pytest.mark.parametrize(
    "alg", [pytest.param("RS384", id="rs384"), pytest.param("PS256", id="ps256")]
)
async def test_every_algorithm_an_issuer_may_sign_with_is_accepted(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str], alg: str
) -> None:
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url)
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "f3c1-uuid", "iat": now, "exp": now + 300}
    key = idp.keys[0]
    token = jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])
    assert await _status(client, token) == 200


async def test_issuer_tokens_are_refused_where_the_issuer_serves_single_sign_on_alone(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url, audience="", client_id="gw")
    response = await client.get("/auth/me", headers=_bearer(idp.token()))
    assert response.status == 401
    detail = (await response.json())["detail"]
    assert detail == "bearer tokens of the identity provider are not accepted here"
    assert idp.fetches == 0


async def test_a_token_checked_once_is_not_checked_against_the_keys_again_until_it_expires(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    """A client sends the same token with every request: the issuer is not asked for its
    keys again for it, even when they are stale, until the token has expired."""
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url, jwks_ttl_s=600)
    clock = FakeClock(1000.0)
    _jwks_on(client, clock)
    now = int(time.time())
    client.app[AUTH].tokens.clock = lambda: now
    token = idp.token(iat=now, exp=now + 300)
    assert await _status(client, token) == 200
    clock.now = 1000.0 + 601  # the keys are stale now
    client.app[AUTH].tokens.clock = lambda: now + 300 - 10
    assert await _status(client, token) == 200
    assert idp.fetches == 1
    # At the end of the tolerated skew it is checked again, and refused.
    client.app[AUTH].tokens.clock = lambda: now + 300 + LEEWAY_S
    response = await client.get("/auth/me", headers=_bearer(token))
    assert response.status == 401
    assert (await response.json())["detail"] == "the bearer token has expired"


async def test_a_token_of_a_rotated_key_is_checked_as_fully_as_any(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: tuple[Issuer, str]
) -> None:
    idp, url = issuer
    client = await _oidc_client(gateway, make_config, jwks_url=url)
    clock = FakeClock(1000.0)
    _jwks_on(client, clock)
    assert await _status(client, idp.token()) == 200
    idp.rotate()
    clock.now = 1000.0 + JWKS_REFETCH_S + 1
    response = await client.get("/auth/me", headers=_bearer(idp.token(aud="another-app")))
    assert response.status == 401
    assert (await response.json())["detail"] == "the bearer token was refused (invalid_claim)"
    assert idp.fetches == 2
