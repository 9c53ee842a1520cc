"""Credentials made to break a parser: a clear answer from the table, never a 500."""

from __future__ import annotations

import base64

import pytest

from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.identities import USERS


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# A JWT whose payload is nested deeper than a JSON parser's stack.
HEADER = _b64(b'{"alg":"HS256"}')
NESTED = ".".join((HEADER, _b64(b"[" * 2000 + b"]" * 2000), _b64(b"sig")))


async def test_a_token_nested_too_deep_is_refused_as_any_bad_token(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(user=None)
    headers = {"Authorization": f"Bearer {NESTED}"}
    me = await client.get("/auth/me", headers=headers)
    assert me.status == 401
    assert "not a JWT" in (await me.json())["detail"]
    root = await client.get("/", headers=headers)  # a public page: served as to anybody
    assert root.status == 200
    revoked = await client.post("/auth/revoke", data={"token": NESTED, "client_id": "media-app"})
    assert revoked.status == 200  # RFC 7009: a token the gateway does not know


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        pytest.param("/auth/login", "application/x-www-form-urlencoded", id="login-not-utf8"),
        pytest.param("/auth/token", "application/x-www-form-urlencoded", id="token-not-utf8"),
        pytest.param(
            "/auth/token",
            "application/x-www-form-urlencoded; charset=no-such-charset",
            id="token-unknown-charset",
        ),
        pytest.param("/auth/authorize", "application/x-www-form-urlencoded", id="authorize"),
    ],
)
async def test_a_form_that_does_not_decode_is_a_400(
    gateway: GatewayFactory, path: str, content_type: str
) -> None:
    client = await gateway(user=None)
    answer = await client.post(
        path, data=b"username=\xff\xfe&password=x", headers={"Content-Type": content_type}
    )
    assert answer.status == 400
    assert "decode" in (await answer.json())["detail"]


async def test_a_form_that_does_not_decode_carries_no_csrf_token(
    gateway: GatewayFactory, make_config: ConfigFactory
) -> None:
    client = await gateway(make_config(), user=None)
    login = await client.post(
        "/auth/login", json={"username": "editor", "password": USERS["editor"][0]}
    )
    assert login.status == 200
    sent = b"csrf_token=\xff\xfe"
    answer = await client.post(
        "/auth/logout",
        data=sent,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 403
    assert (await client.get("/auth/me")).status == 200  # still logged in
