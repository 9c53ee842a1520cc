"""The authorization server metadata (RFC 8414): valid, linked from the root, and true."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata  # type: ignore[import-untyped]

from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.navigator import HAL

PATH = "/.well-known/oauth-authorization-server"


async def _metadata(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get(PATH)
    assert response.status == 200
    assert response.content_type == "application/json"
    body: dict[str, Any] = await response.json()
    return body


async def test_the_metadata_validates_and_names_what_the_gateway_does(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    metadata = await _metadata(client)
    AuthorizationServerMetadata(metadata).validate()
    base = str(client.make_url("")).rstrip("/")
    assert metadata["issuer"] == base
    assert metadata["authorization_endpoint"] == base + "/auth/authorize"
    assert metadata["token_endpoint"] == base + "/auth/token"
    assert metadata["revocation_endpoint"] == base + "/auth/revoke"
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "password",
        "client_credentials",
    }
    assert "none" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["scopes_supported"] == ["reader", "editor", "admin"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


@pytest.mark.parametrize(
    ("member", "method", "status"),
    [
        pytest.param("authorization_endpoint", "GET", 400, id="authorize"),
        pytest.param("token_endpoint", "POST", 400, id="token"),
        pytest.param("revocation_endpoint", "POST", 400, id="revoke"),
        pytest.param("service_documentation", "GET", 200, id="documentation"),
    ],
)
async def test_every_endpoint_it_names_answers(
    gateway: GatewayFactory, member: str, method: str, status: int
) -> None:
    """Asked with nothing, each endpoint says what is missing (it is there to answer)."""
    client = await gateway(user=None)
    href = (await _metadata(client))[member]
    data: dict[str, str] | None = {} if method == "POST" else None
    async with client.session.request(method, href, data=data, allow_redirects=False) as answer:
        assert answer.status == status
        if status >= 400:
            assert answer.content_type == "application/problem+json"


async def test_the_issuer_is_the_public_url_with_its_path(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    public = "https://media.example.org/gateway"
    client = await gateway(make_config(server={"public_url": public}), user=None)
    metadata = await _metadata(client)
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == public
    assert metadata["authorization_endpoint"] == public + "/auth/authorize"


async def test_the_root_links_the_metadata_for_anybody(gateway: GatewayFactory) -> None:
    client = await gateway(user=None)
    root = await (await client.get("/", headers={"Accept": HAL})).json()
    href = root["_links"]["gw:oauth-metadata"]["href"]
    assert href == str(client.make_url(PATH))
    relation = await client.get("/rels/oauth-metadata", headers={"Accept": "application/json"})
    assert relation.status == 200
