"""The OIDC issuer's discovery document: where its keys and endpoints are, kept a while."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gateway.auth.discovery import ProviderMetadata
from gateway.config.oidc import OidcConfig
from gateway.web.errors import ServiceUnavailable
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import auth_table

KEY: Final = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
Serve = Callable[[web.Application], Awaitable[str]]


class Issuer:
    """A stand-in issuer on loopback: its discovery document and its keys."""

    def __init__(self) -> None:
        self.url = ""
        self.fetches = 0
        self.down = False
        self.changes: dict[str, Any] = {}

    async def document(self, request: web.Request) -> web.Response:
        self.fetches += 1
        if self.down:
            return web.Response(status=503)
        return web.json_response(
            {
                "issuer": self.url,
                "authorization_endpoint": self.url + "/auth",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/certs",
                **self.changes,
            }
        )

    async def certs(self, request: web.Request) -> web.Response:
        return web.json_response(KeySet([KEY]).as_dict(private=False))

    def token(self) -> str:
        now = int(time.time())
        claims = {"iss": self.url, "aud": "media-api", "sub": "maria", "iat": now, "exp": now + 300}
        return jwt.encode({"alg": "RS256", "kid": "k1"}, {**claims, "roles": ["reader"]}, KEY)


@pytest.fixture
async def issuer(upstream: Serve) -> Issuer:
    idp = Issuer()
    app = web.Application()
    app.router.add_get("/realms/media/.well-known/openid-configuration", idp.document)
    app.router.add_get("/realms/media/certs", idp.certs)
    idp.url = await upstream(app) + "/realms/media"
    return idp


@pytest.fixture
async def metadata(issuer: Issuer) -> AsyncIterator[ProviderMetadata]:
    found = ProviderMetadata(OidcConfig(issuer=issuer.url, client_id="gw", jwks_ttl_s=60))
    yield found
    await found.close()


async def test_without_jwks_url_bearer_tokens_are_checked_with_the_discovered_keys(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: Issuer
) -> None:
    oidc = {"issuer": issuer.url, "audience": "media-api"}
    client = await gateway(make_config(auth=auth_table(oidc=oidc)), user=None)
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert me.status == 200, await me.text()
    assert (await me.json())["roles"] == ["reader"]


async def test_a_document_of_another_issuer_is_not_used(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: Issuer
) -> None:
    issuer.changes = {"issuer": "https://evil.example"}
    oidc = {"issuer": issuer.url, "audience": "media-api", "client_id": "gw"}
    client = await gateway(make_config(auth=auth_table(oidc=oidc)), user=None)
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert me.status == 503
    login = await client.get("/auth/login/oidc", allow_redirects=False)
    assert login.status == 503
    assert "identity provider" in (await login.json())["detail"]


async def test_without_an_audience_the_issuers_bearer_tokens_are_refused(
    gateway: GatewayFactory, make_config: ConfigFactory, issuer: Issuer
) -> None:
    oidc = {"issuer": issuer.url, "client_id": "gw"}  # single sign-on alone
    client = await gateway(make_config(auth=auth_table(oidc=oidc)), user=None)
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert me.status == 401
    assert "not accepted here" in (await me.json())["detail"]


async def test_the_document_is_kept_and_fetched_again_once_stale(
    metadata: ProviderMetadata, issuer: Issuer
) -> None:
    now = 1000.0
    metadata.clock = lambda: now
    for _ in range(3):
        assert await metadata.endpoint("token_endpoint") == issuer.url + "/token"
    assert issuer.fetches == 1
    now += 61
    issuer.changes = {"token_endpoint": issuer.url + "/token2"}
    assert await metadata.endpoint("token_endpoint") == issuer.url + "/token2"
    assert issuer.fetches == 2


async def test_an_issuer_down_keeps_the_document_fetched_before(
    metadata: ProviderMetadata, issuer: Issuer
) -> None:
    now = 1000.0
    metadata.clock = lambda: now
    assert await metadata.endpoint("authorization_endpoint") == issuer.url + "/auth"
    issuer.down = True
    now += 61
    assert await metadata.endpoint("authorization_endpoint") == issuer.url + "/auth"
    assert await metadata.endpoint("authorization_endpoint") == issuer.url + "/auth"
    assert issuer.fetches == 2  # tried once, not per request


async def test_an_issuer_never_reached_is_503(metadata: ProviderMetadata, issuer: Issuer) -> None:
    issuer.down = True
    with pytest.raises(ServiceUnavailable, match="could not be reached"):
        await metadata.document()


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"token_endpoint": "http://login.example.org/token"}, id="plain-http"),
        pytest.param({"jwks_uri": "ftp://login.example.org/certs"}, id="not-http"),
        pytest.param({"issuer": None}, id="no-issuer"),
    ],
)
async def test_a_document_with_unsafe_endpoints_is_refused(
    metadata: ProviderMetadata, issuer: Issuer, changes: dict[str, Any]
) -> None:
    issuer.changes = changes
    with pytest.raises(ServiceUnavailable):
        await metadata.document()


@pytest.mark.parametrize(
    ("promised", "status", "words"),
    [
        pytest.param(True, 400, "does not name its issuer", id="promised"),
        pytest.param(False, 401, "access_denied", id="not-promised"),
    ],
)
async def test_an_answer_without_iss_counts_only_from_an_issuer_that_never_promised_it(
    gateway: GatewayFactory,
    make_config: ConfigFactory,
    issuer: Issuer,
    promised: bool,
    status: int,
    words: str,
) -> None:
    """RFC 9207: an issuer whose document says it names itself in every answer must; one
    that does not say so is taken at its answers without ``iss``."""
    issuer.changes = {"authorization_response_iss_parameter_supported": promised}
    oidc = {"issuer": issuer.url, "client_id": "gw"}
    client = await gateway(make_config(auth=auth_table(oidc=oidc)), user=None)
    begun = await client.get("/auth/login/oidc", allow_redirects=False)
    assert begun.status == 307
    state = dict(parse_qsl(urlsplit(begun.headers["Location"]).query))["state"]
    answer = await client.get(
        "/auth/login/oidc/callback", params={"state": state, "error": "access_denied"}
    )
    assert answer.status == status
    assert words in (await answer.json())["detail"]
