"""``[[auth.clients]]`` of the authorization endpoint (public, redirect_uris) and the
refresh-token lives of ``[auth]``."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.auth.passwords import hash_password
from gateway.config import loading as config_mod
from gateway.web.errors import ConfigError
from tests.support.identities import CHEAP, auth_table

SECRET_HASH = hash_password("a-client-secret", CHEAP)


def _parse(*clients: dict[str, Any], **auth: Any) -> config_mod.GatewayConfig:
    table = auth_table(clients=list(clients), **auth)
    return config_mod.parse({"auth": table, "backends": {}}, env={})


def _problems(*clients: dict[str, Any], **auth: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _parse(*clients, **auth)
    return caught.value.problems


def _public(*uris: str) -> dict[str, Any]:
    return {"client_id": "app", "public": True, "roles": ["reader"], "redirect_uris": list(uris)}


def test_a_public_client_has_redirect_uris_and_no_secret() -> None:
    config = _parse(_public("https://app.example.org/cb", "http://127.0.0.1/cb"))
    app = config.auth.clients["app"]
    assert app.public is True
    assert app.secret_hash is None
    assert app.redirect_uris == ("https://app.example.org/cb", "http://127.0.0.1/cb")


def test_a_confidential_client_may_have_redirect_uris_too() -> None:
    entry = {
        "client_id": "portal",
        "secret_hash": SECRET_HASH,
        "roles": ["editor"],
        "redirect_uris": ["https://portal.example.org/cb"],
    }
    portal = _parse(entry).auth.clients["portal"]
    assert (portal.public, portal.redirect_uris) == (False, ("https://portal.example.org/cb",))
    assert _parse({**entry, "redirect_uris": []}).auth.clients["portal"].redirect_uris == ()


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        pytest.param(
            {**_public("https://a.example/cb"), "secret_hash": SECRET_HASH},
            "auth.clients[0].secret_hash: a public client has no secret",
            id="public-with-secret",
        ),
        pytest.param(
            _public(),
            "auth.clients[0].redirect_uris: a public client needs at least one",
            id="public-without-redirect-uris",
        ),
        pytest.param(
            {"client_id": "bot", "roles": ["reader"]},
            "auth.clients[0].secret_hash: required (or public = true",
            id="confidential-without-secret",
        ),
        pytest.param(
            _public("http://app.example.org/cb"),
            "plain http only to a loopback address",
            id="plain-http",
        ),
        pytest.param(_public("https://a.example/cb#x"), "has a fragment", id="fragment"),
        pytest.param(_public("javascript:alert(1)"), "private-use scheme", id="javascript"),
        pytest.param(_public("myapp:/callback"), "private-use scheme", id="scheme-without-dot"),
        pytest.param(
            _public("com.example.app://callback"), "private-use scheme", id="scheme-with-host"
        ),
        pytest.param(_public("https://u:p@a.example/cb"), "user information", id="userinfo"),
        pytest.param(_public("https:///cb"), "names no host", id="no-host"),
        pytest.param(_public("/cb"), "private-use scheme", id="relative"),
        pytest.param(_public("https://a.example/c b"), "spaces", id="space"),
        pytest.param(_public("https://a.example:99999/cb"), "is not a URI", id="bad-port"),
        pytest.param(
            _public("https://a.example/cb", "https://a.example/cb"), "twice", id="duplicate"
        ),
        pytest.param(
            {**_public("https://a.example/cb"), "public": "maybe"},
            "auth.clients[0].public: must be a boolean",
            id="public-not-a-boolean",
        ),
    ],
)
def test_client_problems_are_named(entry: dict[str, Any], problem: str) -> None:
    found = _problems(entry)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("https://app.example.org/oauth/callback?tenant=1", id="https-with-query"),
        pytest.param("http://127.0.0.1:8400/cb", id="loopback-v4-port"),
        pytest.param("http://[::1]/cb", id="loopback-v6"),
        pytest.param("http://localhost:3000/cb", id="localhost"),
        pytest.param("com.example.media:/oauth/callback", id="private-use-scheme"),
    ],
)
def test_redirect_uris_that_may_be_registered(uri: str) -> None:
    assert _parse(_public(uri)).auth.clients["app"].redirect_uris == (uri,)


def test_the_refresh_lives_default_and_are_bounded() -> None:
    auth = _parse(_public("https://a.example/cb")).auth
    assert (auth.refresh_ttl_s, auth.refresh_max_s) == (7 * 86400, 30 * 86400)
    auth = _parse(_public("https://a.example/cb"), refresh_ttl_s=120, refresh_max_s=600).auth
    assert (auth.refresh_ttl_s, auth.refresh_max_s) == (120, 600)
    found = _problems(_public("https://a.example/cb"), refresh_ttl_s=10, refresh_max_s="${N}")
    assert "auth.refresh_ttl_s: must be at least 60" in found
    assert "auth.refresh_max_s: environment variable N is not set and has no default" in found
