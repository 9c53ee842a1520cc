"""The ``[auth]`` table: who may log in, and how.

Shape (every key documented in the README)::

    [auth]              token_ttl_s, session_ttl_s, signing_key, issuer,
                        login_attempts, login_address_attempts, login_window_s,
                        refresh_ttl_s, refresh_max_s
    [[auth.users]]      name, password_hash, roles
    [[auth.clients]]    client_id, secret_hash, roles, public, redirect_uris
    [auth.oidc]         see :mod:`gateway.config.oidc`

An empty ``signing_key`` gets a random value per process: fine for one process (see
:mod:`gateway.config.session` for several).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.config.hashes import check_hash
from gateway.config.oidc import OidcConfig, oidc_warnings, parse_oidc
from gateway.config.redirects import check_redirect_uris
from gateway.config.roles import some_roles
from gateway.config.schema import Field, Secret, read_table

MIN_KEY_BYTES: Final = 32
OIDC_PREFIX: Final = "oidc:"
"""How ``[backends.<name>.users]`` names a user of the OIDC issuer."""


def _signing_key(value: Any) -> str | None:
    if value and len(value.encode()) < MIN_KEY_BYTES:
        return f"must be at least {MIN_KEY_BYTES} bytes (or empty for a random key per process)"
    return None


AUTH_FIELDS: Final = (
    Field(
        "token_ttl_s", int, "Life of an access token from /auth/token.", default=3600, minimum=60
    ),
    Field(
        "session_ttl_s",
        int,
        "Life of a login session (the cookie's Max-Age).",
        default=8 * 3600,
        minimum=60,
    ),
    Field(
        "signing_key",
        str,
        "HS256 key of access tokens, 32+ bytes; empty: random per process.",
        default="",
        secret=True,
        check=_signing_key,
    ),
    Field("issuer", str, "The iss claim of the gateway's tokens.", default="hal-media-gateway"),
    Field(
        "login_attempts",
        int,
        "Failed logins allowed per user name from one address within the window.",
        default=5,
        minimum=1,
    ),
    Field(
        "login_address_attempts",
        int,
        "Failed logins allowed from one address, whatever the names, within the window.",
        default=100,
        minimum=1,
    ),
    Field(
        "login_window_s",
        int,
        "Sliding window of the failed-login limit.",
        default=300,
        minimum=1,
    ),
    Field(
        "refresh_ttl_s",
        int,
        "Life of an unused refresh token; each use gives a new one.",
        default=7 * 86400,
        minimum=60,
    ),
    Field(
        "refresh_max_s",
        int,
        "Life of a grant's refresh tokens all told, from the login: then log in again.",
        default=30 * 86400,
        minimum=60,
    ),
)


def _name(value: Any) -> str | None:
    if not value or value != value.strip() or value.startswith(OIDC_PREFIX):
        return f"must be a non-empty name without surrounding spaces, not starting {OIDC_PREFIX}"
    return None


USER_FIELDS: Final = (
    Field("name", str, "User name.", required=True, check=_name),
    Field(
        "password_hash",
        str,
        "Hash from `hal-gateway hash-password`.",
        required=True,
        check=check_hash,
    ),
    Field("roles", list, "reader, editor and/or admin.", required=True, check=some_roles),
)
CLIENT_FIELDS: Final = (
    Field("client_id", str, "Client id.", required=True, check=_name),
    Field(
        "secret_hash",
        str,
        "Hash from `hal-gateway hash-password`; required unless public.",
        check=check_hash,
    ),
    Field("roles", list, "reader, editor and/or admin.", required=True, check=some_roles),
    Field(
        "public",
        bool,
        "A browser or native app that keeps no secret: authorization code grant only.",
        default=False,
    ),
    Field(
        "redirect_uris",
        list,
        "Where /auth/authorize may send this client's codes, each matched exactly.",
        default=(),
        check=check_redirect_uris,
    ),
)


@dataclass(frozen=True, slots=True)
class Principal:
    """A configured user or API client."""

    name: str
    secret_hash: str | None = field(repr=False)
    """None for a public client, which has no secret."""
    roles: frozenset[str]
    public: bool = False
    """A client that keeps no secret: it may use the authorization code grant only."""
    redirect_uris: tuple[str, ...] = ()
    """Where the authorization endpoint may send this client's codes."""


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """The ``[auth]`` table."""

    users: Mapping[str, Principal] = field(default_factory=dict)
    clients: Mapping[str, Principal] = field(default_factory=dict)
    oidc: OidcConfig | None = None
    token_ttl_s: int = 3600
    session_ttl_s: int = 8 * 3600
    signing_key: Secret = field(default_factory=lambda: Secret(""))
    issuer: str = "hal-media-gateway"
    login_attempts: int = 5
    login_address_attempts: int = 100
    login_window_s: int = 300
    refresh_ttl_s: int = 7 * 86400
    refresh_max_s: int = 30 * 86400


def warnings(auth: AuthConfig) -> list[str]:
    """What is valid but probably not meant: told by ``check-config`` and ``serve``."""
    if not (auth.users or auth.clients or auth.oidc):
        return [
            "auth: no [[auth.users]], [[auth.clients]] or [auth.oidc]: nobody can log in, "
            "and every route but the public ones answers 401"
        ]
    return oidc_warnings(auth.oidc) if auth.oidc is not None else []


def parse_auth(
    table: Mapping[str, Any], problems: list[str], env: Mapping[str, str] | None
) -> AuthConfig:
    """Check ``[auth]``; append problems with their key paths."""
    own = {k: v for k, v in table.items() if k not in ("users", "clients", "oidc")}
    values = read_table(own, AUTH_FIELDS, "auth", problems, env=env)
    users = _principals(table.get("users", []), "auth.users", USER_FIELDS, problems, env)
    clients = _principals(table.get("clients", []), "auth.clients", CLIENT_FIELDS, problems, env)
    oidc = None
    if "oidc" in table:
        if isinstance(table["oidc"], Mapping):
            oidc = parse_oidc(table["oidc"], problems, env)
        else:
            problems.append("auth.oidc: must be a table")
    for name in sorted(set(users) & set(clients)):
        problems.append(
            f"auth: {name!r} is both a user and a client; per-user credentials could not "
            "tell them apart"
        )
    if oidc is not None and oidc.issuer == values["issuer"]:
        problems.append("auth.oidc.issuer: must differ from auth.issuer, the gateway's own")
    return AuthConfig(
        users=users,
        clients=clients,
        oidc=oidc,
        token_ttl_s=values["token_ttl_s"],
        session_ttl_s=values["session_ttl_s"],
        signing_key=values["signing_key"] or Secret(""),
        issuer=values["issuer"],
        login_attempts=values["login_attempts"],
        login_address_attempts=values["login_address_attempts"],
        login_window_s=values["login_window_s"],
        refresh_ttl_s=values["refresh_ttl_s"],
        refresh_max_s=values["refresh_max_s"],
    )


def _principals(
    entries: Any,
    path: str,
    fields: Sequence[Field],
    problems: list[str],
    env: Mapping[str, str] | None,
) -> dict[str, Principal]:
    if not isinstance(entries, list):
        problems.append(f"{path}: must be an array of tables ([[{path}]])")
        return {}
    out: dict[str, Principal] = {}
    for index, entry in enumerate(entries):
        entry_path = f"{path}[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{entry_path}: must be a table")
            continue
        before = len(problems)
        values = read_table(entry, fields, entry_path, problems, env=env)
        if len(problems) != before:
            continue
        name, secret_hash = values[fields[0].name], values[fields[1].name]
        if name in out:
            problems.append(f"{entry_path}.{fields[0].name}: {name!r} is declared twice")
            continue
        public, redirect_uris = values.get("public", False), values.get("redirect_uris", ())
        problem = _client_problem(public, secret_hash, redirect_uris)
        if problem is not None:
            problems.append(f"{entry_path}.{problem}")
            continue
        out[name] = Principal(
            name, secret_hash, frozenset(values["roles"]), public, tuple(redirect_uris)
        )
    return out


def _client_problem(public: bool, secret_hash: str | None, redirect_uris: Any) -> str | None:
    """What is wrong with a client's mix of ``public``, its secret and its redirect URIs."""
    if public and secret_hash is not None:
        return "secret_hash: a public client has no secret (it could not keep one)"
    if public and not redirect_uris:
        return "redirect_uris: a public client needs at least one (it may only use /auth/authorize)"
    if not public and secret_hash is None:
        return "secret_hash: required (or public = true for an app that keeps no secret)"
    return None
