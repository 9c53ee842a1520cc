"""An OAuth client library, unmodified, completes the whole flow against the gateway.

authlib's ``requests`` client (``OAuth2Session``) configures itself from the metadata,
makes the authorization URL with PKCE, redeems the code, calls the API, refreshes,
and revokes, from a worker thread against the gateway's loopback port; the test is the
browser in between (the login form), reading where the gateway sends it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.requests_client import (  # type: ignore[import-untyped]
    OAuth2Session,
)

from tests.support.fixtures import GatewayFactory
from tests.support.oauth import (
    APP,
    APP_REDIRECT,
    PORTAL,
    PORTAL_REDIRECT,
    PORTAL_SECRET,
    Browser,
    answer_of,
)


@pytest.mark.parametrize(
    ("client_id", "secret", "redirect_uri"),
    [
        pytest.param(APP, None, APP_REDIRECT, id="public"),
        pytest.param(PORTAL, PORTAL_SECRET, PORTAL_REDIRECT, id="confidential"),
    ],
)
async def test_authlibs_client_logs_in_refreshes_and_revokes(
    gateway: GatewayFactory, client_id: str, secret: str | None, redirect_uri: str
) -> None:
    client = await gateway(user=None)
    base = str(client.make_url("")).rstrip("/")
    metadata: dict[str, Any] = await (
        await client.get("/.well-known/oauth-authorization-server")
    ).json()
    session = OAuth2Session(
        client_id,
        secret,
        scope="editor",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    try:
        verifier = generate_token(48)
        url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier
        )
        location = await Browser(client).log_in(url)
        assert location.startswith(redirect_uri + "?")
        assert answer_of(location)["state"] == state
        token = await asyncio.to_thread(
            session.fetch_token,
            metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=verifier,
        )
        assert (token["token_type"], token["scope"]) == ("Bearer", "editor")

        me = await asyncio.to_thread(session.get, base + "/auth/me")
        assert me.status_code == 200
        assert (me.json()["name"], me.json()["roles"]) == ("editor", ["editor"])

        first_refresh = token["refresh_token"]
        renewed = await asyncio.to_thread(session.refresh_token, metadata["token_endpoint"])
        assert renewed["refresh_token"] != first_refresh
        assert (await asyncio.to_thread(session.get, base + "/auth/me")).status_code == 200

        # The old refresh token again: refused, and the grant ends with it.
        with pytest.raises(OAuthError) as reused:
            await asyncio.to_thread(
                session.refresh_token, metadata["token_endpoint"], refresh_token=first_refresh
            )
        assert reused.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as ended:
            await asyncio.to_thread(
                session.refresh_token,
                metadata["token_endpoint"],
                refresh_token=renewed["refresh_token"],
            )
        assert ended.value.error == "invalid_grant"
        assert (await asyncio.to_thread(session.get, base + "/auth/me")).status_code == 401

        # A new login, and this time the client revokes what it got.
        verifier = generate_token(48)
        url, state = session.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier
        )
        location = await Browser(client).log_in(url)
        assert answer_of(location)["iss"] == metadata["issuer"]  # RFC 9207
        assert answer_of(location)["state"] == state
        token = await asyncio.to_thread(
            session.fetch_token,
            metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=verifier,
        )
        revoked = await asyncio.to_thread(
            session.revoke_token,
            metadata["revocation_endpoint"],
            token=token["access_token"],
            token_type_hint="access_token",
        )
        assert revoked.status_code == 200
        assert (await asyncio.to_thread(session.get, base + "/auth/me")).status_code == 401
        revoked = await asyncio.to_thread(
            session.revoke_token,
            metadata["revocation_endpoint"],
            token=token["refresh_token"],
            token_type_hint="refresh_token",
        )
        assert revoked.status_code == 200
        with pytest.raises(OAuthError) as refused:
            await asyncio.to_thread(
                session.refresh_token,
                metadata["token_endpoint"],
                refresh_token=token["refresh_token"],
            )
        assert refused.value.error == "invalid_grant"
    finally:
        session.close()
