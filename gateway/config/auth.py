"""The ``[auth]`` and ``[session]`` tables: who may log in, and where sessions live.

Shape (every key documented in the README)::

    [auth]              token_ttl_s, session_ttl_s, signing_key, issuer,
                        login_attempts, login_address_attempts, login_window_s
    [[auth.users]]      name, password_hash, roles
    [[auth.clients]]    client_id, secret_hash, roles
    [auth.oidc]         issuer, audience, jwks_url, roles_claim, username_claim, jwks_ttl_s
    [session]           store ("cookie" | "redis"), secret_key, redis_url, cookie_name, key_prefix

Keys that are empty get a random value per process (``signing_key``, ``secret_key``):
fine for one process. The redis store, meant for several, requires ``signing_key``
(its sessions live in Redis, so ``secret_key`` is not used).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from gateway.config.hashes import check_hash
from gateway.config.schema import Field, Secret, http_url, read_table

MIN_KEY_BYTES: Final = 32
READER: Final = "reader"
EDITOR: Final = "editor"
ADMIN: Final = "admin"
ROLES: Final = (READER, EDITOR, ADMIN)
"""Every role, weakest first: reader reads backends, editor changes them, admin does all."""

OIDC_PREFIX: Final = "oidc:"
"""How ``[backends.<name>.users]`` names a user of the OIDC issuer."""
_COOKIE_NAME: Final = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def known_roles(value: Any) -> str | None:
    """Config check: every entry is a role."""
    unknown = [r for r in value if r not in ROLES]
    return f"unknown roles {unknown}; roles are {', '.join(ROLES)}" if unknown else None


def _roles(value: Any) -> str | None:
    return known_roles(value) or (None if value else "must name at least one role")


def _signing_key(value: Any) -> str | None:
    if value and len(value.encode()) < MIN_KEY_BYTES:
        return f"must be at least {MIN_KEY_BYTES} bytes (or empty for a random key per process)"
    return None


def _fernet_key(value: Any) -> str | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except ValueError:
        raw = b""
    if len(raw) != MIN_KEY_BYTES:
        return (
            "must be 32 bytes in URL-safe base64 (make one with "
            "`python -c 'import secrets, base64; "
            "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'`)"
        )
    return None


def _redis_url(value: Any) -> str | None:
    if not value or str(value).startswith(("redis://", "rediss://", "unix://")):
        return None
    return "must be a redis://, rediss:// or unix:// URL"


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
)


def _name(value: Any) -> str | None:
    if not value or value != value.strip() or value.startswith(OIDC_PREFIX):
        return f"must be a non-empty name without surrounding spaces, not starting {OIDC_PREFIX}"
    return None


def _jwks_url(value: Any) -> str | None:
    problem = http_url(value)
    if problem is not None:
        return problem
    parts = urlsplit(value)
    if parts.scheme == "https":
        return None
    try:
        loopback = ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        loopback = parts.hostname == "localhost"
    # Over plain http anybody on the way could hand over keys and forge every token.
    return None if loopback else "must be https (plain http only on loopback)"


def _cookie_name(value: Any) -> str | None:
    return None if _COOKIE_NAME.fullmatch(value) else "must be 1-64 letters, digits, '_' or '-'"


USER_FIELDS: Final = (
    Field("name", str, "User name.", required=True, check=_name),
    Field(
        "password_hash",
        str,
        "Hash from `hal-gateway hash-password`.",
        required=True,
        check=check_hash,
    ),
    Field("roles", list, "reader, editor and/or admin.", required=True, check=_roles),
)
CLIENT_FIELDS: Final = (
    Field("client_id", str, "Client id.", required=True, check=_name),
    Field(
        "secret_hash",
        str,
        "Hash from `hal-gateway hash-password`.",
        required=True,
        check=check_hash,
    ),
    Field("roles", list, "reader, editor and/or admin.", required=True, check=_roles),
)
OIDC_FIELDS: Final = (
    Field("issuer", str, "The issuer's iss value.", required=True),
    Field("audience", str, "The aud the tokens must carry.", required=True),
    Field("jwks_url", str, "Where the issuer publishes its keys.", required=True, check=_jwks_url),
    Field(
        "roles_claim",
        str,
        "Claim holding the gateway roles; dots reach into objects (realm_access.roles).",
        default="roles",
    ),
    Field("username_claim", str, "Claim naming the user.", default="sub"),
    Field("jwks_ttl_s", int, "How long fetched keys are trusted.", default=3600, minimum=1),
)
SESSION_FIELDS: Final = (
    Field("store", str, "Where sessions live.", default="cookie", choices=("cookie", "redis")),
    Field(
        "secret_key",
        str,
        "Key encrypting cookie sessions (32 bytes, URL-safe base64); empty: random per process.",
        default="",
        secret=True,
        check=_fernet_key,
    ),
    Field("redis_url", str, "Redis for sessions and upstream logins.", default="", secret=True),
    Field(
        "cookie_name",
        str,
        "Name of the session cookie.",
        default="halgw_session",
        check=_cookie_name,
    ),
    Field("key_prefix", str, "Prefix of the gateway's Redis keys.", default="halgw:"),
)


@dataclass(frozen=True, slots=True)
class Principal:
    """A configured user or API client."""

    name: str
    secret_hash: str = field(repr=False)
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The ``[auth.oidc]`` table."""

    issuer: str
    audience: str
    jwks_url: str
    roles_claim: str = "roles"
    username_claim: str = "sub"
    jwks_ttl_s: int = 3600


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


def warnings(auth: AuthConfig) -> list[str]:
    """What is valid but probably not meant: told by ``check-config`` and ``serve``."""
    if not (auth.users or auth.clients or auth.oidc):
        return [
            "auth: no [[auth.users]], [[auth.clients]] or [auth.oidc]: nobody can log in, "
            "and every route but the public ones answers 401"
        ]
    return []


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The ``[session]`` table."""

    store: str = "cookie"
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    redis_url: Secret = field(default_factory=lambda: Secret(""))
    cookie_name: str = "halgw_session"
    key_prefix: str = "halgw:"


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
            oidc = OidcConfig(
                **read_table(table["oidc"], OIDC_FIELDS, "auth.oidc", problems, env=env)
            )
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
        out[name] = Principal(name, secret_hash, frozenset(values["roles"]))
    return out


def parse_session(
    table: Mapping[str, Any], problems: list[str], env: Mapping[str, str] | None
) -> SessionConfig:
    """Check ``[session]``; the redis store needs its URL and fixed keys."""
    values = read_table(table, SESSION_FIELDS, "session", problems, env=env)
    config = SessionConfig(
        store=values["store"],
        secret_key=values["secret_key"] or Secret(""),
        redis_url=values["redis_url"] or Secret(""),
        cookie_name=values["cookie_name"],
        key_prefix=values["key_prefix"],
    )
    if config.store == "redis":
        problem = _redis_url(config.redis_url.reveal())
        if not config.redis_url.reveal():
            problems.append('session.redis_url: required when store = "redis"')
        elif problem:
            problems.append(f"session.redis_url: {problem}")
    return config


def shared_keys_problems(auth: AuthConfig, session: SessionConfig) -> list[str]:
    """Several processes must sign tokens with one key: the redis store needs a fixed one."""
    if session.store == "redis" and not auth.signing_key.reveal():
        return [
            'auth.signing_key: required when session.store = "redis" '
            "(every process must accept the others' tokens)"
        ]
    return []
