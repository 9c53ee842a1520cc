"""Bearer tokens: the gateway's own access tokens, and an external OpenID Connect issuer's.

The gateway signs its access tokens (JWT, HS256) with ``auth.signing_key``; they name
the identity (``sub``, ``kind``) and carry its roles as ``scope``. Tokens of the
``[auth.oidc]`` issuer are checked against its published keys (JWKS: ``jwks_url``, or
the ``jwks_uri`` of its discovery document), fetched on first use, kept ``jwks_ttl_s``
seconds and fetched again when a token names an unknown key; without ``audience`` they
are refused (the issuer serves single sign-on alone).
Both are validated with ``joserfc`` (authlib's JOSE library): signature, ``exp``,
``nbf``, ``iss``, ``aud``; the algorithms are fixed per issuer, so a token cannot pick
its own.

A revoked token (logout) is remembered in the state store, by digest, until it would
have expired. An access token issued under a grant of the authorization server (a code or
a refresh token) names it in ``gid``; it holds only while that grant does, so that ending a
grant (a reused refresh token, a replayed code, a revocation) ends every access token
issued under it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

import aiohttp
import cachetools
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OctKey

from gateway.auth.discovery import ProviderMetadata
from gateway.auth.identity import Identity
from gateway.config.auth import AuthConfig
from gateway.config.oidc import OidcConfig
from gateway.config.roles import ROLES
from gateway.state.base import StateStore
from gateway.web import jsoncodec
from gateway.web.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

OWN_ALGORITHMS: Final = ("HS256",)
OIDC_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
LEEWAY_S: Final = 30
"""Clock skew tolerated on ``exp`` and ``nbf``."""
CHECKED_TOKENS: Final = 4096
CHECKED_TTL_S: Final = 60.0
IDP_ROLES: Final = "idp_roles"
"""The claim of a single sign-on identity's access token that keeps the roles its
provider claimed (before ``auth.oidc.user_roles``)."""
JWKS_REFETCH_S: Final = 10.0
"""An unknown ``kid`` fetches the keys again at most this often (no fetch storms)."""


def invalid_token(detail: str) -> Unauthorized:
    """A 401 whose ``WWW-Authenticate`` says the bearer token was refused (RFC 6750)."""
    return Unauthorized(
        detail,
        headers={
            "WWW-Authenticate": f'Bearer realm="hal-gateway", error="invalid_token", '
            f'error_description="{detail}"'
        },
    )


def revocation_key(token: str) -> str:
    """The state-store key that marks ``token`` revoked: a digest, never a usable token."""
    return "revoked:token:" + hashlib.sha256(token.encode()).hexdigest()[:40]


def grant_key(grant_id: str) -> str:
    """The state-store key of a live grant of the authorization server (its deletion ends
    the grant, and with it every access token whose ``gid`` names it)."""
    return "oauth:grant:" + grant_id


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload before any check: only to choose which issuer's keys to check with."""
    try:
        data = jsoncodec.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError):
        raise invalid_token("the bearer token is not a JWT") from None
    if not isinstance(data, dict):
        raise invalid_token("the bearer token is not a JWT")
    return data


class TokenService:
    """Issues, checks and revokes bearer tokens."""

    def __init__(self, auth: AuthConfig, store: StateStore) -> None:
        self._auth = auth
        secret = auth.signing_key.reveal().encode() or secrets.token_bytes(32)
        if not auth.signing_key.reveal():
            log.warning(
                "auth.signing_key is empty: tokens are signed with a random key, valid "
                "only in this process until it stops"
            )
        self._key = OctKey.import_key(secret)
        self._store = store
        self.oidc = Jwks(auth.oidc) if auth.oidc is not None else None
        # A client sends the same token with every request: checking its signature and
        # claims once a minute is enough (expiry is still looked at every time, and
        # revocation in the store). Only tokens that passed are kept, with the key of
        # their revocation, a digest not worth making per request.
        self._checked: cachetools.TTLCache[str, tuple[dict[str, Any], str]] = cachetools.TTLCache(
            maxsize=CHECKED_TOKENS, ttl=CHECKED_TTL_S
        )
        self.clock: Callable[[], float] = time.time
        """The wall clock that ``exp``, ``iat`` and revocations are measured against."""

    def __repr__(self) -> str:
        return f"TokenService(issuer={self._auth.issuer!r})"

    def issue(
        self,
        who: Identity,
        client_id: str | None = None,
        *,
        grant_id: str | None = None,
        claimed: frozenset[str] | None = None,
    ) -> tuple[str, int]:
        """A signed access token for ``who`` and its life in seconds.

        ``client_id`` names the OAuth client it was issued to (RFC 9068), whose revocation
        request alone may end it; ``grant_id`` the grant it was issued under (``gid``),
        which it does not outlive. ``claimed`` (``idp_roles``) are the roles a single
        sign-on identity's provider claimed, from which its roles are worked out again
        with the current config at every request.
        """
        now = int(self.clock())
        ttl = self._auth.token_ttl_s
        claims = {
            "iss": self._auth.issuer,
            "aud": self._auth.issuer,
            "sub": who.name,
            "kind": who.kind,
            "scope": " ".join(r for r in ROLES if r in who.roles),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        if client_id is not None:
            claims["client_id"] = client_id
        if grant_id is not None:
            claims["gid"] = grant_id
        if claimed is not None:
            claims[IDP_ROLES] = " ".join(r for r in ROLES if r in claimed)
        return jwt.encode({"alg": OWN_ALGORITHMS[0]}, claims, self._key), ttl

    async def verify(self, token: str) -> dict[str, Any]:
        """The checked claims of a bearer token; 401 for anything wrong with it."""
        checked = self._checked.get(token)
        if checked is None or checked[0]["exp"] + LEEWAY_S <= self.clock():
            checked = (await self._verified(token), revocation_key(token))
            self._checked[token] = checked
        claims, revoked_key = checked
        if await self._store.get(revoked_key) is not None:
            raise invalid_token("the bearer token was revoked (logged out)")
        # Looked at on every request, as the revocation is: a grant ends at once.
        grant = claims.get("gid")
        own = isinstance(grant, str) and claims.get("iss") == self._auth.issuer
        if own and await self._store.get(grant_key(str(grant))) is None:
            raise invalid_token("the bearer token's grant was revoked or has ended")
        return claims

    async def _verified(self, token: str) -> dict[str, Any]:
        issuer = _unverified_claims(token).get("iss")
        if issuer == self._auth.issuer:
            own = self._auth.issuer
            return _check(token, self._key, OWN_ALGORITHMS, own, own, self.clock())
        if self.oidc is not None and issuer == self.oidc.config.issuer:
            audience = self.oidc.config.audience
            if not audience:  # single sign-on only: its tokens are for the gateway's login
                raise invalid_token("bearer tokens of the identity provider are not accepted here")
            try:
                keys = await self.oidc.keys()
                return _check(token, keys, OIDC_ALGORITHMS, issuer, audience, self.clock())
            except _UnknownKey:
                pass  # the issuer may have rotated its keys: fetch them again, once
            keys = await self.oidc.keys(refresh=True)
            try:
                return _check(token, keys, OIDC_ALGORITHMS, issuer, audience, self.clock())
            except _UnknownKey:
                raise invalid_token("the bearer token is signed with an unknown key") from None
        raise invalid_token("the bearer token is from an issuer this gateway does not trust")

    async def revoke(self, token: str, claims: Mapping[str, Any]) -> None:
        """Refuse ``token`` (checked, with these claims) until it would have expired.

        Tokens of the OIDC issuer too: the gateway cannot end them at the issuer, but
        refuses them itself from now on.
        """
        now = self.clock()
        ttl = float(claims["exp"]) - now + LEEWAY_S  # checked claims: ``exp`` is essential
        if ttl > 0:
            await self._store.put(revocation_key(token), {"at": now}, ttl)

    async def close(self) -> None:
        """Close the JWKS client."""
        if self.oidc is not None:
            await self.oidc.close()


def _check(
    token: str,
    key: OctKey | KeySet,
    algorithms: tuple[str, ...],
    issuer: str,
    audience: str,
    now: float,
) -> dict[str, Any]:
    """The claims of ``token`` once signature, issuer, audience and times (at ``now``) hold."""
    try:
        decoded = jwt.decode(token, key, algorithms=list(algorithms))
        jwt.JWTClaimsRegistry(
            now=int(now),
            leeway=LEEWAY_S,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
    except InvalidKeyIdError:
        raise _UnknownKey from None
    except ExpiredTokenError:
        raise invalid_token("the bearer token has expired") from None
    except (JoseError, ValueError, TypeError) as exc:
        reason = getattr(exc, "error", "") or "invalid"
        raise invalid_token(f"the bearer token was refused ({reason})") from None
    return dict(decoded.claims)


class _UnknownKey(Exception):
    """The token names a key the key set does not hold."""


class Jwks:
    """The OIDC issuer's published keys, cached and fetched again on an unknown key."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.metadata = ProviderMetadata(config)
        """The issuer's discovery document: where the keys are when ``jwks_url`` is empty."""
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        self.clock: Callable[[], float] = time.monotonic
        """The clock of the cache's life and of the refetch pause."""

    async def keys(self, *, refresh: bool = False) -> KeySet:
        """The key set; fetched when missing, stale, or (at most every few seconds) on demand."""
        async with self._lock:
            now = self.clock()
            stale = now - self._fetched_at > self.config.jwks_ttl_s
            may_refetch = now - self._fetched_at > JWKS_REFETCH_S
            if self._keys is None or stale or (refresh and may_refetch):
                self._keys = await self._fetch()
                self._fetched_at = now
            return self._keys

    async def _fetch(self) -> KeySet:
        try:
            url = self.config.jwks_url or await self.metadata.endpoint("jwks_uri")
            if url is None:
                raise ValueError("the discovery document names no jwks_uri")
            async with self.metadata.http().get(url) as response:
                response.raise_for_status()
                data = await response.json(content_type=None)
            return KeySet.import_key_set(data)
        except (
            aiohttp.ClientError,
            TimeoutError,
            ValueError,
            JoseError,
            ServiceUnavailable,  # the discovery document, for the keys' URL
        ) as exc:
            log.warning("the OIDC issuer's keys could not be fetched (%s)", type(exc).__name__)
            if self._keys is not None:
                return self._keys  # keep serving with the keys we have
            raise ServiceUnavailable(
                "the identity provider's signing keys could not be fetched; try again shortly"
            ) from exc

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.metadata.close()
