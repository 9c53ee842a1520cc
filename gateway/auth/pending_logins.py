"""The single sign-on logins a browser has begun: a cookie of their own, encrypted.

Each begun login is a small record: its ``state``, ``nonce``, PKCE verifier, redirect
URI, ``return_to`` and when it lapses. The browser keeps the last :data:`MAX_PENDING`
of them (logins begun in several tabs each finish) in the cookie
``<session.cookie_name>_sso``: JWE (``dir``, A256GCM) under a key derived from
``auth.signing_key``, so that every process with that key reads it (random per process
without one), HttpOnly, SameSite=Lax (a provider's redirect back is a top-level GET, on
which Lax cookies go), for the login's paths only, living :data:`PENDING_TTL_S`. Nothing
is stored for a login that only began: a flood of them fills no store.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any, Final
from urllib.parse import urlsplit

from aiohttp import web
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from gateway.config.loading import GatewayConfig
from gateway.web import jsoncodec
from gateway.web.urls import public_base

PENDING_TTL_S: Final = 600
"""How long a begun login may take at the issuer (its forms, a second factor)."""
MAX_PENDING: Final = 3
COOKIE_SUFFIX: Final = "_sso"
COOKIE_BYTES: Final = 3800
"""Browsers keep cookies up to 4096 bytes: older pending logins give way before that."""
_JWE: Final = {"alg": "dir", "enc": "A256GCM"}
_JWE_ALGORITHMS: Final = ["dir", "A256GCM"]
_KEY_LABEL: Final = b"hal-media-gateway sso pending logins"


class PendingLogins:
    """Reads and writes the cookie of a browser's begun logins."""

    def __init__(
        self, config: GatewayConfig, path: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.cookie_name = config.session.cookie_name + COOKIE_SUFFIX
        self.path = path
        """The path (under the gateway's prefix) the cookie is sent for."""
        signing_key = config.auth.signing_key.reveal().encode()
        raw = (
            hmac.new(signing_key, _KEY_LABEL, "sha256").digest()
            if signing_key
            else secrets.token_bytes(32)
        )
        self._key = OctKey.import_key(raw)
        self.clock = clock
        """The wall clock of the logins' life (the state store's, in the gateway)."""

    def __repr__(self) -> str:
        return f"PendingLogins({self.cookie_name!r})"

    def new(self, redirect_uri: str, return_to: str) -> dict[str, Any]:
        """A new login's record: fresh ``state``, ``nonce`` and PKCE verifier."""
        return {
            "s": secrets.token_urlsafe(32),
            "n": secrets.token_urlsafe(32),
            "v": secrets.token_urlsafe(48),
            "u": redirect_uri,
            "r": return_to,
            "e": int(self.clock()) + PENDING_TTL_S,
        }

    def read(self, request: web.Request) -> list[dict[str, Any]]:
        """The browser's begun logins still live, newest first."""
        sealed = request.cookies.get(self.cookie_name, "")
        if not sealed:
            return []
        try:
            opened = jwe.decrypt_compact(sealed, self._key, algorithms=_JWE_ALGORITHMS)
            data = jsoncodec.loads(opened.plaintext or b"")
        except (JoseError, ValueError):
            return []  # another key (a restart without signing_key) or tampered: none
        if not isinstance(data, list):
            return []
        now = self.clock()
        return [p for p in data if isinstance(p, dict) and float(p.get("e", 0)) > now]

    def cookie(self, request: web.Request, pending: list[dict[str, Any]]) -> str:
        """The ``Set-Cookie`` value keeping the newest of ``pending`` (none: clearing it)."""
        value, max_age = "", 0
        pending = pending[:MAX_PENDING]
        while pending:
            plain = jsoncodec.dumps(pending)
            value = jwe.encrypt_compact(_JWE, plain, self._key, algorithms=_JWE_ALGORITHMS)
            if len(value) <= COOKIE_BYTES or len(pending) == 1:
                max_age = PENDING_TTL_S
                break
            pending = pending[:-1]
        base = urlsplit(public_base(request))
        jar: SimpleCookie = SimpleCookie()
        jar[self.cookie_name] = value
        morsel = jar[self.cookie_name]
        morsel["path"] = base.path.rstrip("/") + self.path
        morsel["max-age"] = str(max_age)
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        morsel["secure"] = base.scheme == "https"
        return morsel.OutputString()
