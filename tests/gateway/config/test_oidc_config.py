"""The ``[auth.oidc]`` keys of single sign-on, and what stays valid from before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest

from gateway.cli import main
from gateway.config import auth as authconfig
from gateway.config import loading as config_mod
from gateway.web.errors import ConfigError
from tests.support.identities import auth_table

FLEX: Final = {"kind": "flex", "url": "simulator", "username": "u", "password": "p-secret"}
ISSUER: Final = "https://login.example.org/realms/media"
SSO: Final = {"issuer": ISSUER, "client_id": "hal-gateway", "client_secret": "${SSO_SECRET}"}
ENV: Final = {"SSO_SECRET": "sso-client-secret-0123456789"}


def parse(oidc: dict[str, Any], env: dict[str, str] | None = None) -> config_mod.GatewayConfig:
    data = {"auth": auth_table(oidc=oidc), "backends": {"mam": FLEX}}
    return config_mod.parse(data, env=ENV if env is None else env)


def problems(oidc: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(oidc)
    return caught.value.problems


def test_sso_keys_and_their_defaults() -> None:
    oidc = parse(SSO).auth.oidc
    assert oidc is not None
    assert oidc.sso
    assert oidc.client_id == "hal-gateway"
    assert oidc.client_secret.reveal() == ENV["SSO_SECRET"]
    assert ENV["SSO_SECRET"] not in repr(oidc)
    assert oidc.scopes == ("openid", "profile", "email")
    assert oidc.post_logout_redirect_url == ""
    assert oidc.audience == ""  # single sign-on alone: the issuer's bearer tokens are not taken
    assert oidc.jwks_url == ""  # from the discovery document
    assert dict(oidc.user_roles) == {}


def test_every_sso_key_can_be_set() -> None:
    oidc = parse(
        {
            **SSO,
            "audience": "media-api",
            "scopes": ["openid", "email", "roles"],
            "post_logout_redirect_url": "https://media.example.org/goodbye",
            "user_roles": {"maria@example.org": ["editor"], "olga@example.org": ["admin"]},
        }
    ).auth.oidc
    assert oidc is not None
    assert oidc.scopes == ("openid", "email", "roles")
    assert oidc.post_logout_redirect_url == "https://media.example.org/goodbye"
    assert dict(oidc.user_roles) == {
        "maria@example.org": frozenset({"editor"}),
        "olga@example.org": frozenset({"admin"}),
    }


def test_a_bearer_only_table_from_before_stays_valid_and_sso_stays_off() -> None:
    oidc = parse(
        {"issuer": ISSUER, "audience": "gw", "jwks_url": "https://login.example.org/certs"}
    ).auth.oidc
    assert oidc is not None
    assert not oidc.sso
    assert oidc.jwks_url == "https://login.example.org/certs"


@pytest.mark.parametrize(
    ("oidc", "expected"),
    [
        pytest.param(
            {"issuer": ISSUER},
            "auth.oidc.audience: required unless client_id is set (single sign-on)",
            id="neither-audience-nor-client",
        ),
        pytest.param(
            {"issuer": "login.example.org", "audience": "gw"},
            "auth.oidc.issuer: must be an http(s) URL when jwks_url is empty",
            id="undiscoverable-issuer",
        ),
        pytest.param(
            {**SSO, "issuer": "http://login.example.org/realms/media"},
            "auth.oidc.issuer: must be https (plain http only on loopback) when client_id is set",
            id="sso-over-http",
        ),
        pytest.param(
            {**SSO, "scopes": ["profile", "email"]},
            "auth.oidc.scopes: must include openid",
            id="scopes-without-openid",
        ),
        pytest.param(
            {**SSO, "post_logout_redirect_url": "/goodbye"},
            "auth.oidc.post_logout_redirect_url: must be an http(s) URL",
            id="relative-logout-url",
        ),
        pytest.param(
            {**SSO, "post_logout_redirect_url": "http://media.example.org/goodbye"},
            "auth.oidc.post_logout_redirect_url: must be https (plain http only on loopback)",
            id="logout-url-over-http",
        ),
        pytest.param(
            {**SSO, "user_roles": {"maria": ["owner"]}},
            "auth.oidc.user_roles.maria: unknown roles ['owner']; roles are reader, editor, admin",
            id="unknown-role",
        ),
        pytest.param(
            {**SSO, "user_roles": {"maria": []}},
            "auth.oidc.user_roles.maria: must name at least one role",
            id="no-role",
        ),
        pytest.param(
            {**SSO, "user_roles": {"maria": "editor"}},
            "auth.oidc.user_roles.maria: must be a list of roles",
            id="role-not-a-list",
        ),
        pytest.param(
            {**SSO, "user_roles": ["maria"]},
            "auth.oidc.user_roles: must be a table of user name = [roles]",
            id="user-roles-not-a-table",
        ),
    ],
)
def test_sso_keys_that_do_not_hold_are_refused(oidc: dict[str, Any], expected: str) -> None:
    assert expected in problems(oidc)


def test_a_loopback_issuer_may_be_plain_http() -> None:
    oidc = parse(
        {
            **SSO,
            "issuer": "http://127.0.0.1:8180/realms/media",
            "post_logout_redirect_url": "http://localhost:8080/",
        }
    ).auth.oidc
    assert oidc is not None
    assert oidc.sso
    assert oidc.post_logout_redirect_url == "http://localhost:8080/"


@pytest.mark.parametrize(
    ("claim", "warned"),
    [
        pytest.param("preferred_username", "may let it change", id="preferred-username"),
        pytest.param("upn", "may let it change", id="upn"),
        pytest.param("email", "only accepted when email_verified is true", id="email"),
    ],
)
def test_check_config_warns_of_a_user_name_a_person_may_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], claim: str, warned: str
) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(
        f"""
[auth.oidc]
issuer = "{ISSUER}"
audience = "hal-gateway"
username_claim = "{claim}"

[backends.mam]
kind = "flex"
url = "simulator"
username = "u"
password = "p"
"""
    )
    assert main(["check-config", str(path)]) == 0
    [line] = [x for x in capsys.readouterr().err.splitlines() if "username_claim" in x]
    assert "warning" in line
    assert warned in line
    assert '"sub" (Keycloak, Google) or "oid" (Microsoft Entra ID)' in line


@pytest.mark.parametrize("claim", [pytest.param("sub", id="sub"), pytest.param("oid", id="oid")])
def test_a_stable_user_name_is_not_warned_of(claim: str) -> None:
    config = parse({**SSO, "username_claim": claim})
    assert authconfig.warnings(config.auth) == []


def test_the_client_secret_comes_from_the_environment() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(SSO, env={})
    assert caught.value.problems == [
        "auth.oidc.client_secret: environment variable SSO_SECRET is not set and has no default"
    ]
