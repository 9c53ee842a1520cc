"""The MediaCentral keys of the configuration, and the shipped config files."""

from __future__ import annotations

import dataclasses
import tomllib
from typing import Any

import pytest

from adapters.mediacentral import MediaCentralAdapter
from adapters.mediacentral.logins import McuxLogin, OAuth2Login
from gateway.config import loading as config_mod
from gateway.upstream.logins import UpstreamSession
from gateway.web.errors import ConfigError
from tests.support.fixtures import ConfigFactory, GatewayFactory
from tests.support.mediacentral.navigator import Navigator
from tests.support.paths import ROOT


@pytest.mark.parametrize(
    ("keys", "problems"),
    [
        pytest.param(
            {"auth": "mcux", "username": "u"},
            ['backends.mc.password: required when auth = "mcux"'],
            id="mcux-without-password",
        ),
        pytest.param(
            {"auth": "mcux", "password": ""},
            [
                'backends.mc.username: required when auth = "mcux"',
                'backends.mc.password: required when auth = "mcux"',
            ],
            id="mcux-empty",
        ),
        pytest.param(
            {"auth": "oauth2", "client_id": "c", "client_secret": "s"},
            [
                'backends.mc.username: required when auth = "oauth2" and grant = "password"',
                'backends.mc.password: required when auth = "oauth2" and grant = "password"',
            ],
            id="password-grant-without-user",
        ),
        pytest.param(
            {"auth": "oauth2", "grant": "client_credentials", "client_id": "c"},
            [
                "backends.mc.client_secret: required when auth = "
                '"oauth2" and grant = "client_credentials"'
            ],
            id="client-without-secret",
        ),
    ],
)
def test_missing_login_keys_are_config_problems_with_their_key_paths(
    make_config: ConfigFactory, keys: dict[str, Any], problems: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(backends={"mc": {"kind": "mediacentral", "url": "simulator", **keys}})
    assert caught.value.problems == problems


@pytest.mark.parametrize(
    ("keys", "alice", "problems"),
    [
        pytest.param(
            {"auth": "mcux"},
            {"username": "alice.mc"},
            ['backends.mc.users.alice.password: required when auth = "mcux"'],
            id="mcux-without-password",
        ),
        pytest.param(
            {"auth": "oauth2", "grant": "client_credentials"},
            {"client_id": "alice-app"},
            [
                "backends.mc.users.alice.client_secret: required when auth = "
                '"oauth2" and grant = "client_credentials"'
            ],
            id="client-without-secret",
        ),
        pytest.param(
            {"auth": "oauth2"},
            {"username": "alice.mc", "password": "pw"},
            [
                "backends.mc.users.alice.client_id: required when auth = "
                '"oauth2" and grant = "password"',
                "backends.mc.users.alice.client_secret: required when auth = "
                '"oauth2" and grant = "password"',
            ],
            id="password-grant-without-client",
        ),
    ],
)
def test_a_users_missing_login_keys_are_config_problems_with_their_key_paths(
    make_config: ConfigFactory, keys: dict[str, Any], alice: dict[str, str], problems: list[str]
) -> None:
    backend = {"kind": "mediacentral", "url": "simulator", **keys, "users": {"alice": alice}}
    with pytest.raises(ConfigError) as caught:
        make_config(backends={"mc": backend})
    assert caught.value.problems == problems


def test_login_flows_follow_the_config_and_never_show_secrets(make_config: ConfigFactory) -> None:
    config = make_config(
        backends={
            "a": {"kind": "mediacentral", "url": "simulator", "username": "u", "password": "pw-1"},
            "b": {
                "kind": "mediacentral",
                "url": "simulator",
                "auth": "oauth2",
                "grant": "client_credentials",
                "client_id": "c",
                "client_secret": "secret-2",
            },
        }
    )
    mcux = MediaCentralAdapter.upstream_auth(config.backends["a"])
    oauth = MediaCentralAdapter.upstream_auth(config.backends["b"])
    assert isinstance(mcux, McuxLogin)
    assert isinstance(oauth, OAuth2Login)
    assert "pw-1" not in repr(mcux)
    assert "secret-2" not in repr(oauth)
    # Not even the attributes hold them in plain text: a debugger or a dump shows none.
    assert "pw-1" not in repr(vars(mcux))
    assert "secret-2" not in repr(vars(oauth))


def test_a_session_does_not_show_its_cookie_or_token() -> None:
    session = UpstreamSession(
        {"Authorization": "Bearer tok-123", "Cookie": "avidAccessToken=cookie-456"},
        expires_at=None,
        renew_at=None,
        extras={"token_href": "http://mc.internal/auth/tokens/current"},
    )
    assert "tok-123" not in repr(session)
    assert "cookie-456" not in repr(session)


async def test_the_embedded_default_serves_mediacentral_from_its_simulator(
    gateway: GatewayFactory,
) -> None:
    config = config_mod.load(ROOT / "config" / "gateway.toml", env={})
    only = {"mediacentral": config.backends["mediacentral"]}
    assert only["mediacentral"].options["auth"] == "mcux"
    # The embedded default's own user, not the suite's.
    nav = Navigator(await gateway(dataclasses.replace(config, backends=only), user="demo"))
    backend = await nav.backend("mediacentral")
    root = await nav.get(nav.href(backend, "mc:locations"))
    assert root["common"]["name"] == "Newsroom"
    listing = await nav.get(nav.base + "/backends")
    assert [b["ready"] for b in nav.embedded(listing, "gw:backend")] == [True]


def test_the_production_example_logs_in_with_oauth2_client_credentials() -> None:
    text = (ROOT / "config" / "production.example.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["backends"]["newsroom"]
    env = {"MEDIACENTRAL_CLIENT_ID": "gateway", "MEDIACENTRAL_CLIENT_SECRET": "s3cret"}
    config = config_mod.parse({"backends": {"newsroom": table}}, env=env)
    newsroom = config.backends["newsroom"]
    assert (newsroom.options["auth"], newsroom.options["grant"]) == ("oauth2", "client_credentials")
    assert isinstance(MediaCentralAdapter.upstream_auth(newsroom), OAuth2Login)
