"""The suite's gateway users and clients, and tokens for them.

Their hashes are cheap (scrypt with N = 2**4): the parameters travel in the hash, so
the gateway checks them as it checks real ones, only faster.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from gateway.auth.authenticator import AUTH
from gateway.auth.identity import Identity, IdentityKind
from gateway.auth.passwords import Cost, hash_password
from gateway.config.loading import CONFIG

CHEAP: Final = Cost(ln=4, r=8, p=1)
SIGNING_KEY: Final = "suite-signing-key-0123456789abcdef"

USERS: Final = {
    "admin": ("admin-password", ["admin"]),
    "editor": ("editor-password", ["editor"]),
    "reader": ("reader-password", ["reader"]),
}
CLIENTS: Final = {
    "ingest-bot": ("ingest-bot-secret", ["editor"]),
    "dashboard": ("dashboard-secret", ["reader"]),
    "media-portal": ("media-portal-secret", ["editor"]),
}
PUBLIC_CLIENTS: Final = {"media-app": ["editor"]}
"""Apps that keep no secret: a browser app, or a native one."""
REDIRECT_URIS: Final = {
    "media-portal": ["https://portal.example.org/oauth/callback"],
    "media-app": ["http://127.0.0.1/callback", "com.example.media:/oauth/callback"],
}
"""Where /auth/authorize sends the codes of the clients that log people in."""
_HASHES: Final = {name: hash_password(secret, CHEAP) for name, (secret, _) in USERS.items()} | {
    name: hash_password(secret, CHEAP) for name, (secret, _) in CLIENTS.items()
}


def user_entry(name: str, password: str, roles: list[str]) -> dict[str, Any]:
    """An ``[[auth.users]]`` entry with a cheap hash."""
    return {"name": name, "password_hash": hash_password(password, CHEAP), "roles": roles}


def auth_table(**overrides: Any) -> dict[str, Any]:
    """The ``[auth]`` table of the suite: the users and clients above."""
    table: dict[str, Any] = {
        "signing_key": SIGNING_KEY,
        "users": [
            {"name": n, "password_hash": _HASHES[n], "roles": roles}
            for n, (_, roles) in USERS.items()
        ],
        "clients": [
            {"client_id": n, "secret_hash": _HASHES[n], "roles": roles}
            | ({"redirect_uris": REDIRECT_URIS[n]} if n in REDIRECT_URIS else {})
            for n, (_, roles) in CLIENTS.items()
        ]
        + [
            {"client_id": n, "public": True, "roles": roles, "redirect_uris": REDIRECT_URIS[n]}
            for n, roles in PUBLIC_CLIENTS.items()
        ],
    }
    table.update(overrides)
    return table


def token_for(app: web.Application, name: str, kind: IdentityKind = "user") -> str:
    """A valid access token of the configured user (or client) ``name``."""
    auth = app[CONFIG].auth
    principal = (auth.users if kind == "user" else auth.clients)[name]
    token, _ = app[AUTH].tokens.issue(Identity(principal.name, kind, principal.roles))
    return token


def bearer(app: web.Application, name: str, kind: IdentityKind = "user") -> dict[str, str]:
    """An ``Authorization`` header for ``name``."""
    return {"Authorization": f"Bearer {token_for(app, name, kind)}"}
