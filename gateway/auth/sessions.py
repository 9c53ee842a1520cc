"""Login sessions: an aiohttp-session cookie that names a session, never holds a secret.

With ``[session] store = "cookie"`` the cookie is the session, encrypted (Fernet) with
``session.secret_key``: who, the kind of identity, the CSRF token, the session id and
its expiry (and for a single sign-on session the roles its login's claim gave); a few
hundred bytes, never an upstream token. With ``"redis"`` the cookie
holds only a random key and the session lives in Redis, so every gateway process
sees it. Either way a login starts a new session (a new id and a new cookie: no
fixation), and the cookie is HttpOnly, SameSite=Lax, Secure when clients use https (an
https public URL, or the scheme a trusted proxy forwards) and lives
``auth.session_ttl_s`` seconds.

A cookie session that was logged out is remembered as revoked until it would have
expired, so a copy of the cookie kept elsewhere is refused too. Expiry and revocation are
timed by the state store's clock (:attr:`~gateway.state.base.StateStore.clock`).
"""

from __future__ import annotations

import base64
import hmac
import logging
import secrets
import uuid
import warnings
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp_session
import redis.asyncio as aioredis
from aiohttp import hdrs, web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from aiohttp_session.redis_storage import RedisStorage
from redis.exceptions import RedisError

from gateway.auth.identity import Identity, IdentityKind
from gateway.config.loading import CONFIG, GatewayConfig
from gateway.state.base import StateStore, unreachable
from gateway.web.bodies import FORM as FORM  # re-exported: the single sign-on reads it here
from gateway.web.metrics import Metrics
from gateway.web.urls import public_base

log = logging.getLogger(__name__)

# aiohttp-session 2.12 keys the request with strings, which aiohttp warns about on every
# request; the keys are its own and harmless.
warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module="aiohttp_session")

CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
"""The form field a browser's form post may carry the CSRF token in instead."""
CSRF_FORM_BYTES: Final = 4096


def storage(
    config: GatewayConfig, redis: aioredis.Redis | None, metrics: Metrics | None = None
) -> aiohttp_session.AbstractStorage:
    """The aiohttp-session storage the ``[session]`` table asks for; Redis errors are
    counted in ``metrics``."""
    session = config.session
    params: dict[str, Any] = {
        "cookie_name": session.cookie_name,
        "max_age": config.auth.session_ttl_s,
        "httponly": True,
        "samesite": "Lax",
        # Mounted under a prefix, the gateway's cookie is for that prefix only.
        "path": urlsplit(config.server.public_url).path.rstrip("/") or "/",
    }
    if redis is not None:
        return _RedisSessions(redis, session.key_prefix, metrics or Metrics.unrecorded(), **params)
    key = session.secret_key.reveal()
    if not key:
        log.warning(
            "session.secret_key is empty: sessions are encrypted with a random key and end "
            "when this process stops"
        )
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return _CookieSessions(key, **params)


def _secure_over_https(request: web.Request, response: web.StreamResponse, name: str) -> None:
    """Mark the session cookie Secure when the client reached the gateway over https.

    The scheme of the answer's links decides: an https ``public_url``, or without one
    the scheme a trusted proxy forwards (``X-Forwarded-Proto``). It is done as the session
    is saved: aiohttp writes the cookies into the headers before any
    ``on_response_prepare`` hook runs, too late to change them there.
    """
    morsel = response.cookies.get(name)
    if morsel is not None and public_base(request).startswith("https://"):
        morsel["secure"] = True


class _CookieSessions(EncryptedCookieStorage):
    """aiohttp-session's encrypted cookie storage, its cookie Secure over https."""

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: aiohttp_session.Session
    ) -> None:
        """Write the session into its cookie (:func:`_secure_over_https`)."""
        await super().save_session(request, response, session)
        _secure_over_https(request, response, self.cookie_name)


class _RedisSessions(RedisStorage):
    """aiohttp-session's Redis storage with the gateway's key prefix and error answers.

    Session records are kept under ``<key_prefix>session:<key>`` (aiohttp-session's own
    naming ignores the prefix, so two gateways sharing a Redis would share sessions),
    and an unreachable Redis is a 503 problem.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str, metrics: Metrics, **params: Any) -> None:
        super().__init__(redis, key_factory=lambda: secrets.token_urlsafe(32), **params)
        self._prefix = prefix + "session:"
        self._client = redis
        self._errors = metrics.redis_errors

    async def load_session(self, request: web.Request) -> aiohttp_session.Session:
        """The session the cookie names, or a new one."""
        key = self.load_cookie(request)
        if not key:
            return await self.new_session()
        try:
            raw = await self._client.get(self._prefix + key)
        except RedisError as exc:
            self._errors.inc("session_load")
            raise unreachable() from exc
        if not raw:
            return await self.new_session()
        try:
            data = self._decoder(raw.decode() if isinstance(raw, bytes) else raw)
        except ValueError:  # not JSON, or not UTF-8 (UnicodeDecodeError)
            return await self.new_session()
        if data is None:
            return await self.new_session()
        return aiohttp_session.Session(key, data=data, new=False, max_age=self.max_age)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: aiohttp_session.Session
    ) -> None:
        """Store the session for its life; an ended one is deleted, its cookie cleared."""
        key = session.identity
        try:
            if session.empty:
                self.save_cookie(response, "")  # deletes the cookie
                if key is not None:
                    await self._client.delete(self._prefix + str(key))
                return
            key = str(key) if key is not None else self._key_factory()
            self.save_cookie(response, key, max_age=session.max_age)
            _secure_over_https(request, response, self.cookie_name)
            data = self._encoder(self._get_session_data(session))
            await self._client.set(self._prefix + key, data, ex=session.max_age)
        except RedisError as exc:
            self._errors.inc("session_save")
            raise unreachable() from exc


async def start(
    request: web.Request,
    store: StateStore,
    who: Identity,
    ttl_s: int,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A new session for ``who``; a live session that came in is ended first.

    ``extra`` is kept in the session too: what a single sign-on session needs (its roles).
    """
    old = await load(request, store)
    if old is not None:
        await _revoke(store, old)  # the earlier cookie (or a copy of it) opens nothing
    session = await aiohttp_session.new_session(request)
    data = {
        "sid": uuid.uuid4().hex,
        "sub": who.name,
        "kind": who.kind,
        "csrf": secrets.token_urlsafe(32),
        "exp": int(store.clock()) + ttl_s,
        **(extra or {}),
    }
    session.update(data)
    return data


async def load(request: web.Request, store: StateStore) -> dict[str, Any] | None:
    """The live session's data: None without a cookie, expired or revoked."""
    if request.app[CONFIG].session.cookie_name not in request.cookies:
        return None
    session = await aiohttp_session.get_session(request)
    sid, exp = session.get("sid"), session.get("exp")
    if not isinstance(sid, str) or not isinstance(exp, int) or exp <= store.clock():
        return None
    if await store.get(f"revoked:session:{sid}") is not None:
        return None
    return dict(session)


def identity(data: dict[str, Any], kind: IdentityKind, roles: frozenset[str]) -> Identity:
    """The identity a session's data names."""
    return Identity(
        name=data["sub"],
        kind=kind,
        roles=roles,
        expires_at=float(data["exp"]),
        via="session",
    )


def csrf_ok(request: web.Request, data: dict[str, Any]) -> bool:
    """Whether the request carries the session's CSRF token."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        return False
    return hmac.compare_digest(sent.encode(), str(data.get("csrf", "")).encode())


async def csrf_sent(request: web.Request, data: dict[str, Any], *, form: bool) -> bool:
    """Whether the request carries the session's CSRF token: in its header, or (when
    ``form``) as the ``csrf_token`` field of a small form body.

    A browser posting a form as a navigation (logging out) cannot set headers; a form
    body that big or encoded is not read here (the route may stream its body).
    """
    if csrf_ok(request, data):
        return True
    size = request.content_length or 0
    if not form or request.content_type != FORM or not 0 < size <= CSRF_FORM_BYTES:
        return False
    if hdrs.CONTENT_ENCODING in request.headers:
        return False
    try:
        sent = (await request.post()).get(CSRF_FIELD)
    except (UnicodeDecodeError, LookupError):
        return False  # a form that does not decode carries no token
    expected = str(data.get("csrf", "")).encode()
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent.encode(), expected)


async def end(request: web.Request, store: StateStore, data: dict[str, Any]) -> None:
    """End the session: drop it (Redis), clear the cookie, refuse copies of it."""
    session = await aiohttp_session.get_session(request)
    session.invalidate()
    await _revoke(store, data)


async def _revoke(store: StateStore, data: dict[str, Any]) -> None:
    """Refuse the session ``data`` describes until it would have expired anyway.

    ``data`` comes from :func:`load`, which makes sure it has an integer ``exp``.
    """
    ttl = data["exp"] - store.clock()
    if ttl > 0:
        await store.put(f"revoked:session:{data['sid']}", {"at": store.clock()}, ttl)
