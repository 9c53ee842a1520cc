"""The [auth] and [session] tables, per-user credential tables, and password hashes."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.auth.passwords import Cost, hash_password, verify
from gateway.config import loading as config_mod
from gateway.config.hashes import check_hash
from gateway.web.errors import ConfigError
from tests.support.identities import CHEAP, auth_table, user_entry

FLEX = {"kind": "flex", "url": "simulator", "username": "u", "password": "p-secret"}
OIDC = {
    "issuer": "https://login.example.org",
    "audience": "gw",
    "jwks_url": "https://login.example.org/certs",
}


def problems(data: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config_mod.parse(data, env=env or {})
    return caught.value.problems


def _with_users(users: dict[str, Any], **auth: Any) -> dict[str, Any]:
    return {"auth": auth_table(**auth), "backends": {"mam": {**FLEX, "users": users}}}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            _with_users({"nobody": {"username": "x", "password": "y"}}),
            "backends.mam.users.nobody: no [[auth.users]] or [[auth.clients]] is called 'nobody'",
            id="unknown-user",
        ),
        pytest.param(
            _with_users({"oidc:maria": {"username": "x", "password": "y"}}),
            "backends.mam.users.oidc:maria: names an OIDC user, but there is no [auth.oidc]",
            id="oidc-without-issuer",
        ),
        pytest.param(
            _with_users({"editor": {"colour": "red"}}),
            "backends.mam.users.editor.colour: unknown key",
            id="unknown-credential-key",
        ),
        pytest.param(
            _with_users({"editor": {"username": "${EMPTY:-}", "password": "${EMPTY:-}"}}),
            "backends.mam.users.editor: names no credentials",
            id="empty-credentials",
        ),
        pytest.param(
            {
                "auth": auth_table(
                    users=[user_entry("twin", "pw-twin-1", ["reader"])],
                    clients=[{**auth_table()["clients"][0], "client_id": "twin"}],
                )
            },
            "auth: 'twin' is both a user and a client; per-user credentials could not tell them "
            "apart",
            id="user-and-client-alike",
        ),
        pytest.param(
            {"auth": auth_table(oidc={**OIDC, "issuer": "hal-media-gateway"})},
            "auth.oidc.issuer: must differ from auth.issuer, the gateway's own",
            id="oidc-issuer-is-ours",
        ),
        pytest.param(
            {"auth": auth_table(oidc={**OIDC, "jwks_url": "http://login.example.org/certs"})},
            "auth.oidc.jwks_url: must be https (plain http only on loopback)",
            id="jwks-over-http",
        ),
        pytest.param(
            {
                "auth": auth_table(
                    users=[{**user_entry("x", "pw-x-12345", ["reader"]), "name": " "}]
                )
            },
            "auth.users[0].name: must be a non-empty name without surrounding spaces, "
            "not starting oidc:",
            id="blank-name",
        ),
        pytest.param(
            {"auth": auth_table(users=[user_entry("x", "pw-x-12345", ["owner"])])},
            "auth.users[0].roles: unknown roles ['owner']; roles are reader, editor, admin",
            id="unknown-role",
        ),
        pytest.param(
            {
                "auth": auth_table(
                    users=[
                        {**user_entry("x", "pw-x-12345", ["reader"]), "password_hash": "hunter2"}
                    ]
                )
            },
            "auth.users[0].password_hash: must be a hash made by `hal-gateway hash-password` "
            "($scrypt$ln=..,r=..,p=..$..$..)",
            id="not-a-hash",
        ),
        pytest.param(
            {"auth": auth_table(signing_key="short")},
            "auth.signing_key: must be at least 32 bytes (or empty for a random key per process)",
            id="short-signing-key",
        ),
        pytest.param(
            {"auth": auth_table(), "session": {"store": "redis"}},
            'session.redis_url: required when store = "redis"',
            id="redis-without-url",
        ),
        pytest.param(
            {
                "auth": auth_table(signing_key=""),
                "session": {"store": "redis", "redis_url": "redis://r:6379/0"},
            },
            'auth.signing_key: required when session.store = "redis" (every process must '
            "accept the others' tokens)",
            id="redis-without-signing-key",
        ),
        pytest.param(
            {"auth": auth_table(), "session": {"cookie_name": "my session"}},
            "session.cookie_name: must be 1-64 letters, digits, '_' or '-'",
            id="cookie-name",
        ),
        pytest.param(
            {"auth": auth_table(), "session": {"secret_key": "not-32-bytes"}},
            "session.secret_key: must be 32 bytes in URL-safe base64",
            id="session-key",
        ),
        pytest.param(
            {"backends": {"mam": {**FLEX, "roles": ["owner"]}}},
            "backends.mam.roles: unknown roles ['owner']; roles are reader, editor, admin",
            id="backend-role",
        ),
    ],
)
def test_auth_config_problems_name_their_keys(data: dict[str, Any], expected: str) -> None:
    found = problems(data)
    assert any(p.startswith(expected) for p in found), found


def test_oidc_users_are_mapped_by_prefix_and_loopback_jwks_may_be_http() -> None:
    oidc = {**OIDC, "jwks_url": "http://127.0.0.1:9/certs"}
    data = _with_users({"oidc:maria": {"username": "maria", "password": "pw"}}, oidc=oidc)
    config = config_mod.parse(data, env={})
    assert list(config.backends["mam"].users) == ["oidc:maria"]
    assert config.auth.oidc is not None
    assert config.auth.oidc.username_claim == "sub"  # unique per issuer, unlike user names


def test_a_backend_with_only_user_credentials_needs_no_service_keys() -> None:
    data = {
        "auth": auth_table(),
        "backends": {
            "mam": {
                "kind": "flex",
                "url": "simulator",
                "users": {"editor": {"username": "e", "password": "e-pw"}},
            }
        },
    }
    backend = config_mod.parse(data, env={}).backends["mam"]
    assert backend.service_credentials is False
    assert "e-pw" not in repr(backend)


def test_hashes_carry_their_parameters_and_refuse_what_scrypt_cannot_do() -> None:
    stored = hash_password("correct horse", Cost(ln=5, r=8, p=1))
    assert stored.startswith("$scrypt$ln=5,r=8,p=1$")
    assert verify("correct horse", stored)
    assert not verify("correct horse.", stored)
    assert hash_password("correct horse", CHEAP) != hash_password("correct horse", CHEAP)
    assert check_hash(stored) is None
    assert check_hash(stored.replace("ln=5", "ln=20")) == "has scrypt parameters out of range"
    assert check_hash(stored.replace("ln=5", "ln=19")) is None
