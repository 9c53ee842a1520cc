"""The ID token checks of single sign-on, with tokens a real provider would never send.

The provider of ``test_sso_login.py`` signs only good tokens; here an issuer of the test's
own (its keys served over loopback) signs tokens with one thing wrong each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gateway.auth.oidc_client import RelyingParty
from gateway.auth.tokens import Jwks
from gateway.config.oidc import OidcConfig
from gateway.web.errors import Unauthorized

ISSUER: Final = "https://login.example.org/realms/media"
CLIENT_ID: Final = "hal-gateway"
NONCE: Final = "the-nonce-of-this-login-0123456789abcdef"
KEY: Final = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
NOW: Final = int(time.time())
"""The relying party's clock in every test, whenever the test runs after collection."""
Serve = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def party(upstream: Serve) -> AsyncIterator[RelyingParty]:
    """The gateway's relying party, the issuer's keys on a loopback server."""

    async def certs(request: web.Request) -> web.Response:
        return web.json_response(KeySet([KEY]).as_dict(private=False))

    app = web.Application()
    app.router.add_get("/certs", certs)
    url = await upstream(app) + "/certs"
    config = OidcConfig(issuer=ISSUER, jwks_url=url, client_id=CLIENT_ID)
    jwks = Jwks(config)
    party = RelyingParty(jwks)
    party.clock = lambda: NOW
    yield party
    await jwks.close()


def _claims(**changes: Any) -> dict[str, Any]:
    now = NOW
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "f3c1-uuid",
        "preferred_username": "maria",
        "nonce": NONCE,
        "iat": now,
        "exp": now + 300,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(**changes: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": "k1"}, _claims(**changes), KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned() -> str:
    header = _b64(json.dumps({"alg": "none"}).encode())
    return f"{header}.{_b64(json.dumps(_claims()).encode())}."


def _hs256_with_the_public_key() -> str:
    # The classic confusion: the RSA public key (which anybody has) used as an HMAC secret.
    secret = KEY.as_pem(private=False)
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    signing_input = f"{header}.{_b64(json.dumps(_claims()).encode())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(lambda: _signed(aud="another-client"), "aud", id="another-audience"),
        pytest.param(
            lambda: _signed(aud=[CLIENT_ID, "another-client"]), "azp", id="several-no-azp"
        ),
        pytest.param(lambda: _signed(aud=[CLIENT_ID, "x"], azp="x"), "azp", id="for-another-party"),
        pytest.param(lambda: _signed(azp="another-client"), "azp", id="one-audience-other-azp"),
        pytest.param(lambda: _signed(iss="https://evil.example"), "iss", id="another-issuer"),
        pytest.param(lambda: _signed(nonce="another-login"), "nonce", id="another-nonce"),
        pytest.param(lambda: _signed(nonce=None), "nonce", id="no-nonce"),
        pytest.param(lambda: _signed(iat=None), "iat", id="no-issued-at"),
        pytest.param(lambda: _signed(iat=NOW + 600), "future", id="issued-later"),
        pytest.param(lambda: _signed(exp=NOW - 120), "expired", id="expired"),
        pytest.param(lambda: _signed(sub=None), "sub", id="no-subject"),
        pytest.param(_unsigned, "refused", id="alg-none"),
        pytest.param(_hs256_with_the_public_key, "refused", id="hs256-public-key"),
        pytest.param(
            lambda: jwt.encode(
                {"alg": "RS256", "kid": "k9"},
                _claims(),
                RSAKey.generate_key(2048, parameters={"kid": "k9"}, private=True),
            ),
            "unknown key",
            id="unknown-key",
        ),
    ],
)
async def test_an_id_token_that_does_not_hold_is_refused(
    party: RelyingParty, token: Callable[[], str], reason: str
) -> None:
    with pytest.raises(Unauthorized) as refused:
        await party.id_token_claims(token(), NONCE)
    assert reason in refused.value.detail
    assert refused.value.detail.startswith("the identity provider's ID token was refused")


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="one-audience"),
        pytest.param({"aud": [CLIENT_ID, "api"], "azp": CLIENT_ID}, id="several-with-azp"),
        pytest.param({"azp": CLIENT_ID}, id="one-audience-with-azp"),
        pytest.param({"exp": NOW - 10}, id="expired-within-leeway"),
    ],
)
async def test_an_id_token_that_holds_gives_its_claims(
    party: RelyingParty, changes: dict[str, Any]
) -> None:
    claims = await party.id_token_claims(_signed(**changes), NONCE)
    assert (claims["sub"], claims["preferred_username"]) == ("f3c1-uuid", "maria")


async def test_the_checks_go_by_the_relying_partys_clock(party: RelyingParty) -> None:
    token = _signed()
    start = NOW
    party.clock = lambda: start + 290
    assert (await party.id_token_claims(token, NONCE))["sub"] == "f3c1-uuid"
    party.clock = lambda: start + 400
    with pytest.raises(Unauthorized, match="expired"):
        await party.id_token_claims(token, NONCE)
