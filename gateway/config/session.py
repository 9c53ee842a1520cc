"""The ``[session]`` table: where login sessions and the gateway's short-lived state live.

Shape::

    [session]           store ("cookie" | "redis"), secret_key, redis_url, cookie_name, key_prefix

An empty ``secret_key`` gets a random value per process: fine for one process. The
redis store, meant for several, requires ``auth.signing_key`` (its sessions live in
Redis, so ``secret_key`` is not used).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.config.auth import MIN_KEY_BYTES, AuthConfig
from gateway.config.schema import Field, Secret, read_table

_COOKIE_NAME: Final = re.compile(r"[A-Za-z0-9_\-]{1,64}")


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


def _cookie_name(value: Any) -> str | None:
    return None if _COOKIE_NAME.fullmatch(value) else "must be 1-64 letters, digits, '_' or '-'"


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
class SessionConfig:
    """The ``[session]`` table."""

    store: str = "cookie"
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    redis_url: Secret = field(default_factory=lambda: Secret(""))
    cookie_name: str = "halgw_session"
    key_prefix: str = "halgw:"


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
